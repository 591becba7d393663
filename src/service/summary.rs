//! The monthly summary that the Working Group sends to the Steering Committee: tasks in the four
//! classes of government task tracking, missing and late reports, overdue tasks, unresolved
//! blockers by severity and age, and a row per ministry.
//!
//! Each part is its own aggregate query, run only when asked for, so a dashboard that shows the
//! counts does not read the rows behind them.

use super::blockers::UNRESOLVED;
use super::periods::{Period, PeriodWindow};
use super::tasks::{timeliness_condition, Timeliness};
use super::{find, AppState};
use crate::error::AppResult;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{ReportStatus, Severity, TaskStatus};
use entity::monthly_report::{self, Entity as Report};
use entity::task::{self, Entity as Task};
use entity::working_group_member::{self, Entity as Member};
use entity::{blocker, blocker::Entity as Blocker};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

pub async fn task_counts(state: &AppState, scope: &Scope) -> AppResult<TaskCounts> {
    let count =
        |class: Timeliness| Expr::from(Func::sum(Expr::case(timeliness_condition(class, scope.today), 1).finally(0)));
    let row: Option<(Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>)> = Task::find()
        .select_only()
        .column_as(count(Timeliness::CompletedOnTime), "a")
        .column_as(count(Timeliness::CompletedLate), "b")
        .column_as(count(Timeliness::OnSchedule), "c")
        .column_as(count(Timeliness::DueSoon), "d")
        .column_as(count(Timeliness::Overdue), "e")
        .filter(task::Column::WorkingGroupId.eq(scope.working_group_id))
        .into_tuple()
        .one(&state.db)
        .await?;
    let (a, b, c, d, e) = row.unwrap_or_default();
    Ok(TaskCounts {
        completed_on_time: n(a),
        completed_late: n(b),
        in_progress_on_time: n(c) + n(d),
        overdue: n(e),
        due_soon: n(d),
    })
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

pub async fn missing_count(state: &AppState, scope: &Scope) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(Task::find().filter(missing_condition(scope)).count(&state.db).await?)
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

pub async fn blocker_counts(state: &AppState, scope: &Scope) -> AppResult<BlockerCounts> {
    let unresolved = blocker::Column::Status.is_in(UNRESOLVED);
    let by_severity: Vec<(Severity, i64)> = Blocker::find()
        .select_only()
        .column(blocker::Column::Severity)
        .column_as(blocker::Column::Id.count(), "n")
        .filter(unresolved.clone())
        .group_by(blocker::Column::Severity)
        .into_tuple()
        .all(&state.db)
        .await?;
    let week = scope.now - Duration::days(7);
    let month = scope.now - Duration::days(30);
    let newer =
        |since: DateTime<Utc>| Expr::from(Func::sum(Expr::case(blocker::Column::CreatedAt.gt(since), 1).finally(0)));
    let ages: Option<(Option<i64>, Option<i64>, Option<DateTime<Utc>>)> = Blocker::find()
        .select_only()
        .column_as(newer(week), "week")
        .column_as(newer(month), "month")
        .column_as(blocker::Column::CreatedAt.min(), "oldest")
        .filter(unresolved)
        .into_tuple()
        .one(&state.db)
        .await?;
    let (week_n, month_n, oldest) = ages.unwrap_or_default();
    let total: u64 = by_severity.iter().map(|(_, c)| n(Some(*c))).sum();
    Ok(BlockerCounts {
        total,
        by_severity: by_severity.into_iter().map(|(s, c)| (s, n(Some(c)))).collect(),
        under_7_days: n(week_n),
        from_7_to_30_days: n(month_n) - n(week_n),
        over_30_days: total - n(month_n),
        oldest_days: oldest.map(|o| (scope.now - o).num_days()),
    })
}

async fn grouped(state: &AppState, query: SelectStatement) -> AppResult<HashMap<Uuid, (i64, i64)>> {
    use sea_orm::ConnectionTrait;
    let rows = state.db.query_all(&query).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get_by_index(0)?;
        let a: i64 = row.try_get_by_index(1)?;
        let b: Option<i64> = row.try_get_by_index(2).ok();
        out.insert(id, (a, b.unwrap_or(0)));
    }
    Ok(out)
}

/// A row per member ministry of the group and per lead ministry of its tasks.
pub async fn ministry_rows(state: &AppState, scope: &Scope) -> AppResult<Vec<MinistryRow>> {
    let members: Vec<Option<Uuid>> = Member::find()
        .select_only()
        .column(working_group_member::Column::MinistryId)
        .filter(working_group_member::Column::WorkingGroupId.eq(scope.working_group_id))
        .into_tuple()
        .all(&state.db)
        .await?;
    let one = Alias::new("n");
    let expected = grouped(
        state,
        Query::select()
            .column(task::Column::LeadMinistryId)
            .expr_as(Expr::col(task::Column::Id).count(), one.clone())
            .from(Task)
            .and_where(task::Column::WorkingGroupId.eq(scope.working_group_id))
            .and_where(task::Column::Status.eq(TaskStatus::Active.as_str()))
            .group_by_col(task::Column::LeadMinistryId)
            .to_owned(),
    )
    .await?;
    let late = Func::sum(Expr::case(monthly_report::Column::Late.eq(true), 1).finally(0));
    let reports = grouped(
        state,
        Query::select()
            .column(monthly_report::Column::MinistryId)
            .expr(Expr::col(monthly_report::Column::Id).count())
            .expr(late)
            .from(Report)
            .cond_where(submitted(scope))
            .group_by_col(monthly_report::Column::MinistryId)
            .to_owned(),
    )
    .await?;
    let missing = grouped(
        state,
        Query::select()
            .column(task::Column::LeadMinistryId)
            .expr(Expr::col(task::Column::Id).count())
            .from(Task)
            .cond_where(missing_condition(scope))
            .group_by_col(task::Column::LeadMinistryId)
            .to_owned(),
    )
    .await?;
    let holder = Func::coalesce([
        Expr::col(blocker::Column::ResponsibleMinistryId),
        Expr::col(blocker::Column::RaisedByMinistryId),
    ]);
    let blockers = grouped(
        state,
        Query::select()
            .expr(holder.clone())
            .expr(Expr::col(blocker::Column::Id).count())
            .from(Blocker)
            .and_where(blocker::Column::Status.is_in(UNRESOLVED.map(|s| s.as_str())))
            .add_group_by([holder.into()])
            .to_owned(),
    )
    .await?;
    let mut ids: BTreeSet<Uuid> = members.into_iter().flatten().collect();
    ids.extend(expected.keys().copied());
    let get = |map: &HashMap<Uuid, (i64, i64)>, id: &Uuid| map.get(id).copied().unwrap_or_default();
    Ok(ids
        .into_iter()
        .map(|m| MinistryRow {
            ministry_id: m,
            expected: n(Some(get(&expected, &m).0)),
            submitted: n(Some(get(&reports, &m).0)),
            missing: n(Some(get(&missing, &m).0)),
            late: n(Some(get(&reports, &m).1)),
            open_blockers: n(Some(get(&blockers, &m).0)),
        })
        .collect())
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
    Ok(MonthlySummary {
        tasks: task_counts(state, &s).await?,
        missing_reports: missing_reports(state, &s).await?,
        late_reports: late_reports(state, &s).await?,
        overdue_tasks: overdue_tasks(state, &s).await?,
        blockers: blocker_counts(state, &s).await?,
        ministries: ministry_rows(state, &s).await?,
        as_of: s.today,
        window: s.window,
    })
}
