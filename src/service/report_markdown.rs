//! The monthly summary as a Markdown document in Vietnamese, ready to paste into the Working
//! Group's official report to the Steering Committee.

use super::summary::{self, MonthlySummary};
use super::AppState;
use crate::error::AppResult;
use entity::enums::Severity;
use entity::{ministry, task, working_group};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::fmt::Write;
use uuid::Uuid;

fn severity_vi(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Thấp",
        Severity::Medium => "Trung bình",
        Severity::High => "Cao",
        Severity::Critical => "Nghiêm trọng",
    }
}

fn date_vi(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Writes the summary of `working_group_id` (the first working group when `None`) for `period`.
pub async fn render(state: &AppState, working_group_id: Option<Uuid>, period: &str) -> AppResult<String> {
    let group = match working_group_id {
        Some(id) => super::find::<_, working_group::Entity>(&state.db, id, "working group").await?,
        None => working_group::Entity::find()
            .one(&state.db)
            .await?
            .ok_or_else(|| crate::AppError::not_found("working group"))?,
    };
    let s = summary::monthly(state, group.id, period).await?;
    let ministries: HashMap<Uuid, ministry::Model> =
        ministry::Entity::find().all(&state.db).await?.into_iter().map(|m| (m.id, m)).collect();
    let task_ids: Vec<Uuid> =
        s.missing_reports.iter().map(|(t, _)| *t).chain(s.late_reports.iter().map(|r| r.task_id)).collect();
    let tasks: HashMap<Uuid, task::Model> = task::Entity::find()
        .filter(task::Column::Id.is_in(task_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    Ok(write(&group, &s, &ministries, &tasks))
}

fn write(
    group: &working_group::Model,
    s: &MonthlySummary,
    ministries: &HashMap<Uuid, ministry::Model>,
    tasks: &HashMap<Uuid, task::Model>,
) -> String {
    let m_name = |id: &Uuid| ministries.get(id).map(|m| m.name_vi.clone()).unwrap_or_else(|| "(không rõ)".into());
    let t_name =
        |id: &Uuid| tasks.get(id).map(|t| format!("{} — {}", t.code, t.title)).unwrap_or_else(|| "(không rõ)".into());
    let w = &s.window;
    let mut out = String::new();
    let _ = writeln!(out, "# Báo cáo tình hình thực hiện nhiệm vụ — kỳ {:02}/{}", w.period.month, w.period.year);
    let _ = writeln!(out);
    let _ = writeln!(out, "**{}**", group.name_vi);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Số liệu từ ngày {} đến ngày {}; các bộ, cơ quan gửi báo cáo trước hết ngày {}; báo cáo tổng hợp gửi Ban Chỉ đạo trước hết ngày {}. Tình hình nhiệm vụ tính đến ngày {}.",
        date_vi(w.data_from),
        date_vi(w.data_to),
        date_vi(w.ministry_due_date),
        date_vi(w.consolidated_due_date),
        date_vi(s.as_of)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "## 1. Tình hình thực hiện nhiệm vụ");
    let _ = writeln!(out);
    let _ = writeln!(out, "| Phân loại | Số nhiệm vụ |");
    let _ = writeln!(out, "|---|---:|");
    let t = &s.tasks;
    let _ = writeln!(out, "| Hoàn thành đúng hạn | {} |", t.completed_on_time);
    let _ = writeln!(out, "| Hoàn thành quá hạn | {} |", t.completed_late);
    let _ = writeln!(out, "| Đang thực hiện trong hạn | {} |", t.in_progress_on_time);
    let _ = writeln!(out, "| Quá hạn chưa hoàn thành | {} |", t.overdue);
    let _ = writeln!(out);
    if !s.overdue_tasks.is_empty() {
        let _ = writeln!(out, "Nhiệm vụ quá hạn:");
        let _ = writeln!(out);
        for task in &s.overdue_tasks {
            let due = task.due_date.map(date_vi).unwrap_or_default();
            let _ = writeln!(
                out,
                "- {} — {} (chủ trì: {}; hạn {})",
                task.code,
                task.title,
                m_name(&task.lead_ministry_id),
                due
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## 2. Báo cáo định kỳ của các bộ, cơ quan");
    let _ = writeln!(out);
    let _ = writeln!(out, "| Bộ, cơ quan | Phải báo cáo | Đã gửi | Chưa gửi | Gửi muộn | Vướng mắc chưa xử lý |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for row in &s.ministries {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            m_name(&row.ministry_id),
            row.expected,
            row.submitted,
            row.missing,
            row.late,
            row.open_blockers
        );
    }
    let _ = writeln!(out);
    if s.missing_reports.is_empty() {
        let _ = writeln!(out, "Tất cả các bộ, cơ quan chủ trì đã gửi báo cáo.");
    } else {
        let _ = writeln!(out, "Đề nghị đôn đốc các báo cáo chưa gửi:");
        let _ = writeln!(out);
        for (task_id, ministry_id) in &s.missing_reports {
            let _ = writeln!(out, "- {}: {}", m_name(ministry_id), t_name(task_id));
        }
    }
    let _ = writeln!(out);
    if !s.late_reports.is_empty() {
        let _ = writeln!(out, "Báo cáo gửi muộn:");
        let _ = writeln!(out);
        for r in &s.late_reports {
            let _ = writeln!(out, "- {}: {}", m_name(&r.ministry_id), t_name(&r.task_id));
        }
        let _ = writeln!(out);
    }
    let b = &s.blockers;
    let _ = writeln!(out, "## 3. Khó khăn, vướng mắc chưa được xử lý");
    let _ = writeln!(out);
    let _ = writeln!(out, "Tổng số: {}.", b.total);
    let _ = writeln!(out);
    if b.total > 0 {
        let _ = writeln!(out, "| Mức độ | Số lượng |");
        let _ = writeln!(out, "|---|---:|");
        for (sev, n) in b.by_severity.iter().rev() {
            let _ = writeln!(out, "| {} | {} |", severity_vi(*sev), n);
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Theo thời gian tồn đọng: dưới 7 ngày: {}; từ 7 đến 30 ngày: {}; trên 30 ngày: {}{}.",
            b.under_7_days,
            b.from_7_to_30_days,
            b.over_30_days,
            b.oldest_days.map(|d| format!(" (lâu nhất {d} ngày)")).unwrap_or_default()
        );
        let _ = writeln!(out);
    }
    out
}
