//! Typed settings, read in one place: flags, each also an environment variable.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://coordination.db?mode=rwc";

/// Readers pooled on SQLite by default. Its reads are bound by CPU, not by waiting, and every
/// connection has its own page cache and thread; writes have one more connection of their own.
const SQLITE_POOL: u32 = 4;

/// Where the service keeps its data.
#[derive(Args, Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://FILE?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Largest number of pooled database connections [default: 16 on PostgreSQL, 4 on SQLite, whose
    /// writes have one more connection of their own].
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", global = true)]
    pub database_max_connections: Option<u32>,

    /// Seconds to wait for a pooled connection (or for a database that is down) before failing.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT", default_value_t = 5, global = true)]
    pub database_acquire_timeout: u64,
}

/// Everything `serve` needs beyond the database.
#[derive(Args, Clone, Debug)]
pub struct ServerSettings {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,

    /// Secret that signs login tokens (HS256). When unset, one is generated once and kept beside
    /// the SQLite file with owner-only permissions; several instances must share one.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of a login token, in minutes.
    #[arg(long, env = "TOKEN_LIFETIME_MINUTES", default_value_t = 480)]
    pub token_lifetime_minutes: i64,

    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "LOG_JSON", default_value_t = false)]
    pub log_json: bool,

    /// Allow introspection (on for development; consider turning it off in production).
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Largest request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Deepest allowed query.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Largest allowed query complexity (each field counts 1, lists times their page size).
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// Milliseconds a request may run before it is cut off.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// Seconds to let in-flight requests finish on shutdown.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace_secs: u64,

    /// Microseconds a DataLoader waits to gather keys before a batch. Lists prime their relations
    /// from the page, so they batch without waiting; 0 spares single lookups the wait.
    #[arg(long, env = "DATALOADER_DELAY_US", default_value_t = 0)]
    pub dataloader_delay_us: u64,

    /// Most password checks at once; the rest wait, so a login flood cannot starve other work.
    #[arg(long, env = "PASSWORD_CONCURRENCY", default_value_t = 2)]
    pub password_concurrency: usize,

    /// Most operations in one batched request; 0 refuses batches.
    #[arg(long, env = "MAX_BATCH", default_value_t = 0)]
    pub max_batch: usize,

    /// Benchmarks only: a request sending `x-capture-sql: 1` gets its SQL in the response. Never in production.
    #[arg(long, env = "DEBUG_SQL_CAPTURE", default_value_t = false, action = clap::ArgAction::Set, hide = true)]
    pub debug_sql_capture: bool,

    /// Requests a minute per principal (user or service token); 0 turns the limit off.
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 1_200)]
    pub rate_limit_per_minute: u32,

    /// Login attempts a minute per user name.
    #[arg(long, env = "LOGIN_LIMIT_PER_USER", default_value_t = 10)]
    pub login_limit_per_user: u32,

    /// Login attempts a minute per client address.
    #[arg(long, env = "LOGIN_LIMIT_PER_ADDRESS", default_value_t = 60)]
    pub login_limit_per_address: u32,

    /// Take the client address from the first `X-Forwarded-For` entry (only behind a proxy that sets it).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,

    #[command(flatten)]
    pub periods: PeriodSettings,

    #[command(flatten)]
    pub events: EventSettings,
}

/// Webhooks, urging and subscriptions.
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct EventSettings {
    /// Let webhooks target private, loopback and link-local addresses (off: a webhook could
    /// otherwise reach internal services).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Seconds to wait for a webhook receiver.
    #[arg(long, env = "WEBHOOK_TIMEOUT", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
    /// Attempts before a delivery is marked FAILED.
    #[arg(long, env = "WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub webhook_max_attempts: i32,
    /// Delay before the first retry, in milliseconds; it doubles with each attempt.
    #[arg(long, env = "WEBHOOK_BACKOFF_MS", default_value_t = 2_000)]
    pub webhook_backoff_ms: u64,
    /// Time of day (HH:MM, Vietnam) at which missing reports are urged every day; off when unset.
    #[arg(long, env = "URGE_DAILY_AT")]
    pub urge_daily_at: Option<String>,
    /// Seconds between checks that a subscriber's token is still valid.
    #[arg(long, env = "SUBSCRIPTION_RECHECK_SECS", default_value_t = 15)]
    pub subscription_recheck_secs: u64,
    /// Days that announced events and finished webhook deliveries are kept; each instance prunes
    /// older ones every hour. 0 keeps them all.
    #[arg(long, env = "EVENT_RETENTION_DAYS", default_value_t = 90)]
    pub event_retention_days: u32,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            webhook_allow_private: false,
            webhook_timeout_secs: 10,
            webhook_max_attempts: 8,
            webhook_backoff_ms: 2_000,
            urge_daily_at: None,
            subscription_recheck_secs: 15,
            event_retention_days: 90,
        }
    }
}

/// The reporting calendar (Decree 09/2019/NĐ-CP), days of the month in Vietnam's time zone.
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodSettings {
    /// Last day of a period's data (its data run from the day after this in the previous month).
    #[arg(long, env = "PERIOD_CUTOFF_DAY", default_value_t = 14)]
    pub cutoff_day: u32,
    /// Ministries' reports are due to the Secretariat by the end of this day of the named month.
    #[arg(long, env = "PERIOD_MINISTRY_DUE_DAY", default_value_t = 20)]
    pub ministry_due_day: u32,
    /// The Working Group's consolidated report is due by the end of this day.
    #[arg(long, env = "PERIOD_CONSOLIDATED_DUE_DAY", default_value_t = 25)]
    pub consolidated_due_day: u32,
}

impl Default for PeriodSettings {
    fn default() -> Self {
        Self { cutoff_day: 14, ministry_due_day: 20, consolidated_due_day: 25 }
    }
}

impl ServerSettings {
    /// Settings for tests and embedding: defaults, a given secret, an ephemeral port.
    pub fn for_tests(jwt_secret: &str) -> Self {
        Self {
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            jwt_secret: Some(jwt_secret.to_owned()),
            token_lifetime_minutes: 60,
            log_json: false,
            introspection: true,
            max_body_bytes: 1_048_576,
            max_depth: 15,
            max_complexity: 50_000,
            request_timeout_ms: 30_000,
            shutdown_grace_secs: 5,
            password_concurrency: 2,
            dataloader_delay_us: 0,
            max_batch: 0,
            debug_sql_capture: false,
            rate_limit_per_minute: 0,
            login_limit_per_user: 0,
            login_limit_per_address: 0,
            trust_forwarded_for: false,
            periods: PeriodSettings::default(),
            events: EventSettings {
                webhook_allow_private: true,
                webhook_timeout_secs: 5,
                webhook_backoff_ms: 50,
                subscription_recheck_secs: 1,
                ..EventSettings::default()
            },
        }
    }
}

impl DatabaseSettings {
    pub fn new(database_url: &str) -> Self {
        Self { database_url: database_url.to_owned(), database_max_connections: None, database_acquire_timeout: 5 }
    }

    /// The pool's largest size: as set, or the database's default.
    pub fn max_connections(&self) -> u32 {
        self.database_max_connections.unwrap_or(if self.is_sqlite() { SQLITE_POOL } else { 16 }).max(1)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite file, when the database is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite:")?;
        let rest = rest.trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_path_is_read_from_the_url() {
        assert_eq!(DatabaseSettings::new("sqlite://data/c.db?mode=rwc").sqlite_path(), Some("data/c.db".into()));
        assert_eq!(DatabaseSettings::new("sqlite:c.db").sqlite_path(), Some("c.db".into()));
        assert_eq!(DatabaseSettings::new("postgres://x@y/z").sqlite_path(), None);
    }

    #[test]
    fn the_pool_size_defaults_by_database_and_can_be_set() {
        assert_eq!(DatabaseSettings::new("sqlite://c.db").max_connections(), SQLITE_POOL);
        assert_eq!(DatabaseSettings::new("postgres://x@y/z").max_connections(), 16);
        let mut set = DatabaseSettings::new("sqlite://c.db");
        set.database_max_connections = Some(9);
        assert_eq!(set.max_connections(), 9);
        set.database_max_connections = Some(0);
        assert_eq!(set.max_connections(), 1);
    }
}
