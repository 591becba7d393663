//! Subscriptions over WebSocket on `/graphql`: `graphql-transport-ws` (the `graphql-ws`
//! library's protocol) and the older `graphql-ws` subprotocol. The token comes in
//! `connection_init`'s payload; a missing, expired or revoked token closes the socket with 4403,
//! also later on, when a periodic check finds it no longer valid.

use super::HttpState;
use crate::graphql::subscription_loader;
use crate::service::{users, Actor};
use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The close code for an unauthorised subscriber (graphql-transport-ws).
pub const FORBIDDEN: u16 = 4403;
const MARK: &str = "Forbidden: ";

pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()))
}

/// The token in a `connection_init` payload: `{ "Authorization": "Bearer …" }`, `{ "authorization": … }`
/// or `{ "token": … }`.
fn token_of(payload: &Value) -> Option<String> {
    let raw = ["Authorization", "authorization", "authToken", "token"]
        .iter()
        .find_map(|k| payload.get(k).and_then(Value::as_str))?;
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
    (!token.is_empty()).then(|| token.to_owned())
}

pub async fn upgrade(state: HttpState, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let Some(protocol) = protocol(&headers) else {
        return (StatusCode::BAD_REQUEST, "use the graphql-transport-ws (or graphql-ws) subprotocol").into_response();
    };
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| serve(state, socket, protocol))
}

async fn serve(state: HttpState, socket: WebSocket, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let input = stream.take_while(|msg| futures::future::ready(msg.is_ok())).filter_map(|msg| {
        futures::future::ready(match msg {
            Ok(Message::Text(text)) => Some(text.as_str().as_bytes().to_vec()),
            Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
            _ => None,
        })
    });
    let token: Arc<Mutex<Option<String>>> = Arc::default();
    let app = state.app.clone();
    let seen = token.clone();
    let init = move |payload: Value| async move {
        let refused = |why: String| async_graphql::Error::new(format!("{MARK}{why}"));
        let bearer = token_of(&payload)
            .ok_or_else(|| refused("send the token in connection_init's payload as Authorization".into()))?;
        let principal = users::authenticate(&app, &bearer).await.map_err(|e| refused(e.message()))?;
        if let Ok(mut slot) = seen.lock() {
            *slot = Some(bearer);
        }
        let mut data = Data::default();
        data.insert(Some(Actor { principal, request_id: format!("ws-{}", uuid::Uuid::new_v4()) }));
        data.insert(subscription_loader(&app));
        Ok(data)
    };
    let mut messages = Box::pin(
        async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
            .on_connection_init(init)
            .keepalive_timeout(Duration::from_secs(60)),
    );
    let mut recheck =
        tokio::time::interval(Duration::from_secs(state.app.event_settings.subscription_recheck_secs.max(1)));
    recheck.tick().await;
    loop {
        tokio::select! {
            next = messages.next() => {
                let Some(msg) = next else { break };
                let (out, last) = match msg {
                    WsMessage::Text(text) => (Message::Text(text.into()), false),
                    WsMessage::Close(_, reason) if reason.starts_with(MARK) => {
                        tracing::info!(%reason, "subscriber refused");
                        (close(FORBIDDEN, "Forbidden"), true)
                    }
                    WsMessage::Close(code, reason) => (close(code, &reason), true),
                };
                if sink.send(out).await.is_err() || last {
                    break;
                }
            }
            _ = recheck.tick() => {
                let current = token.lock().ok().and_then(|t| t.clone());
                if let Some(bearer) = current {
                    if let Err(err) = users::authenticate(&state.app, &bearer).await {
                        tracing::info!(reason = %err.message(), "closing a subscription: its token is no longer valid");
                        let _ = sink.send(close(FORBIDDEN, "Forbidden")).await;
                        break;
                    }
                }
            }
        }
    }
    let _ = sink.close().await;
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.chars().take(100).collect::<String>().into() }))
}
