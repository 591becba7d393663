//! GraphQL over HTTP, written around `schema.execute` so that it follows the GraphQL-over-HTTP
//! specification: JSON bodies only (no text/plain or form side doors), no batching, mutations only
//! over POST, `application/graphql-response+json` honoured, and a token on everything but `login`.

use super::HttpState;
use crate::error::AppError;
use crate::graphql::request_data;
use crate::service::{users, Actor};
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection};
use async_graphql::{ErrorExtensions, Response as GqlResponse, ServerError, Value};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

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

/// Gives every error an `extensions.code`: async-graphql's own parse, validation and limit errors
/// come without one.
fn coded(mut response: GqlResponse, state: &HttpState) -> GqlResponse {
    for err in &mut response.errors {
        let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let m = err.message.to_lowercase();
            let code = if m.contains("too complex")
                || m.contains("too deep")
                || m.contains("directives")
                || m.contains("recursive")
            {
                "QUERY_TOO_COMPLEX"
            } else {
                "BAD_USER_INPUT"
            };
            err.extensions.get_or_insert_with(Default::default).set("code", code);
        }
        if let Some(Value::String(code)) = err.extensions.as_ref().and_then(|e| e.get("code")) {
            state.app.metrics.record_error(code);
        }
    }
    response
}

async fn execute(
    state: HttpState,
    headers: HeaderMap,
    mut request: async_graphql::Request,
    over_get: bool,
) -> Response {
    let Some(answer) = negotiate(&headers) else {
        return plain_error(
            StatusCode::NOT_ACCEPTABLE,
            "BAD_USER_INPUT",
            "this endpoint answers application/json or application/graphql-response+json",
        );
    };
    let name = request.operation_name.clone();
    let parsed = request.parsed_query().map(|doc| operation(doc, name.as_deref()).map(|op| (op.ty, is_login_only(op))));
    let selected = match parsed {
        Ok(selected) => selected,
        Err(err) => return respond(answer, coded(GqlResponse::from_errors(vec![err]), &state), true),
    };
    if over_get && selected.is_some_and(|(ty, _)| ty != OperationType::Query) {
        let mut r = plain_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations and subscriptions are sent with POST",
        );
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let actor = match bearer(&headers) {
        Err(err) => return app_error(err),
        Ok(Some(token)) => match users::authenticate(&state.app, token).await {
            Ok(principal) => Some(Actor { principal, request_id: request_id(&headers) }),
            Err(err) => {
                state.app.metrics.record_error(err.code());
                return app_error(err);
            }
        },
        Ok(None) if selected.is_some_and(|(_, login)| login) => None,
        Ok(None) => {
            state.app.metrics.record_error("UNAUTHENTICATED");
            return app_error(AppError::Unauthenticated(
                "sign in first: send `Authorization: Bearer <token>` (only `login` needs none)".into(),
            ));
        }
    };
    let (actor, loader) = request_data(&state.app, actor);
    let request = request.data(actor).data(loader);
    let run = crate::db::STATEMENTS.scope(std::cell::Cell::new(0), state.schema.execute(request));
    let response = match tokio::time::timeout(state.request_timeout, run).await {
        Ok(response) => response,
        Err(_) => {
            let err = AppError::QueryTooComplex(format!(
                "the request took longer than the {} s limit",
                state.request_timeout.as_secs()
            ));
            GqlResponse::from_errors(vec![ServerError::new(err.message(), None).with_extensions(err)])
        }
    };
    respond(answer, coded(response, &state), false)
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

fn respond(answer: Answer, response: GqlResponse, request_error: bool) -> Response {
    let failed_before_execution = request_error || (response.data == Value::Null && !response.errors.is_empty());
    let (status, content_type) = match answer {
        Answer::GraphqlResponse if failed_before_execution => (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE),
        Answer::GraphqlResponse => (StatusCode::OK, GRAPHQL_RESPONSE),
        Answer::Json => (StatusCode::OK, JSON),
    };
    let body = match serde_json::to_vec(&response) {
        Ok(body) => body,
        Err(err) => return app_error(AppError::internal(format!("encoding a response: {err}"))),
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(JSON))
}

/// `POST /graphql` with a JSON body `{ query, variables, operationName }`.
pub async fn post_graphql(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
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
    if value.is_array() {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "batched requests are not accepted; send one operation per request",
        );
    }
    let request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(_) => {
            return plain_error(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "the body must be an object with a string `query`, optional object `variables` and optional string `operationName`",
            )
        }
    };
    execute(state, headers, request, false).await
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
    match Query::<GetParams>::from_request_parts(&mut parts, &state).await {
        Ok(params) => get_graphql(State(state), parts.headers, params).await,
        Err(_) => plain_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "the query string is not readable"),
    }
}

/// `GET /graphql?query=...`: queries only; a browser without a query gets GraphiQL.
pub async fn get_graphql(
    State(state): State<HttpState>,
    headers: HeaderMap,
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
    execute(state, headers, request, true).await
}
