//! Schema migrations. They run on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20260401_000001_initial;
mod m20260601_000002_events;
mod m20260701_000003_summary_indexes;
mod m20261101_000004_unresolved_blockers;
mod m20261122_000005_summary_tallies;
mod m20261204_000006_task_codes;
mod m20261204_000007_open_blocker_lists;

pub use m20261204_000007_open_blocker_lists::UNRESOLVED_SQL;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260401_000001_initial::Migration),
            Box::new(m20260601_000002_events::Migration),
            Box::new(m20260701_000003_summary_indexes::Migration),
            Box::new(m20261101_000004_unresolved_blockers::Migration),
            Box::new(m20261122_000005_summary_tallies::Migration),
            Box::new(m20261204_000006_task_codes::Migration),
            Box::new(m20261204_000007_open_blocker_lists::Migration),
        ]
    }
}
