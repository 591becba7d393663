//! Monthly reports and reporting periods.

use super::connection::{args, connection, Conn};
use super::direct::{boolean, enumerated, int, opt_text, plain_id, text, value, Direct, Plain, PlainFields, Related};
use super::ministry::{self, Ministry};
use super::scalars::Date;
use super::task::{self, Task};
use super::{actor, id, opt_uuid, state, uuid, write};
use crate::service::access::Action;
use crate::service::periods::{Period, PeriodWindow};
use crate::service::reports::{self, ReportFilter, ReportInput, ReviewDecision};
use async_graphql::{Context, ContextSelectionSet, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::{Health, ReportStatus};
use entity::{monthly_report, report_revision};

/// Who did something: a person or a service token.
#[derive(SimpleObject)]
pub struct Actor {
    pub id: ID,
    pub name: String,
}

pub struct MonthlyReport(pub monthly_report::Model);

/// One ministry's progress on one task for one reporting period.
#[Object]
impl MonthlyReport {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn task(&self, ctx: &Context<'_>) -> Result<Option<Direct<Task>>> {
        task::load(ctx, self.0.task_id).await
    }
    /// The reporting ministry.
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        ministry::load(ctx, self.0.ministry_id).await
    }
    /// `YYYY-MM`.
    async fn period(&self) -> &str {
        &self.0.period
    }
    /// The calendar of the period.
    async fn reporting_period(&self, ctx: &Context<'_>) -> Result<ReportingPeriod> {
        let state = state(ctx)?;
        let period = Period::parse("period", &self.0.period)?;
        Ok(ReportingPeriod { window: PeriodWindow::new(period, &state.periods), now: state.clock.now() })
    }
    async fn status(&self) -> ReportStatus {
        self.0.status
    }
    /// 0 to 100.
    async fn progress_percent(&self) -> i32 {
        self.0.progress_percent
    }
    async fn health(&self) -> Health {
        self.0.health
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn achievements(&self) -> Option<&str> {
        self.0.achievements.as_deref()
    }
    async fn next_steps(&self) -> Option<&str> {
        self.0.next_steps.as_deref()
    }
    /// When the latest revision was submitted.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// Who submitted the latest revision.
    async fn submitted_by(&self) -> Option<Actor> {
        Some(Actor { id: id(self.0.submitted_by?), name: self.0.submitted_by_name.clone().unwrap_or_default() })
    }
    /// The first submission came after the ministries' due moment of the period.
    async fn late(&self) -> bool {
        self.0.late
    }
    /// The number of submitted revisions.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// Every submitted revision, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> Result<Vec<ReportRevision>> {
        Ok(reports::revisions(state(ctx)?, self.0.id).await?.into_iter().map(ReportRevision).collect())
    }
    /// The Secretariat's comment when it accepted or returned the report.
    async fn review_comment(&self) -> Option<&str> {
        self.0.review_comment.as_deref()
    }
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }
    async fn reviewed_by(&self) -> Option<Actor> {
        Some(Actor { id: id(self.0.reviewed_by?), name: self.0.reviewed_by_name.clone().unwrap_or_default() })
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

impl PlainFields for MonthlyReport {
    fn plain(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Plain<'_>> {
        let r = &self.0;
        Some(match name {
            "id" => plain_id(r.id),
            "period" => text(&r.period),
            "status" => enumerated(r.status),
            "progressPercent" => value(&r.progress_percent),
            "health" => enumerated(r.health),
            "summary" => text(&r.summary),
            "achievements" => opt_text(r.achievements.as_deref()),
            "nextSteps" => opt_text(r.next_steps.as_deref()),
            "submittedAt" => value(&r.submitted_at),
            "late" => boolean(r.late),
            "revision" => int(r.revision),
            "reviewComment" => opt_text(r.review_comment.as_deref()),
            "reviewedAt" => value(&r.reviewed_at),
            "version" => int(r.version),
            "createdAt" => value(&r.created_at),
            "updatedAt" => value(&r.updated_at),
            _ => return None,
        })
    }

    fn related(&self, name: &str) -> Option<Related> {
        match name {
            "task" => Some(Related::Task(Some(self.0.task_id))),
            "ministry" => Some(Related::Ministry(Some(self.0.ministry_id))),
            _ => None,
        }
    }
}

pub struct ReportRevision(pub report_revision::Model);

/// A submitted revision of a report, as it was sent.
#[Object]
impl ReportRevision {
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn progress_percent(&self) -> i32 {
        self.0.progress_percent
    }
    async fn health(&self) -> Health {
        self.0.health
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn achievements(&self) -> Option<&str> {
        self.0.achievements.as_deref()
    }
    async fn next_steps(&self) -> Option<&str> {
        self.0.next_steps.as_deref()
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    async fn submitted_by(&self) -> Actor {
        Actor { id: id(self.0.submitted_by), name: self.0.submitted_by_name.clone() }
    }
    async fn late(&self) -> bool {
        self.0.late
    }
}

pub struct ReportingPeriod {
    pub window: PeriodWindow,
    pub now: DateTime<Utc>,
}

/// The calendar of a monthly reporting period (Decree 09/2019/NĐ-CP), in Vietnam's time zone.
#[Object]
impl ReportingPeriod {
    /// `YYYY-MM`.
    async fn period(&self) -> String {
        self.window.period.to_string()
    }
    /// First day of the period's data.
    async fn data_from(&self) -> Date {
        Date(self.window.data_from)
    }
    /// Last day of the period's data (the cut-off).
    async fn data_to(&self) -> Date {
        Date(self.window.data_to)
    }
    /// Last day for ministries' reports to the Secretariat.
    async fn ministry_due_date(&self) -> Date {
        Date(self.window.ministry_due_date)
    }
    /// A ministry report submitted at or after this moment is late.
    async fn ministry_due_at(&self) -> DateTime<Utc> {
        self.window.ministry_due_at
    }
    /// Last day for the Working Group's consolidated report to the Steering Committee.
    async fn consolidated_due_date(&self) -> Date {
        Date(self.window.consolidated_due_date)
    }
    async fn consolidated_due_at(&self) -> DateTime<Utc> {
        self.window.consolidated_due_at
    }
    /// Reports may be submitted (the period has begun).
    async fn has_begun(&self) -> bool {
        self.window.has_begun(self.now)
    }
    /// Begun, and the consolidated report not yet due.
    async fn is_open(&self) -> bool {
        self.window.is_open(self.now)
    }
}

/// Filters of `monthlyReports`.
#[derive(InputObject, Default)]
pub struct MonthlyReportFilterInput {
    pub task_id: Option<ID>,
    pub ministry_id: Option<ID>,
    /// `YYYY-MM`.
    pub period: Option<String>,
    pub status: Option<Vec<ReportStatus>>,
    pub late: Option<bool>,
    pub health: Option<Vec<Health>>,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Monthly reports, newest period first.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn monthly_reports(
        &self,
        ctx: &Context<'_>,
        filter: Option<MonthlyReportFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<MonthlyReport>> {
        actor(ctx)?.principal.require(Action::ReadReports)?;
        let f = filter.unwrap_or_default();
        let filter = ReportFilter {
            task_id: opt_uuid("taskId", &f.task_id)?,
            ministry_id: opt_uuid("ministryId", &f.ministry_id)?,
            period: f.period,
            statuses: f.status,
            late: f.late,
            health: f.health,
        };
        let page = reports::list(state(ctx)?, &filter, &args(first, after, last, before)).await?;
        Ok(connection(page, MonthlyReport))
    }

    async fn monthly_report(&self, ctx: &Context<'_>, id: ID) -> Result<Option<MonthlyReport>> {
        actor(ctx)?.principal.require(Action::ReadReports)?;
        let id = uuid("id", &id)?;
        Ok(monthly_report::Entity::find_by_id(id)
            .one(&state(ctx)?.db)
            .await
            .map_err(crate::AppError::from)?
            .map(MonthlyReport))
    }

    /// The calendar of a period (`YYYY-MM`); the current one when omitted.
    async fn reporting_period(&self, ctx: &Context<'_>, period: Option<String>) -> Result<ReportingPeriod> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        let state = state(ctx)?;
        let period = match period {
            Some(p) => Period::parse("period", &p)?,
            None => Period::containing(state.clock.today(), &state.periods),
        };
        Ok(ReportingPeriod { window: PeriodWindow::new(period, &state.periods), now: state.clock.now() })
    }
}

use sea_orm::EntityTrait;

/// A ministry's monthly report on a task.
#[derive(InputObject)]
pub struct SubmitMonthlyReportInput {
    pub task_id: ID,
    /// The reporting ministry; an officer's own by default.
    pub ministry_id: Option<ID>,
    /// `YYYY-MM`; the period must have begun.
    pub period: String,
    /// 0 to 100.
    pub progress_percent: i32,
    pub health: Health,
    pub summary: String,
    pub achievements: Option<String>,
    pub next_steps: Option<String>,
    /// Save without submitting.
    #[graphql(default = false)]
    pub draft: bool,
}

/// The Secretariat's review.
#[derive(InputObject)]
pub struct ReviewMonthlyReportInput {
    pub decision: ReviewDecision,
    /// Required to return a report.
    pub comment: Option<String>,
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Submits (or with `draft`, saves) a ministry's report on a task it leads or cooperates on. A
    /// second submission for the same task, ministry and period becomes a new revision. Retried
    /// calls with the same `idempotencyKey` return the first result.
    async fn submit_monthly_report(
        &self,
        ctx: &Context<'_>,
        input: SubmitMonthlyReportInput,
        expected_version: Option<i32>,
        idempotency_key: Option<String>,
    ) -> Result<MonthlyReport> {
        let input = ReportInput {
            task_id: uuid("taskId", &input.task_id)?,
            ministry_id: opt_uuid("ministryId", &input.ministry_id)?,
            period: input.period,
            progress_percent: input.progress_percent,
            health: input.health,
            summary: input.summary,
            achievements: input.achievements,
            next_steps: input.next_steps,
            draft: input.draft,
            expected_version,
            idempotency_key,
        };
        Ok(MonthlyReport(write(ctx, move |s, a| async move { reports::submit(&s, &a, input).await }).await?))
    }

    /// Accepts or returns a submitted report (ADMIN, SECRETARIAT).
    async fn review_monthly_report(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ReviewMonthlyReportInput,
    ) -> Result<MonthlyReport> {
        let id = uuid("id", &id)?;
        let report = write(ctx, move |s, a| async move {
            reports::review(&s, &a, id, expected_version, input.decision, input.comment.as_deref()).await
        })
        .await?;
        Ok(MonthlyReport(report))
    }
}
