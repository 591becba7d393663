//! The `urgings` table: a ministry was urged (đôn đốc) for a period's missing reports.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[sea_orm(table_name = "urgings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ministry_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub missing: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
