//! The monthly summary that the Working Group sends to the Steering Committee: tasks in the four
//! classes of government task tracking, missing and late reports, overdue tasks, unresolved
//! blockers by severity and age, and a row per ministry.
//!
//! Each part is its own aggregate query, run only when asked for, so a dashboard that shows the
//! counts does not read the rows behind them.

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

/// Task counts per lead ministry, in one grouped pass over the covering index.
#[derive(Clone, Debug, Default)]
pub struct TaskAggregate {
    pub by_lead: HashMap<Uuid, (TaskCounts, u64)>,
}

impl TaskAggregate {
    pub fn totals(&self) -> TaskCounts {
        self.by_lead.values().fold(TaskCounts::default(), |mut t, (c, _)| {
            t.completed_on_time += c.completed_on_time;
            t.completed_late += c.completed_late;
            t.in_progress_on_time += c.in_progress_on_time;
            t.overdue += c.overdue;
            t.due_soon += c.due_soon;
            t
        })
    }
}

type TaskRow = (Uuid, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

pub async fn task_aggregate(state: &AppState, scope: &Scope) -> AppResult<TaskAggregate> {
    let count = |c: Condition| Expr::from(Func::sum(Expr::case(c, 1).finally(0)));
    let class = |t: Timeliness| count(timeliness_condition(t, scope.today));
    let rows: Vec<TaskRow> = Task::find()
        .select_only()
        .column(task::Column::LeadMinistryId)
        .column_as(class(Timeliness::CompletedOnTime), "a")
        .column_as(class(Timeliness::CompletedLate), "b")
        .column_as(class(Timeliness::OnSchedule), "c")
        .column_as(class(Timeliness::DueSoon), "d")
        .column_as(class(Timeliness::Overdue), "e")
        .column_as(count(Condition::all().add(task::Column::Status.eq(TaskStatus::Active))), "f")
        .filter(task::Column::WorkingGroupId.eq(scope.working_group_id))
        .group_by(task::Column::LeadMinistryId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let by_lead = rows
        .into_iter()
        .map(|(lead, a, b, c, d, e, active)| {
            let counts = TaskCounts {
                completed_on_time: n(a),
                completed_late: n(b),
                in_progress_on_time: n(c) + n(d),
                overdue: n(e),
                due_soon: n(d),
            };
            (lead, (counts, n(active)))
        })
        .collect();
    Ok(TaskAggregate { by_lead })
}

/// Submitted reports of the period per ministry: (submitted, late, on active tasks it leads).
#[derive(Clone, Debug, Default)]
pub struct ReportAggregate {
    pub by_ministry: HashMap<Uuid, (u64, u64, u64)>,
}

pub async fn report_aggregate(state: &AppState, scope: &Scope) -> AppResult<ReportAggregate> {
    use sea_orm::ConnectionTrait;
    let rows = state.db.query_all(&report_query(scope)).await?;
    let mut by_ministry = HashMap::with_capacity(rows.len());
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

/// Unresolved blockers by holder (the responsible ministry, else the raiser) and severity, with ages.
#[derive(Clone, Debug, Default)]
pub struct BlockerAggregate {
    pub counts: BlockerCounts,
    pub by_holder: HashMap<Uuid, u64>,
}

type BlockerRow = (Uuid, Severity, i64, Option<i64>, Option<i64>, Option<DateTime<Utc>>);

pub async fn blocker_aggregate(state: &AppState, scope: &Scope) -> AppResult<BlockerAggregate> {
    let week = scope.now - Duration::days(7);
    let month = scope.now - Duration::days(30);
    let newer =
        |since: DateTime<Utc>| Expr::from(Func::sum(Expr::case(blocker::Column::CreatedAt.gt(since), 1).finally(0)));
    // The holder: the responsible ministry once forwarded, else the raiser. COUNT(*) keeps the
    // scan on the covering index.
    let holder: Expr = Func::coalesce([
        Expr::col(blocker::Column::ResponsibleMinistryId),
        Expr::col(blocker::Column::RaisedByMinistryId),
    ])
    .into();
    let rows: Vec<BlockerRow> = Blocker::find()
        .select_only()
        .column_as(holder.clone(), "holder")
        .column(blocker::Column::Severity)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(newer(week), "week")
        .column_as(newer(month), "month")
        .column_as(blocker::Column::CreatedAt.min(), "oldest")
        .filter(blocker::Column::Status.is_in(super::blockers::UNRESOLVED))
        .group_by(holder)
        .group_by(blocker::Column::Severity)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut agg = BlockerAggregate::default();
    let (mut week_n, mut month_n) = (0u64, 0u64);
    let mut oldest: Option<DateTime<Utc>> = None;
    for (holder, severity, count, w, m, old) in rows {
        let count = n(Some(count));
        agg.counts.total += count;
        *agg.counts.by_severity.entry(severity).or_default() += count;
        *agg.by_holder.entry(holder).or_default() += count;
        week_n += n(w);
        month_n += n(m);
        oldest = match (oldest, old) {
            (Some(a), Some(b)) => Some(Ord::min(a, b)),
            (a, b) => a.or(b),
        };
    }
    agg.counts.under_7_days = week_n;
    agg.counts.from_7_to_30_days = month_n - week_n;
    agg.counts.over_30_days = agg.counts.total - month_n;
    agg.counts.oldest_days = oldest.map(|o| (scope.now - o).num_days());
    Ok(agg)
}

/// How many expected reports are missing: active tasks minus those their lead reported on.
pub fn missing_total(tasks: &TaskAggregate, reports: &ReportAggregate) -> u64 {
    tasks
        .by_lead
        .iter()
        .map(|(lead, (_, active))| active.saturating_sub(reports.by_ministry.get(lead).map_or(0, |r| r.2)))
        .sum()
}

pub async fn members(state: &AppState, scope: &Scope) -> AppResult<Vec<Uuid>> {
    let members: Vec<Option<Uuid>> = Member::find()
        .select_only()
        .column(working_group_member::Column::MinistryId)
        .filter(working_group_member::Column::WorkingGroupId.eq(scope.working_group_id))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(members.into_iter().flatten().collect())
}

/// A row per member ministry of the group and per lead ministry of its tasks.
pub fn ministry_rows(
    members: &[Uuid],
    tasks: &TaskAggregate,
    reports: &ReportAggregate,
    blockers: &BlockerAggregate,
) -> Vec<MinistryRow> {
    let mut ids: BTreeSet<Uuid> = members.iter().copied().collect();
    ids.extend(tasks.by_lead.keys().copied());
    ids.into_iter()
        .map(|m| {
            let active = tasks.by_lead.get(&m).map_or(0, |(_, a)| *a);
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
        (task_aggregate(state, &s).await?, report_aggregate(state, &s).await?, blocker_aggregate(state, &s).await?);
    Ok(MonthlySummary {
        tasks: tasks.totals(),
        missing_reports: missing_reports(state, &s).await?,
        late_reports: late_reports(state, &s).await?,
        overdue_tasks: overdue_tasks(state, &s).await?,
        ministries: ministry_rows(&members(state, &s).await?, &tasks, &reports, &blockers),
        blockers: blockers.counts,
        as_of: s.today,
        window: s.window,
    })
}
