//! Blockers and their events.

use super::connection::{args, connection, Conn};
use super::direct::{
    boolean, date, enumerated, int, opt_text, plain_id, text, value, Direct, Plain, PlainFields, Related,
};
use super::ministry::{self, Ministry};
use super::report::Actor;
use super::scalars::Date;
use super::task::{self, Direction, Task};
use super::{actor, id, opt_uuid, state, uuid, write};
use crate::service::access::Action;
use crate::service::blockers::{self, BlockerFilter, BlockerOrderField, RaiseInput, Step};
use async_graphql::{Context, ContextSelectionSet, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::{BlockerCategory, BlockerEventKind, BlockerOrigin, BlockerStatus, Severity};
use entity::{blocker, blocker_event};

pub struct Blocker(pub blocker::Model);

/// An obstacle raised by a ministry, often on behalf of an enterprise, institute, university or locality.
#[Object]
impl Blocker {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn severity(&self) -> Severity {
        self.0.severity
    }
    async fn category(&self) -> BlockerCategory {
        self.0.category
    }
    async fn status(&self) -> BlockerStatus {
        self.0.status
    }
    /// On whose behalf it was raised.
    async fn origin(&self) -> BlockerOrigin {
        self.0.origin
    }
    /// The enterprise, institute, university or locality it was raised for.
    async fn origin_name(&self) -> Option<&str> {
        self.0.origin_name.as_deref()
    }
    /// The ministry that raised it.
    async fn raised_by(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.0.raised_by_ministry_id).await
    }
    /// The person or script that raised it.
    async fn raised_by_actor(&self) -> Actor {
        Actor { id: id(self.0.raised_by_actor_id), name: self.0.raised_by_actor_name.clone() }
    }
    /// The ministry it was forwarded to, which must clear it.
    async fn responsible_ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match self.0.responsible_ministry_id {
            Some(id) => ministry::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The task it holds up, if any.
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Direct<Task>>> {
        match self.0.task_id {
            Some(id) => task::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The date by which the responsible ministry must clear it.
    async fn due_date(&self) -> Option<Date> {
        self.0.due_date.map(Date)
    }
    /// Still with the responsible ministry after its due date (today in Vietnam).
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(blockers::is_overdue(&self.0, super::today(ctx)?))
    }
    /// How it was resolved.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    /// The authority it was escalated to.
    async fn escalated_to(&self) -> Option<&str> {
        self.0.escalated_to.as_deref()
    }
    async fn escalation_reason(&self) -> Option<&str> {
        self.0.escalation_reason.as_deref()
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// Everything that happened to it, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<BlockerEvent>> {
        Ok(blockers::events(state(ctx)?, self.0.id).await?.into_iter().map(BlockerEvent).collect())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

impl PlainFields for Blocker {
    fn plain(&self, ctx: &ContextSelectionSet<'_>, name: &str) -> Option<Plain<'_>> {
        let b = &self.0;
        Some(match name {
            "id" => plain_id(b.id),
            "title" => text(&b.title),
            "description" => text(&b.description),
            "severity" => enumerated(b.severity),
            "category" => enumerated(b.category),
            "status" => enumerated(b.status),
            "origin" => enumerated(b.origin),
            "originName" => opt_text(b.origin_name.as_deref()),
            "dueDate" => date(b.due_date),
            "overdue" => boolean(blockers::is_overdue(b, super::today(ctx).ok()?)),
            "resolution" => opt_text(b.resolution.as_deref()),
            "escalatedTo" => opt_text(b.escalated_to.as_deref()),
            "escalationReason" => opt_text(b.escalation_reason.as_deref()),
            "resolvedAt" => value(&b.resolved_at),
            "version" => int(b.version),
            "createdAt" => value(&b.created_at),
            "updatedAt" => value(&b.updated_at),
            _ => return None,
        })
    }

    fn related(&self, name: &str) -> Option<Related> {
        let b = &self.0;
        match name {
            "raisedBy" => Some(Related::Ministry(Some(b.raised_by_ministry_id))),
            "responsibleMinistry" => Some(Related::Ministry(b.responsible_ministry_id)),
            "task" => Some(Related::Task(b.task_id)),
            _ => None,
        }
    }

    fn columns(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "id" => &[],
            "title" => &["title"],
            "description" => &["description"],
            "severity" => &["severity"],
            "category" => &["category"],
            "status" => &["status"],
            "origin" => &["origin"],
            "originName" => &["origin_name"],
            "dueDate" => &["due_date"],
            "overdue" => &["status", "due_date"],
            "resolution" => &["resolution"],
            "escalatedTo" => &["escalated_to"],
            "escalationReason" => &["escalation_reason"],
            "resolvedAt" => &["resolved_at"],
            "version" => &["version"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            "raisedBy" => &["raised_by_ministry_id"],
            "responsibleMinistry" => &["responsible_ministry_id"],
            "task" => &["task_id"],
            _ => return None,
        })
    }
}

pub struct BlockerEvent(pub blocker_event::Model);

/// One transition of a blocker (or a comment on it).
#[Object]
impl BlockerEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> BlockerEventKind {
        self.0.kind
    }
    async fn from_status(&self) -> Option<BlockerStatus> {
        self.0.from_status
    }
    async fn to_status(&self) -> BlockerStatus {
        self.0.to_status
    }
    async fn actor(&self) -> Actor {
        Actor { id: id(self.0.actor_id), name: self.0.actor_name.clone() }
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Filters of `blockers`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct BlockerFilterInput {
    /// Any of these statuses.
    pub status: Option<Vec<BlockerStatus>>,
    pub severity: Option<Vec<Severity>>,
    pub category: Option<Vec<BlockerCategory>>,
    pub responsible_ministry_id: Option<ID>,
    pub raised_by_ministry_id: Option<ID>,
    pub task_id: Option<ID>,
    /// Only overdue (true) or only not overdue (false).
    pub overdue: Option<bool>,
    /// Changed at or after this moment; with `orderBy: { field: UPDATED_AT }` for incremental sync.
    pub updated_since: Option<DateTime<Utc>>,
    /// Words in the title, description or origin; diacritics and case are ignored.
    pub search: Option<String>,
}

/// The order of `blockers`.
#[derive(InputObject)]
pub struct BlockerOrder {
    pub field: BlockerOrderField,
    #[graphql(default)]
    pub direction: Direction,
}

pub(crate) fn to_filter(f: BlockerFilterInput) -> Result<BlockerFilter, crate::AppError> {
    Ok(BlockerFilter {
        statuses: f.status,
        severities: f.severity,
        categories: f.category,
        responsible_ministry_id: opt_uuid("responsibleMinistryId", &f.responsible_ministry_id)?,
        raised_by_ministry_id: opt_uuid("raisedByMinistryId", &f.raised_by_ministry_id)?,
        task_id: opt_uuid("taskId", &f.task_id)?,
        overdue: f.overdue,
        updated_since: f.updated_since,
        search: f.search,
    })
}

#[derive(Default)]
pub struct BlockerQuery;

#[Object]
impl BlockerQuery {
    /// Blockers; newest first unless ordered otherwise.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn blockers(
        &self,
        ctx: &Context<'_>,
        filter: Option<BlockerFilterInput>,
        order_by: Option<BlockerOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Blocker>> {
        actor(ctx)?.principal.require(Action::ReadBlockers)?;
        let filter = to_filter(filter.unwrap_or_default())?;
        let (field, desc) = match order_by {
            Some(o) => (o.field, o.direction == Direction::Desc),
            None => (BlockerOrderField::CreatedAt, true),
        };
        let columns = super::direct::node_columns::<Blocker, blocker::Model>(&ctx.item.node);
        let page =
            blockers::list(state(ctx)?, &filter, field, desc, &args(first, after, last, before), columns).await?;
        let rows: Vec<_> = page.rows.iter().collect();
        super::loaders::prime_blockers(ctx, &rows).await?;
        Ok(connection(page, Blocker))
    }

    async fn blocker(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Blocker>> {
        actor(ctx)?.principal.require(Action::ReadBlockers)?;
        let id = uuid("id", &id)?;
        use sea_orm::EntityTrait;
        let found = blocker::Entity::find_by_id(id).one(&state(ctx)?.db).await.map_err(crate::AppError::from)?;
        Ok(found.map(Blocker))
    }
}

/// A new blocker.
#[derive(InputObject)]
pub struct RaiseBlockerInput {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: BlockerCategory,
    #[graphql(default_with = "BlockerOrigin::Ministry")]
    pub origin: BlockerOrigin,
    /// Required unless the origin is the ministry itself.
    pub origin_name: Option<String>,
    /// The raising ministry; an officer's own by default.
    pub raised_by_ministry_id: Option<ID>,
    /// The task it holds up.
    pub task_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ForwardBlockerInput {
    /// The ministry that must clear it.
    pub responsible_ministry_id: ID,
    /// By when; not in the past.
    pub due_date: Date,
    pub note: Option<String>,
}

#[derive(InputObject, Default)]
pub struct AcknowledgeBlockerInput {
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ResolveBlockerInput {
    /// How it was cleared.
    pub resolution: String,
}

#[derive(InputObject)]
pub struct EscalateBlockerInput {
    /// The higher authority, e.g. "Thủ tướng Chính phủ".
    pub escalated_to: String,
    /// Why the ministry cannot clear it within its authority.
    pub reason: String,
}

#[derive(InputObject, Default)]
pub struct WithdrawBlockerInput {
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct CommentOnBlockerInput {
    pub note: String,
}

async fn step(ctx: &Context<'_>, id: ID, expected_version: i32, step: Step) -> Result<Blocker> {
    let id = uuid("id", &id)?;
    let b = write(ctx, move |s, a| async move { blockers::act(&s, &a, id, expected_version, step).await }).await?;
    Ok(Blocker(b))
}

#[derive(Default)]
pub struct BlockerMutation;

#[Object]
impl BlockerMutation {
    /// Raises a blocker as the caller's ministry. Retried calls with the same `idempotencyKey` return the first result.
    async fn raise_blocker(
        &self,
        ctx: &Context<'_>,
        input: RaiseBlockerInput,
        idempotency_key: Option<String>,
    ) -> Result<Blocker> {
        let input = RaiseInput {
            title: input.title,
            description: input.description,
            severity: input.severity,
            category: input.category,
            origin: input.origin,
            origin_name: input.origin_name,
            raised_by_ministry_id: opt_uuid("raisedByMinistryId", &input.raised_by_ministry_id)?,
            task_id: opt_uuid("taskId", &input.task_id)?,
            idempotency_key,
        };
        Ok(Blocker(write(ctx, move |s, a| async move { blockers::raise(&s, &a, input).await }).await?))
    }

    /// OPEN -> FORWARDED: sends it to the ministry that must clear it, with a due date (ADMIN, SECRETARIAT).
    async fn forward_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ForwardBlockerInput,
    ) -> Result<Blocker> {
        let responsible_ministry_id = uuid("responsibleMinistryId", &input.responsible_ministry_id)?;
        step(
            ctx,
            id,
            expected_version,
            Step::Forward { responsible_ministry_id, due_date: input.due_date.0, note: input.note },
        )
        .await
    }

    /// FORWARDED -> IN_PROGRESS: the responsible ministry takes it on.
    async fn acknowledge_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: Option<AcknowledgeBlockerInput>,
    ) -> Result<Blocker> {
        step(ctx, id, expected_version, Step::Acknowledge { note: input.unwrap_or_default().note }).await
    }

    /// IN_PROGRESS -> RESOLVED (the responsible ministry), or ESCALATED -> RESOLVED (ADMIN, SECRETARIAT, CHAIR).
    async fn resolve_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ResolveBlockerInput,
    ) -> Result<Blocker> {
        step(ctx, id, expected_version, Step::Resolve { resolution: input.resolution }).await
    }

    /// IN_PROGRESS -> ESCALATED: beyond the ministry's authority; submitted to a higher one.
    async fn escalate_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: EscalateBlockerInput,
    ) -> Result<Blocker> {
        step(ctx, id, expected_version, Step::Escalate { escalated_to: input.escalated_to, reason: input.reason }).await
    }

    /// Withdraws an unresolved blocker (the raising ministry, ADMIN, SECRETARIAT).
    async fn withdraw_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: Option<WithdrawBlockerInput>,
    ) -> Result<Blocker> {
        step(ctx, id, expected_version, Step::Withdraw { reason: input.unwrap_or_default().reason }).await
    }

    /// Adds a comment; the status does not change.
    async fn comment_on_blocker(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CommentOnBlockerInput,
    ) -> Result<Blocker> {
        step(ctx, id, expected_version, Step::Comment { note: input.note }).await
    }
}
