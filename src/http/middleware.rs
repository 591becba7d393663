//! Cross-cutting layers: metrics per request and security headers.

use crate::metrics::Metrics;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Instant;

/// The paths counted by name; any other is counted as `other`.
const PATHS: [&str; 6] =
    ["/graphql", "/healthz", "/readyz", "/metrics", "/export/blockers.csv", "/export/blockers.ndjson"];

/// Counts the request and its latency, logs it with its request id, and gives the response the
/// headers every response carries (one layer for both: each layer is work on every request).
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = PATHS.iter().copied().find(|p| *p == request.uri().path()).unwrap_or("other");
    // What only the log line needs is taken only when it is written.
    let logged = tracing::enabled!(tracing::Level::INFO).then(|| {
        let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        (request.method().clone(), id)
    });
    let mut response = next.run(request).await;
    security_headers(&mut response);
    let elapsed = started.elapsed();
    metrics.record_request(path, response.status().as_u16(), elapsed);
    if let Some((method, request_id)) = logged {
        tracing::info!(%method, %path, status = response.status().as_u16(), ms = elapsed.as_secs_f64() * 1e3, %request_id, "request");
    }
    response
}

/// Headers that every response carries (OWASP secure headers).
fn security_headers(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A panic in a handler becomes a plain INTERNAL_SERVER_ERROR; what panicked is logged, not sent.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    tracing::error!(panic = %detail, "a request handler panicked");
    let body = serde_json::json!({ "errors": [{ "message": "internal error; the request was not completed", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] });
    let mut response = (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
