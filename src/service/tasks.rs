//! Tasks: one unit of assigned work with one lead ministry; DRAFT -> ACTIVE -> COMPLETED | CANCELLED.
//! A task is issued only when it is "7 clear" (7 rõ); timeliness is derived in Vietnam's time zone.

use super::audit::{self, snapshot, Change};
use super::page::{date_key, paginate_columns, undated, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::rows::Columns;
use super::{check_version, find, ministries, update_versioned, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use crate::text;
use chrono::{Duration, NaiveDate};
use entity::enums::TaskStatus;
use entity::task::{self, Column, Entity as Task};
use entity::task_cooperator::{self, Entity as Cooperator};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Select,
    Set,
};
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// How a task stands against its due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Timeliness {
    /// Active, due in more than 7 days (or no due date).
    OnSchedule,
    /// Active, due within 7 days.
    DueSoon,
    /// Active and past its due date.
    Overdue,
    /// Completed on or before its due date.
    CompletedOnTime,
    /// Completed after its due date.
    CompletedLate,
}

/// Days before the due date at which an active task counts as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

/// Timeliness of a task on `today` (Vietnam); `None` for drafts and cancelled tasks.
pub fn timeliness(task: &task::Model, today: NaiveDate) -> Option<Timeliness> {
    match task.status {
        TaskStatus::Completed => Some(if task.completed_on_time.unwrap_or(true) {
            Timeliness::CompletedOnTime
        } else {
            Timeliness::CompletedLate
        }),
        TaskStatus::Active => Some(match task.due_date {
            Some(due) if due < today => Timeliness::Overdue,
            Some(due) if due <= today + Duration::days(DUE_SOON_DAYS) => Timeliness::DueSoon,
            _ => Timeliness::OnSchedule,
        }),
        TaskStatus::Draft | TaskStatus::Cancelled => None,
    }
}

/// The same classes as SQL conditions, for filters and counts.
pub fn timeliness_condition(class: Timeliness, today: NaiveDate) -> Condition {
    let active = Column::Status.eq(TaskStatus::Active);
    let soon = today + Duration::days(DUE_SOON_DAYS);
    match class {
        Timeliness::Overdue => Condition::all().add(active).add(Column::DueDate.lt(today)),
        Timeliness::DueSoon => {
            Condition::all().add(active).add(Column::DueDate.gte(today)).add(Column::DueDate.lte(soon))
        }
        Timeliness::OnSchedule => Condition::all()
            .add(active)
            .add(Condition::any().add(Column::DueDate.gt(soon)).add(Column::DueDate.is_null())),
        Timeliness::CompletedOnTime => {
            Condition::all().add(Column::Status.eq(TaskStatus::Completed)).add(Column::CompletedOnTime.eq(true))
        }
        Timeliness::CompletedLate => {
            Condition::all().add(Column::Status.eq(TaskStatus::Completed)).add(Column::CompletedOnTime.eq(false))
        }
    }
}

/// One of the seven items a task must have before it is issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClarityItem {
    /// Rõ người: the focal person's name and title.
    Person,
    /// Rõ việc: title and description.
    Work,
    /// Rõ trách nhiệm: the lead ministry.
    Responsibility,
    /// Rõ thời gian: the due date.
    Time,
    /// Rõ thẩm quyền: the approving authority and the directive.
    Authority,
    /// Rõ sản phẩm: the expected output.
    Product,
    /// Rõ nguồn lực: the resources.
    Resources,
}

impl ClarityItem {
    pub fn name(self) -> &'static str {
        match self {
            Self::Person => "PERSON",
            Self::Work => "WORK",
            Self::Responsibility => "RESPONSIBILITY",
            Self::Time => "TIME",
            Self::Authority => "AUTHORITY",
            Self::Product => "PRODUCT",
            Self::Resources => "RESOURCES",
        }
    }
}

/// The "7 rõ" items a task still lacks, in the order of the rule.
pub fn missing_clarity(task: &task::Model) -> Vec<ClarityItem> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let checks = [
        (ClarityItem::Person, set(&task.focal_person_name) && set(&task.focal_person_title)),
        (ClarityItem::Work, !task.title.trim().is_empty() && set(&task.description)),
        (ClarityItem::Responsibility, true),
        (ClarityItem::Time, task.due_date.is_some()),
        (ClarityItem::Authority, set(&task.approving_authority) && task.directive_id.is_some()),
        (ClarityItem::Product, set(&task.expected_output)),
        (ClarityItem::Resources, set(&task.resources)),
    ];
    checks.into_iter().filter(|(_, ok)| !ok).map(|(item, _)| item).collect()
}

/// Filters of `tasks`.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub statuses: Option<Vec<TaskStatus>>,
    pub timeliness: Option<Vec<Timeliness>>,
    pub lead_ministry_id: Option<Uuid>,
    pub involved_ministry_id: Option<Uuid>,
    pub working_group_id: Option<Uuid>,
    pub directive_id: Option<Uuid>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub search: Option<String>,
}

/// Orders of `tasks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum TaskOrderField {
    /// By due date, tasks without one last.
    #[default]
    DueDate,
    /// By code.
    Code,
    /// By creation time.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

/// Tasks in which `ministry` leads or cooperates.
pub fn involving(ministry: Uuid) -> Condition {
    let cooperating = Query::select()
        .column(task_cooperator::Column::TaskId)
        .from(Cooperator)
        .and_where(task_cooperator::Column::MinistryId.eq(ministry))
        .to_owned();
    Condition::any().add(Column::LeadMinistryId.eq(ministry)).add(Column::Id.in_subquery(cooperating))
}

pub fn filtered(filter: &TaskFilter, today: NaiveDate) -> Select<Task> {
    let mut select = Task::find();
    if let Some(statuses) = &filter.statuses {
        select = select.filter(Column::Status.is_in(statuses.iter().copied()));
    }
    if let Some(classes) = &filter.timeliness {
        let any = classes.iter().fold(Condition::any(), |c, class| c.add(timeliness_condition(*class, today)));
        select = select.filter(any);
    }
    if let Some(id) = filter.lead_ministry_id {
        select = select.filter(Column::LeadMinistryId.eq(id));
    }
    if let Some(id) = filter.involved_ministry_id {
        select = select.filter(involving(id));
    }
    if let Some(id) = filter.working_group_id {
        select = select.filter(Column::WorkingGroupId.eq(id));
    }
    if let Some(id) = filter.directive_id {
        select = select.filter(Column::DirectiveId.eq(id));
    }
    if let Some(from) = filter.due_from {
        select = select.filter(Column::DueDate.gte(from));
    }
    if let Some(to) = filter.due_to {
        select = select.filter(Column::DueDate.lte(to));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(Column::SearchText.like(text::like_pattern(term)));
    }
    select
}

/// Whether every task of these classes has a due date.
fn dated_only(classes: &[Timeliness]) -> bool {
    !classes.is_empty() && classes.iter().all(|c| matches!(c, Timeliness::Overdue | Timeliness::DueSoon))
}

/// A page of tasks, reading `columns` of each (and the column of the order, which the cursors
/// read; see `rows`).
pub async fn list(
    state: &AppState,
    filter: &TaskFilter,
    order: TaskOrderField,
    descending: bool,
    args: &PageArgs,
    columns: Columns,
) -> AppResult<Page<task::Model>> {
    let select = filtered(filter, state.clock.today());
    let (key, read): (SortKey, fn(&task::Model) -> KeyValue) = match order {
        // Overdue and due-soon tasks all have a due date: sorting by the column itself lets the
        // `(status, due_date)` index give the order, where the undated fallback would sort them all.
        TaskOrderField::DueDate if filter.timeliness.as_ref().is_some_and(|c| dated_only(c)) => {
            (SortKey::new(Column::DueDate.into_expr(), KeyKind::Date, descending), |m| {
                KeyValue::Date(m.due_date.unwrap_or_else(undated))
            })
        }
        TaskOrderField::DueDate => {
            (date_key(Column::DueDate, descending), |m| KeyValue::Date(m.due_date.unwrap_or_else(undated)))
        }
        TaskOrderField::Code => {
            (SortKey::new(Column::Code.into_expr(), KeyKind::Text, descending), |m| KeyValue::Text(m.code.clone()))
        }
        TaskOrderField::CreatedAt => {
            (SortKey::new(Column::CreatedAt.into_expr(), KeyKind::Time, descending), |m| KeyValue::Time(m.created_at))
        }
        TaskOrderField::UpdatedAt => {
            (SortKey::new(Column::UpdatedAt.into_expr(), KeyKind::Time, descending), |m| KeyValue::Time(m.updated_at))
        }
    };
    let sorted = match order {
        TaskOrderField::DueDate => "due_date",
        TaskOrderField::Code => "code",
        TaskOrderField::CreatedAt => "created_at",
        TaskOrderField::UpdatedAt => "updated_at",
    };
    let columns = columns.with::<task::Model>(sorted).unwrap_or(Columns::ALL);
    paginate_columns(&state.db, select, columns, Column::Id, key, args, |m| (read(m), m.id)).await
}

/// The fields a person sets on a task. On update, `None` leaves a field as it is and an empty
/// string clears it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TaskInput {
    pub code: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub lead_ministry_id: Option<Uuid>,
    pub cooperating_ministry_ids: Option<Vec<Uuid>>,
    pub working_group_id: Option<Uuid>,
    pub directive_id: Option<Uuid>,
    pub focal_person_name: Option<String>,
    pub focal_person_title: Option<String>,
    /// `Some(None)` clears the due date.
    pub due_date: Option<Option<NaiveDate>>,
    pub approving_authority: Option<String>,
    pub expected_output: Option<String>,
    pub resources: Option<String>,
}

fn text_field(field: &str, new: &Option<String>, old: Option<String>, max: usize) -> AppResult<Option<String>> {
    match new {
        None => Ok(old),
        Some(v) => validate::optional(field, Some(v), max),
    }
}

/// Applies `input` over `base`, validating each field; returns the merged model.
async fn merge(
    txn: &DatabaseTransaction,
    state: &AppState,
    base: task::Model,
    input: &TaskInput,
) -> AppResult<task::Model> {
    let mut t = base;
    if let Some(code) = &input.code {
        t.code = validate::required("code", code, 64)?;
    }
    if let Some(title) = &input.title {
        t.title = validate::required("title", title, 1_000)?;
    }
    t.description = text_field("description", &input.description, t.description, validate::LONG)?;
    t.focal_person_name = text_field("focalPersonName", &input.focal_person_name, t.focal_person_name, 200)?;
    t.focal_person_title =
        text_field("focalPersonTitle", &input.focal_person_title, t.focal_person_title, validate::SHORT)?;
    t.approving_authority = text_field("approvingAuthority", &input.approving_authority, t.approving_authority, 1_000)?;
    t.expected_output = text_field("expectedOutput", &input.expected_output, t.expected_output, validate::LONG)?;
    t.resources = text_field("resources", &input.resources, t.resources, validate::LONG)?;
    if let Some(due) = input.due_date {
        if let Some(date) = due {
            if Some(date) != t.due_date && date < state.clock.today() {
                return Err(AppError::bad_input(
                    "dueDate",
                    format!("{date} is in the past (today in Vietnam is {})", state.clock.today()),
                ));
            }
        }
        t.due_date = due;
    }
    if let Some(id) = input.lead_ministry_id {
        t.lead_ministry_id = ministries::require_id(txn, "leadMinistryId", id).await?.id;
    }
    if let Some(id) = input.working_group_id {
        t.working_group_id = Some(find::<_, entity::working_group::Entity>(txn, id, "working group").await?.id);
    }
    if let Some(id) = input.directive_id {
        t.directive_id = Some(find::<_, entity::directive::Entity>(txn, id, "directive").await?.id);
    }
    t.search_text = text::search_text([
        Some(t.code.as_str()),
        Some(t.title.as_str()),
        t.description.as_deref(),
        t.focal_person_name.as_deref(),
        t.expected_output.as_deref(),
    ]);
    Ok(t)
}

/// Checks and replaces the cooperating ministries; the lead cannot also cooperate.
async fn set_cooperators(txn: &DatabaseTransaction, task: &task::Model, ids: &[Uuid]) -> AppResult<()> {
    let unique: BTreeSet<Uuid> = ids.iter().copied().collect();
    if unique.contains(&task.lead_ministry_id) {
        return Err(AppError::bad_input(
            "cooperatingMinistryIds",
            "the lead ministry cannot also be a cooperating ministry",
        ));
    }
    if unique.len() > 100 {
        return Err(AppError::bad_input("cooperatingMinistryIds", "at most 100 ministries"));
    }
    for id in &unique {
        ministries::require_id(txn, "cooperatingMinistryIds", *id).await?;
    }
    Cooperator::delete_many().filter(task_cooperator::Column::TaskId.eq(task.id)).exec(txn).await?;
    if !unique.is_empty() {
        let rows = unique.iter().map(|m| task_cooperator::ActiveModel { task_id: Set(task.id), ministry_id: Set(*m) });
        Cooperator::insert_many(rows).exec(txn).await?;
    }
    Ok(())
}

pub async fn cooperator_ids<C: ConnectionTrait>(conn: &C, task_id: Uuid) -> AppResult<Vec<Uuid>> {
    let rows = Cooperator::find().filter(task_cooperator::Column::TaskId.eq(task_id)).all(conn).await?;
    Ok(rows.into_iter().map(|r| r.ministry_id).collect())
}

fn random_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..6).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("NV-{suffix}")
}

fn changes(t: &task::Model, version: i32, now: chrono::DateTime<chrono::Utc>) -> task::ActiveModel {
    task::ActiveModel {
        code: Set(t.code.clone()),
        title: Set(t.title.clone()),
        description: Set(t.description.clone()),
        status: Set(t.status),
        lead_ministry_id: Set(t.lead_ministry_id),
        working_group_id: Set(t.working_group_id),
        directive_id: Set(t.directive_id),
        focal_person_name: Set(t.focal_person_name.clone()),
        focal_person_title: Set(t.focal_person_title.clone()),
        due_date: Set(t.due_date),
        approving_authority: Set(t.approving_authority.clone()),
        expected_output: Set(t.expected_output.clone()),
        resources: Set(t.resources.clone()),
        completed_at: Set(t.completed_at),
        completed_on_time: Set(t.completed_on_time),
        cancel_reason: Set(t.cancel_reason.clone()),
        search_text: Set(t.search_text.clone()),
        version: Set(version),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// A snapshot with the cooperating ministries, for audit events.
async fn audit_view<C: ConnectionTrait>(conn: &C, t: &task::Model) -> AppResult<Option<serde_json::Value>> {
    let mut value = snapshot(t);
    if let Some(serde_json::Value::Object(map)) = &mut value {
        let ids = cooperator_ids(conn, t.id).await?;
        map.insert("cooperatingMinistryIds".into(), serde_json::json!(ids));
    }
    Ok(value)
}

pub async fn create(state: &AppState, actor: &Actor, input: TaskInput) -> AppResult<task::Model> {
    actor.principal.require(Action::ManageTasks)?;
    let title = input.title.clone().ok_or_else(|| AppError::bad_input("title", "is required"))?;
    let lead = input.lead_ministry_id.ok_or_else(|| AppError::bad_input("leadMinistryId", "is required"))?;
    let now = state.clock.now();
    let (_writer, txn) = state.begin_write().await?;
    let blank = task::Model {
        id: Uuid::new_v4(),
        code: random_code(),
        title,
        description: None,
        status: TaskStatus::Draft,
        lead_ministry_id: lead,
        working_group_id: None,
        directive_id: None,
        focal_person_name: None,
        focal_person_title: None,
        due_date: None,
        approving_authority: None,
        expected_output: None,
        resources: None,
        completed_at: None,
        completed_on_time: None,
        cancel_reason: None,
        search_text: String::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let t = merge(&txn, state, blank, &input).await?;
    if Task::find().filter(Column::Code.eq(t.code.clone())).one(&txn).await?.is_some() {
        return Err(AppError::Conflict(format!("a task with code `{}` already exists", t.code)));
    }
    let model = task::ActiveModel::from(t).insert(&txn).await?;
    set_cooperators(&txn, &model, input.cooperating_ministry_ids.as_deref().unwrap_or_default()).await?;
    let change = Change {
        operation: "createTask",
        object_type: "Task",
        object_id: Some(model.id),
        before: None,
        after: audit_view(&txn, &model).await?,
    };
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(model)
}

/// A change of a task in progress: its transaction, the row as it was, and its audit view.
struct Opened {
    _writer: crate::db::WriteGuard,
    txn: DatabaseTransaction,
    before: task::Model,
    before_view: Option<serde_json::Value>,
}

async fn open_task(state: &AppState, id: Uuid, expected: i32) -> AppResult<Opened> {
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, Task>(&txn, id, "task").await?;
    check_version(before.version, expected, "task")?;
    let before_view = audit_view(&txn, &before).await?;
    Ok(Opened { _writer, txn, before, before_view })
}

/// Writes `next` under optimistic locking, with its audit event, and commits.
async fn finish_task(
    state: &AppState,
    actor: &Actor,
    opened: Opened,
    next: task::Model,
    operation: &str,
) -> AppResult<task::Model> {
    let Opened { _writer, txn, before, before_view } = opened;
    let now = state.clock.now();
    let expected = before.version;
    update_versioned(
        &txn,
        changes(&next, expected + 1, now),
        (Column::Id, before.id),
        (Column::Version, expected),
        "task",
    )
    .await?;
    let after = find::<_, Task>(&txn, before.id, "task").await?;
    let change = Change {
        operation,
        object_type: "Task",
        object_id: Some(before.id),
        before: before_view,
        after: audit_view(&txn, &after).await?,
    };
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Runs a change that needs no further reads.
async fn change_task(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    operation: &str,
    apply: impl FnOnce(task::Model) -> AppResult<task::Model>,
) -> AppResult<task::Model> {
    let opened = open_task(state, id, expected).await?;
    let next = apply(opened.before.clone())?;
    finish_task(state, actor, opened, next, operation).await
}

fn refuse_closed(t: &task::Model, action: &str) -> AppResult<()> {
    if matches!(t.status, TaskStatus::Completed | TaskStatus::Cancelled) {
        return Err(AppError::InvalidTransition(format!("a {} task cannot be {action}", t.status)));
    }
    Ok(())
}

fn incomplete(missing: &[ClarityItem], what: &str) -> AppError {
    let missing: Vec<String> = missing.iter().map(|m| m.name().to_owned()).collect();
    let message = format!("{what}; \"7 rõ\" items missing: {}", missing.join(", "));
    AppError::IncompleteTask { missing, message }
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    input: TaskInput,
) -> AppResult<task::Model> {
    actor.principal.require(Action::ManageTasks)?;
    let opened = open_task(state, id, expected).await?;
    let txn = &opened.txn;
    refuse_closed(&opened.before, "changed")?;
    let next = merge(txn, state, opened.before.clone(), &input).await?;
    if input.code.is_some() {
        let clash =
            Task::find().filter(Column::Code.eq(next.code.clone())).filter(Column::Id.ne(next.id)).one(txn).await?;
        if clash.is_some() {
            return Err(AppError::Conflict(format!("a task with code `{}` already exists", next.code)));
        }
    }
    // An issued task may still lack items (tasks seeded from higher directives do); an edit may
    // fill them in but not take away one it has.
    let had = missing_clarity(&opened.before);
    let lost: Vec<ClarityItem> = missing_clarity(&next).into_iter().filter(|m| !had.contains(m)).collect();
    if opened.before.status == TaskStatus::Active && !lost.is_empty() {
        return Err(incomplete(&lost, "an issued task must stay clear: this change would unset items it has"));
    }
    if let Some(ids) = &input.cooperating_ministry_ids {
        set_cooperators(txn, &next, ids).await?;
    } else if input.lead_ministry_id.is_some() {
        let current = cooperator_ids(txn, next.id).await?;
        set_cooperators(txn, &next, &current).await?;
    }
    finish_task(state, actor, opened, next, "updateTask").await
}

pub async fn issue(state: &AppState, actor: &Actor, id: Uuid, expected: i32) -> AppResult<task::Model> {
    actor.principal.require(Action::ManageTasks)?;
    let today = state.clock.today();
    change_task(state, actor, id, expected, "issueTask", |mut t| {
        if t.status != TaskStatus::Draft {
            return Err(AppError::InvalidTransition(format!(
                "only a DRAFT task can be issued; this one is {}",
                t.status
            )));
        }
        let missing = missing_clarity(&t);
        if !missing.is_empty() {
            return Err(incomplete(&missing, "the task cannot be issued until all seven items are set"));
        }
        if t.due_date.is_some_and(|d| d < today) {
            return Err(AppError::bad_input("dueDate", "is in the past; set a new due date before issuing"));
        }
        t.status = TaskStatus::Active;
        Ok(t)
    })
    .await
}

pub async fn complete(state: &AppState, actor: &Actor, id: Uuid, expected: i32) -> AppResult<task::Model> {
    actor.principal.require(Action::CloseTasks)?;
    let now = state.clock.now();
    let today = state.clock.today();
    change_task(state, actor, id, expected, "completeTask", |mut t| {
        if t.status != TaskStatus::Active {
            return Err(AppError::InvalidTransition(format!(
                "only an ACTIVE task can be completed; this one is {}",
                t.status
            )));
        }
        t.status = TaskStatus::Completed;
        t.completed_at = Some(now);
        t.completed_on_time = Some(t.due_date.is_none_or(|due| today <= due));
        Ok(t)
    })
    .await
}

pub async fn cancel(state: &AppState, actor: &Actor, id: Uuid, expected: i32, reason: &str) -> AppResult<task::Model> {
    actor.principal.require(Action::CloseTasks)?;
    let reason = validate::required("reason", reason, validate::LONG)?;
    change_task(state, actor, id, expected, "cancelTask", |mut t| {
        refuse_closed(&t, "cancelled")?;
        t.status = TaskStatus::Cancelled;
        t.cancel_reason = Some(reason);
        Ok(t)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn task(status: TaskStatus, due: Option<NaiveDate>) -> task::Model {
        task::Model {
            id: Uuid::new_v4(),
            code: "T".into(),
            title: "Title".into(),
            description: None,
            status,
            lead_ministry_id: Uuid::new_v4(),
            working_group_id: None,
            directive_id: None,
            focal_person_name: None,
            focal_person_title: None,
            due_date: due,
            approving_authority: None,
            expected_output: None,
            resources: None,
            completed_at: None,
            completed_on_time: None,
            cancel_reason: None,
            search_text: String::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn timeliness_classes() {
        let today = d(2026, 4, 20);
        assert_eq!(timeliness(&task(TaskStatus::Active, Some(d(2026, 4, 19))), today), Some(Timeliness::Overdue));
        assert_eq!(timeliness(&task(TaskStatus::Active, Some(d(2026, 4, 20))), today), Some(Timeliness::DueSoon));
        assert_eq!(timeliness(&task(TaskStatus::Active, Some(d(2026, 4, 27))), today), Some(Timeliness::DueSoon));
        assert_eq!(timeliness(&task(TaskStatus::Active, Some(d(2026, 4, 28))), today), Some(Timeliness::OnSchedule));
        assert_eq!(timeliness(&task(TaskStatus::Draft, Some(d(2026, 4, 1))), today), None);
        let mut done = task(TaskStatus::Completed, Some(d(2026, 4, 1)));
        done.completed_on_time = Some(false);
        assert_eq!(timeliness(&done, today), Some(Timeliness::CompletedLate));
    }

    #[test]
    fn clarity_lists_what_is_missing() {
        let mut t = task(TaskStatus::Draft, None);
        assert_eq!(
            missing_clarity(&t),
            vec![
                ClarityItem::Person,
                ClarityItem::Work,
                ClarityItem::Time,
                ClarityItem::Authority,
                ClarityItem::Product,
                ClarityItem::Resources
            ]
        );
        t.focal_person_name = Some("Nguyễn Văn A".into());
        t.focal_person_title = Some("Vụ trưởng".into());
        t.description = Some("…".into());
        t.due_date = Some(d(2026, 4, 30));
        t.approving_authority = Some("Thủ tướng Chính phủ ban hành".into());
        t.directive_id = Some(Uuid::new_v4());
        t.expected_output = Some("Quyết định".into());
        t.resources = Some("Ngân sách thường xuyên".into());
        assert!(missing_clarity(&t).is_empty());
    }
}
