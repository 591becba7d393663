//! Covering indexes for the monthly summary's aggregates: counting tasks, reports and unresolved
//! blockers reads only the index, not the wide rows behind it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &str, &[&str])] = &[
    (
        "ix_tasks_summary",
        "tasks",
        &["working_group_id", "lead_ministry_id", "status", "due_date", "completed_on_time", "id"],
    ),
    ("ix_monthly_reports_summary", "monthly_reports", &["period", "task_id", "ministry_id", "status", "late"]),
    (
        "ix_blockers_summary",
        "blockers",
        &["status", "severity", "created_at", "responsible_ministry_id", "raised_by_ministry_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(*table);
            for col in *cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager.drop_index(Index::drop().name(*name).table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
