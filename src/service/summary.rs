//! The monthly summary that the Working Group sends to the Steering Committee: tasks in the four
//! classes of government task tracking, missing and late reports, overdue tasks, unresolved
//! blockers by severity and age, and a row per ministry.
//!
//! Each part is its own aggregate query, run only when asked for, so a dashboard that shows the
//! counts does not read the rows behind them. The aggregates' texts are built once (see
//! `statements`): a dashboard refreshes all day with the same six shapes of statement.

use super::periods::{Period, PeriodWindow};
use super::statements::{self, Shape};
use super::tasks::{timeliness_condition, Timeliness, DUE_SOON_DAYS};
use super::{find, AppState};
use crate::error::AppResult;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{ReportStatus, Severity, TaskStatus};
use entity::monthly_report::{self, Entity as Report};
use entity::task::{self, Entity as Task};
use entity::working_group_member::{self, Entity as Member};
use entity::{blocker, blocker::Entity as Blocker};
use rustc_hash::FxHashMap;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    Value,
};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Tasks counted as government task tracking counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub completed_on_time: u64,
    pub completed_late: u64,
    /// Active and within the deadline (on schedule or due soon).
    pub in_progress_on_time: u64,
    pub overdue: u64,
    /// Of the in-progress ones, those due within 7 days.
    pub due_soon: u64,
}

/// Unresolved blockers by severity and by age.
#[derive(Clone, Debug, Default)]
pub struct BlockerCounts {
    pub total: u64,
    pub by_severity: BTreeMap<Severity, u64>,
    pub under_7_days: u64,
    pub from_7_to_30_days: u64,
    pub over_30_days: u64,
    pub oldest_days: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct MinistryRow {
    pub ministry_id: Uuid,
    pub expected: u64,
    pub submitted: u64,
    pub missing: u64,
    pub late: u64,
    pub open_blockers: u64,
}

/// What a summary is about: a working group, a period, and the day it is computed for.
#[derive(Clone, Debug)]
pub struct Scope {
    pub working_group_id: Uuid,
    pub window: PeriodWindow,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl Scope {
    fn period(&self) -> String {
        self.window.period.to_string()
    }
}

pub async fn scope(state: &AppState, working_group_id: Uuid, period: &str) -> AppResult<Scope> {
    let period = Period::parse("period", period)?;
    find::<_, entity::working_group::Entity>(&state.db, working_group_id, "working group").await?;
    Ok(Scope {
        working_group_id,
        window: PeriodWindow::new(period, &state.periods),
        today: state.clock.today(),
        now: state.clock.now(),
    })
}

/// The tasks of the working group, as a subquery.
fn group_tasks(scope: &Scope) -> SelectStatement {
    Query::select()
        .column(task::Column::Id)
        .from(Task)
        .and_where(task::Column::WorkingGroupId.eq(scope.working_group_id))
        .to_owned()
}

/// Submitted (not draft) reports of the period on the group's tasks.
fn submitted(scope: &Scope) -> Condition {
    Condition::all()
        .add(monthly_report::Column::Period.eq(scope.period()))
        .add(monthly_report::Column::Status.ne(ReportStatus::Draft))
        .add(monthly_report::Column::TaskId.in_subquery(group_tasks(scope)))
}

fn n(v: Option<i64>) -> u64 {
    u64::try_from(v.unwrap_or(0)).unwrap_or(0)
}

/// The working group's tasks per lead ministry, from the tallies the database keeps (a row per
/// lead ministry, status and on-time flag, whatever the number of tasks).
#[derive(Clone, Debug, Default)]
pub struct TaskAggregate {
    /// Every ministry that leads a task of the group, with the number of its active tasks.
    pub active_by_lead: FxHashMap<Uuid, u64>,
    pub completed_on_time: u64,
    pub completed_late: u64,
    pub active: u64,
}

/// Active tasks by due date against today: overdue, and due within 7 days.
#[derive(Clone, Copy, Debug, Default)]
pub struct DueCounts {
    pub overdue: u64,
    pub due_soon: u64,
}

impl TaskAggregate {
    pub fn totals(&self, due: DueCounts) -> TaskCounts {
        TaskCounts {
            completed_on_time: self.completed_on_time,
            completed_late: self.completed_late,
            in_progress_on_time: self.active.saturating_sub(due.overdue),
            overdue: due.overdue,
            due_soon: due.due_soon,
        }
    }
}

/// A one-row, one-column query as a value in another query's select list.
fn scalar(query: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(query.into()))
}

/// The statement `build` makes, from its text kept after the first run (see `statements`):
/// `values` are the ones it binds, in order.
fn kept(
    state: &AppState,
    query: &'static str,
    values: Vec<Value>,
    build: impl FnOnce() -> SelectStatement,
) -> Statement {
    let backend = state.db.get_database_backend();
    let shape = Shape { query, table: "summary", columns: 0, count: 0 };
    statements::statement(backend, shape, values, || backend.build(&build()))
}

fn text(s: &str) -> Value {
    Value::from(s)
}

pub async fn task_aggregate(state: &AppState, scope: &Scope) -> AppResult<TaskAggregate> {
    let (active, completed) = (text(TaskStatus::Active.as_str()), text(TaskStatus::Completed.as_str()));
    let values = vec![
        active,
        0.into(),
        completed.clone(),
        true.into(),
        0.into(),
        completed,
        false.into(),
        0.into(),
        scope.working_group_id.into(),
        0.into(),
    ];
    let statement = kept(state, "task aggregate", values, || task_query(scope));
    let mut agg = TaskAggregate::default();
    for row in state.db.query_all_raw(statement).await? {
        let lead: Uuid = row.try_get_by_index(0)?;
        let active = n(row.try_get_by_index(1)?);
        agg.active_by_lead.insert(lead, active);
        agg.active += active;
        agg.completed_on_time += n(row.try_get_by_index(2)?);
        agg.completed_late += n(row.try_get_by_index(3)?);
    }
    Ok(agg)
}

fn task_query(scope: &Scope) -> SelectStatement {
    let table = Alias::new("task_tallies");
    let col = |c: &str| Expr::col((table.clone(), Alias::new(c)));
    let sum_if = |c: Condition| Expr::from(Func::sum(Expr::case(c, col("n")).finally(0)));
    let completed = |on_time: bool| {
        sum_if(
            Condition::all()
                .add(col("status").eq(TaskStatus::Completed.as_str()))
                .add(col("completed_on_time").eq(on_time)),
        )
    };
    // One row per lead ministry: the table's key is ordered by lead within a group.
    Query::select()
        .expr(col("lead_ministry_id"))
        .expr(sum_if(Condition::all().add(col("status").eq(TaskStatus::Active.as_str()))))
        .expr(completed(true))
        .expr(completed(false))
        .from(table.clone())
        .and_where(col("working_group_id").eq(scope.working_group_id))
        .add_group_by([col("lead_ministry_id")])
        .and_having(Expr::from(Func::sum(col("n"))).gt(0))
        .to_owned()
}

/// Overdue and due-soon counts, as two range counts over the `(working_group_id, status,
/// due_date)` index: they depend on today, so no tally can hold them.
pub async fn due_counts(state: &AppState, scope: &Scope) -> AppResult<DueCounts> {
    let (group, active, today) =
        (Value::from(scope.working_group_id), text(TaskStatus::Active.as_str()), Value::from(scope.today));
    let soon = scope.today + Duration::days(DUE_SOON_DAYS);
    let values = vec![group.clone(), active.clone(), today.clone(), group, active, today, soon.into()];
    let statement = kept(state, "due counts", values, || {
        let count = |c: Condition| {
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(Task)
                .cond_where(Condition::all().add(task::Column::WorkingGroupId.eq(scope.working_group_id)).add(c))
                .to_owned()
        };
        Query::select()
            .expr(scalar(count(timeliness_condition(Timeliness::Overdue, scope.today))))
            .expr(scalar(count(timeliness_condition(Timeliness::DueSoon, scope.today))))
            .to_owned()
    });
    let Some(row) = state.db.query_one_raw(statement).await? else { return Ok(DueCounts::default()) };
    Ok(DueCounts { overdue: n(row.try_get_by_index(0)?), due_soon: n(row.try_get_by_index(1)?) })
}

/// Submitted reports of the period per ministry: (submitted, late, on active tasks it leads).
#[derive(Clone, Debug, Default)]
pub struct ReportAggregate {
    pub by_ministry: FxHashMap<Uuid, (u64, u64, u64)>,
}

pub async fn report_aggregate(state: &AppState, scope: &Scope) -> AppResult<ReportAggregate> {
    let values = vec![
        true.into(),
        1.into(),
        0.into(),
        text(TaskStatus::Active.as_str()),
        1.into(),
        0.into(),
        scope.period().into(),
        text(ReportStatus::Draft.as_str()),
        scope.working_group_id.into(),
    ];
    let statement = kept(state, "report aggregate", values, || report_query(scope));
    let rows = state.db.query_all_raw(statement).await?;
    let mut by_ministry = FxHashMap::with_capacity_and_hasher(rows.len(), Default::default());
    for row in rows {
        let id: Uuid = row.try_get_by_index(0)?;
        let submitted: i64 = row.try_get_by_index(1)?;
        let late: Option<i64> = row.try_get_by_index(2)?;
        let lead: Option<i64> = row.try_get_by_index(3)?;
        by_ministry.insert(id, (n(Some(submitted)), n(late), n(lead)));
    }
    Ok(ReportAggregate { by_ministry })
}

fn report_query(scope: &Scope) -> SelectStatement {
    let (r, t) = (Alias::new("r"), Alias::new("t"));
    let late = Func::sum(Expr::case(Expr::col((r.clone(), monthly_report::Column::Late)).eq(true), 1).finally(0));
    let as_lead = Func::sum(
        Expr::case(
            Condition::all()
                .add(
                    Expr::col((r.clone(), monthly_report::Column::MinistryId))
                        .equals((t.clone(), task::Column::LeadMinistryId)),
                )
                .add(Expr::col((t.clone(), task::Column::Status)).eq(TaskStatus::Active.as_str())),
            1,
        )
        .finally(0),
    );
    Query::select()
        .column((r.clone(), monthly_report::Column::MinistryId))
        .expr(Expr::col((r.clone(), monthly_report::Column::Id)).count())
        .expr(late)
        .expr(as_lead)
        .from_as(Report, r.clone())
        .join_as(
            sea_orm::sea_query::JoinType::InnerJoin,
            Task,
            t.clone(),
            Expr::col((t.clone(), task::Column::Id)).equals((r.clone(), monthly_report::Column::TaskId)),
        )
        .and_where(Expr::col((r.clone(), monthly_report::Column::Period)).eq(scope.period()))
        .and_where(Expr::col((r.clone(), monthly_report::Column::Status)).ne(ReportStatus::Draft.as_str()))
        .and_where(Expr::col((t, task::Column::WorkingGroupId)).eq(scope.working_group_id))
        .group_by_col((r, monthly_report::Column::MinistryId))
        .to_owned()
}

/// Unresolved blockers by holder (the responsible ministry once forwarded, else the raiser) and
/// severity, from the tallies the database keeps.
#[derive(Clone, Debug, Default)]
pub struct BlockerAggregate {
    pub total: u64,
    pub by_severity: BTreeMap<Severity, u64>,
    pub by_holder: FxHashMap<Uuid, u64>,
}

pub async fn blocker_aggregate(state: &AppState) -> AppResult<BlockerAggregate> {
    let statement = kept(state, "blocker aggregate", vec![text(""), 0.into(), 0.into()], blocker_query);
    let mut agg = BlockerAggregate::default();
    for row in state.db.query_all_raw(statement).await? {
        let holder: Option<Uuid> = row.try_get_by_index(0)?;
        let severity: String = row.try_get_by_index(1)?;
        let count = n(row.try_get_by_index(2)?);
        match (holder, Severity::parse(&severity)) {
            (Some(holder), _) => {
                agg.by_holder.insert(holder, count);
                agg.total += count;
            }
            (None, Some(severity)) => {
                agg.by_severity.insert(severity, count);
            }
            (None, None) => {}
        }
    }
    Ok(agg)
}

fn blocker_query() -> SelectStatement {
    use sea_orm::sea_query::UnionType;
    let table = Alias::new("blocker_tallies");
    let col = |c: &str| Expr::col((table.clone(), Alias::new(c)));
    let total = || Expr::from(Func::sum(col("n")));
    // A row per holder (with an empty severity), then a row per severity (with no holder).
    let by = |holder: Expr, severity: Expr, key: &str| {
        Query::select()
            .expr(holder)
            .expr(severity)
            .expr(total())
            .from(table.clone())
            .add_group_by([col(key)])
            .and_having(total().gt(0))
            .to_owned()
    };
    by(col("holder_ministry_id"), Expr::val(""), "holder_ministry_id")
        .union(UnionType::All, by(Expr::cust("NULL"), col("severity"), "severity"))
        .to_owned()
}

/// Unresolved blockers by age: the ones raised in the last 7 and 30 days are range counts over
/// the `(status, created_at)` index; the oldest is the first entry of the index of unresolved
/// blockers in creation order (on SQLite the partial `ix_blockers_open_created`, on PostgreSQL
/// the index on `unresolved, created_at`).
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockerAges {
    pub under_7_days: u64,
    pub under_30_days: u64,
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn blocker_ages(state: &AppState, scope: &Scope) -> AppResult<BlockerAges> {
    let backend = state.db.get_database_backend();
    let mut values = Vec::new();
    for days in [7, 30] {
        values.extend(super::blockers::UNRESOLVED.iter().map(|s| text(s.as_str())));
        values.push((scope.now - Duration::days(days)).into());
    }
    if backend != sea_orm::DbBackend::Sqlite {
        // PostgreSQL's generated `unresolved = true`; SQLite's list is in the text.
        values.push(true.into());
    }
    let statement = kept(state, "blocker ages", values, || {
        let since = |days: i64| {
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(Blocker)
                .and_where(blocker::Column::Status.is_in(super::blockers::UNRESOLVED))
                .and_where(blocker::Column::CreatedAt.gt(scope.now - Duration::days(days)))
                .to_owned()
        };
        let oldest = Query::select()
            .expr(blocker::Column::CreatedAt.min())
            .from(Blocker)
            .and_where(super::blockers::unresolved(backend))
            .to_owned();
        Query::select().expr(scalar(since(7))).expr(scalar(since(30))).expr(scalar(oldest)).to_owned()
    });
    let Some(row) = state.db.query_one_raw(statement).await? else { return Ok(BlockerAges::default()) };
    Ok(BlockerAges {
        under_7_days: n(row.try_get_by_index(0)?),
        under_30_days: n(row.try_get_by_index(1)?),
        oldest: row.try_get_by_index(2)?,
    })
}

impl BlockerAggregate {
    pub fn counts(&self, ages: BlockerAges, now: DateTime<Utc>) -> BlockerCounts {
        BlockerCounts {
            total: self.total,
            by_severity: self.by_severity.clone(),
            under_7_days: ages.under_7_days,
            from_7_to_30_days: ages.under_30_days.saturating_sub(ages.under_7_days),
            over_30_days: self.total.saturating_sub(ages.under_30_days),
            oldest_days: ages.oldest.map(|o| (now - o).num_days()),
        }
    }
}

/// How many expected reports are missing: active tasks minus those their lead reported on.
pub fn missing_total(tasks: &TaskAggregate, reports: &ReportAggregate) -> u64 {
    tasks
        .active_by_lead
        .iter()
        .map(|(lead, active)| active.saturating_sub(reports.by_ministry.get(lead).map_or(0, |r| r.2)))
        .sum()
}

pub async fn members(state: &AppState, scope: &Scope) -> AppResult<Vec<Uuid>> {
    let statement = kept(state, "members", vec![scope.working_group_id.into()], || {
        Member::find()
            .select_only()
            .column(working_group_member::Column::MinistryId)
            .filter(working_group_member::Column::WorkingGroupId.eq(scope.working_group_id))
            .into_query()
    });
    let mut members = Vec::new();
    for row in state.db.query_all_raw(statement).await? {
        members.extend(row.try_get_by_index::<Option<Uuid>>(0)?);
    }
    Ok(members)
}

/// A row per member ministry of the group and per lead ministry of its tasks.
pub fn ministry_rows(
    members: &[Uuid],
    tasks: &TaskAggregate,
    reports: &ReportAggregate,
    blockers: &BlockerAggregate,
) -> Vec<MinistryRow> {
    let mut ids: BTreeSet<Uuid> = members.iter().copied().collect();
    ids.extend(tasks.active_by_lead.keys().copied());
    ids.into_iter()
        .map(|m| {
            let active = tasks.active_by_lead.get(&m).copied().unwrap_or(0);
            let (submitted, late, as_lead) = reports.by_ministry.get(&m).copied().unwrap_or_default();
            MinistryRow {
                ministry_id: m,
                expected: active,
                submitted,
                missing: active.saturating_sub(as_lead),
                late,
                open_blockers: blockers.by_holder.get(&m).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// Active tasks of the group whose lead ministry has not submitted this period's report.
fn missing_condition(scope: &Scope) -> Condition {
    let reported = Query::select()
        .expr(Expr::val(1))
        .from(Report)
        .and_where(Expr::col((Report, monthly_report::Column::TaskId)).equals((Task, task::Column::Id)))
        .and_where(Expr::col((Report, monthly_report::Column::MinistryId)).equals((Task, task::Column::LeadMinistryId)))
        .and_where(Expr::col((Report, monthly_report::Column::Period)).eq(scope.period()))
        .and_where(Expr::col((Report, monthly_report::Column::Status)).ne(ReportStatus::Draft.as_str()))
        .to_owned();
    Condition::all()
        .add(task::Column::WorkingGroupId.eq(scope.working_group_id))
        .add(task::Column::Status.eq(TaskStatus::Active))
        .add(Expr::exists(reported).not())
}

/// (task, ministry) pairs with no submitted report, in task code order.
pub async fn missing_reports(state: &AppState, scope: &Scope) -> AppResult<Vec<(Uuid, Uuid)>> {
    Ok(Task::find()
        .select_only()
        .columns([task::Column::Id, task::Column::LeadMinistryId])
        .filter(missing_condition(scope))
        .order_by_asc(task::Column::Code)
        .into_tuple()
        .all(&state.db)
        .await?)
}

pub async fn late_reports(state: &AppState, scope: &Scope) -> AppResult<Vec<monthly_report::Model>> {
    Ok(Report::find()
        .filter(submitted(scope))
        .filter(monthly_report::Column::Late.eq(true))
        .order_by_asc(monthly_report::Column::SubmittedAt)
        .all(&state.db)
        .await?)
}

pub async fn overdue_tasks(state: &AppState, scope: &Scope) -> AppResult<Vec<task::Model>> {
    Ok(Task::find()
        .filter(task::Column::WorkingGroupId.eq(scope.working_group_id))
        .filter(timeliness_condition(Timeliness::Overdue, scope.today))
        .order_by_asc(task::Column::DueDate)
        .order_by_asc(task::Column::Code)
        .all(&state.db)
        .await?)
}

/// The whole summary, for documents.
pub struct MonthlySummary {
    pub window: PeriodWindow,
    pub as_of: NaiveDate,
    pub tasks: TaskCounts,
    pub missing_reports: Vec<(Uuid, Uuid)>,
    pub late_reports: Vec<monthly_report::Model>,
    pub overdue_tasks: Vec<task::Model>,
    pub blockers: BlockerCounts,
    pub ministries: Vec<MinistryRow>,
}

pub async fn monthly(state: &AppState, working_group_id: Uuid, period: &str) -> AppResult<MonthlySummary> {
    let s = scope(state, working_group_id, period).await?;
    let (tasks, reports, blockers) =
        (task_aggregate(state, &s).await?, report_aggregate(state, &s).await?, blocker_aggregate(state).await?);
    let (due, ages) = (due_counts(state, &s).await?, blocker_ages(state, &s).await?);
    Ok(MonthlySummary {
        tasks: tasks.totals(due),
        missing_reports: missing_reports(state, &s).await?,
        late_reports: late_reports(state, &s).await?,
        overdue_tasks: overdue_tasks(state, &s).await?,
        ministries: ministry_rows(&members(state, &s).await?, &tasks, &reports, &blockers),
        blockers: blockers.counts(ages, s.now),
        as_of: s.today,
        window: s.window,
    })
}
