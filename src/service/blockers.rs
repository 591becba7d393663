//! Blockers: obstacles raised by ministries (often for an enterprise, institute, university or
//! locality), forwarded to the ministry that must clear them, or escalated.
//!
//! OPEN -> FORWARDED -> IN_PROGRESS -> RESOLVED | ESCALATED -> RESOLVED; the raiser may WITHDRAW
//! before resolution. Every transition is kept as an event.

use super::audit::{self, snapshot, Change};
use super::idempotency::{self, Claim};
use super::page::{date_key, paginate_columns, undated, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::rows::Columns;
use super::{check_version, find, ministries, update_versioned, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use crate::text;
use chrono::{DateTime, NaiveDate, Utc};
use entity::blocker::{self, Column, Entity as Blocker};
use entity::blocker_event::{self, Entity as Event};
use entity::enums::{BlockerCategory, BlockerEventKind, BlockerOrigin, BlockerStatus, Role, Severity, TaskStatus};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};
use serde::Serialize;
use uuid::Uuid;

/// Statuses in which a blocker still holds up work.
pub const UNRESOLVED: [BlockerStatus; 4] =
    [BlockerStatus::Open, BlockerStatus::Forwarded, BlockerStatus::InProgress, BlockerStatus::Escalated];

/// Unresolved blockers. On PostgreSQL, the `unresolved` column, which the database generates
/// from `status` (see the migration that adds it; it is not part of the model, so nothing writes
/// it), with its indexes in creation and update order. On SQLite, the status list in the very
/// words of the partial indexes that hold unresolved blockers with the columns a list shows (a
/// virtual column read from the row would not let them cover; see the migration that adds them).
pub fn unresolved(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Sqlite => Expr::cust(migration::UNRESOLVED_SQL),
        _ => Expr::col((Blocker, Alias::new("unresolved"))).eq(true),
    }
}

/// Blockers in one of `statuses`. A list of unresolved statuses goes through `unresolved`, whose
/// indexes hold those blockers in creation and update order; the list itself is added only when
/// it names some of them, not all.
pub fn status_condition(statuses: &[BlockerStatus], backend: DbBackend) -> Condition {
    let all = Condition::all();
    if statuses.is_empty() || !statuses.iter().all(|s| UNRESOLVED.contains(s)) {
        return all.add(Column::Status.is_in(statuses.iter().copied()));
    }
    let all = all.add(unresolved(backend));
    if UNRESOLVED.iter().all(|u| statuses.contains(u)) {
        all
    } else {
        all.add(Column::Status.is_in(statuses.iter().copied()))
    }
}

/// Statuses in which the responsible ministry's due date runs.
const WITH_MINISTRY: [BlockerStatus; 2] = [BlockerStatus::Forwarded, BlockerStatus::InProgress];

/// Past its forwarding due date while still with the responsible ministry.
pub fn is_overdue(b: &blocker::Model, today: NaiveDate) -> bool {
    WITH_MINISTRY.contains(&b.status) && b.due_date.is_some_and(|d| d < today)
}

fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all().add(Column::Status.is_in(WITH_MINISTRY)).add(Column::DueDate.lt(today))
}

#[derive(Clone, Debug, Default)]
pub struct BlockerFilter {
    pub statuses: Option<Vec<BlockerStatus>>,
    pub severities: Option<Vec<Severity>>,
    pub categories: Option<Vec<BlockerCategory>>,
    pub responsible_ministry_id: Option<Uuid>,
    pub raised_by_ministry_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
    pub search: Option<String>,
}

/// Orders of `blockers`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum BlockerOrderField {
    /// By when it was raised.
    #[default]
    CreatedAt,
    /// By last change; with `updatedSince`, ascending, for scripts that sync incrementally.
    UpdatedAt,
    /// By the forwarding due date, blockers without one last.
    DueDate,
}

pub fn filtered(filter: &BlockerFilter, today: NaiveDate, backend: DbBackend) -> Select<Blocker> {
    let mut select = Blocker::find();
    if let Some(s) = &filter.statuses {
        select = select.filter(status_condition(s, backend));
    }
    if let Some(s) = &filter.severities {
        select = select.filter(Column::Severity.is_in(s.iter().copied()));
    }
    if let Some(c) = &filter.categories {
        select = select.filter(Column::Category.is_in(c.iter().copied()));
    }
    if let Some(id) = filter.responsible_ministry_id {
        select = select.filter(Column::ResponsibleMinistryId.eq(id));
    }
    if let Some(id) = filter.raised_by_ministry_id {
        select = select.filter(Column::RaisedByMinistryId.eq(id));
    }
    if let Some(id) = filter.task_id {
        select = select.filter(Column::TaskId.eq(id));
    }
    match filter.overdue {
        Some(true) => select = select.filter(overdue_condition(today)),
        Some(false) => select = select.filter(overdue_condition(today).not()),
        None => {}
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(Column::UpdatedAt.gte(since));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(Column::SearchText.like(text::like_pattern(term)));
    }
    select
}

/// A page of blockers, reading `columns` of each (and the column of the order, which the
/// cursors read; see `rows`).
pub async fn list(
    state: &AppState,
    filter: &BlockerFilter,
    order: BlockerOrderField,
    descending: bool,
    args: &PageArgs,
    columns: Columns,
) -> AppResult<Page<blocker::Model>> {
    let select = filtered(filter, state.clock.today(), state.db.get_database_backend());
    let (key, read, sorted): (SortKey, fn(&blocker::Model) -> KeyValue, &str) = match order {
        BlockerOrderField::CreatedAt => (
            SortKey::new(Column::CreatedAt.into_expr(), KeyKind::Time, descending),
            |m| KeyValue::Time(m.created_at),
            "created_at",
        ),
        BlockerOrderField::UpdatedAt => (
            SortKey::new(Column::UpdatedAt.into_expr(), KeyKind::Time, descending),
            |m| KeyValue::Time(m.updated_at),
            "updated_at",
        ),
        BlockerOrderField::DueDate => {
            (date_key(Column::DueDate, descending), |m| KeyValue::Date(m.due_date.unwrap_or_else(undated)), "due_date")
        }
    };
    let columns = columns.with::<blocker::Model>(sorted).unwrap_or(Columns::ALL);
    paginate_columns(&state.db, select, columns, Column::Id, key, args, |m| (read(m), m.id)).await
}

pub async fn events(state: &AppState, blocker_id: Uuid) -> AppResult<Vec<blocker_event::Model>> {
    Ok(Event::find()
        .filter(blocker_event::Column::BlockerId.eq(blocker_id))
        .order_by_asc(blocker_event::Column::Seq)
        .all(&state.db)
        .await?)
}

#[derive(Clone, Debug, Serialize)]
pub struct RaiseInput {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: BlockerCategory,
    pub origin: BlockerOrigin,
    pub origin_name: Option<String>,
    pub raised_by_ministry_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

fn search_text_of(b: &blocker::Model) -> String {
    text::search_text([Some(b.title.as_str()), Some(b.description.as_str()), b.origin_name.as_deref()])
}

/// The event name of a kind, e.g. `blocker.forwarded`.
pub fn event_name(kind: BlockerEventKind) -> String {
    format!("blocker.{}", kind.as_str().to_lowercase())
}

/// What subscribers and webhooks receive about a blocker change.
fn payload(b: &blocker::Model, kind: BlockerEventKind, actor: &Actor, note: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "kind": kind,
        "blockerId": b.id,
        "title": b.title,
        "status": b.status,
        "severity": b.severity,
        "category": b.category,
        "raisedByMinistryId": b.raised_by_ministry_id,
        "responsibleMinistryId": b.responsible_ministry_id,
        "taskId": b.task_id,
        "dueDate": b.due_date,
        "version": b.version,
        "actor": actor.principal.label(),
        "note": note,
    })
}

async fn announce(
    txn: &DatabaseTransaction,
    b: &blocker::Model,
    kind: BlockerEventKind,
    actor: &Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    super::events::publish(txn, "blocker", &event_name(kind), Some(b.id), payload(b, kind, actor, note), now).await
}

/// One line of a blocker's history.
struct EventLine {
    kind: BlockerEventKind,
    from: Option<BlockerStatus>,
    to: BlockerStatus,
    note: Option<String>,
}

async fn write_event(
    txn: &DatabaseTransaction,
    actor: &Actor,
    blocker_id: Uuid,
    line: EventLine,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let last: Option<i32> = Event::find()
        .select_only()
        .column_as(blocker_event::Column::Seq.max(), "last")
        .filter(blocker_event::Column::BlockerId.eq(blocker_id))
        .into_tuple()
        .one(txn)
        .await?
        .flatten();
    blocker_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        blocker_id: Set(blocker_id),
        seq: Set(last.unwrap_or(0) + 1),
        kind: Set(line.kind),
        from_status: Set(line.from),
        to_status: Set(line.to),
        actor_id: Set(actor.principal.id),
        actor_name: Set(actor.principal.label()),
        note: Set(line.note),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

pub async fn raise(state: &AppState, actor: &Actor, input: RaiseInput) -> AppResult<blocker::Model> {
    actor.principal.require(Action::RaiseBlockers)?;
    let title = validate::required("title", &input.title, 500)?;
    let description = validate::required("description", &input.description, validate::LONG)?;
    let origin_name = validate::optional("originName", input.origin_name.as_deref(), validate::SHORT)?;
    if input.origin != BlockerOrigin::Ministry && origin_name.is_none() {
        return Err(AppError::bad_input(
            "originName",
            "name the enterprise, institute, university or locality it is raised for",
        ));
    }
    let claim = match &input.idempotency_key {
        Some(key) => Some(Claim::new(actor.principal.id, "raiseBlocker", key, &input)?),
        None => None,
    };
    let p = &actor.principal;
    let (_writer, txn) = state.begin_write().await?;
    if let Some(claim) = &claim {
        if let Some(id) = idempotency::replay(&txn, claim).await? {
            return find::<_, Blocker>(&txn, id, "blocker").await;
        }
    }
    let ministry_id = match (input.raised_by_ministry_id, p.ministry_id) {
        (Some(given), _) => {
            p.require_ministry(given, "raise blockers")?;
            ministries::require_id(&txn, "raisedByMinistryId", given).await?.id
        }
        (None, Some(own)) => own,
        (None, None) => {
            return Err(AppError::bad_input("raisedByMinistryId", "name the ministry that raises the blocker"))
        }
    };
    if let Some(task_id) = input.task_id {
        let task = find::<_, entity::task::Entity>(&txn, task_id, "task").await?;
        if matches!(task.status, TaskStatus::Completed | TaskStatus::Cancelled) {
            return Err(AppError::bad_input(
                "taskId",
                format!("the task is {}; raise blockers on open tasks", task.status),
            ));
        }
    }
    let now = state.clock.now();
    let mut model = blocker::Model {
        id: Uuid::new_v4(),
        title,
        description,
        severity: input.severity,
        category: input.category,
        status: BlockerStatus::Open,
        origin: input.origin,
        origin_name,
        raised_by_ministry_id: ministry_id,
        raised_by_actor_id: p.id,
        raised_by_actor_name: p.label(),
        responsible_ministry_id: None,
        task_id: input.task_id,
        due_date: None,
        resolution: None,
        escalated_to: None,
        escalation_reason: None,
        resolved_at: None,
        search_text: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    model.search_text = search_text_of(&model);
    let model = blocker::ActiveModel::from(model).insert(&txn).await?;
    let raised = EventLine { kind: BlockerEventKind::Raised, from: None, to: BlockerStatus::Open, note: None };
    write_event(&txn, actor, model.id, raised, now).await?;
    announce(&txn, &model, BlockerEventKind::Raised, actor, None, now).await?;
    if let Some(claim) = &claim {
        idempotency::remember(&txn, claim, model.id, now).await?;
    }
    audit::record(&txn, actor, now, Change::created("raiseBlocker", "Blocker", model.id, &model)).await?;
    txn.commit().await?;
    state.events.poke();
    Ok(model)
}

/// One step of the blocker lifecycle.
pub enum Step {
    Forward { responsible_ministry_id: Uuid, due_date: NaiveDate, note: Option<String> },
    Acknowledge { note: Option<String> },
    Resolve { resolution: String },
    Escalate { escalated_to: String, reason: String },
    Withdraw { reason: Option<String> },
    Comment { note: String },
}

impl Step {
    fn operation(&self) -> &'static str {
        match self {
            Self::Forward { .. } => "forwardBlocker",
            Self::Acknowledge { .. } => "acknowledgeBlocker",
            Self::Resolve { .. } => "resolveBlocker",
            Self::Escalate { .. } => "escalateBlocker",
            Self::Withdraw { .. } => "withdrawBlocker",
            Self::Comment { .. } => "commentOnBlocker",
        }
    }

    fn kind(&self) -> BlockerEventKind {
        match self {
            Self::Forward { .. } => BlockerEventKind::Forwarded,
            Self::Acknowledge { .. } => BlockerEventKind::Acknowledged,
            Self::Resolve { .. } => BlockerEventKind::Resolved,
            Self::Escalate { .. } => BlockerEventKind::Escalated,
            Self::Withdraw { .. } => BlockerEventKind::Withdrawn,
            Self::Comment { .. } => BlockerEventKind::Commented,
        }
    }

    fn verb(&self) -> &'static str {
        match self {
            Self::Forward { .. } => "forwarded",
            Self::Acknowledge { .. } => "acknowledged",
            Self::Resolve { .. } => "resolved",
            Self::Escalate { .. } => "escalated",
            Self::Withdraw { .. } => "withdrawn",
            Self::Comment { .. } => "commented on",
        }
    }
}

/// The status a step leads to from `from`, or INVALID_TRANSITION.
pub fn next_status(from: BlockerStatus, step: &Step) -> AppResult<BlockerStatus> {
    use BlockerStatus::*;
    let to = match (step, from) {
        (Step::Forward { .. }, Open) => Forwarded,
        (Step::Acknowledge { .. }, Forwarded) => InProgress,
        (Step::Resolve { .. }, InProgress | Escalated) => Resolved,
        (Step::Escalate { .. }, InProgress) => Escalated,
        (Step::Withdraw { .. }, Open | Forwarded | InProgress | Escalated) => Withdrawn,
        (Step::Comment { .. }, s) => s,
        _ => return Err(AppError::transition("blocker", from, step.verb())),
    };
    Ok(to)
}

/// Who may take `step` on `b`: the contract's matrix plus ownership.
fn authorize(actor: &Actor, b: &blocker::Model, step: &Step) -> AppResult<()> {
    let p = &actor.principal;
    let responsible = |what: &str| match b.responsible_ministry_id {
        Some(m) => p.require_ministry(m, what),
        None if p.acts_for_all_ministries() => Ok(()),
        None => Err(AppError::forbidden("the blocker has not been forwarded to your ministry")),
    };
    match step {
        Step::Forward { .. } => p.require(Action::ForwardBlockers),
        Step::Acknowledge { .. } | Step::Escalate { .. } => {
            p.require(Action::WorkBlockers)?;
            responsible("work on blockers")
        }
        Step::Resolve { .. } if b.status == BlockerStatus::Escalated => p.require(Action::DecideEscalated),
        Step::Resolve { .. } => {
            p.require(Action::WorkBlockers)?;
            responsible("work on blockers")
        }
        Step::Withdraw { .. } => {
            p.require(Action::RaiseBlockers)?;
            p.require_ministry(b.raised_by_ministry_id, "withdraw blockers")
        }
        Step::Comment { .. } => {
            if p.role == Role::Chair && p.scopes.is_none() {
                return Ok(());
            }
            p.require(Action::RaiseBlockers)?;
            let own = p.acts_for_all_ministries()
                || p.ministry_id == Some(b.raised_by_ministry_id)
                || (p.ministry_id.is_some() && p.ministry_id == b.responsible_ministry_id);
            if own {
                Ok(())
            } else {
                Err(AppError::forbidden("you may only comment on blockers your ministry raised or must clear"))
            }
        }
    }
}

/// Validates a step's input before anything is read.
fn check_step(state: &AppState, step: Step) -> AppResult<Step> {
    Ok(match step {
        Step::Forward { responsible_ministry_id, due_date, note } => {
            if due_date < state.clock.today() {
                return Err(AppError::bad_input(
                    "dueDate",
                    format!("{due_date} is in the past (today in Vietnam is {})", state.clock.today()),
                ));
            }
            Step::Forward {
                responsible_ministry_id,
                due_date,
                note: validate::optional("note", note.as_deref(), validate::LONG)?,
            }
        }
        Step::Acknowledge { note } => {
            Step::Acknowledge { note: validate::optional("note", note.as_deref(), validate::LONG)? }
        }
        Step::Resolve { resolution } => {
            Step::Resolve { resolution: validate::required("resolution", &resolution, validate::LONG)? }
        }
        Step::Escalate { escalated_to, reason } => Step::Escalate {
            escalated_to: validate::required("escalatedTo", &escalated_to, validate::SHORT)?,
            reason: validate::required("reason", &reason, validate::LONG)?,
        },
        Step::Withdraw { reason } => {
            Step::Withdraw { reason: validate::optional("reason", reason.as_deref(), validate::LONG)? }
        }
        Step::Comment { note } => Step::Comment { note: validate::required("note", &note, validate::LONG)? },
    })
}

/// Takes one step of the lifecycle under optimistic locking, with its event and audit record.
pub async fn act(state: &AppState, actor: &Actor, id: Uuid, expected: i32, step: Step) -> AppResult<blocker::Model> {
    let step = check_step(state, step)?;
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, Blocker>(&txn, id, "blocker").await?;
    authorize(actor, &before, &step)?;
    check_version(before.version, expected, "blocker")?;
    let to = next_status(before.status, &step)?;
    let now = state.clock.now();
    let mut changes = blocker::ActiveModel {
        status: Set(to),
        version: Set(expected + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    let note = match &step {
        Step::Forward { responsible_ministry_id, due_date, note } => {
            ministries::require_id(&txn, "responsibleMinistryId", *responsible_ministry_id).await?;
            changes.responsible_ministry_id = Set(Some(*responsible_ministry_id));
            changes.due_date = Set(Some(*due_date));
            note.clone()
        }
        Step::Acknowledge { note } => note.clone(),
        Step::Resolve { resolution } => {
            changes.resolution = Set(Some(resolution.clone()));
            changes.resolved_at = Set(Some(now));
            Some(resolution.clone())
        }
        Step::Escalate { escalated_to, reason } => {
            changes.escalated_to = Set(Some(escalated_to.clone()));
            changes.escalation_reason = Set(Some(reason.clone()));
            Some(format!("{escalated_to}: {reason}"))
        }
        Step::Withdraw { reason } => reason.clone(),
        Step::Comment { note } => Some(note.clone()),
    };
    update_versioned(&txn, changes, (Column::Id, id), (Column::Version, expected), "blocker").await?;
    let after = find::<_, Blocker>(&txn, id, "blocker").await?;
    announce(&txn, &after, step.kind(), actor, note.as_deref(), now).await?;
    write_event(&txn, actor, id, EventLine { kind: step.kind(), from: Some(before.status), to, note }, now).await?;
    audit::record(
        &txn,
        actor,
        now,
        Change {
            operation: step.operation(),
            object_type: "Blocker",
            object_id: Some(id),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    state.events.poke();
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use BlockerStatus::*;

    fn forward() -> Step {
        Step::Forward { responsible_ministry_id: Uuid::nil(), due_date: NaiveDate::MIN, note: None }
    }

    #[test]
    fn only_the_graph_is_allowed() {
        assert_eq!(next_status(Open, &forward()).unwrap(), Forwarded);
        assert_eq!(next_status(Forwarded, &Step::Acknowledge { note: None }).unwrap(), InProgress);
        assert_eq!(
            next_status(InProgress, &Step::Escalate { escalated_to: "x".into(), reason: "y".into() }).unwrap(),
            Escalated
        );
        assert_eq!(next_status(Escalated, &Step::Resolve { resolution: "r".into() }).unwrap(), Resolved);
        assert_eq!(next_status(InProgress, &Step::Resolve { resolution: "r".into() }).unwrap(), Resolved);
        for from in [Forwarded, InProgress, Resolved, Escalated, Withdrawn] {
            assert!(next_status(from, &forward()).is_err(), "forward from {from}");
        }
        assert!(next_status(Open, &Step::Resolve { resolution: "r".into() }).is_err());
        assert!(next_status(Resolved, &Step::Withdraw { reason: None }).is_err());
        assert!(next_status(Withdrawn, &Step::Acknowledge { note: None }).is_err());
        assert_eq!(next_status(Resolved, &Step::Comment { note: "n".into() }).unwrap(), Resolved);
    }
}
