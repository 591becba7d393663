//! Webhooks for scripts that cannot hold a socket: deliveries come from the outbox, signed with
//! HMAC-SHA256 of the body, retried with doubling backoff, at least once. Private and loopback
//! targets are refused unless a setting allows them.

use super::audit::{self, snapshot, Change};
use super::events::EVENT_NAMES;
use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::{find, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use chrono::{DateTime, Utc};
use entity::webhook::{self, Entity as Webhook};
use entity::webhook_delivery::{self, Column, Entity as Delivery};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The header that carries `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-coordination-signature";

/// `sha256=…` for `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Addresses a webhook may not reach unless allowed: loopback, private, link-local, unspecified.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Checks a webhook URL: http(s), a host, and (unless allowed) not a private address by name.
pub fn check_url(url: &str, allow_private: bool) -> AppResult<reqwest::Url> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| AppError::bad_input("url", "is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AppError::bad_input("url", "must be http or https"));
    }
    let host = parsed.host_str().ok_or_else(|| AppError::bad_input("url", "has no host"))?;
    if !allow_private {
        let private = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => is_private(ip),
            Err(_) => {
                host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost") || host.ends_with(".internal")
            }
        };
        if private {
            return Err(AppError::bad_input("url", "private and loopback addresses are not allowed"));
        }
    }
    Ok(parsed)
}

pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

pub async fn create(state: &AppState, actor: &Actor, input: WebhookInput) -> AppResult<webhook::Model> {
    actor.principal.require(Action::ManageWebhooks)?;
    let url = check_url(&input.url, state.event_settings.webhook_allow_private)?;
    if input.events.is_empty() {
        return Err(AppError::bad_input("events", "name at least one event, or `*` for all"));
    }
    for e in &input.events {
        if e != "*" && !EVENT_NAMES.contains(&e.as_str()) {
            return Err(AppError::bad_input(
                "events",
                format!("unknown event `{e}`; known: {}", EVENT_NAMES.join(", ")),
            ));
        }
    }
    let secret = validate::required("secret", &input.secret, 200)?;
    if secret.len() < 16 {
        return Err(AppError::bad_input("secret", "must be at least 16 characters"));
    }
    let now = state.clock.now();
    let (_writer, txn) = state.begin_write().await?;
    let model = webhook::ActiveModel {
        id: Set(Uuid::new_v4()),
        url: Set(url.to_string()),
        events: Set(input.events.join(" ")),
        secret: Set(secret),
        active: Set(true),
        created_by: Set(Some(actor.principal.id)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let change = Change::created("createWebhook", "Webhook", model.id, &model);
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn deactivate(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<webhook::Model> {
    actor.principal.require(Action::ManageWebhooks)?;
    let now = state.clock.now();
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, Webhook>(&txn, id, "webhook").await?;
    let after = webhook::ActiveModel {
        id: Set(id),
        active: Set(false),
        version: Set(before.version + 1),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let change = Change {
        operation: "deactivateWebhook",
        object_type: "Webhook",
        object_id: Some(id),
        before: snapshot(&before),
        after: snapshot(&after),
    };
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<webhook::Model>> {
    actor.principal.require(Action::ManageWebhooks)?;
    Ok(Webhook::find().order_by_asc(webhook::Column::CreatedAt).all(&state.db).await?)
}

/// The delivery log, newest first.
pub async fn deliveries(
    state: &AppState,
    actor: &Actor,
    webhook_id: Option<Uuid>,
    status: Option<String>,
    args: &PageArgs,
) -> AppResult<Page<webhook_delivery::Model>> {
    actor.principal.require(Action::ManageWebhooks)?;
    let mut select = Delivery::find();
    if let Some(id) = webhook_id {
        select = select.filter(Column::WebhookId.eq(id));
    }
    if let Some(status) = status {
        select = select.filter(Column::Status.eq(status));
    }
    let key = SortKey::new(Column::CreatedAt.into_expr(), KeyKind::Time, true);
    paginate(&state.db, select, Column::Id, key, args, |m| (KeyValue::Time(m.created_at), m.id)).await
}

/// Delivers due webhooks, until the process ends. Several instances may run it: a delivery is
/// taken with a lease, so only one instance sends it at a time. Scheduling uses the system clock.
pub async fn run_deliveries(state: Arc<AppState>) {
    let settings = state.event_settings.clone();
    loop {
        tokio::time::sleep(Duration::from_millis((settings.webhook_backoff_ms / 2).clamp(20, 500))).await;
        let now = Utc::now();
        let due = Delivery::find()
            .filter(Column::Status.eq("PENDING"))
            .filter(Column::NextAttemptAt.lte(now))
            .filter(Condition::any().add(Column::LeaseUntil.is_null()).add(Column::LeaseUntil.lt(now)))
            .order_by_asc(Column::NextAttemptAt)
            .limit(20)
            .all(&state.db)
            .await;
        let due = match due {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "reading due webhook deliveries failed");
                continue;
            }
        };
        for delivery in due {
            let lease = now + chrono::Duration::seconds(settings.webhook_timeout_secs as i64 + 5);
            if claim(&state, delivery.id, lease, now).await {
                let state = state.clone();
                tokio::spawn(async move { deliver(&state, delivery).await });
            }
        }
    }
}

/// Resolves the receiver and refuses private addresses (unless allowed); returns one to pin.
async fn resolve(url: &reqwest::Url, allow_private: bool) -> Result<Option<(String, SocketAddr)>, String> {
    let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let chosen = addrs.into_iter().find(|a| allow_private || !is_private(a.ip()));
    match chosen {
        Some(addr) => Ok(Some((host, addr))),
        None => Err(format!("{host} resolves only to private addresses, which are not allowed")),
    }
}

async fn deliver(state: &AppState, delivery: webhook_delivery::Model) {
    let outcome = attempt(state, &delivery).await;
    let settings = &state.event_settings;
    let now = Utc::now();
    let attempts = delivery.attempts + 1;
    let mut update = webhook_delivery::ActiveModel {
        id: Set(delivery.id),
        attempts: Set(attempts),
        lease_until: Set(None),
        ..Default::default()
    };
    match outcome {
        Ok(code) => {
            update.status = Set("DELIVERED".into());
            update.last_status_code = Set(Some(code));
            update.last_error = Set(None);
            update.delivered_at = Set(Some(now));
        }
        Err((code, error)) => {
            tracing::info!(delivery = %delivery.id, attempts, %error, "webhook delivery failed");
            update.last_status_code = Set(code);
            update.last_error = Set(Some(error.chars().take(1_000).collect()));
            if attempts >= settings.webhook_max_attempts {
                update.status = Set("FAILED".into());
            } else {
                let delay = settings.webhook_backoff_ms.saturating_mul(1 << (attempts - 1).clamp(0, 20));
                update.next_attempt_at = Set(now + chrono::Duration::milliseconds(Ord::min(delay, 3_600_000) as i64));
            }
        }
    }
    let recorded = async {
        let (_writer, txn) = state.begin_write().await?;
        update.update(&txn).await?;
        txn.commit().await?;
        Ok::<_, AppError>(())
    };
    if let Err(err) = recorded.await {
        tracing::warn!(error = %err.detail(), delivery = %delivery.id, "recording a webhook delivery failed");
    }
}

/// Takes the lease on a due delivery; false when another instance (or an earlier pass) has it.
/// Written as every write is, in this instance's write turn.
async fn claim(state: &AppState, id: Uuid, lease: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let claimed = async {
        let (_writer, txn) = state.begin_write().await?;
        let result = Delivery::update_many()
            .col_expr(Column::LeaseUntil, Expr::value(lease))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq("PENDING"))
            .filter(Condition::any().add(Column::LeaseUntil.is_null()).add(Column::LeaseUntil.lt(now)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok::<_, AppError>(result.rows_affected == 1)
    };
    match claimed.await {
        Ok(claimed) => claimed,
        Err(err) => {
            tracing::warn!(error = %err.detail(), delivery = %id, "claiming a webhook delivery failed");
            false
        }
    }
}

/// One POST: Ok(status) on 2xx, else Err((status, reason)).
async fn attempt(state: &AppState, delivery: &webhook_delivery::Model) -> Result<i32, (Option<i32>, String)> {
    let fail = |e: String| (None, e);
    let hook = Webhook::find_by_id(delivery.webhook_id)
        .one(&state.db)
        .await
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail("webhook removed".into()))?;
    if !hook.active {
        return Err(fail("webhook deactivated".into()));
    }
    let event = entity::outbox_event::Entity::find_by_id(delivery.outbox_id)
        .one(&state.db)
        .await
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail("event missing".into()))?;
    let body = serde_json::json!({
        "id": delivery.id,
        "event": delivery.event,
        "occurredAt": event.created_at,
        "data": event.payload,
    });
    let body = serde_json::to_vec(&body).map_err(|e| fail(e.to_string()))?;
    let url = reqwest::Url::parse(&hook.url).map_err(|e| fail(e.to_string()))?;
    let settings = &state.event_settings;
    let mut client = reqwest::Client::builder()
        .timeout(Duration::from_secs(settings.webhook_timeout_secs))
        .redirect(reqwest::redirect::Policy::none());
    if let Some((host, addr)) = resolve(&url, settings.webhook_allow_private).await.map_err(fail)? {
        client = client.resolve(&host, addr);
    }
    let client = client.build().map_err(|e| fail(e.to_string()))?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "coordination-webhooks/1")
        .header("x-coordination-event", &delivery.event)
        .header("x-coordination-delivery", delivery.id.to_string())
        .header(SIGNATURE_HEADER, signature(&hook.secret, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| fail(format!("sending: {e}")))?;
    let code = response.status().as_u16() as i32;
    if response.status().is_success() {
        Ok(code)
    } else {
        Err((Some(code), format!("the receiver answered {code}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "203.162.4.1", "2001:4860::8888"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://hooks.example.vn/x", false).is_ok());
        assert!(check_url("ftp://example.vn/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("http://[::1]/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
    }

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
