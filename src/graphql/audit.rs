//! Audit events (read-only: nothing in the API changes or deletes them).

use super::connection::{args, connection, Conn};
use super::{actor, id, opt_uuid, state};
use crate::service::access::Action;
use crate::service::audit::{self, AuditFilter};
use async_graphql::{Context, InputObject, Json, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::audit_event::Model;

pub struct AuditEvent(pub Model);

/// A record of one successful mutation.
#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(id)
    }
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }
    /// The actor's role, or SERVICE for a service token.
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }
    /// The mutation, e.g. `forwardBlocker`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// E.g. `Blocker`.
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }
    async fn object_id(&self) -> Option<ID> {
        self.0.object_id.map(id)
    }
    /// The object before the change.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0.before.clone().map(Json)
    }
    /// The object after the change.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0.after.clone().map(Json)
    }
    /// The `x-request-id` of the request that made the change.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Filters of `auditEvents`.
#[derive(InputObject, Default)]
pub struct AuditEventFilterInput {
    pub actor_id: Option<ID>,
    pub object_id: Option<ID>,
    pub object_type: Option<String>,
    pub operation: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit events, newest first (ADMIN, SECRETARIAT, CHAIR).
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<AuditEvent>> {
        actor(ctx)?.principal.require(Action::ReadAudit)?;
        let f = filter.unwrap_or_default();
        let filter = AuditFilter {
            actor_id: opt_uuid("actorId", &f.actor_id)?,
            object_id: opt_uuid("objectId", &f.object_id)?,
            object_type: f.object_type,
            operation: f.operation,
            since: f.since,
            until: f.until,
        };
        let page = audit::list(&state(ctx)?.db, &filter, &args(first, after, last, before)).await?;
        Ok(connection(page, AuditEvent))
    }
}

/// Few fields, seldom in bulk: every field goes through its resolver.
impl super::direct::PlainFields for AuditEvent {}
