//! Wiring: settings to a running server. `Application::build` binds the port (0 for tests) and
//! prepares everything; `run_until_stopped` serves until a shutdown signal, letting in-flight
//! requests finish within the grace period.

use crate::auth::{JwtKeys, PasswordHasher};
use crate::clock::Clock;
use crate::config::{DatabaseSettings, ServerSettings};
use crate::graphql::{self, Limits};
use crate::http::{self, HttpState};
use crate::metrics::Metrics;
use crate::service::{periods, seed, users, AppState};
use anyhow::{bail, Context};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Builds the shared state: connects, migrates, loads keys.
pub async fn state(db: &DatabaseSettings, server: &ServerSettings, clock: Clock) -> anyhow::Result<Arc<AppState>> {
    periods::check_settings(&server.periods).map_err(anyhow::Error::msg)?;
    let secret = jwt_secret(db, server)?;
    let metrics = Arc::new(Metrics::default());
    let conn = crate::db::connect(db, metrics.clone())
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&db.database_url)))?;
    crate::db::migrate(&conn).await.context("cannot apply the database migrations")?;
    let writers = crate::db::Writers::open(db, metrics.clone(), &conn)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&db.database_url)))?;
    Ok(Arc::new(AppState {
        writers,
        db: conn,
        jwt: JwtKeys::new(secret.as_bytes(), chrono::Duration::minutes(server.token_lifetime_minutes.max(1))),
        passwords: PasswordHasher::new(server.password_concurrency).map_err(|e| anyhow::anyhow!("{}", e.detail()))?,
        clock,
        periods: server.periods,
        metrics,
        pool_max: db.max_connections(),
        events: Default::default(),
        event_settings: server.events.clone(),
        loader_delay: Duration::from_micros(server.dataloader_delay_us),
        limits: crate::ratelimit::Limits {
            requests: crate::ratelimit::Limiter::new(server.rate_limit_per_minute),
            login_per_user: crate::ratelimit::Limiter::new(server.login_limit_per_user),
            login_per_address: crate::ratelimit::Limiter::new(server.login_limit_per_address),
        },
    }))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..scheme + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The signing secret: from settings, or generated once and kept beside the SQLite file.
fn jwt_secret(db: &DatabaseSettings, server: &ServerSettings) -> anyhow::Result<String> {
    if let Some(secret) = &server.jwt_secret {
        if secret.len() < 32 {
            bail!("JWT_SECRET must be at least 32 characters");
        }
        return Ok(secret.clone());
    }
    let Some(db_path) = db.sqlite_path() else {
        bail!("JWT_SECRET is required with PostgreSQL: every instance must sign tokens with the same secret");
    };
    let path = secret_path(&db_path);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)
        .with_context(|| format!("cannot keep the generated JWT secret at {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(secret)
}

fn secret_path(db_path: &std::path::Path) -> PathBuf {
    let mut name = db_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".jwt-secret");
    db_path.with_file_name(name)
}

fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

/// On a new database: load the reference data and create a first admin. Returns the admin's
/// user name and one-time password when one was created.
pub async fn bootstrap(state: &AppState) -> anyhow::Result<Option<(String, String)>> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let empty = entity::ministry::Entity::find().count(&state.db).await? == 0;
    if empty {
        let report = seed::reference(state).await.map_err(|e| anyhow::anyhow!("seeding: {}", e.detail()))?;
        tracing::info!(?report, "loaded the reference data into a new database");
    }
    if users::any_admin(state).await.map_err(|e| anyhow::anyhow!("{}", e.detail()))? {
        return Ok(None);
    }
    let password = crate::auth::password::generate_password();
    let input = users::UserInput {
        username: "admin".into(),
        display_name: Some("Administrator".into()),
        role: entity::enums::Role::Admin,
        ministry_code: None,
        ministry_id: None,
        password: password.clone(),
    };
    users::create_user(state, &users::command_line_actor(), input)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin: {}", e.detail()))?;
    Ok(Some(("admin".into(), password)))
}

/// The work each instance does beside answering requests: fanning out committed events,
/// listening for other instances' commits, delivering webhooks, pruning old events, and (when
/// set) daily urging.
fn spawn_background(state: &Arc<AppState>) -> anyhow::Result<()> {
    use crate::service::{events, urging, webhooks};
    tokio::spawn(events::run_dispatcher(state.clone()));
    tokio::spawn(events::run_listener(state.clone()));
    tokio::spawn(webhooks::run_deliveries(state.clone()));
    tokio::spawn(events::run_pruning(state.clone()));
    tokio::spawn(crate::db::checkpoints(state.db.clone(), Duration::from_millis(200)));
    tokio::spawn(crate::db::statistics(state.db.clone(), Duration::from_secs(6 * 3600)));
    if let Some(at) = &state.event_settings.urge_daily_at {
        let time = urging::parse_time_of_day(at).with_context(|| format!("URGE_DAILY_AT must be HH:MM, got `{at}`"))?;
        tokio::spawn(urging::run_daily(state.clone(), time));
    }
    Ok(())
}

pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
    router: axum::Router,
    grace: Duration,
}

impl Application {
    pub async fn build(state: Arc<AppState>, server: &ServerSettings) -> anyhow::Result<Self> {
        let limits = Limits {
            max_depth: server.max_depth,
            max_complexity: server.max_complexity,
            introspection: server.introspection,
        };
        let schema = graphql::build(state.clone(), limits);
        let checked_schema = graphql::build_for_checked(state.clone(), limits);
        let http_state = HttpState {
            app: state.clone(),
            schema,
            checked_schema,
            request_timeout: Duration::from_millis(server.request_timeout_ms.max(1)),
            max_batch: server.max_batch,
            trust_forwarded_for: server.trust_forwarded_for,
            debug_sql_capture: server.debug_sql_capture,
            documents: Arc::default(),
        };
        let router = http::router(http_state, server.max_body_bytes);
        let listener = TcpListener::bind(server.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", server.bind_addr))?;
        spawn_background(&state)?;
        Ok(Self { listener, state, router, grace: Duration::from_secs(server.shutdown_grace_secs) })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves; then stops accepting and gives in-flight requests the
    /// grace period to finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut signalled = stop_rx.clone();
        let app = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let grace = self.grace;
        let serving = tokio::spawn(async move { server.await });
        tokio::pin!(serving);
        tokio::select! {
            result = &mut serving => return Ok(result??),
            _ = signalled.changed() => {}
        }
        match tokio::time::timeout(grace, &mut serving).await {
            Ok(result) => Ok(result??),
            Err(_) => {
                tracing::warn!(seconds = grace.as_secs(), "in-flight requests did not finish within the grace period");
                Ok(())
            }
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u@h:5432/db");
        assert_eq!(redact("sqlite://c.db"), "sqlite://c.db");
    }

    #[test]
    fn secret_lives_beside_the_database() {
        assert_eq!(secret_path(std::path::Path::new("data/c.db")), PathBuf::from("data/c.db.jwt-secret"));
    }
}
