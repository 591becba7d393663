//! Tasks and the "7 rõ" rule.

use super::blocker::Blocker;
use super::connection::{self, args, connection, Conn};
use super::direct::{date, enumerated, int, opt_text, plain_id, text, value, Direct, Plain, PlainFields, Related};
use super::directive::{self, Directive};
use super::loaders::{CooperatorsOf, TaskId, TaskPart};
use super::ministry::{self, Ministry};
use super::report::MonthlyReport;
use super::scalars::Date;
use super::shared::Shared;
use super::working_group::{self, WorkingGroup};
use super::{actor, id, loader, opt_uuid, state, uuid};
use crate::service::access::Action;
use crate::service::blockers::{self, BlockerFilter, BlockerOrderField};
use crate::service::reports::{self, ReportFilter};
use crate::service::rows::Columns;
use crate::service::tasks::{self, ClarityItem, TaskFilter, TaskInput, TaskOrderField, Timeliness};
use async_graphql::{Context, ContextSelectionSet, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{BlockerStatus, TaskStatus};
use entity::task::Model;

pub struct Task(pub Shared<Model>);

impl From<Model> for Task {
    fn from(m: Model) -> Self {
        Self(Shared::new(m))
    }
}

/// The named official answerable for a task (đầu mối).
#[derive(SimpleObject)]
pub struct FocalPerson {
    pub name: String,
    pub title: Option<String>,
}

/// Whether a task is "7 clear" (7 rõ), and what it lacks.
#[derive(SimpleObject)]
pub struct Clarity {
    /// All seven items are set; the task may be issued.
    pub complete: bool,
    /// The items still missing, in the order of the rule.
    pub missing: Vec<ClarityItem>,
}

/// A unit of assigned work with one lead ministry.
#[Object]
impl Task {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// A short reference, e.g. `TB22-1`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn status(&self) -> TaskStatus {
        self.0.status
    }
    /// How the task stands against its due date today in Vietnam; null for drafts and cancelled tasks.
    async fn timeliness(&self, ctx: &Context<'_>) -> Result<Option<Timeliness>> {
        Ok(tasks::timeliness(&self.0, super::today(ctx)?))
    }
    async fn due_date(&self) -> Option<Date> {
        self.0.due_date.map(Date)
    }
    /// The ministry accountable for the task (cơ quan chủ trì).
    async fn lead_ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.0.lead_ministry_id).await
    }
    /// The ministries that contribute (cơ quan phối hợp).
    async fn cooperating_ministries(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Ministry>>> {
        let rows = loader(ctx)?.load_one(CooperatorsOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|m| Direct(Ministry::from(m))).collect())
    }
    /// The named official answerable for the task.
    async fn focal_person(&self) -> Option<FocalPerson> {
        self.0.focal_person_name.clone().map(|name| FocalPerson { name, title: self.0.focal_person_title.clone() })
    }
    /// Who approves the output, e.g. "Thủ tướng Chính phủ ban hành".
    async fn approving_authority(&self) -> Option<&str> {
        self.0.approving_authority.as_deref()
    }
    /// The output expected, e.g. a decision or a guide.
    async fn expected_output(&self) -> Option<&str> {
        self.0.expected_output.as_deref()
    }
    /// Budget and its source, or "recurrent budget".
    async fn resources(&self) -> Option<&str> {
        self.0.resources.as_deref()
    }
    /// The directive the task comes from.
    async fn directive(&self, ctx: &Context<'_>) -> Result<Option<Directive>> {
        match self.0.directive_id {
            Some(id) => directive::load(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn working_group(&self, ctx: &Context<'_>) -> Result<Option<WorkingGroup>> {
        match self.0.working_group_id {
            Some(id) => working_group::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Which of the seven "7 rõ" items are set.
    async fn clarity(&self) -> Clarity {
        let missing = tasks::missing_clarity(&self.0);
        Clarity { complete: missing.is_empty(), missing }
    }
    /// When it was completed.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Why it was cancelled.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// Monthly reports on this task, newest period first.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        period: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<MonthlyReport>> {
        actor(ctx)?.principal.require(Action::ReadReports)?;
        let filter = ReportFilter { task_id: Some(self.0.id), period, ..Default::default() };
        let page = reports::list(state(ctx)?, &filter, &args(first, after, None, None)).await?;
        Ok(connection(page, MonthlyReport))
    }
    /// Blockers raised on this task, newest first.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity")]
    async fn blockers(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<BlockerStatus>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Blocker>> {
        actor(ctx)?.principal.require(Action::ReadBlockers)?;
        let filter = BlockerFilter { task_id: Some(self.0.id), statuses: status, ..Default::default() };
        let page = blockers::list(
            state(ctx)?,
            &filter,
            BlockerOrderField::CreatedAt,
            true,
            &args(first, after, None, None),
            Columns::ALL,
        )
        .await?;
        Ok(connection(page, Blocker))
    }
    /// Increases with every change; pass it as `expectedVersion` to change the task.
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

pub(crate) async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Direct<Task>>> {
    Ok(loader(ctx)?.load_one(TaskId(id)).await?.map(|t| Direct(Task(t))))
}

/// A task with (at least) `columns` read, through the request's loader.
pub(crate) async fn load_columns(ctx: &Context<'_>, id: uuid::Uuid, columns: Columns) -> Result<Option<Direct<Task>>> {
    if columns.is_all::<Model>() {
        return load(ctx, id).await;
    }
    Ok(loader(ctx)?.load_one(TaskPart(id, columns)).await?.map(|t| Direct(Task(t))))
}

/// Loads tasks with `columns` into the request's loader, in one statement.
pub(crate) async fn load_many(
    loader: &crate::graphql::RequestLoader,
    ids: impl IntoIterator<Item = uuid::Uuid>,
    columns: Columns,
) -> Result<Vec<Shared<Model>>> {
    Ok(if columns.is_all::<Model>() {
        loader.load_many(ids.into_iter().map(TaskId)).await?.into_values().collect()
    } else if loader.loader().keeps() {
        // Narrowed rows are read only by `direct`, which looks in what the request keeps; the
        // loader's own cache, batch task and maps would be work for nothing.
        loader.loader().tasks(ids, columns).await?
    } else {
        loader.load_many(ids.into_iter().map(|id| TaskPart(id, columns))).await?.into_values().collect()
    })
}

impl PlainFields for Task {
    fn plain(&self, ctx: &ContextSelectionSet<'_>, name: &str) -> Option<Plain<'_>> {
        let t = &self.0;
        Some(match name {
            "id" => plain_id(t.id),
            "code" => text(&t.code),
            "title" => text(&t.title),
            "description" => opt_text(t.description.as_deref()),
            "status" => enumerated(t.status),
            "timeliness" => tasks::timeliness(t, super::today(ctx).ok()?).map_or(Plain::Null, enumerated),
            "dueDate" => date(t.due_date),
            "approvingAuthority" => opt_text(t.approving_authority.as_deref()),
            "expectedOutput" => opt_text(t.expected_output.as_deref()),
            "resources" => opt_text(t.resources.as_deref()),
            "completedAt" => value(&t.completed_at),
            "cancelReason" => opt_text(t.cancel_reason.as_deref()),
            "version" => int(t.version),
            "createdAt" => value(&t.created_at),
            "updatedAt" => value(&t.updated_at),
            _ => return None,
        })
    }

    fn related(&self, name: &str) -> Option<Related> {
        (name == "leadMinistry").then_some(Related::Ministry(Some(self.0.lead_ministry_id)))
    }

    fn columns(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "id" => &[],
            "code" => &["code"],
            "title" => &["title"],
            "description" => &["description"],
            "status" => &["status"],
            "timeliness" => &["status", "completed_on_time", "due_date"],
            "dueDate" => &["due_date"],
            "approvingAuthority" => &["approving_authority"],
            "expectedOutput" => &["expected_output"],
            "resources" => &["resources"],
            "completedAt" => &["completed_at"],
            "cancelReason" => &["cancel_reason"],
            "version" => &["version"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            "leadMinistry" => &["lead_ministry_id"],
            _ => return None,
        })
    }
}

/// Filters of `tasks`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    pub status: Option<Vec<TaskStatus>>,
    pub timeliness: Option<Vec<Timeliness>>,
    pub lead_ministry_id: Option<ID>,
    /// Tasks the ministry leads or cooperates on.
    pub involved_ministry_id: Option<ID>,
    pub working_group_id: Option<ID>,
    pub directive_id: Option<ID>,
    /// Due on or after this date.
    pub due_from: Option<Date>,
    /// Due on or before this date.
    pub due_to: Option<Date>,
    /// Words in the code, title, description, focal person or output; diacritics and case are ignored.
    pub search: Option<String>,
}

/// The order of `tasks`.
#[derive(InputObject)]
pub struct TaskOrder {
    pub field: TaskOrderField,
    #[graphql(default)]
    pub direction: Direction,
}

/// Ascending or descending.
#[derive(async_graphql::Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    /// Tasks; by default soonest due first.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        filter: Option<TaskFilterInput>,
        order_by: Option<TaskOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Task>> {
        actor(ctx)?.principal.require(Action::ReadTasks)?;
        let f = filter.unwrap_or_default();
        let filter = TaskFilter {
            statuses: f.status,
            timeliness: f.timeliness,
            lead_ministry_id: opt_uuid("leadMinistryId", &f.lead_ministry_id)?,
            involved_ministry_id: opt_uuid("involvedMinistryId", &f.involved_ministry_id)?,
            working_group_id: opt_uuid("workingGroupId", &f.working_group_id)?,
            directive_id: opt_uuid("directiveId", &f.directive_id)?,
            due_from: f.due_from.map(|d| d.0),
            due_to: f.due_to.map(|d| d.0),
            search: f.search,
        };
        let (field, desc) = order_by.map(|o| (o.field, o.direction == Direction::Desc)).unwrap_or_default();
        let columns = super::direct::node_columns::<Task, Model>(&ctx.item.node);
        let page = tasks::list(state(ctx)?, &filter, field, desc, &args(first, after, last, before), columns).await?;
        let rows: Vec<_> = page.rows.iter().collect();
        super::loaders::prime_tasks(ctx, &rows).await?;
        Ok(connection::shared(page, Task))
    }

    async fn task(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Direct<Task>>> {
        actor(ctx)?.principal.require(Action::ReadTasks)?;
        let id = uuid("id", &id)?;
        let columns = super::direct::columns_of::<Task, Model>(&ctx.item.node.selection_set.node);
        let loaders = loader(ctx)?.loader();
        if columns.is_all::<Model>() || !loaders.keeps() {
            return load(ctx, id).await;
        }
        // One task by id has nothing to batch with: read it (and its lead ministry, when the
        // selection shows one) straight away, with the columns shown, into what the request
        // keeps, so that the task and the ministry resolve at once (see `direct`).
        let Some(task) = loaders.tasks([id], columns).await?.pop() else { return Ok(None) };
        super::loaders::prime_ministries(ctx, "leadMinistry", [task.lead_ministry_id]).await?;
        Ok(Some(Direct(Task(task))))
    }
}

/// A new task; it starts as a DRAFT and may be incomplete.
#[derive(InputObject)]
pub struct CreateTaskInput {
    /// A short reference; generated when omitted.
    pub code: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub lead_ministry_id: ID,
    pub cooperating_ministry_ids: Option<Vec<ID>>,
    pub working_group_id: Option<ID>,
    pub directive_id: Option<ID>,
    pub focal_person_name: Option<String>,
    pub focal_person_title: Option<String>,
    pub due_date: Option<Date>,
    pub approving_authority: Option<String>,
    pub expected_output: Option<String>,
    pub resources: Option<String>,
}

/// Changes to a task: omitted fields stay as they are; an empty string (or null due date) clears one.
#[derive(InputObject)]
pub struct UpdateTaskInput {
    pub code: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub lead_ministry_id: Option<ID>,
    /// Replaces the cooperating ministries.
    pub cooperating_ministry_ids: Option<Vec<ID>>,
    pub working_group_id: Option<ID>,
    pub directive_id: Option<ID>,
    pub focal_person_name: Option<String>,
    pub focal_person_title: Option<String>,
    pub due_date: MaybeUndefined<Date>,
    pub approving_authority: Option<String>,
    pub expected_output: Option<String>,
    pub resources: Option<String>,
}

fn ids(field: &str, list: &Option<Vec<ID>>) -> Result<Option<Vec<uuid::Uuid>>, crate::AppError> {
    list.as_ref().map(|l| l.iter().map(|i| uuid(field, i)).collect()).transpose()
}

/// Why a task is cancelled.
#[derive(InputObject)]
pub struct CancelTaskInput {
    pub reason: String,
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    /// Drafts a task (ADMIN, SECRETARIAT).
    async fn create_task(&self, ctx: &Context<'_>, input: CreateTaskInput) -> Result<Task> {
        let input = TaskInput {
            code: input.code,
            title: Some(input.title),
            description: input.description,
            lead_ministry_id: Some(uuid("leadMinistryId", &input.lead_ministry_id)?),
            cooperating_ministry_ids: ids("cooperatingMinistryIds", &input.cooperating_ministry_ids)?,
            working_group_id: opt_uuid("workingGroupId", &input.working_group_id)?,
            directive_id: opt_uuid("directiveId", &input.directive_id)?,
            focal_person_name: input.focal_person_name,
            focal_person_title: input.focal_person_title,
            due_date: input.due_date.map(|d| Some(d.0)),
            approving_authority: input.approving_authority,
            expected_output: input.expected_output,
            resources: input.resources,
        };
        Ok(Task::from(tasks::create(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Changes a draft or active task (ADMIN, SECRETARIAT). An active task must stay "7 clear".
    async fn update_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateTaskInput,
    ) -> Result<Task> {
        let due_date = match input.due_date {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(d) => Some(Some(d.0)),
        };
        let input = TaskInput {
            code: input.code,
            title: input.title,
            description: input.description,
            lead_ministry_id: opt_uuid("leadMinistryId", &input.lead_ministry_id)?,
            cooperating_ministry_ids: ids("cooperatingMinistryIds", &input.cooperating_ministry_ids)?,
            working_group_id: opt_uuid("workingGroupId", &input.working_group_id)?,
            directive_id: opt_uuid("directiveId", &input.directive_id)?,
            focal_person_name: input.focal_person_name,
            focal_person_title: input.focal_person_title,
            due_date,
            approving_authority: input.approving_authority,
            expected_output: input.expected_output,
            resources: input.resources,
        };
        Ok(Task::from(tasks::update(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version, input).await?))
    }

    /// Issues a draft: it becomes ACTIVE. Refused with INCOMPLETE_TASK unless all seven "7 rõ" items are set.
    async fn issue_task(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<Task> {
        Ok(Task::from(tasks::issue(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version).await?))
    }

    /// Completes an active task, recording whether it was on time in Vietnam (ADMIN, SECRETARIAT, CHAIR).
    async fn complete_task(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<Task> {
        Ok(Task::from(tasks::complete(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version).await?))
    }

    /// Cancels a draft or active task, with a reason (ADMIN, SECRETARIAT, CHAIR).
    async fn cancel_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: CancelTaskInput,
    ) -> Result<Task> {
        Ok(Task::from(
            tasks::cancel(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version, &input.reason).await?,
        ))
    }
}
