//! GraphQL over HTTP, written around `schema.execute` so that it follows the GraphQL-over-HTTP
//! specification: JSON bodies only (no text/plain or form side doors), no batching, mutations only
//! over POST, `application/graphql-response+json` honoured, and a token on everything but `login`.

use super::HttpState;
use crate::db::StatementCounter;
use crate::error::AppError;
use crate::graphql::request_data;
use crate::service::users::{self, ClientAddr};
use crate::service::Actor;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection};
use async_graphql::{ErrorExtensions, Response as GqlResponse, ServerError, Value};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Which media type the client accepts for the answer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    GraphqlResponse,
    Json,
}

/// The answer's media type, or `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<Answer> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Answer::Json);
    };
    let types: Vec<&str> = accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim()).collect();
    if types.contains(&GRAPHQL_RESPONSE) {
        Some(Answer::GraphqlResponse)
    } else if types.iter().any(|t| matches!(*t, JSON | "application/*" | "*/*")) {
        Some(Answer::Json)
    } else {
        None
    }
}

/// A response with one error, outside GraphQL execution.
fn plain_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn app_error(err: AppError) -> Response {
    let retry = match &err {
        AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    };
    let mut r = app_error_response(err);
    if let Some(secs) = retry {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn app_error_response(err: AppError) -> Response {
    let status = match &err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    plain_error(status, err.code(), &err.message())
}

/// The selected operation of a document.
fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a async_graphql::parser::types::OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
        _ => None,
    }
}

/// Whether the operation asks for nothing but `login` (the one thing allowed without a token).
fn is_login_only(op: &async_graphql::parser::types::OperationDefinition) -> bool {
    op.ty == OperationType::Mutation
        && op.selection_set.node.items.iter().all(|sel| match &sel.node {
            Selection::Field(f) => matches!(f.node.name.node.as_str(), "login" | "__typename"),
            _ => false,
        })
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    match headers.get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| AppError::Unauthenticated("the Authorization header is not readable".into()))?;
            match text.strip_prefix("Bearer ").map(str::trim) {
                Some(token) if !token.is_empty() => Ok(Some(token)),
                _ => Err(AppError::Unauthenticated("use `Authorization: Bearer <token>`".into())),
            }
        }
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A clearer message for async-graphql's limit errors, naming the limit and its setting.
fn limit_message(lower: &str) -> Option<&'static str> {
    if lower.contains("too complex") {
        Some("complexity limit: the query asks for more than MAX_QUERY_COMPLEXITY allows (a list counts its page size times its fields); ask for smaller pages or fewer fields")
    } else if lower.contains("too deep") {
        Some("depth limit: the query is nested deeper than MAX_QUERY_DEPTH allows")
    } else if lower.contains("directives") {
        Some("directive limit: a field carries more directives than allowed")
    } else if lower.contains("recursive") {
        Some("recursion limit: the query nests too deeply")
    } else {
        None
    }
}

/// Gives every error an `extensions.code`: async-graphql's own parse, validation and limit errors
/// come without one.
fn coded(mut response: GqlResponse, state: &HttpState) -> GqlResponse {
    for err in &mut response.errors {
        let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let limit = limit_message(&err.message.to_lowercase());
            if let Some(message) = limit {
                err.message = message.to_owned();
            }
            let code = if limit.is_some() { "QUERY_TOO_COMPLEX" } else { "BAD_USER_INPUT" };
            err.extensions.get_or_insert_with(Default::default).set("code", code);
        }
        if let Some(Value::String(code)) = err.extensions.as_ref().and_then(|e| e.get("code")) {
            state.app.metrics.record_error(code);
        }
    }
    response
}

/// The client's address: the peer, or the first `X-Forwarded-For` entry behind a trusted proxy.
fn client_addr(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded: bool) -> ClientAddr {
    let forwarded = trust_forwarded
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    ClientAddr(forwarded.or_else(|| peer.map(|p| p.ip().to_string())).unwrap_or_else(|| "unknown".into()))
}

/// One HTTP request's GraphQL operations (one, or a batch when allowed).
struct Call {
    headers: HeaderMap,
    addr: ClientAddr,
    requests: Vec<async_graphql::Request>,
    over_get: bool,
    batch: bool,
}

async fn execute(state: HttpState, call: Call) -> Response {
    let Some(answer) = negotiate(&call.headers) else {
        return plain_error(
            StatusCode::NOT_ACCEPTABLE,
            "BAD_USER_INPUT",
            "this endpoint answers application/json or application/graphql-response+json",
        );
    };
    let wants_capture = state.debug_sql_capture && call.headers.contains_key("x-capture-sql");
    let counter: StatementCounter =
        Arc::new(if wants_capture { crate::db::RequestStats::capturing() } else { Default::default() });
    let authenticated = crate::db::STATEMENTS.scope(counter.clone(), authenticate(&state, &call.headers)).await;
    let mut response = match authenticated {
        Ok(actor) => run(&state, &counter, call, answer, actor).await,
        Err(early) => early,
    };
    if let Ok(v) = HeaderValue::from_str(&counter.count().to_string()) {
        response.headers_mut().insert("x-sql-statements", v);
    }
    response
}

/// The caller of an HTTP request, or the answer that refuses it.
async fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<Option<Actor>, Response> {
    match bearer(headers) {
        Err(err) => Err(app_error(err)),
        Ok(None) => Ok(None),
        Ok(Some(token)) => match users::authenticate(&state.app, token).await {
            Ok(principal) => Ok(Some(Actor { principal, request_id: request_id(headers) })),
            Err(err) => {
                state.app.metrics.record_error(err.code());
                Err(app_error(err))
            }
        },
    }
}

async fn run(
    state: &HttpState,
    counter: &StatementCounter,
    call: Call,
    answer: Answer,
    actor: Option<Actor>,
) -> Response {
    if let Some(actor) = &actor {
        let mut buffer = uuid::Uuid::encode_buffer();
        let key = actor.principal.id.hyphenated().encode_lower(&mut buffer);
        for _ in 0..call.requests.len() {
            if let Err(retry_after_secs) = state.app.limits.requests.check(key) {
                tracing::info!(principal = %actor.principal.name, "rate limited");
                return app_error(AppError::RateLimited { retry_after_secs });
            }
        }
    }
    let mut responses = Vec::with_capacity(call.requests.len());
    for request in call.requests {
        match execute_one(state, counter, &call.addr, actor.clone(), request, call.over_get).await {
            Ok(response) => responses.push(coded(response, state)),
            Err(early) if !call.batch => return early,
            Err(_) => {
                let err = AppError::Unauthenticated("sign in first: send `Authorization: Bearer <token>`".into());
                responses.push(coded(GqlResponse::from_errors(vec![server_error(err)]), state));
            }
        }
    }
    if call.batch {
        let body = match crate::graphql::json::responses(&responses) {
            Ok(body) => body,
            Err(err) => return app_error(AppError::internal(format!("encoding a response: {err}"))),
        };
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        return r;
    }
    match responses.pop() {
        Some(mut response) => {
            if let Some(captured) = counter.captured.as_ref().and_then(|c| c.lock().ok().map(|l| l.clone())) {
                response.extensions.insert(
                    "sqlStatements".into(),
                    Value::from_json(serde_json::Value::Array(captured)).unwrap_or_default(),
                );
            }
            respond(answer, response, false)
        }
        None => plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "no operation"),
    }
}

fn server_error(err: AppError) -> ServerError {
    ServerError::new(err.message(), None).with_extensions(err)
}

/// Parses, checks and runs one operation; `Err` is an HTTP answer that ends the request.
async fn execute_one(
    state: &HttpState,
    counter: &StatementCounter,
    addr: &ClientAddr,
    actor: Option<Actor>,
    mut request: async_graphql::Request,
    over_get: bool,
) -> Result<GqlResponse, Response> {
    let (doc, kept) = match state.documents.parse(&request.query, actor.is_some()) {
        Ok(parsed) => (parsed.doc, parsed.kept),
        Err(err) => return Ok(GqlResponse::from_errors(vec![err])),
    };
    let op = operation(&doc, request.operation_name.as_deref());
    let selected = op.map(|op| (op.ty, is_login_only(op)));
    // A document that passed every rule before, with variables certainly of their types, needs
    // only the limits checked (see `documents`).
    let checked = kept.as_ref().is_some_and(|k| k.passed())
        && op.is_some_and(|op| super::documents::plain_variables(op, &request.variables));
    let writes_json = super::documents::writes_json(&doc);
    request.set_parsed_query(doc);
    if over_get && selected.is_some_and(|(ty, _)| ty != OperationType::Query) {
        let mut r = plain_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations and subscriptions are sent with POST",
        );
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(r);
    }
    if actor.is_none() && !selected.is_some_and(|(_, login)| login) {
        state.app.metrics.record_error("UNAUTHENTICATED");
        return Err(app_error(AppError::Unauthenticated(
            "sign in first: send `Authorization: Bearer <token>` (only `login` needs none)".into(),
        )));
    }
    let (actor, loader) = request_data(&state.app, actor, counter.clone());
    let today = crate::graphql::Today(state.app.clock.today());
    let mut request = request.data(actor).data(loader).data(addr.clone()).data(today);
    if state.app.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        request = request.data(crate::graphql::Turn::default());
    }
    if writes_json {
        // Every answer of this handler is written by `json::response(s)`.
        request = request.data(crate::graphql::json::WritesJson);
    }
    let schema = if checked { &state.checked_schema } else { &state.schema };
    let run = crate::db::STATEMENTS.scope(counter.clone(), schema.execute(request));
    Ok(match tokio::time::timeout(state.request_timeout, run).await {
        Ok(response) => {
            // Data means the document was validated in full and ran.
            if let Some(kept) = kept.filter(|_| !checked && response.data != Value::Null) {
                kept.mark_passed();
            }
            response
        }
        Err(_) => GqlResponse::from_errors(vec![server_error(AppError::QueryTooComplex(format!(
            "time limit: the request took longer than {} ms (REQUEST_TIMEOUT_MS)",
            state.request_timeout.as_millis()
        )))]),
    })
}

trait WithExtensions {
    fn with_extensions(self, err: AppError) -> Self;
}

impl WithExtensions for ServerError {
    fn with_extensions(mut self, err: AppError) -> Self {
        self.extensions = err.extend().extensions;
        self
    }
}

/// The `retryAfter` of a RATE_LIMITED error in the response, if any.
fn retry_after(response: &GqlResponse) -> Option<u64> {
    response.errors.iter().find_map(|e| {
        let ext = e.extensions.as_ref()?;
        match (ext.get("code"), ext.get("retryAfter")) {
            (Some(Value::String(code)), Some(Value::Number(n))) if code == "RATE_LIMITED" => n.as_u64(),
            _ => None,
        }
    })
}

fn respond(answer: Answer, response: GqlResponse, request_error: bool) -> Response {
    let failed_before_execution = request_error || (response.data == Value::Null && !response.errors.is_empty());
    let limited = retry_after(&response);
    let (status, content_type) = match answer {
        Answer::GraphqlResponse if failed_before_execution => (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
        Answer::GraphqlResponse => (StatusCode::OK, GRAPHQL_RESPONSE),
        Answer::Json => (StatusCode::OK, JSON),
    };
    let body = match crate::graphql::json::response(&response) {
        Ok(body) => body,
        Err(err) => return app_error(AppError::internal(format!("encoding a response: {err}"))),
    };
    let status = if limited.is_some() { StatusCode::TOO_MANY_REQUESTS } else { status };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(secs) = limited {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(JSON))
}

/// `POST /graphql` with a JSON body `{ query, variables, operationName }` (or, when `MAX_BATCH` allows,
/// an array of them).
pub async fn post_graphql(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return plain_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send the request as application/json",
        );
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "the body is not valid JSON"),
    };
    let shape = "the body must be an object with a string `query`, optional object `variables` and optional string `operationName`";
    let (items, batch) = match value {
        serde_json::Value::Array(items) => {
            if state.max_batch == 0 {
                return plain_error(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    "batched requests are not accepted; send one operation per request",
                );
            }
            if items.is_empty() || items.len() > state.max_batch {
                let msg = format!("a batch holds 1 to {} operations", state.max_batch);
                return plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &msg);
            }
            (items, true)
        }
        single => (vec![single], false),
    };
    let mut requests = Vec::with_capacity(items.len());
    for item in items {
        let well_typed = item.get("query").is_some_and(serde_json::Value::is_string)
            && item.get("variables").is_none_or(|v| v.is_object() || v.is_null())
            && item.get("operationName").is_none_or(|v| v.is_string() || v.is_null());
        match serde_json::from_value::<async_graphql::Request>(item) {
            Ok(r) if well_typed => requests.push(r),
            _ => return plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", shape),
        }
    }
    let addr = client_addr(&headers, Some(peer), state.trust_forwarded_for);
    execute(state, Call { headers, addr, requests, over_get: false, batch }).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    operation_name: Option<String>,
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, or a query.
pub async fn get_or_upgrade(State(state): State<HttpState>, request: axum::extract::Request) -> Response {
    use axum::extract::FromRequestParts;
    let (mut parts, _) = request.into_parts();
    if super::ws::is_upgrade(&parts.headers) {
        return match axum::extract::WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => super::ws::upgrade(state, parts.headers, upgrade).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    match Query::<GetParams>::from_request_parts(&mut parts, &state).await {
        Ok(params) => get_graphql(state, parts.headers, peer, params).await,
        Err(_) => plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "the query string is not readable"),
    }
}

/// `GET /graphql?query=...`: queries only; a browser without a query gets GraphiQL.
async fn get_graphql(
    state: HttpState,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    Query(params): Query<GetParams>,
) -> Response {
    let Some(query) = params.query else {
        let wants_html =
            headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
        if wants_html {
            let page = GraphiQLSource::build().endpoint("/graphql").title("coordination API").finish();
            let mut r = Html(page).into_response();
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"),
            );
            return r;
        }
        return plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "give the operation in the `query` parameter");
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables {
        match serde_json::from_str::<serde_json::Value>(&vars) {
            Ok(v @ serde_json::Value::Object(_)) => request = request.variables(async_graphql::Variables::from_json(v)),
            _ => return plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "`variables` must be a JSON object"),
        }
    }
    let addr = client_addr(&headers, peer, state.trust_forwarded_for);
    execute(state, Call { headers, addr, requests: vec![request], over_get: true, batch: false }).await
}
