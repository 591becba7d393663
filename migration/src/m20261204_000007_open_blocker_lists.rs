//! On SQLite, the lists of unresolved blockers in creation and update order are read from partial
//! indexes that hold the columns a list shows. A script's page of 500 unresolved blockers found
//! each row in the table through the `unresolved` index: some 500 table pages a page, scattered
//! over the whole history, since unresolved blockers are a tenth of all of them. Once the history
//! outgrew a connection's page cache, each page of the list read hundreds of pages from the file,
//! and it cost more the longer the history was. These indexes hold only the unresolved blockers
//! (about a megabyte each at 5,000 of them), so a page is read from consecutive index entries.
//!
//! They are partial on the status list itself, not on the generated `unresolved` column: SQLite
//! reads a virtual column from the row, so an index that used it would not cover. Queries name
//! the same list ([`UNRESOLVED_SQL`]) for SQLite to use them. PostgreSQL keeps its indexes on
//! the stored `unresolved` column, whose rows it finds in its shared buffers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The condition that a blocker still holds up work, as SQLite's partial indexes state it. A
/// query uses them only when its own `WHERE` has this very condition as one of its terms. The
/// unary `+` keeps SQLite from answering the term with the index on `status` instead, which
/// then sorts every unresolved blocker for each page: without statistics (a new database, or
/// one never analyzed) its planner judged that the cheaper way.
pub const UNRESOLVED_SQL: &str = "+\"status\" IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED')";

/// What a list of blockers shows, after the order's key and the id.
const SHOWN: &str = "\"title\", \"status\", \"severity\", \"category\", \"due_date\", \"task_id\", \
                     \"raised_by_ministry_id\", \"responsible_ministry_id\"";

/// (name, order's key, the other timestamp, the index it replaces)
const LISTS: [(&str, &str, &str, &str); 2] = [
    ("ix_blockers_open_created", "created_at", "updated_at", "ix_blockers_unresolved_created"),
    ("ix_blockers_open_updated", "updated_at", "created_at", "ix_blockers_unresolved_updated"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for (name, key, other, replaced) in LISTS {
            db.execute_unprepared(&format!(
                "CREATE INDEX \"{name}\" ON \"blockers\" (\"{key}\", \"id\", {SHOWN}, \"{other}\") WHERE {UNRESOLVED_SQL}"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX \"{replaced}\"")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for (name, key, _, replaced) in LISTS {
            db.execute_unprepared(&format!(
                "CREATE INDEX \"{replaced}\" ON \"blockers\" (\"unresolved\", \"{key}\", \"id\")"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX \"{name}\"")).await?;
        }
        Ok(())
    }
}
