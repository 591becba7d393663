//! Database connections: SQLite (WAL, busy timeout, a pool that lets readers run beside the
//! writer) or PostgreSQL, with every statement counted for `/metrics` and for the request that
//! issued it.

use crate::config::DatabaseSettings;
use crate::metrics::Metrics;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What one request's statements were, across the tasks it spawns.
#[derive(Default)]
pub struct RequestStats {
    pub statements: AtomicU64,
    /// The statements themselves, when the request asked for them (benchmarks only).
    pub captured: Option<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl RequestStats {
    pub fn capturing() -> Self {
        Self { statements: AtomicU64::new(0), captured: Some(Default::default()) }
    }

    pub fn count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

pub type StatementCounter = Arc<RequestStats>;

tokio::task_local! {
    /// The counter of the request the current task works for, when it counts.
    pub static STATEMENTS: StatementCounter;
}

/// Connects, with SQLite tuned for a server and every statement counted.
pub async fn connect(settings: &DatabaseSettings, metrics: Arc<Metrics>) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = settings.sqlite_path() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.database_max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(settings.database_acquire_timeout))
        .connect_timeout(Duration::from_secs(settings.database_acquire_timeout))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |info| {
        metrics.record_statement(info.elapsed, info.failed);
        let _ = STATEMENTS.try_with(|stats| {
            stats.statements.fetch_add(1, Ordering::Relaxed);
            if let Some(captured) = &stats.captured {
                if let Ok(mut list) = captured.lock() {
                    list.push(crate::sqlcapture::encode(&info.statement.sql, info.statement.values.as_ref()));
                }
            }
        });
    });
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
/// transaction that reads then writes cannot fail with SQLITE_BUSY halfway.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Serialises this process's writers to SQLite, which takes one writer at a time anyway: queued
/// in order on an async lock instead of retrying in SQLite's busy handler, which sleeps up to
/// 100 ms between tries. PostgreSQL writers run in parallel.
#[derive(Default)]
pub struct Writers(Option<Arc<tokio::sync::Mutex<()>>>);

/// Held for the length of a write transaction (on SQLite).
pub struct WriteGuard(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl Writers {
    pub fn for_connection(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => Self(Some(Arc::new(tokio::sync::Mutex::new(())))),
            _ => Self(None),
        }
    }

    pub async fn acquire(&self) -> WriteGuard {
        match &self.0 {
            Some(lock) => WriteGuard(Some(lock.clone().lock_owned().await)),
            None => WriteGuard(None),
        }
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
