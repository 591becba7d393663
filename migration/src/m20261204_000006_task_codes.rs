//! An index of tasks' ids with their codes. A page of blockers names each blocker's task by its
//! code, and a page of 500 refers to some 470 tasks: without it, PostgreSQL found them by reading
//! every task (a page's cost grew with the programme's history); with it, each is one probe of an
//! index that holds the code, without reading the task's row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "ix_tasks_id_code";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(Index::create().name(INDEX).table("tasks").col("id").col("code").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table("tasks").to_owned()).await
    }
}
