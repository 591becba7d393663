//! The `blockers` table.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "blockers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: BlockerCategory,
    pub status: BlockerStatus,
    pub origin: BlockerOrigin,
    /// The enterprise, institute, university or locality it was raised for.
    pub origin_name: Option<String>,
    pub raised_by_ministry_id: Uuid,
    /// The user or service token that raised it.
    pub raised_by_actor_id: Uuid,
    pub raised_by_actor_name: String,
    pub responsible_ministry_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub due_date: Option<Date>,
    pub resolution: Option<String>,
    pub escalated_to: Option<String>,
    pub escalation_reason: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    #[serde(skip_serializing)]
    pub search_text: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
