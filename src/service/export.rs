//! Blocker exports for scripts and spreadsheets: every blocker that matches a filter, read page by
//! page in a stable order and written as CSV (UTF-8 with a BOM, so Excel shows Vietnamese) or
//! NDJSON.

use super::blockers::{self, BlockerFilter, BlockerOrderField};
use super::page::PageArgs;
use super::AppState;
use crate::error::AppResult;
use crate::service::rows::Columns;
use entity::{blocker, ministry, task};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub const CSV_HEADER: &str = "id,title,status,severity,category,origin,origin_name,raised_by,responsible_ministry,task,due_date,overdue,created_at,updated_at\n";

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

fn csv_field(text: &str) -> String {
    // Quote every field; a leading =, +, - or @ is prefixed so a spreadsheet does not run it.
    let guarded = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// One chunk of output for one page of blockers.
pub async fn render_page(
    state: &AppState,
    rows: &[blocker::Model],
    format: Format,
    codes: &HashMap<Uuid, String>,
) -> AppResult<String> {
    let task_ids: Vec<Uuid> = rows.iter().filter_map(|b| b.task_id).collect();
    let tasks: HashMap<Uuid, String> = task::Entity::find()
        .filter(task::Column::Id.is_in(task_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.code))
        .collect();
    let today = state.clock.today();
    let code = |id: Option<Uuid>| id.and_then(|i| codes.get(&i).cloned()).unwrap_or_default();
    let mut out = String::with_capacity(rows.len() * 256);
    for b in rows {
        let task_code = b.task_id.and_then(|t| tasks.get(&t).cloned()).unwrap_or_default();
        let overdue = blockers::is_overdue(b, today);
        match format {
            Format::Csv => {
                let fields = [
                    b.id.to_string(),
                    b.title.clone(),
                    b.status.to_string(),
                    b.severity.to_string(),
                    b.category.to_string(),
                    b.origin.to_string(),
                    b.origin_name.clone().unwrap_or_default(),
                    code(Some(b.raised_by_ministry_id)),
                    code(b.responsible_ministry_id),
                    task_code,
                    b.due_date.map(|d| d.to_string()).unwrap_or_default(),
                    overdue.to_string(),
                    b.created_at.to_rfc3339(),
                    b.updated_at.to_rfc3339(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
            Format::Ndjson => {
                let value = serde_json::json!({
                    "id": b.id, "title": b.title, "description": b.description, "status": b.status, "severity": b.severity,
                    "category": b.category, "origin": b.origin, "originName": b.origin_name,
                    "raisedBy": code(Some(b.raised_by_ministry_id)),
                    "responsibleMinistry": b.responsible_ministry_id.and_then(|i| codes.get(&i).cloned()),
                    "task": (!task_code.is_empty()).then_some(task_code), "dueDate": b.due_date, "overdue": overdue,
                    "resolution": b.resolution, "escalatedTo": b.escalated_to, "version": b.version,
                    "createdAt": b.created_at, "updatedAt": b.updated_at,
                });
                out.push_str(&value.to_string());
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// Ministry codes by id, for the export's columns.
pub async fn ministry_codes(state: &AppState) -> AppResult<HashMap<Uuid, String>> {
    Ok(ministry::Entity::find().all(&state.db).await?.into_iter().map(|m| (m.id, m.code)).collect())
}

/// Streams the export as chunks: the header, then a chunk per page of 500.
pub fn stream(
    state: Arc<AppState>,
    filter: BlockerFilter,
    format: Format,
) -> impl futures::Stream<Item = AppResult<String>> {
    struct Cursor {
        after: Option<String>,
        started: bool,
        done: bool,
        codes: Option<HashMap<Uuid, String>>,
    }
    let start = Cursor { after: None, started: false, done: false, codes: None };
    futures::stream::try_unfold(start, move |mut cur| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            if cur.done {
                return Ok(None);
            }
            if !cur.started {
                cur.started = true;
                cur.codes = Some(ministry_codes(&state).await?);
                let head = match format {
                    Format::Csv => format!("\u{feff}{CSV_HEADER}"),
                    Format::Ndjson => String::new(),
                };
                return Ok(Some((head, cur)));
            }
            let args = PageArgs { first: Some(500), after: cur.after.take(), ..Default::default() };
            let page =
                blockers::list(&state, &filter, BlockerOrderField::CreatedAt, false, &args, Columns::ALL).await?;
            cur.done = !page.has_next;
            cur.after = page.cursors.last().map(|c| c.encode());
            let rows: Vec<blocker::Model> = page.rows;
            let codes = cur.codes.clone().unwrap_or_default();
            let chunk = render_page(&state, &rows, format, &codes).await?;
            Ok(Some((chunk, cur)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_guarded() {
        assert_eq!(csv_field("Bộ \"Y tế\""), "\"Bộ \"\"Y tế\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
