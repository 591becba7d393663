//! Webhooks, their delivery log, and urging for missing reports.

use super::connection::{args, connection, Conn};
use super::direct::Direct;
use super::ministry::{self, Ministry};
use super::task::Task;
use super::{actor, id, opt_uuid, state, uuid};
use crate::service::access::Action;
use crate::service::{urging, webhooks};
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::{webhook, webhook_delivery};

/// An address that is told of changes by signed HTTP POSTs.
pub struct Webhook(pub webhook::Model);

/// An address that is told of changes: each event is POSTed as JSON with
/// `X-Coordination-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`.
#[Object]
impl Webhook {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Event names, e.g. `blocker.raised`, or `*` for all.
    async fn events(&self) -> Vec<&str> {
        self.0.events.split_whitespace().collect()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One event sent (or being sent) to one webhook.
pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One event sent, or being sent, to one webhook; retried with doubling backoff until delivered.
#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn webhook_id(&self) -> ID {
        id(self.0.webhook_id)
    }
    async fn event(&self) -> &str {
        &self.0.event
    }
    /// `PENDING`, `DELIVERED` or `FAILED` (attempts exhausted).
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last attempt.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A ministry's missing reports for a period.
pub struct PendingReport(urging::Pending);

/// A ministry's reports missing for a period (the tasks it leads with no submitted report).
#[Object]
impl PendingReport {
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.0.ministry_id).await
    }
    async fn tasks(&self) -> Vec<Task> {
        self.0.tasks.iter().cloned().map(Task::from).collect()
    }
    /// When the ministry was urged for this period, if it was.
    async fn urged_at(&self) -> Option<DateTime<Utc>> {
        self.0.urged_at
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Webhooks (ADMIN, SECRETARIAT).
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        Ok(webhooks::list(state(ctx)?, actor(ctx)?).await?.into_iter().map(Webhook).collect())
    }

    /// The delivery log, newest first (ADMIN, SECRETARIAT).
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: Option<ID>,
        status: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<WebhookDelivery>> {
        let webhook_id = opt_uuid("webhookId", &webhook_id)?;
        let page =
            webhooks::deliveries(state(ctx)?, actor(ctx)?, webhook_id, status, &args(first, after, last, before))
                .await?;
        Ok(connection(page, WebhookDelivery))
    }

    /// Reports missing for a period (`YYYY-MM`), by ministry: what urging (đôn đốc) is about.
    async fn pending_reports(&self, ctx: &Context<'_>, period: String) -> Result<Vec<PendingReport>> {
        actor(ctx)?.principal.require(Action::ReadReports)?;
        let (_, list) = urging::pending(state(ctx)?, &period).await?;
        Ok(list.into_iter().map(PendingReport).collect())
    }
}

/// A new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// `http` or `https`.
    pub url: String,
    /// Event names (`blocker.raised`, `blocker.forwarded`, …, `report.submitted`, `report.missing`) or `*`.
    pub events: Vec<String>,
    /// At least 16 characters; signs every delivery.
    pub secret: String,
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook (ADMIN, SECRETARIAT).
    async fn create_webhook(&self, ctx: &Context<'_>, input: CreateWebhookInput) -> Result<Webhook> {
        let input = webhooks::WebhookInput { url: input.url, events: input.events, secret: input.secret };
        Ok(Webhook(webhooks::create(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Stops deliveries to a webhook (ADMIN, SECRETARIAT).
    async fn deactivate_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<Webhook> {
        Ok(Webhook(webhooks::deactivate(state(ctx)?, actor(ctx)?, uuid("id", &id)?).await?))
    }

    /// Urges (đôn đốc) every ministry with missing reports for the period, once per ministry and
    /// period; returns the ministries urged now (ADMIN, SECRETARIAT).
    async fn urge_missing_reports(&self, ctx: &Context<'_>, period: String) -> Result<Vec<PendingReport>> {
        actor(ctx)?.principal.require(Action::ManageWebhooks)?;
        Ok(urging::urge(state(ctx)?, &period).await?.into_iter().map(PendingReport).collect())
    }
}

/// Few fields, seldom in bulk: every field goes through its resolver.
impl super::direct::PlainFields for WebhookDelivery {}
