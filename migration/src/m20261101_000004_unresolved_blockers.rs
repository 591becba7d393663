//! A stored `unresolved` flag on blockers with its own indexes. Scripts page through every
//! unresolved blocker and dashboards count them; with a status list, each page sorted every
//! unresolved blocker, so a page's cost grew with the table. With the flag, a page reads its own
//! rows in index order, and the counts read a narrow covering index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[(&str, &[&str])] = &[
    ("ix_blockers_unresolved_created", &["unresolved", "created_at", "id"]),
    ("ix_blockers_unresolved_updated", &["unresolved", "updated_at", "id"]),
    (
        "ix_blockers_unresolved_summary",
        &["unresolved", "severity", "created_at", "responsible_ministry_id", "raised_by_ministry_id"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("blockers")
                    .add_column(ColumnDef::new("unresolved").boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE blockers SET unresolved = (status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED'))",
            )
            .await?;
        // The summary now counts through the flag's covering index.
        manager.drop_index(Index::drop().name("ix_blockers_summary").table("blockers").to_owned()).await?;
        for (name, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table("blockers");
            for col in *cols {
                index.col(*col);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.drop_index(Index::drop().name(*name).table("blockers").to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_blockers_summary")
                    .table("blockers")
                    .col("status")
                    .col("severity")
                    .col("created_at")
                    .col("responsible_ministry_id")
                    .col("raised_by_ministry_id")
                    .to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table("blockers").drop_column("unresolved").to_owned()).await
    }
}
