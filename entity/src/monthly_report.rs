//! The `monthly_reports` table.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "monthly_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub task_id: Uuid,
    pub ministry_id: Uuid,
    /// `YYYY-MM`.
    pub period: String,
    pub status: ReportStatus,
    pub progress_percent: i32,
    pub health: Health,
    pub summary: String,
    pub achievements: Option<String>,
    pub next_steps: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    /// The user or service token that last submitted it.
    pub submitted_by: Option<Uuid>,
    pub submitted_by_name: Option<String>,
    /// Whether the first submission came after the ministries due moment of the period.
    pub late: bool,
    /// The number of submitted revisions (0 while a draft was never submitted).
    pub revision: i32,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_by_name: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
