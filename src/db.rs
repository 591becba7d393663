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
use std::future::Future;
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
    connect_pool(settings, metrics, settings.max_connections(), false).await
}

/// A pool of `max_connections`. The SQLite writers' connection (`for_writers`) never copies the
/// write-ahead log back into the database file when it commits; `checkpoints` does it in the
/// background. And it is kept open for good: its page cache is the point of it.
async fn connect_pool(
    settings: &DatabaseSettings,
    metrics: Arc<Metrics>,
    max_connections: u32,
    for_writers: bool,
) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = settings.sqlite_path() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(settings.database_acquire_timeout))
        .connect_timeout(Duration::from_secs(settings.database_acquire_timeout))
        .sqlx_logging(false)
        // A connection is pinged before use only after it sat idle: pinging on every checkout
        // cost each statement a second round trip. A connection that breaks in use is dropped.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .idle_timeout((!for_writers).then_some(Duration::from_secs(600)))
        .max_lifetime((!for_writers).then_some(Duration::from_secs(1800)))
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("wal_autocheckpoint", if for_writers { "0" } else { "1000" })
                // After a checkpoint resets the log, its file is cut back to 64 MiB.
                .pragma("journal_size_limit", "67108864")
                // SQLite runs on a worker thread that hands rows over a bounded channel; with the
                // default 50, a page of 500 rows stalled the worker ten times, each stall a
                // thread wake-up on both sides.
                .row_buffer_size(1024)
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
///
/// On SQLite, write transactions also have a connection of their own. In WAL mode a connection
/// drops its page cache whenever another connection has written since its last transaction, so
/// with writes arriving all the time a pooled connection starts every transaction cold; the one
/// writing connection keeps its cache, because nobody else writes. And mutations run on a thread
/// of their own (`run`): every writer waits for the one holding the lock, so each step of the
/// holder's transaction must resume at once, not wait its turn behind hundreds of requests.
#[derive(Default)]
pub struct Writers(Option<SqliteWriter>);

struct SqliteWriter {
    lock: Arc<tokio::sync::Mutex<()>>,
    connection: DatabaseConnection,
    thread: tokio::runtime::Handle,
    /// Dropping it ends the writer thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Held for the length of a write transaction (on SQLite).
pub struct WriteGuard(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl Writers {
    /// The writers of the database `pool` is connected to: on SQLite, with a connection of their own.
    pub async fn open(
        settings: &DatabaseSettings,
        metrics: Arc<Metrics>,
        pool: &DatabaseConnection,
    ) -> Result<Self, DbErr> {
        Ok(match pool.get_database_backend() {
            // An in-memory database exists only in its own connection's pool: writers share it.
            sea_orm::DbBackend::Sqlite if settings.sqlite_path().is_none() => {
                Self(Some(SqliteWriter::start(pool.clone())))
            }
            sea_orm::DbBackend::Sqlite => {
                Self(Some(SqliteWriter::start(connect_pool(settings, metrics, 1, true).await?)))
            }
            _ => Self(None),
        })
    }

    /// Starts a write transaction: on SQLite on the writers' connection, on PostgreSQL from `pool`.
    pub async fn begin(&self, pool: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
        begin_write(self.0.as_ref().map_or(pool, |w| &w.connection)).await
    }

    pub async fn acquire(&self) -> WriteGuard {
        match &self.0 {
            Some(w) => WriteGuard(Some(w.lock.clone().lock_owned().await)),
            None => WriteGuard(None),
        }
    }

    /// Runs a mutation: on SQLite on the writer thread, counting its statements for the request
    /// that asked; on PostgreSQL where it is.
    pub async fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        let Some(w) = &self.0 else { return work.await };
        let stats: StatementCounter = STATEMENTS.try_with(Arc::clone).unwrap_or_default();
        // A request that gives up (its time limit, a client gone) takes its mutation with it, as it
        // would on the request's own thread: not started, or rolled back.
        let task = AbortOnDrop(w.thread.spawn(STATEMENTS.scope(stats, work)));
        match task.wait().await {
            Ok(value) => value,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!("the SQLite writer thread stopped while the server was running"),
        }
    }
}

/// A spawned task that is cancelled when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn wait(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqliteWriter {
    fn start(connection: DatabaseConnection) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("sqlite-writer")
            .build()
            .expect("cannot start the SQLite writer's runtime");
        let thread = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime.shutdown_background();
            })
            .expect("cannot start the SQLite writer thread");
        Self { lock: Arc::new(tokio::sync::Mutex::new(())), connection, thread, _stop: stop }
    }
}

/// Ticks every `every`, the first at once, for upkeep that only SQLite needs; `None` on PostgreSQL.
fn sqlite_ticks(db: &DatabaseConnection, every: Duration) -> Option<tokio::time::Interval> {
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Some(ticks)
}

/// A log this long (about 400 MB) that a checkpoint cannot finish means readers starve it.
const STARVED_LOG_PAGES: i64 = 100_000;

/// Copies SQLite's write-ahead log back into the database file every `every`, off the write
/// path. The writers' connection does not checkpoint when it commits: a commit that did would
/// hold up every queued writer while it copied pages and synced the file.
pub async fn checkpoints(db: DatabaseConnection, every: Duration) {
    let Some(mut ticks) = sqlite_ticks(&db, every) else { return };
    loop {
        ticks.tick().await;
        let pass = sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)");
        match db.query_one_raw(pass).await {
            Ok(Some(row)) => {
                // Columns: busy, pages in the log, pages copied.
                let log: i64 = row.try_get_by_index(1).unwrap_or(0);
                let copied: i64 = row.try_get_by_index(2).unwrap_or(0);
                if log > STARVED_LOG_PAGES && copied < log {
                    tracing::warn!(
                        log_pages = log,
                        copied_pages = copied,
                        "the write-ahead log keeps growing: long-running reads keep it from being copied back"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the write-ahead log could not be copied into the database file; will retry")
            }
        }
    }
}

/// Keeps SQLite's planner statistics fresh: at start, then every `every`, it lets SQLite analyze
/// the tables whose size has changed a lot since they were last analyzed (a bounded sample, so
/// it takes milliseconds). Without statistics the planner can join in the wrong order once a
/// table has grown. PostgreSQL's autovacuum does this itself.
pub async fn statistics(db: DatabaseConnection, every: Duration) {
    let Some(mut ticks) = sqlite_ticks(&db, every) else { return };
    loop {
        ticks.tick().await;
        if let Err(e) = db.execute_unprepared("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002").await {
            tracing::warn!(error = %e, "the query planner's statistics could not be refreshed; will retry");
        }
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
