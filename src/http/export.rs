//! `GET /export/blockers.csv` and `GET /export/blockers.ndjson`: every blocker matching the
//! query's filters, streamed, with the same bearer token as the API.

use super::HttpState;
use crate::error::AppError;
use crate::service::access::Action;
use crate::service::blockers::BlockerFilter;
use crate::service::export::{self, Format};
use crate::service::{ministries, users};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use entity::enums::{BlockerCategory, BlockerStatus, Severity};
use futures::StreamExt;
use serde::Deserialize;

/// The filters of `blockers`, as query parameters; lists are comma-separated.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    status: Option<String>,
    severity: Option<String>,
    category: Option<String>,
    /// Ministry code, e.g. MOF.
    responsible_ministry: Option<String>,
    raised_by_ministry: Option<String>,
    task_id: Option<uuid::Uuid>,
    overdue: Option<bool>,
    updated_since: Option<DateTime<Utc>>,
    search: Option<String>,
}

fn error(err: AppError) -> Response {
    let status = match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = serde_json::json!({ "errors": [{ "message": err.message(), "extensions": { "code": err.code() } }] });
    let mut r = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

fn list<T>(field: &str, text: &Option<String>, parse: fn(&str) -> Option<T>) -> Result<Option<Vec<T>>, AppError> {
    let Some(text) = text else { return Ok(None) };
    text.split(',')
        .map(|v| v.trim().to_uppercase())
        .filter(|v| !v.is_empty())
        .map(|v| parse(&v).ok_or_else(|| AppError::bad_input(field, format!("unknown value `{v}`"))))
        .collect::<Result<Vec<T>, AppError>>()
        .map(Some)
}

async fn filter(state: &HttpState, p: ExportParams) -> Result<BlockerFilter, AppError> {
    let db = &state.app.db;
    let responsible = match &p.responsible_ministry {
        Some(code) => Some(ministries::require_code(db, "responsibleMinistry", code).await?.id),
        None => None,
    };
    let raised = match &p.raised_by_ministry {
        Some(code) => Some(ministries::require_code(db, "raisedByMinistry", code).await?.id),
        None => None,
    };
    Ok(BlockerFilter {
        statuses: list("status", &p.status, BlockerStatus::parse)?,
        severities: list("severity", &p.severity, Severity::parse)?,
        categories: list("category", &p.category, BlockerCategory::parse)?,
        responsible_ministry_id: responsible,
        raised_by_ministry_id: raised,
        task_id: p.task_id,
        overdue: p.overdue,
        updated_since: p.updated_since,
        search: p.search,
    })
}

async fn export(state: HttpState, headers: HeaderMap, params: ExportParams, format: Format) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(bearer) = bearer else {
        return error(AppError::Unauthenticated("send `Authorization: Bearer <token>`".into()));
    };
    let principal = match users::authenticate(&state.app, bearer).await {
        Ok(p) => p,
        Err(err) => return error(err),
    };
    if let Err(err) = principal.require(Action::ReadBlockers) {
        return error(err);
    }
    let filter = match filter(&state, params).await {
        Ok(f) => f,
        Err(err) => return error(err),
    };
    let body = export::stream(state.app.clone(), filter, format).map(|chunk| {
        chunk.map(Bytes::from).map_err(|e| {
            tracing::warn!(error = %e.detail(), "a blocker export stopped midway");
            std::io::Error::other(e.message())
        })
    });
    let (content_type, name) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "blockers.csv"),
        Format::Ndjson => ("application/x-ndjson", "blockers.ndjson"),
    };
    let mut r = Response::new(Body::from_stream(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub async fn blockers_csv(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(p): Query<ExportParams>,
) -> Response {
    export(state, headers, p, Format::Csv).await
}

pub async fn blockers_ndjson(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(p): Query<ExportParams>,
) -> Response {
    export(state, headers, p, Format::Ndjson).await
}
