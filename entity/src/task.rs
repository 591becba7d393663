//! The `tasks` table.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub status: TaskStatus,
    pub lead_ministry_id: Uuid,
    pub working_group_id: Option<Uuid>,
    pub directive_id: Option<Uuid>,
    pub focal_person_name: Option<String>,
    pub focal_person_title: Option<String>,
    pub due_date: Option<Date>,
    pub approving_authority: Option<String>,
    pub expected_output: Option<String>,
    pub resources: Option<String>,
    pub completed_at: Option<DateTimeUtc>,
    /// Whether completion came on or before the due date, in Vietnam time; kept once set.
    pub completed_on_time: Option<bool>,
    pub cancel_reason: Option<String>,
    #[serde(skip_serializing)]
    pub search_text: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
