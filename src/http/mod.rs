//! The HTTP edge: router, the GraphQL handler, health, readiness and metrics.

pub mod documents;
pub mod export;
pub mod graphql;
pub mod health;
pub mod middleware;
pub mod ws;

use crate::graphql::AppSchema;
use crate::service::AppState;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: Arc<AppState>,
    pub schema: AppSchema,
    /// The same schema, validating only the limits: for documents that passed every rule
    /// before, with variables checked here (see `documents`).
    pub checked_schema: AppSchema,
    pub request_timeout: Duration,
    /// Most operations in one batched request; 0 refuses batches.
    pub max_batch: usize,
    pub trust_forwarded_for: bool,
    /// Benchmarks only: see `sqlcapture`.
    pub debug_sql_capture: bool,
    /// Parsed documents, kept by their text.
    pub documents: Arc<documents::Documents>,
}

pub fn router(state: HttpState, max_body_bytes: usize) -> Router {
    let metrics = state.app.metrics.clone();
    Router::new()
        .route("/graphql", get(graphql::get_or_upgrade).post(graphql::post_graphql))
        .route("/export/blockers.csv", get(export::blockers_csv))
        .route("/export/blockers.ndjson", get(export::blockers_ndjson))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(max_body_bytes))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(metrics, middleware::record))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
