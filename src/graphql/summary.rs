//! The monthly summary for the Steering Committee.

use super::direct::{value, Direct, Plain, PlainFields, Related, Rows};
use super::ministry::{self, Ministry};
use super::report::{MonthlyReport, ReportingPeriod};
use super::task::{self, Task};
use super::{actor, state, uuid};
use crate::service::access::Action;
use crate::service::summary::{self, BlockerCounts, MinistryRow, TaskCounts};
use async_graphql::{Context, ContextSelectionSet, Object, Result, SimpleObject, ID};
use entity::enums::Severity;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Tasks in the four classes of government task tracking.
#[derive(SimpleObject)]
pub struct TasksByTimeliness {
    /// Done on time.
    pub completed_on_time: u64,
    /// Done late.
    pub completed_late: u64,
    /// In progress within the deadline.
    pub in_progress_on_time: u64,
    /// In progress past the deadline.
    pub overdue: u64,
    /// Of those in progress on time, due within 7 days.
    pub due_soon: u64,
}

impl From<&TaskCounts> for TasksByTimeliness {
    fn from(c: &TaskCounts) -> Self {
        Self {
            completed_on_time: c.completed_on_time,
            completed_late: c.completed_late,
            in_progress_on_time: c.in_progress_on_time,
            overdue: c.overdue,
            due_soon: c.due_soon,
        }
    }
}

pub struct MissingReport {
    task_id: Uuid,
    ministry_id: Uuid,
}

/// A (ministry, task) report that has not been submitted.
#[Object]
impl MissingReport {
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Direct<Task>>> {
        task::load(ctx, self.task_id).await
    }
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.ministry_id).await
    }
}

#[derive(SimpleObject)]
pub struct SeverityCount {
    pub severity: Severity,
    pub count: u64,
}

/// Unresolved blockers (open, forwarded, in progress, escalated).
#[derive(SimpleObject)]
pub struct OpenBlockers {
    pub total: u64,
    pub by_severity: Vec<SeverityCount>,
    /// Raised less than 7 days ago.
    pub under_7_days: u64,
    /// Raised 7 to 30 days ago.
    pub from_7_to_30_days: u64,
    /// Raised more than 30 days ago.
    pub over_30_days: u64,
    /// Age of the oldest, in days.
    pub oldest_days: Option<i64>,
}

impl From<&BlockerCounts> for OpenBlockers {
    fn from(b: &BlockerCounts) -> Self {
        Self {
            total: b.total,
            by_severity: b.by_severity.iter().map(|(s, n)| SeverityCount { severity: *s, count: *n }).collect(),
            under_7_days: b.under_7_days,
            from_7_to_30_days: b.from_7_to_30_days,
            over_30_days: b.over_30_days,
            oldest_days: b.oldest_days,
        }
    }
}

pub struct MinistrySummary(MinistryRow);

/// One ministry's line in the summary.
#[Object]
impl MinistrySummary {
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.0.ministry_id).await
    }
    /// Reports expected from it this period (one per active task it leads).
    async fn expected(&self) -> u64 {
        self.0.expected
    }
    /// Reports it submitted this period (on tasks it leads or cooperates on).
    async fn submitted(&self) -> u64 {
        self.0.submitted
    }
    async fn missing(&self) -> u64 {
        self.0.missing
    }
    async fn late(&self) -> u64 {
        self.0.late
    }
    /// Unresolved blockers it must clear (or raised and not yet forwarded).
    async fn open_blockers(&self) -> u64 {
        self.0.open_blockers
    }
}

impl PlainFields for MinistrySummary {
    fn plain(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Plain<'_>> {
        let row = &self.0;
        Some(match name {
            "expected" => value(&row.expected),
            "submitted" => value(&row.submitted),
            "missing" => value(&row.missing),
            "late" => value(&row.late),
            "openBlockers" => value(&row.open_blockers),
            _ => return None,
        })
    }

    fn related(&self, name: &str) -> Option<Related> {
        (name == "ministry").then_some(Related::Ministry(Some(self.0.ministry_id)))
    }
}

/// What the Working Group reports to the Steering Committee for a period. The aggregates behind
/// its fields are computed once per request, when the first field that needs them is asked for
/// (or, on SQLite, before the fields resolve: see `read_in_turn`).
pub struct MonthlySummary {
    scope: summary::Scope,
    tasks: OnceCell<summary::TaskAggregate>,
    reports: OnceCell<summary::ReportAggregate>,
    blockers: OnceCell<summary::BlockerAggregate>,
    due: OnceCell<summary::DueCounts>,
    ages: OnceCell<summary::BlockerAges>,
    members: OnceCell<Vec<Uuid>>,
}

impl MonthlySummary {
    fn new(scope: summary::Scope) -> Self {
        Self {
            scope,
            tasks: OnceCell::new(),
            reports: OnceCell::new(),
            blockers: OnceCell::new(),
            due: OnceCell::new(),
            ages: OnceCell::new(),
            members: OnceCell::new(),
        }
    }
    async fn tasks(&self, ctx: &Context<'_>) -> Result<&summary::TaskAggregate> {
        let state = state(ctx)?;
        Ok(self.tasks.get_or_try_init(|| summary::task_aggregate(state, &self.scope)).await?)
    }
    async fn reports(&self, ctx: &Context<'_>) -> Result<&summary::ReportAggregate> {
        let state = state(ctx)?;
        Ok(self.reports.get_or_try_init(|| summary::report_aggregate(state, &self.scope)).await?)
    }
    async fn blockers(&self, ctx: &Context<'_>) -> Result<&summary::BlockerAggregate> {
        let state = state(ctx)?;
        Ok(self.blockers.get_or_try_init(|| summary::blocker_aggregate(state)).await?)
    }
    async fn due(&self, ctx: &Context<'_>) -> Result<summary::DueCounts> {
        let state = state(ctx)?;
        Ok(*self.due.get_or_try_init(|| summary::due_counts(state, &self.scope)).await?)
    }
    async fn ages(&self, ctx: &Context<'_>) -> Result<summary::BlockerAges> {
        let state = state(ctx)?;
        Ok(*self.ages.get_or_try_init(|| summary::blocker_ages(state, &self.scope)).await?)
    }
    async fn members(&self, ctx: &Context<'_>) -> Result<&[Uuid]> {
        let state = state(ctx)?;
        Ok(self.members.get_or_try_init(|| summary::members(state, &self.scope)).await?)
    }

    /// Reads the aggregates that the selection's fields need, one statement after another. On
    /// SQLite a statement runs on the server's own cores, on a connection of the pool's few:
    /// asked for all at once, as the fields resolve, a summary's statements only queue for those
    /// connections, each queued statement another hand-over between threads. On PostgreSQL each
    /// statement is a round trip to another process, so there they are left to run concurrently.
    /// A field this does not see is read when it resolves.
    async fn read_in_turn(&self, ctx: &Context<'_>) -> Result<()> {
        let look = ctx.look_ahead();
        let wants = |name: &str| look.field(name).exists();
        if wants("tasksByTimeliness") {
            self.due(ctx).await?;
            self.tasks(ctx).await?;
        }
        if wants("missingReportCount") {
            self.tasks(ctx).await?;
            self.reports(ctx).await?;
        }
        if wants("openBlockers") {
            self.ages(ctx).await?;
            self.blockers(ctx).await?;
        }
        if wants("ministries") {
            self.members(ctx).await?;
            self.tasks(ctx).await?;
            self.reports(ctx).await?;
            self.blockers(ctx).await?;
        }
        Ok(())
    }
}

/// What the Working Group reports to the Steering Committee for a period. Each field is computed
/// when asked for, so a dashboard that shows counts pays only for counts.
#[Object]
impl MonthlySummary {
    /// `YYYY-MM`.
    async fn period(&self) -> String {
        self.scope.window.period.to_string()
    }
    async fn reporting_period(&self, ctx: &Context<'_>) -> Result<ReportingPeriod> {
        Ok(ReportingPeriod { window: self.scope.window.clone(), now: state(ctx)?.clock.now() })
    }
    /// The day (in Vietnam) the timeliness figures are computed for.
    async fn as_of(&self) -> super::scalars::Date {
        super::scalars::Date(self.scope.today)
    }
    async fn tasks_by_timeliness(&self, ctx: &Context<'_>) -> Result<TasksByTimeliness> {
        let due = self.due(ctx).await?;
        Ok((&self.tasks(ctx).await?.totals(due)).into())
    }
    /// Reports expected from lead ministries and not submitted.
    async fn missing_reports(&self, ctx: &Context<'_>) -> Result<Vec<MissingReport>> {
        let pairs = summary::missing_reports(state(ctx)?, &self.scope).await?;
        Ok(pairs.into_iter().map(|(task_id, ministry_id)| MissingReport { task_id, ministry_id }).collect())
    }
    /// How many reports are missing.
    async fn missing_report_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(summary::missing_total(self.tasks(ctx).await?, self.reports(ctx).await?))
    }
    /// Reports first submitted after the ministries' due moment.
    async fn late_reports(&self, ctx: &Context<'_>) -> Result<Vec<MonthlyReport>> {
        Ok(summary::late_reports(state(ctx)?, &self.scope).await?.into_iter().map(MonthlyReport).collect())
    }
    /// Active tasks past their due date, soonest due first.
    async fn overdue_tasks(&self, ctx: &Context<'_>) -> Result<Vec<Direct<Task>>> {
        Ok(summary::overdue_tasks(state(ctx)?, &self.scope).await?.into_iter().map(|t| Direct(Task::from(t))).collect())
    }
    async fn open_blockers(&self, ctx: &Context<'_>) -> Result<OpenBlockers> {
        let ages = self.ages(ctx).await?;
        Ok((&self.blockers(ctx).await?.counts(ages, self.scope.now)).into())
    }
    /// A row per ministry of the working group (and per lead ministry of its tasks).
    async fn ministries(&self, ctx: &Context<'_>) -> Result<Rows<MinistrySummary>> {
        let members = self.members(ctx).await?;
        let (tasks, reports, blockers) = (self.tasks(ctx).await?, self.reports(ctx).await?, self.blockers(ctx).await?);
        let rows = summary::ministry_rows(members, tasks, reports, blockers);
        super::loaders::prime_ministries(ctx, "ministry", rows.iter().map(|r| r.ministry_id)).await?;
        Ok(Rows(rows.into_iter().map(|row| Direct(MinistrySummary(row))).collect()))
    }
}

#[derive(Default)]
pub struct SummaryQuery;

#[Object]
impl SummaryQuery {
    /// The monthly summary of a working group for a period (`YYYY-MM`).
    async fn monthly_summary(&self, ctx: &Context<'_>, working_group_id: ID, period: String) -> Result<MonthlySummary> {
        let principal = &actor(ctx)?.principal;
        principal.require(Action::ReadTasks)?;
        principal.require(Action::ReadReports)?;
        let state = state(ctx)?;
        let scope = summary::scope(state, uuid("workingGroupId", &working_group_id)?, &period).await?;
        let summary = MonthlySummary::new(scope);
        if state.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            summary.read_in_turn(ctx).await?;
        }
        Ok(summary)
    }
}
