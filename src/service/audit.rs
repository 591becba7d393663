//! Audit events: one per successful mutation, written in the mutation's own transaction.

use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::Actor;
use crate::auth::PrincipalKind;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use entity::audit_event::{self, Column, Entity as AuditEvent};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

/// What changed, for an audit event.
pub struct Change<'a> {
    pub operation: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    /// A new object: nothing before, its snapshot after.
    pub fn created<T: Serialize>(operation: &'a str, object_type: &'a str, id: Uuid, model: &T) -> Self {
        Self { operation, object_type, object_id: Some(id), before: None, after: snapshot(model) }
    }
}

/// A JSON snapshot of a model for an audit event.
pub fn snapshot<T: Serialize>(model: &T) -> Option<serde_json::Value> {
    serde_json::to_value(model).ok()
}

/// Writes one audit event on `conn` (the mutation's transaction).
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    now: DateTime<Utc>,
    change: Change<'_>,
) -> AppResult<()> {
    let principal = &actor.principal;
    let role = match principal.kind {
        PrincipalKind::User => principal.role.to_string(),
        PrincipalKind::Service => "SERVICE".to_owned(),
    };
    audit_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        actor_id: Set(Some(principal.id)),
        actor_name: Set(principal.name.clone()),
        actor_role: Set(role),
        operation: Set(change.operation.to_owned()),
        object_type: Set(change.object_type.to_owned()),
        object_id: Set(change.object_id),
        before: Set(change.before),
        after: Set(change.after),
        request_id: Set(Some(actor.request_id.clone())),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Filters of `auditEvents`.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub object_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub operation: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    args: &PageArgs,
) -> AppResult<Page<audit_event::Model>> {
    let mut select = AuditEvent::find();
    if let Some(id) = filter.actor_id {
        select = select.filter(Column::ActorId.eq(id));
    }
    if let Some(id) = filter.object_id {
        select = select.filter(Column::ObjectId.eq(id));
    }
    if let Some(t) = &filter.object_type {
        select = select.filter(Column::ObjectType.eq(t.clone()));
    }
    if let Some(op) = &filter.operation {
        select = select.filter(Column::Operation.eq(op.clone()));
    }
    if let Some(since) = filter.since {
        select = select.filter(Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(Column::CreatedAt.lt(until));
    }
    let key = SortKey::new(Column::CreatedAt.into_expr(), KeyKind::Time, true);
    paginate(db, select, Column::Id, key, args, |m| (KeyValue::Time(m.created_at), m.id)).await
}
