//! The `blocker_events` table.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "blocker_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub blocker_id: Uuid,
    /// 1, 2, 3… in the order the events happened to this blocker.
    pub seq: i32,
    pub kind: BlockerEventKind,
    pub from_status: Option<BlockerStatus>,
    pub to_status: BlockerStatus,
    pub actor_id: Uuid,
    pub actor_name: String,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
