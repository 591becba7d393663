//! Monthly reports: one ministry's progress on one task for one period.
//! DRAFT -> SUBMITTED -> ACCEPTED | RETURNED; a returned report is revised and submitted again, and
//! every submitted revision is kept.

use super::audit::{self, snapshot, Change};
use super::idempotency::{self, Claim};
use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::periods::{Period, PeriodWindow};
use super::{check_version, find, tasks, update_versioned, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use entity::enums::{Health, ReportStatus, TaskStatus};
use entity::monthly_report::{self, Column, Entity as Report};
use entity::report_revision::{self, Entity as Revision};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    pub task_id: Option<Uuid>,
    pub ministry_id: Option<Uuid>,
    pub period: Option<String>,
    pub statuses: Option<Vec<ReportStatus>>,
    pub late: Option<bool>,
    pub health: Option<Vec<Health>>,
}

/// Newest period first.
pub async fn list(state: &AppState, filter: &ReportFilter, args: &PageArgs) -> AppResult<Page<monthly_report::Model>> {
    let mut select = Report::find();
    if let Some(id) = filter.task_id {
        select = select.filter(Column::TaskId.eq(id));
    }
    if let Some(id) = filter.ministry_id {
        select = select.filter(Column::MinistryId.eq(id));
    }
    if let Some(p) = &filter.period {
        select = select.filter(Column::Period.eq(Period::parse("period", p)?.to_string()));
    }
    if let Some(s) = &filter.statuses {
        select = select.filter(Column::Status.is_in(s.iter().copied()));
    }
    if let Some(late) = filter.late {
        select = select.filter(Column::Late.eq(late));
    }
    if let Some(h) = &filter.health {
        select = select.filter(Column::Health.is_in(h.iter().copied()));
    }
    let key = SortKey::new(Column::Period.into_expr(), KeyKind::Text, true);
    paginate(&state.db, select, Column::Id, key, args, |m| (KeyValue::Text(m.period.clone()), m.id)).await
}

pub async fn revisions(state: &AppState, report_id: Uuid) -> AppResult<Vec<report_revision::Model>> {
    Ok(Revision::find()
        .filter(report_revision::Column::ReportId.eq(report_id))
        .order_by_asc(report_revision::Column::Revision)
        .all(&state.db)
        .await?)
}

/// What a ministry sends for one task and period.
#[derive(Clone, Debug, Serialize)]
pub struct ReportInput {
    pub task_id: Uuid,
    pub ministry_id: Option<Uuid>,
    pub period: String,
    pub progress_percent: i32,
    pub health: Health,
    pub summary: String,
    pub achievements: Option<String>,
    pub next_steps: Option<String>,
    pub draft: bool,
    #[serde(skip)]
    pub expected_version: Option<i32>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

struct Checked {
    period: Period,
    progress: i32,
    summary: String,
    achievements: Option<String>,
    next_steps: Option<String>,
}

fn check(input: &ReportInput) -> AppResult<Checked> {
    let period = Period::parse("period", &input.period)?;
    if !(0..=100).contains(&input.progress_percent) {
        return Err(AppError::bad_input(
            "progressPercent",
            format!("must be between 0 and 100, got {}", input.progress_percent),
        ));
    }
    Ok(Checked {
        period,
        progress: input.progress_percent,
        summary: validate::required("summary", &input.summary, validate::LONG)?,
        achievements: validate::optional("achievements", input.achievements.as_deref(), validate::LONG)?,
        next_steps: validate::optional("nextSteps", input.next_steps.as_deref(), validate::LONG)?,
    })
}

/// Which ministry the report is for: the caller's own, unless an admin names one.
fn reporting_ministry(actor: &Actor, input: &ReportInput, lead: Uuid) -> AppResult<Uuid> {
    let p = &actor.principal;
    match (p.ministry_id, input.ministry_id) {
        (Some(own), Some(given)) if own != given && !p.acts_for_all_ministries() => {
            Err(AppError::forbidden("you may only report for your own ministry"))
        }
        (_, Some(given)) => Ok(given),
        (Some(own), None) if !p.acts_for_all_ministries() => Ok(own),
        _ => Ok(lead),
    }
}

/// Submits (or saves as a draft) a ministry's report; a later submission for the same task,
/// ministry and period becomes a new revision.
pub async fn submit(state: &AppState, actor: &Actor, input: ReportInput) -> AppResult<monthly_report::Model> {
    actor.principal.require(Action::SubmitReports)?;
    let checked = check(&input)?;
    let claim = match &input.idempotency_key {
        Some(key) => Some(Claim::new(actor.principal.id, "submitMonthlyReport", key, &input)?),
        None => None,
    };
    let (_writer, txn) = state.begin_write().await?;
    if let Some(claim) = &claim {
        if let Some(id) = idempotency::replay(&txn, claim).await? {
            return find::<_, Report>(&txn, id, "monthly report").await;
        }
    }
    let task = find::<_, entity::task::Entity>(&txn, input.task_id, "task").await?;
    let ministry_id = reporting_ministry(actor, &input, task.lead_ministry_id)?;
    let involved =
        ministry_id == task.lead_ministry_id || tasks::cooperator_ids(&txn, task.id).await?.contains(&ministry_id);
    if !involved {
        return Err(AppError::forbidden("the ministry neither leads nor cooperates on this task"));
    }
    if task.status != TaskStatus::Active {
        return Err(AppError::InvalidTransition(format!(
            "reports are submitted on ACTIVE tasks; this task is {}",
            task.status
        )));
    }
    let now = state.clock.now();
    let window = PeriodWindow::new(checked.period, &state.periods);
    if !window.has_begun(now) {
        return Err(AppError::bad_input(
            "period",
            format!("{} has not begun; it opens on {}", checked.period, window.data_from),
        ));
    }
    let existing = Report::find()
        .filter(Column::TaskId.eq(task.id))
        .filter(Column::MinistryId.eq(ministry_id))
        .filter(Column::Period.eq(checked.period.to_string()))
        .one(&txn)
        .await?;
    let report = match existing {
        None => create_report(&txn, actor, &input, &checked, task.id, ministry_id, &window, now).await?,
        Some(current) => revise_report(&txn, actor, &input, &checked, current, &window, now).await?,
    };
    if !input.draft {
        announce(&txn, &report, "report.submitted", actor, now).await?;
    }
    if let Some(claim) = &claim {
        idempotency::remember(&txn, claim, report.id, now).await?;
    }
    txn.commit().await?;
    state.events.poke();
    Ok(report)
}

/// What subscribers and webhooks receive about a report change.
async fn announce(
    txn: &DatabaseTransaction,
    r: &monthly_report::Model,
    kind: &str,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let payload = serde_json::json!({
        "kind": kind,
        "reportId": r.id,
        "taskId": r.task_id,
        "ministryId": r.ministry_id,
        "period": r.period,
        "status": r.status,
        "revision": r.revision,
        "late": r.late,
        "progressPercent": r.progress_percent,
        "health": r.health,
        "actor": actor.principal.label(),
    });
    super::events::publish(txn, "report", kind, Some(r.id), payload, now).await
}

#[allow(clippy::too_many_arguments)]
async fn create_report(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: &ReportInput,
    c: &Checked,
    task_id: Uuid,
    ministry_id: Uuid,
    window: &PeriodWindow,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<monthly_report::Model> {
    let submitted = !input.draft;
    let late = submitted && window.is_late(now);
    let report = monthly_report::ActiveModel {
        id: Set(Uuid::new_v4()),
        task_id: Set(task_id),
        ministry_id: Set(ministry_id),
        period: Set(c.period.to_string()),
        status: Set(if submitted { ReportStatus::Submitted } else { ReportStatus::Draft }),
        progress_percent: Set(c.progress),
        health: Set(input.health),
        summary: Set(c.summary.clone()),
        achievements: Set(c.achievements.clone()),
        next_steps: Set(c.next_steps.clone()),
        submitted_at: Set(submitted.then_some(now)),
        submitted_by: Set(submitted.then_some(actor.principal.id)),
        submitted_by_name: Set(submitted.then(|| actor.principal.label())),
        late: Set(late),
        revision: Set(if submitted { 1 } else { 0 }),
        review_comment: Set(None),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        reviewed_by_name: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    if submitted {
        add_revision(txn, actor, &report, now).await?;
    }
    let operation = if submitted { "submitMonthlyReport" } else { "saveMonthlyReportDraft" };
    audit::record(
        txn,
        actor,
        now,
        Change {
            operation,
            object_type: "MonthlyReport",
            object_id: Some(report.id),
            before: None,
            after: snapshot(&report),
        },
    )
    .await?;
    Ok(report)
}

async fn revise_report(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: &ReportInput,
    c: &Checked,
    current: monthly_report::Model,
    window: &PeriodWindow,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<monthly_report::Model> {
    if let Some(expected) = input.expected_version {
        check_version(current.version, expected, "monthly report")?;
    }
    let submitting = !input.draft;
    match (current.status, submitting) {
        (ReportStatus::Accepted, _) => {
            return Err(AppError::InvalidTransition("an ACCEPTED report is final and cannot be revised".into()))
        }
        (ReportStatus::Submitted | ReportStatus::Returned, false) => {
            return Err(AppError::InvalidTransition(format!(
                "a {} report cannot go back to DRAFT; submit a new revision",
                current.status
            )))
        }
        _ => {}
    }
    let first_submission = current.submitted_at.is_none();
    let mut changes = monthly_report::ActiveModel {
        progress_percent: Set(c.progress),
        health: Set(input.health),
        summary: Set(c.summary.clone()),
        achievements: Set(c.achievements.clone()),
        next_steps: Set(c.next_steps.clone()),
        version: Set(current.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if submitting {
        changes.status = Set(ReportStatus::Submitted);
        changes.submitted_at = Set(Some(now));
        changes.submitted_by = Set(Some(actor.principal.id));
        changes.submitted_by_name = Set(Some(actor.principal.label()));
        changes.revision = Set(current.revision + 1);
        if first_submission {
            changes.late = Set(window.is_late(now));
        }
    }
    update_versioned(txn, changes, (Column::Id, current.id), (Column::Version, current.version), "monthly report")
        .await?;
    let after = find::<_, Report>(txn, current.id, "monthly report").await?;
    if submitting {
        add_revision(txn, actor, &after, now).await?;
    }
    let operation = if submitting { "submitMonthlyReport" } else { "saveMonthlyReportDraft" };
    audit::record(
        txn,
        actor,
        now,
        Change {
            operation,
            object_type: "MonthlyReport",
            object_id: Some(after.id),
            before: snapshot(&current),
            after: snapshot(&after),
        },
    )
    .await?;
    Ok(after)
}

async fn add_revision(
    txn: &DatabaseTransaction,
    actor: &Actor,
    r: &monthly_report::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    report_revision::ActiveModel {
        id: Set(Uuid::new_v4()),
        report_id: Set(r.id),
        revision: Set(r.revision),
        progress_percent: Set(r.progress_percent),
        health: Set(r.health),
        summary: Set(r.summary.clone()),
        achievements: Set(r.achievements.clone()),
        next_steps: Set(r.next_steps.clone()),
        submitted_at: Set(now),
        submitted_by: Set(actor.principal.id),
        submitted_by_name: Set(actor.principal.label()),
        late: Set(r.revision == 1 && r.late),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The Secretariat's decision on a submitted report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum ReviewDecision {
    /// Accept: the report is final.
    Accept,
    /// Return for revision; a comment is required.
    Return,
}

pub async fn review(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    decision: ReviewDecision,
    comment: Option<&str>,
) -> AppResult<monthly_report::Model> {
    actor.principal.require(Action::ReviewReports)?;
    let comment = validate::optional("comment", comment, validate::LONG)?;
    if decision == ReviewDecision::Return && comment.is_none() {
        return Err(AppError::bad_input("comment", "is required to return a report: say what must change"));
    }
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, Report>(&txn, id, "monthly report").await?;
    check_version(before.version, expected, "monthly report")?;
    if before.status != ReportStatus::Submitted {
        return Err(AppError::InvalidTransition(format!(
            "only a SUBMITTED report can be reviewed; this one is {}",
            before.status
        )));
    }
    let now = state.clock.now();
    let status = match decision {
        ReviewDecision::Accept => ReportStatus::Accepted,
        ReviewDecision::Return => ReportStatus::Returned,
    };
    let changes = monthly_report::ActiveModel {
        status: Set(status),
        review_comment: Set(comment),
        reviewed_at: Set(Some(now)),
        reviewed_by: Set(Some(actor.principal.id)),
        reviewed_by_name: Set(Some(actor.principal.label())),
        version: Set(expected + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    update_versioned(&txn, changes, (Column::Id, id), (Column::Version, expected), "monthly report").await?;
    let after = find::<_, Report>(&txn, id, "monthly report").await?;
    audit::record(
        &txn,
        actor,
        now,
        Change {
            operation: "reviewMonthlyReport",
            object_type: "MonthlyReport",
            object_id: Some(id),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    let kind = match decision {
        ReviewDecision::Accept => "report.accepted",
        ReviewDecision::Return => "report.returned",
    };
    announce(&txn, &after, kind, actor, now).await?;
    txn.commit().await?;
    state.events.poke();
    Ok(after)
}
