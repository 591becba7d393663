//! The `report_revisions` table.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "report_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub report_id: Uuid,
    pub revision: i32,
    pub progress_percent: i32,
    pub health: Health,
    pub summary: String,
    pub achievements: Option<String>,
    pub next_steps: Option<String>,
    pub submitted_at: DateTimeUtc,
    pub submitted_by: Uuid,
    pub submitted_by_name: String,
    pub late: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
