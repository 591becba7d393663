//! A dataset at national scale for benchmarks: 100 agencies; 5,000 tasks, 300,000 monthly reports
//! over five years, 50,000 blockers (about 10% unresolved), with their events and audit rows,
//! times `scale`. The scale multiplies the tasks with their reports and blockers, over the same
//! five years, not the agencies: the country plans for 100 reporting agencies however large the
//! programme grows. Deterministic from `seed` (and today's date, which anchors the history: the
//! current and previous periods are left without reports, for the month-end burst).

use super::periods::Period;
use super::AppState;
use crate::error::AppResult;
use crate::text;
use chrono::{DateTime, Duration, Utc};
use entity::enums::*;
use entity::{
    audit_event, blocker, blocker_event, ministry, monthly_report, report_revision, task, task_cooperator, user,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use std::time::Instant;
use uuid::Uuid;

/// The password of every generated user.
pub const PASSWORD: &str = "benchmark password 2026";

/// How big, and which random choices.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub scale: f64,
    pub seed: u64,
}

impl Plan {
    fn count(&self, at_scale_1: f64) -> usize {
        (at_scale_1 * self.scale).round().max(1.0) as usize
    }
    /// The planned 100 reporting agencies (the reference ministries among them), at every scale.
    pub fn agencies(&self) -> usize {
        AGENCIES.max(super::seed::MINISTRIES.len())
    }
    pub fn tasks(&self) -> usize {
        self.count(5_000.0)
    }
    pub fn reports(&self) -> usize {
        self.count(300_000.0)
    }
    pub fn blockers(&self) -> usize {
        self.count(50_000.0)
    }
}

/// Reporting agencies to plan for (`../shared/domain.md`, "Scale to plan for").
const AGENCIES: usize = 100;

/// What was generated, for the benchmark to aim at.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    pub ministries: Vec<(Uuid, String)>,
    pub tasks: Vec<Uuid>,
    /// (task, ministry) pairs a ministry may report on (lead or cooperating), active tasks only.
    pub report_pairs: Vec<(Uuid, Uuid)>,
    /// Officer user names, two per ministry, in ministry order.
    pub officers: Vec<(String, Uuid)>,
    pub working_group: Uuid,
}

/// An id drawn from the seeded generator, so two runs produce the same rows.
fn uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

fn progress(what: &str, n: usize, started: Instant) {
    eprintln!("  {what:<22} {n:>9} rows  ({:.1} s)", started.elapsed().as_secs_f64());
}

/// A step without rows: announced before it starts, since at scale 10 it takes half a minute.
fn step_started(what: &str) {
    eprintln!("  {what}…");
}

fn step_done(what: &str, started: Instant) {
    eprintln!("  {what:<22} {:>9}       ({:.1} s)", "done", started.elapsed().as_secs_f64());
}

async fn insert_chunks<C, E, A>(conn: &C, rows: Vec<A>, per_chunk: usize) -> AppResult<usize>
where
    C: ConnectionTrait,
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let n = rows.len();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_chunk).collect();
        E::insert_many(chunk).exec_without_returning(conn).await?;
    }
    Ok(n)
}

/// SQLite's page cache while generating, in KiB, at scale 1 (about half the database it fills).
const GENERATION_CACHE_KIB: f64 = 256.0 * 1024.0;

/// The generation cache grows with the scale, so that it stays about half the database: at scale
/// 10 a cache of scale 1's size sent index pages out to the write-ahead log and back (7 minutes,
/// 45% of it system time). Never below scale 1's, never above 4 GiB.
fn generation_cache_kib(scale: f64) -> u64 {
    (GENERATION_CACHE_KIB * scale.clamp(1.0, 16.0)) as u64
}

/// Generates the dataset into a database that holds only the reference data.
pub async fn generate(state: &AppState, plan: Plan) -> AppResult<Generated> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let now = state.clock.now();
    let today = state.clock.today();
    let current = Period::containing(today, &state.periods);
    eprintln!("generating scale {} (seed {}) anchored on {today}, current period {current}", plan.scale, plan.seed);
    let txn = state.db.begin().await?;
    // SQLite: the whole dataset is one transaction, and with the default page cache (2 MB) its
    // index pages went out to the write-ahead log and were read back over and over, half the
    // time spent in system calls. A large cache while generating; the usual one back before the
    // connection returns to the pool.
    let sqlite = state.db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    if sqlite {
        txn.execute_unprepared(&format!("PRAGMA cache_size = -{}", generation_cache_kib(plan.scale))).await?;
    }
    let mut out = Generated::default();

    // Agencies: the reference ministries, then provinces up to the planned number.
    let mut ministries: Vec<ministry::Model> =
        ministry::Entity::find().order_by_asc(ministry::Column::Code).all(&txn).await?;
    let mut new_ministries = Vec::new();
    for i in ministries.len()..plan.agencies() {
        let code = format!("P{:03}", i);
        let name_vi = format!("Ủy ban nhân dân tỉnh thử nghiệm số {i}");
        new_ministries.push(ministry::Model {
            id: uuid(&mut rng),
            search_text: text::search_text([Some(code.as_str()), Some(name_vi.as_str())]),
            code,
            name_vi,
            name_en: format!("Test Province {i}"),
            kind: MinistryKind::Province,
            version: 1,
            created_at: now,
            updated_at: now,
        });
    }
    ministries.extend(new_ministries.iter().cloned());
    insert_chunks(&txn, new_ministries.into_iter().map(ministry::ActiveModel::from).collect(), 1_000).await?;
    progress("agencies", ministries.len(), started);
    out.ministries = ministries.iter().map(|m| (m.id, m.code.clone())).collect();
    let group = entity::working_group::Entity::find()
        .one(&txn)
        .await?
        .ok_or_else(|| crate::AppError::not_found("working group (seed first)"))?;
    out.working_group = group.id;
    let directive = entity::directive::Entity::find().one(&txn).await?.map(|d| d.id);

    // Users: two officers per agency, sharing one real argon2 hash.
    let hash = state.passwords.hash(PASSWORD.to_owned()).await?;
    let mut users = Vec::new();
    for m in &ministries {
        for n in 1..=2 {
            let username = format!("bench.{}.{n}", m.code.to_lowercase());
            let id = uuid(&mut rng);
            out.officers.push((username.clone(), m.id));
            users.push(user::Model {
                id,
                display_name: username.clone(),
                username,
                role: Role::MinistryOfficer,
                ministry_id: Some(m.id),
                password_hash: hash.clone(),
                active: true,
                version: 1,
                created_at: now,
                updated_at: now,
            });
        }
    }
    for (username, role) in
        [("bench.secretariat", Role::Secretariat), ("bench.chair", Role::Chair), ("bench.observer", Role::Observer)]
    {
        users.push(user::Model {
            id: uuid(&mut rng),
            username: username.into(),
            display_name: username.into(),
            role,
            ministry_id: None,
            password_hash: hash.clone(),
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        });
    }
    let user_ids: Vec<(Uuid, Uuid)> = users.iter().filter_map(|u| u.ministry_id.map(|m| (m, u.id))).collect();
    let n = insert_chunks(&txn, users.into_iter().map(user::ActiveModel::from).collect(), 1_000).await?;
    progress("users", n, started);

    // Tasks: one lead and three cooperating agencies each; most active, some done, a few drafts.
    let mut tasks = Vec::with_capacity(plan.tasks());
    let mut links = Vec::with_capacity(plan.tasks() * 2);
    for i in 0..plan.tasks() {
        let lead = rng.gen_range(0..ministries.len());
        let due = today + Duration::days(rng.gen_range(-720..=360));
        let roll: f64 = rng.gen();
        let status = if roll < 0.30 {
            TaskStatus::Completed
        } else if roll < 0.95 {
            TaskStatus::Active
        } else if roll < 0.98 {
            TaskStatus::Draft
        } else {
            TaskStatus::Cancelled
        };
        let title = format!("Nhiệm vụ phát triển công nghệ chiến lược số {i}");
        let id = uuid(&mut rng);
        tasks.push(task::Model {
            id,
            search_text: text::search_text([Some(format!("NV-{i:05}").as_str()), Some(title.as_str())]),
            code: format!("NV-{i:05}"),
            title,
            description: Some("Triển khai theo Thông báo 22-TB/CQTTBCĐ.".into()),
            status,
            lead_ministry_id: ministries[lead].id,
            working_group_id: Some(group.id),
            directive_id: directive,
            focal_person_name: Some(format!("Cán bộ đầu mối {i}")),
            focal_person_title: Some("Vụ trưởng".into()),
            due_date: Some(due),
            approving_authority: Some("Thủ tướng Chính phủ".into()),
            expected_output: Some("Báo cáo kết quả".into()),
            resources: Some("Ngân sách thường xuyên".into()),
            completed_at: (status == TaskStatus::Completed).then(|| now - Duration::days(rng.gen_range(1..600))),
            completed_on_time: (status == TaskStatus::Completed).then(|| rng.gen_bool(0.7)),
            cancel_reason: (status == TaskStatus::Cancelled).then(|| "Gộp vào nhiệm vụ khác".into()),
            version: 1,
            created_at: now - Duration::days(800),
            updated_at: now,
        });
        for k in 1..=3 {
            let coop = (lead + k * 7 + i) % ministries.len();
            if coop != lead {
                links.push(task_cooperator::Model { task_id: id, ministry_id: ministries[coop].id });
            }
        }
    }
    links.sort_by_key(|l| (l.task_id, l.ministry_id));
    links.dedup_by_key(|l| (l.task_id, l.ministry_id));
    for t in tasks.iter().filter(|t| t.status == TaskStatus::Active) {
        out.report_pairs.push((t.id, t.lead_ministry_id));
    }
    let active: std::collections::HashSet<Uuid> =
        tasks.iter().filter(|t| t.status == TaskStatus::Active).map(|t| t.id).collect();
    for l in links.iter().filter(|l| active.contains(&l.task_id)) {
        out.report_pairs.push((l.task_id, l.ministry_id));
    }
    out.tasks = tasks.iter().map(|t| t.id).collect();
    let task_leads: Vec<(Uuid, Uuid)> = tasks.iter().map(|t| (t.id, t.lead_ministry_id)).collect();
    let n = insert_chunks(&txn, tasks.into_iter().map(task::ActiveModel::from).collect(), 800).await?;
    progress("tasks", n, started);
    let n = insert_chunks(&txn, links.iter().cloned().map(task_cooperator::ActiveModel::from).collect(), 5_000).await?;
    progress("cooperating links", n, started);

    // Reports: five years of periods before the previous one, spread over all (task, ministry) pairs.
    let mut pairs: Vec<(Uuid, Uuid)> = task_leads.clone();
    pairs.extend(links.iter().map(|l| (l.task_id, l.ministry_id)));
    let periods = 60usize;
    let per_period = plan.reports().div_ceil(periods).min(pairs.len());
    let officer_of = |m: Uuid| user_ids.iter().find(|(mm, _)| *mm == m).map(|(_, u)| *u).unwrap_or_default();
    let mut officers: std::collections::HashMap<Uuid, Uuid> = std::collections::HashMap::new();
    for (m, _) in &out.ministries {
        officers.insert(*m, officer_of(*m));
    }
    let mut period = current.previous().previous();
    let mut total_reports = 0;
    for p in 0..periods {
        let mut reports = Vec::with_capacity(per_period);
        let mut revisions = Vec::with_capacity(per_period);
        let mut audits = Vec::with_capacity(per_period);
        let window = super::periods::PeriodWindow::new(period, &state.periods);
        for k in 0..per_period {
            if total_reports + reports.len() >= plan.reports() {
                break;
            }
            let (task_id, ministry_id) = pairs[(p * 7919 + k) % pairs.len()];
            let submitted_at = window.ministry_due_at - Duration::minutes(rng.gen_range(-600..20_000));
            let late = window.is_late(submitted_at);
            let by = officers.get(&ministry_id).copied().unwrap_or_default();
            let roll: f64 = rng.gen();
            let status = if roll < 0.85 {
                ReportStatus::Accepted
            } else if roll < 0.95 {
                ReportStatus::Submitted
            } else {
                ReportStatus::Returned
            };
            let id = uuid(&mut rng);
            let health = *[Health::OnTrack, Health::OnTrack, Health::AtRisk, Health::OffTrack]
                .get(rng.gen_range(0..4))
                .unwrap_or(&Health::OnTrack);
            let progress_percent = rng.gen_range(0..=100);
            reports.push(monthly_report::Model {
                id,
                task_id,
                ministry_id,
                period: period.to_string(),
                status,
                progress_percent,
                health,
                summary: "Đã triển khai các nội dung theo kế hoạch.".into(),
                achievements: Some("Hoàn thành dự thảo.".into()),
                next_steps: Some("Lấy ý kiến các bộ, ngành.".into()),
                submitted_at: Some(submitted_at),
                submitted_by: Some(by),
                submitted_by_name: Some("bench".into()),
                late,
                revision: 1,
                review_comment: None,
                reviewed_at: None,
                reviewed_by: None,
                reviewed_by_name: None,
                version: 2,
                created_at: submitted_at,
                updated_at: submitted_at,
            });
            revisions.push(report_revision::Model {
                id: uuid(&mut rng),
                report_id: id,
                revision: 1,
                progress_percent,
                health,
                summary: "Đã triển khai các nội dung theo kế hoạch.".into(),
                achievements: Some("Hoàn thành dự thảo.".into()),
                next_steps: Some("Lấy ý kiến các bộ, ngành.".into()),
                submitted_at,
                submitted_by: by,
                submitted_by_name: "bench".into(),
                late,
            });
            audits.push(audit(&mut rng, by, "submitMonthlyReport", "MonthlyReport", id, submitted_at));
        }
        total_reports += reports.len();
        insert_chunks(&txn, reports.into_iter().map(monthly_report::ActiveModel::from).collect(), 1_000).await?;
        insert_chunks(&txn, revisions.into_iter().map(report_revision::ActiveModel::from).collect(), 1_500).await?;
        insert_chunks(&txn, audits.into_iter().map(audit_event::ActiveModel::from).collect(), 2_000).await?;
        if p % 12 == 11 {
            progress("monthly reports", total_reports, started);
        }
        period = period.previous();
    }
    progress("monthly reports", total_reports, started);

    // Blockers: about 10% unresolved, each with its events and audit rows.
    let mut blocker_rows = Vec::with_capacity(5_000);
    let mut events = Vec::with_capacity(15_000);
    let mut audits = Vec::with_capacity(15_000);
    let mut made = 0;
    for i in 0..plan.blockers() {
        let raised_by = ministries[rng.gen_range(0..ministries.len())].id;
        let responsible = ministries[rng.gen_range(0..ministries.len())].id;
        let created = now - Duration::minutes(rng.gen_range(60..(5 * 365 * 24 * 60)));
        let roll: f64 = rng.gen();
        let path: &[BlockerStatus] = if roll < 0.03 {
            &[BlockerStatus::Open]
        } else if roll < 0.06 {
            &[BlockerStatus::Open, BlockerStatus::Forwarded]
        } else if roll < 0.09 {
            &[BlockerStatus::Open, BlockerStatus::Forwarded, BlockerStatus::InProgress]
        } else if roll < 0.10 {
            &[BlockerStatus::Open, BlockerStatus::Forwarded, BlockerStatus::InProgress, BlockerStatus::Escalated]
        } else if roll < 0.95 {
            &[BlockerStatus::Open, BlockerStatus::Forwarded, BlockerStatus::InProgress, BlockerStatus::Resolved]
        } else {
            &[BlockerStatus::Open, BlockerStatus::Withdrawn]
        };
        let status = *path.last().unwrap_or(&BlockerStatus::Open);
        let forwarded = path.contains(&BlockerStatus::Forwarded);
        let id = uuid(&mut rng);
        let (task_id, _) = task_leads[rng.gen_range(0..task_leads.len())];
        let severity = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical][rng.gen_range(0..4)];
        let category = [
            BlockerCategory::StrategyAlignment,
            BlockerCategory::Coordination,
            BlockerCategory::MarketAndEnterprise,
            BlockerCategory::Funding,
            BlockerCategory::InstitutionsAndLaw,
            BlockerCategory::PeopleAndSkills,
            BlockerCategory::InfrastructureAndData,
            BlockerCategory::Other,
        ][rng.gen_range(0..8)];
        let title = format!("Vướng mắc về thủ tục số {i}");
        let actor = officers.get(&raised_by).copied().unwrap_or_default();
        let mut at = created;
        for (seq, step) in path.iter().enumerate() {
            let kind = match step {
                BlockerStatus::Open => BlockerEventKind::Raised,
                BlockerStatus::Forwarded => BlockerEventKind::Forwarded,
                BlockerStatus::InProgress => BlockerEventKind::Acknowledged,
                BlockerStatus::Resolved => BlockerEventKind::Resolved,
                BlockerStatus::Escalated => BlockerEventKind::Escalated,
                BlockerStatus::Withdrawn => BlockerEventKind::Withdrawn,
            };
            events.push(blocker_event::Model {
                id: uuid(&mut rng),
                blocker_id: id,
                seq: seq as i32 + 1,
                kind,
                from_status: (seq > 0).then(|| path[seq - 1]),
                to_status: *step,
                actor_id: actor,
                actor_name: "bench".into(),
                note: None,
                created_at: at,
            });
            audits.push(audit(&mut rng, actor, "blockerEvent", "Blocker", id, at));
            if seq + 1 < path.len() {
                at = (at + Duration::hours(rng.gen_range(1..400))).min(now);
            }
        }
        blocker_rows.push(blocker::Model {
            id,
            search_text: text::search_text([Some(title.as_str())]),
            title,
            description: "Doanh nghiệp đề nghị hướng dẫn.".into(),
            severity,
            category,
            status,
            origin: BlockerOrigin::Enterprise,
            origin_name: Some(format!("Doanh nghiệp {}", i % 997)),
            raised_by_ministry_id: raised_by,
            raised_by_actor_id: actor,
            raised_by_actor_name: "bench".into(),
            responsible_ministry_id: forwarded.then_some(responsible),
            task_id: Some(task_id),
            due_date: forwarded.then(|| (created + Duration::days(30)).date_naive()),
            resolution: (status == BlockerStatus::Resolved).then(|| "Đã hướng dẫn.".into()),
            escalated_to: (status == BlockerStatus::Escalated).then(|| "Thủ tướng Chính phủ".into()),
            escalation_reason: (status == BlockerStatus::Escalated).then(|| "Vượt thẩm quyền.".into()),
            resolved_at: (status == BlockerStatus::Resolved).then_some(at),
            version: path.len() as i32,
            created_at: created,
            updated_at: at,
        });
        if blocker_rows.len() == 5_000 {
            made += flush_blockers(&txn, &mut blocker_rows, &mut events, &mut audits).await?;
            progress("blockers", made, started);
        }
    }
    made += flush_blockers(&txn, &mut blocker_rows, &mut events, &mut audits).await?;
    progress("blockers", made, started);
    if sqlite {
        txn.execute_unprepared("PRAGMA cache_size = -2000").await?;
    }
    step_started("committing");
    txn.commit().await?;
    step_done("commit", started);
    // Fresh statistics, as a database in service would have.
    let analyze = match state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    step_started("gathering statistics");
    state.db.execute_unprepared(analyze).await?;
    step_done("statistics", started);
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());
    Ok(out)
}

fn audit(
    rng: &mut StdRng,
    actor: Uuid,
    operation: &str,
    object_type: &str,
    object: Uuid,
    at: DateTime<Utc>,
) -> audit_event::Model {
    audit_event::Model {
        id: uuid(rng),
        actor_id: Some(actor),
        actor_name: "bench".into(),
        actor_role: "MINISTRY_OFFICER".into(),
        operation: operation.into(),
        object_type: object_type.into(),
        object_id: Some(object),
        before: None,
        after: Some(serde_json::json!({ "generated": true })),
        request_id: None,
        created_at: at,
    }
}

async fn flush_blockers(
    txn: &DatabaseTransaction,
    blockers: &mut Vec<blocker::Model>,
    events: &mut Vec<blocker_event::Model>,
    audits: &mut Vec<audit_event::Model>,
) -> AppResult<usize> {
    let n = blockers.len();
    insert_chunks(txn, blockers.drain(..).map(blocker::ActiveModel::from).collect(), 1_000).await?;
    insert_chunks(txn, events.drain(..).map(blocker_event::ActiveModel::from).collect(), 2_000).await?;
    insert_chunks(txn, audits.drain(..).map(audit_event::ActiveModel::from).collect(), 2_000).await?;
    Ok(n)
}

/// Whether the database already holds generated data.
pub async fn already_generated(state: &AppState) -> AppResult<bool> {
    use sea_orm::ColumnTrait;
    Ok(user::Entity::find().filter(user::Column::Username.starts_with("bench.")).one(&state.db).await?.is_some())
}
