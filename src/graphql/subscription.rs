//! Subscriptions: changes as they happen, over WebSocket (`graphql-transport-ws`). The same role
//! matrix as queries applies.

use super::blocker::Blocker;
use super::direct::Direct;
use super::ministry::{self, Ministry};
use super::report::MonthlyReport;
use super::task::{self, Task};
use super::{actor, opt_uuid, state};
use crate::service::access::Action;
use crate::service::events::Event;
use async_graphql::{Context, Enum, InputObject, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use entity::enums::{BlockerEventKind, Severity};
use futures::{Stream, StreamExt};
use sea_orm::EntityTrait;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The committed events of this instance, skipping any a slow subscriber missed.
fn events(ctx: &Context<'_>) -> Result<impl Stream<Item = Arc<Event>>> {
    let receiver = state(ctx)?.events.subscribe();
    Ok(futures::stream::unfold(receiver, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((event, rx)),
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "a subscriber fell behind"),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }))
}

fn uuid_at(payload: &Value, key: &str) -> Option<Uuid> {
    payload.get(key).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// Which blocker changes to receive; all given ones must hold.
#[derive(InputObject, Default, Clone)]
pub struct BlockerEventFilterInput {
    pub kinds: Option<Vec<BlockerEventKind>>,
    /// Blockers this ministry raised or must clear.
    pub ministry_id: Option<ID>,
    pub task_id: Option<ID>,
    pub severity: Option<Vec<Severity>>,
}

/// A change to a blocker.
pub struct BlockerChange {
    event: Arc<Event>,
    kind: BlockerEventKind,
}

/// A change to a blocker: raised, forwarded, acknowledged, resolved, escalated, withdrawn or commented on.
#[Object]
impl BlockerChange {
    /// Increases with every event; a gap means events were missed.
    async fn sequence(&self) -> i64 {
        self.event.id
    }
    async fn kind(&self) -> BlockerEventKind {
        self.kind
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.created_at
    }
    /// Who made the change.
    async fn actor(&self) -> Option<&str> {
        self.event.payload.get("actor").and_then(Value::as_str)
    }
    /// The note, resolution or reason given with it.
    async fn note(&self) -> Option<&str> {
        self.event.payload.get("note").and_then(Value::as_str)
    }
    /// The blocker as it is now.
    async fn blocker(&self, ctx: &Context<'_>) -> Result<Option<Blocker>> {
        let Some(id) = self.event.object_id else { return Ok(None) };
        let found =
            entity::blocker::Entity::find_by_id(id).one(&state(ctx)?.db).await.map_err(crate::AppError::from)?;
        Ok(found.map(Blocker))
    }
}

/// What happened to a monthly report.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportEventKind {
    Submitted,
    Accepted,
    Returned,
    /// A ministry was urged (đôn đốc) for the reports it has not sent.
    Missing,
}

impl ReportEventKind {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "report.submitted" => Some(Self::Submitted),
            "report.accepted" => Some(Self::Accepted),
            "report.returned" => Some(Self::Returned),
            "report.missing" => Some(Self::Missing),
            _ => None,
        }
    }
}

/// Which report changes to receive.
#[derive(InputObject, Default, Clone)]
pub struct MonthlyReportEventFilterInput {
    pub kinds: Option<Vec<ReportEventKind>>,
    pub ministry_id: Option<ID>,
    pub task_id: Option<ID>,
    /// `YYYY-MM`.
    pub period: Option<String>,
}

/// A change to a monthly report, or an urging for missing ones.
pub struct MonthlyReportChange {
    event: Arc<Event>,
    kind: ReportEventKind,
}

/// A change to a monthly report (submitted, accepted, returned), or an urging for missing ones.
#[Object]
impl MonthlyReportChange {
    async fn sequence(&self) -> i64 {
        self.event.id
    }
    async fn kind(&self) -> ReportEventKind {
        self.kind
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.created_at
    }
    /// `YYYY-MM`.
    async fn period(&self) -> Option<&str> {
        self.event.payload.get("period").and_then(Value::as_str)
    }
    /// The reporting (or urged) ministry.
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match uuid_at(&self.event.payload, "ministryId") {
            Some(m) => ministry::load(ctx, m).await,
            None => Ok(None),
        }
    }
    /// The report as it is now; null for an urging.
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<MonthlyReport>> {
        let Some(id) = uuid_at(&self.event.payload, "reportId") else { return Ok(None) };
        let found =
            entity::monthly_report::Entity::find_by_id(id).one(&state(ctx)?.db).await.map_err(crate::AppError::from)?;
        Ok(found.map(MonthlyReport))
    }
    /// For an urging: the tasks whose reports are missing.
    async fn missing_tasks(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Task>>> {
        let ids: Vec<Uuid> = self
            .event
            .payload
            .get("tasks")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|t| uuid_at(t, "id")).collect())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(ids.len());
        for t in ids {
            if let Some(task) = task::load(ctx, t).await? {
                out.push(task);
            }
        }
        Ok(out)
    }
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Blocker changes as they are committed, on any instance.
    async fn blocker_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<BlockerEventFilterInput>,
    ) -> Result<impl Stream<Item = BlockerChange>> {
        actor(ctx)?.principal.require(Action::ReadBlockers)?;
        let f = filter.unwrap_or_default();
        let ministry = opt_uuid("ministryId", &f.ministry_id)?;
        let task = opt_uuid("taskId", &f.task_id)?;
        let kinds = f.kinds;
        let severities = f.severity;
        Ok(events(ctx)?.filter_map(move |event| {
            let keep = (|| {
                if event.topic != "blocker" {
                    return None;
                }
                let p = &event.payload;
                let kind: BlockerEventKind = serde_json::from_value(p.get("kind")?.clone()).ok()?;
                if kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
                    return None;
                }
                if let Some(m) = ministry {
                    if uuid_at(p, "raisedByMinistryId") != Some(m) && uuid_at(p, "responsibleMinistryId") != Some(m) {
                        return None;
                    }
                }
                if task.is_some() && uuid_at(p, "taskId") != task {
                    return None;
                }
                if let Some(sev) = &severities {
                    let s: Severity = serde_json::from_value(p.get("severity")?.clone()).ok()?;
                    if !sev.contains(&s) {
                        return None;
                    }
                }
                Some(BlockerChange { event: event.clone(), kind })
            })();
            async move { keep }
        }))
    }

    /// Monthly report changes and urgings as they are committed, on any instance.
    async fn monthly_report_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<MonthlyReportEventFilterInput>,
    ) -> Result<impl Stream<Item = MonthlyReportChange>> {
        actor(ctx)?.principal.require(Action::ReadReports)?;
        let f = filter.unwrap_or_default();
        let ministry = opt_uuid("ministryId", &f.ministry_id)?;
        let task = opt_uuid("taskId", &f.task_id)?;
        let (kinds, period) = (f.kinds, f.period);
        Ok(events(ctx)?.filter_map(move |event| {
            let keep = (|| {
                if event.topic != "report" {
                    return None;
                }
                let kind = ReportEventKind::from_name(&event.kind)?;
                let p = &event.payload;
                if kinds.as_ref().is_some_and(|k| !k.contains(&kind)) {
                    return None;
                }
                if ministry.is_some() && uuid_at(p, "ministryId") != ministry {
                    return None;
                }
                if task.is_some() && uuid_at(p, "taskId") != task {
                    return None;
                }
                if period.as_ref().is_some_and(|want| p.get("period").and_then(Value::as_str) != Some(want.as_str())) {
                    return None;
                }
                Some(MonthlyReportChange { event: event.clone(), kind })
            })();
            async move { keep }
        }))
    }
}
