//! Urging (đôn đốc): for a period, which (ministry, task) reports are missing, and one
//! `report.missing` event per ministry, at most once per ministry and period even with several
//! instances running (the `urgings` table's key decides).

use super::events;
use super::periods::{Period, PeriodWindow};
use super::AppState;
use crate::clock::VIETNAM;
use crate::error::AppResult;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use entity::enums::{ReportStatus, TaskStatus};
use entity::{ministry, monthly_report, task, urging};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// A ministry's missing reports for a period.
#[derive(Clone, Debug)]
pub struct Pending {
    pub ministry_id: Uuid,
    pub tasks: Vec<task::Model>,
    /// When it was urged for this period, if it was.
    pub urged_at: Option<DateTime<Utc>>,
}

/// Reports expected (the lead ministry of each active task) and not submitted for `period`.
pub async fn pending(state: &AppState, period: &str) -> AppResult<(Period, Vec<Pending>)> {
    let period = Period::parse("period", period)?;
    let tasks = task::Entity::find()
        .filter(task::Column::Status.eq(TaskStatus::Active))
        .order_by_asc(task::Column::Code)
        .all(&state.db)
        .await?;
    let submitted: HashSet<(Uuid, Uuid)> = monthly_report::Entity::find()
        .filter(monthly_report::Column::Period.eq(period.to_string()))
        .filter(monthly_report::Column::Status.ne(ReportStatus::Draft))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.task_id, r.ministry_id))
        .collect();
    let urged: BTreeMap<Uuid, DateTime<Utc>> = urging::Entity::find()
        .filter(urging::Column::Period.eq(period.to_string()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.ministry_id, u.created_at))
        .collect();
    let mut by_ministry: BTreeMap<Uuid, Vec<task::Model>> = BTreeMap::new();
    for t in tasks {
        if !submitted.contains(&(t.id, t.lead_ministry_id)) {
            by_ministry.entry(t.lead_ministry_id).or_default().push(t);
        }
    }
    let list = by_ministry
        .into_iter()
        .map(|(ministry_id, tasks)| Pending { ministry_id, tasks, urged_at: urged.get(&ministry_id).copied() })
        .collect();
    Ok((period, list))
}

/// Emits `report.missing` for each ministry with missing reports that has not yet been urged for
/// `period`; returns the ministries urged now.
pub async fn urge(state: &AppState, period: &str) -> AppResult<Vec<Pending>> {
    let (period, list) = pending(state, period).await?;
    let window = PeriodWindow::new(period, &state.periods);
    let mut urged = Vec::new();
    for mut p in list.into_iter().filter(|p| p.urged_at.is_none()) {
        let now = state.clock.now();
        let (_writer, txn) = state.begin_write().await?;
        let already = urging::Entity::find_by_id((p.ministry_id, period.to_string())).one(&txn).await?;
        if already.is_some() {
            continue;
        }
        let inserted = urging::ActiveModel {
            ministry_id: Set(p.ministry_id),
            period: Set(period.to_string()),
            missing: Set(p.tasks.len() as i32),
            created_at: Set(now),
        }
        .insert(&txn)
        .await;
        if let Err(err) = inserted {
            // Another instance urged it first (the key is unique): nothing to do.
            if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
                continue;
            }
            return Err(err.into());
        }
        let code = ministry::Entity::find_by_id(p.ministry_id).one(&txn).await?.map(|m| m.code).unwrap_or_default();
        let payload = json!({
            "ministryId": p.ministry_id,
            "ministryCode": code,
            "period": period.to_string(),
            "dueAt": window.ministry_due_at,
            "tasks": p.tasks.iter().map(|t| json!({ "id": t.id, "code": t.code, "title": t.title })).collect::<Vec<_>>(),
        });
        events::publish(&txn, "report", "report.missing", Some(p.ministry_id), payload, now).await?;
        txn.commit().await?;
        state.events.poke();
        p.urged_at = Some(now);
        urged.push(p);
    }
    Ok(urged)
}

/// Parses `HH:MM`.
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// The next moment at `at` (Vietnam time) after `now`.
pub fn next_run(now: DateTime<Utc>, at: NaiveTime) -> DateTime<Utc> {
    let today = now.with_timezone(&VIETNAM).date_naive();
    for day in [today, today.succ_opt().unwrap_or(today)] {
        if let Some(t) = VIETNAM.from_local_datetime(&day.and_time(at)).single() {
            let t = t.with_timezone(&Utc);
            if t > now {
                return t;
            }
        }
    }
    now + chrono::Duration::days(1)
}

/// The daily job: at the set time, urges for the period whose reports are being collected (the
/// last one whose data window has closed).
pub async fn run_daily(state: Arc<AppState>, at: NaiveTime) {
    loop {
        let now = Utc::now();
        let wait = (next_run(now, at) - now).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        let period = Period::containing(state.clock.today(), &state.periods).previous();
        match urge(&state, &period.to_string()).await {
            Ok(urged) => tracing::info!(%period, ministries = urged.len(), "daily urging done"),
            Err(err) => tracing::warn!(%period, error = %err.detail(), "daily urging failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_in_vietnam_time() {
        let at = parse_time_of_day("08:00").unwrap();
        let utc = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        // 07:30 in Hanoi: today at 08:00, which is 01:00 UTC.
        assert_eq!(next_run(utc("2026-05-20T00:30:00Z"), at), utc("2026-05-20T01:00:00Z"));
        // 08:30 in Hanoi: tomorrow.
        assert_eq!(next_run(utc("2026-05-20T01:30:00Z"), at), utc("2026-05-21T01:00:00Z"));
        assert!(parse_time_of_day("8h").is_none());
    }
}
