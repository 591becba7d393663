//! The monthly summary that the Working Group sends to the Steering Committee: tasks in the four
//! classes of government task tracking, missing and late reports, overdue tasks, open blockers
//! by severity and age, and a row per ministry.

use super::blockers::UNRESOLVED;
use super::periods::{Period, PeriodWindow};
use super::tasks::{timeliness, Timeliness};
use super::{find, AppState};
use crate::error::AppResult;
use chrono::{NaiveDate, Utc};
use entity::blocker::{self, Entity as Blocker};
use entity::enums::{ReportStatus, Severity, TaskStatus};
use entity::monthly_report::{self, Entity as Report};
use entity::task::{self, Entity as Task};
use entity::working_group_member::{self, Entity as Member};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{BTreeMap, BTreeSet, HashSet};
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

pub struct MonthlySummary {
    pub window: PeriodWindow,
    pub working_group_id: Uuid,
    pub as_of: NaiveDate,
    pub tasks: TaskCounts,
    /// (task, ministry) pairs with no submitted report.
    pub missing_reports: Vec<(Uuid, Uuid)>,
    pub late_reports: Vec<monthly_report::Model>,
    pub overdue_tasks: Vec<task::Model>,
    pub blockers: BlockerCounts,
    pub ministries: Vec<MinistryRow>,
}

/// (id, severity, raised at, raising ministry, responsible ministry) of an unresolved blocker.
type OpenBlocker = (Uuid, Severity, chrono::DateTime<Utc>, Uuid, Option<Uuid>);

/// Who must report on a task each month: its lead ministry.
fn expected_reports(tasks: &[task::Model]) -> Vec<(Uuid, Uuid)> {
    tasks.iter().filter(|t| t.status == TaskStatus::Active).map(|t| (t.id, t.lead_ministry_id)).collect()
}

pub async fn monthly(state: &AppState, working_group_id: Uuid, period: &str) -> AppResult<MonthlySummary> {
    let period = Period::parse("period", period)?;
    let window = PeriodWindow::new(period, &state.periods);
    find::<_, entity::working_group::Entity>(&state.db, working_group_id, "working group").await?;
    let today = state.clock.today();
    let tasks = Task::find()
        .filter(task::Column::WorkingGroupId.eq(working_group_id))
        .order_by_asc(task::Column::DueDate)
        .order_by_asc(task::Column::Code)
        .all(&state.db)
        .await?;
    let task_ids: HashSet<Uuid> = tasks.iter().map(|t| t.id).collect();
    let reports: Vec<monthly_report::Model> = Report::find()
        .filter(monthly_report::Column::Period.eq(period.to_string()))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|r| task_ids.contains(&r.task_id))
        .collect();
    let open: Vec<OpenBlocker> = Blocker::find()
        .select_only()
        .columns([
            blocker::Column::Id,
            blocker::Column::Severity,
            blocker::Column::CreatedAt,
            blocker::Column::RaisedByMinistryId,
            blocker::Column::ResponsibleMinistryId,
        ])
        .filter(blocker::Column::Status.is_in(UNRESOLVED))
        .into_tuple()
        .all(&state.db)
        .await?;
    let members: Vec<Option<Uuid>> = Member::find()
        .select_only()
        .column(working_group_member::Column::MinistryId)
        .filter(working_group_member::Column::WorkingGroupId.eq(working_group_id))
        .into_tuple()
        .all(&state.db)
        .await?;

    let mut counts = TaskCounts::default();
    let mut overdue_tasks = Vec::new();
    for t in &tasks {
        match timeliness(t, today) {
            Some(Timeliness::CompletedOnTime) => counts.completed_on_time += 1,
            Some(Timeliness::CompletedLate) => counts.completed_late += 1,
            Some(Timeliness::Overdue) => {
                counts.overdue += 1;
                overdue_tasks.push(t.clone());
            }
            Some(Timeliness::DueSoon) => {
                counts.in_progress_on_time += 1;
                counts.due_soon += 1;
            }
            Some(Timeliness::OnSchedule) => counts.in_progress_on_time += 1,
            None => {}
        }
    }

    let submitted: HashSet<(Uuid, Uuid)> =
        reports.iter().filter(|r| r.status != ReportStatus::Draft).map(|r| (r.task_id, r.ministry_id)).collect();
    let expected = expected_reports(&tasks);
    let missing_reports: Vec<(Uuid, Uuid)> =
        expected.iter().copied().filter(|pair| !submitted.contains(pair)).collect();
    let late_reports: Vec<monthly_report::Model> =
        reports.iter().filter(|r| r.late && r.status != ReportStatus::Draft).cloned().collect();

    let mut blockers = BlockerCounts { total: open.len() as u64, ..Default::default() };
    let now = state.clock.now();
    let mut blockers_by_ministry: BTreeMap<Uuid, u64> = BTreeMap::new();
    for (_, severity, created_at, raised_by, responsible) in &open {
        *blockers.by_severity.entry(*severity).or_default() += 1;
        let age = (now - *created_at).num_days();
        match age {
            a if a < 7 => blockers.under_7_days += 1,
            a if a <= 30 => blockers.from_7_to_30_days += 1,
            _ => blockers.over_30_days += 1,
        }
        blockers.oldest_days = Some(blockers.oldest_days.map_or(age, |o| o.max(age)));
        *blockers_by_ministry.entry(responsible.unwrap_or(*raised_by)).or_default() += 1;
    }

    let mut ministry_ids: BTreeSet<Uuid> = members.into_iter().flatten().collect();
    ministry_ids.extend(tasks.iter().map(|t| t.lead_ministry_id));
    let ministries = ministry_ids
        .into_iter()
        .map(|m| {
            let expected_n = expected.iter().filter(|(_, min)| *min == m).count() as u64;
            let missing_n = missing_reports.iter().filter(|(_, min)| *min == m).count() as u64;
            MinistryRow {
                ministry_id: m,
                expected: expected_n,
                submitted: reports.iter().filter(|r| r.ministry_id == m && r.status != ReportStatus::Draft).count()
                    as u64,
                missing: missing_n,
                late: late_reports.iter().filter(|r| r.ministry_id == m).count() as u64,
                open_blockers: blockers_by_ministry.get(&m).copied().unwrap_or(0),
            }
        })
        .collect();

    Ok(MonthlySummary {
        window,
        working_group_id,
        as_of: today,
        tasks: counts,
        missing_reports,
        late_reports,
        overdue_tasks,
        blockers,
        ministries,
    })
}
