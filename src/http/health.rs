//! Liveness, readiness and metrics.

use super::HttpState;
use crate::db;
use crate::metrics::PoolStats;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

/// The process is up.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// The database answers; 503 when it does not.
pub async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let check = tokio::time::timeout(std::time::Duration::from_secs(2), db::ping(&state.app.db)).await;
    if matches!(check, Ok(true)) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
    }
}

fn pool_stats(db: &sea_orm::DatabaseConnection, max: u32, password_verifications: u64) -> PoolStats {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle() as u32)
        }
        _ => (0, 0),
    };
    PoolStats { size, idle, max, password_verifications }
}

/// Prometheus text.
pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let stats = pool_stats(&state.app.db, state.app.pool_max, state.app.passwords.verifications());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.app.metrics.render(stats))
}
