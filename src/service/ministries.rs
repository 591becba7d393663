//! Ministries and agencies: the bodies that lead, cooperate, report and raise blockers.

use super::audit::{self, snapshot, Change};
use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::{check_version, find, update_versioned, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use crate::text;
use entity::enums::MinistryKind;
use entity::ministry::{self, Column, Entity as Ministry};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

#[derive(Clone, Debug, Default)]
pub struct MinistryFilter {
    pub search: Option<String>,
    pub kind: Option<MinistryKind>,
    pub codes: Option<Vec<String>>,
}

pub async fn list(state: &AppState, filter: &MinistryFilter, args: &PageArgs) -> AppResult<Page<ministry::Model>> {
    let mut select = Ministry::find();
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(Column::SearchText.like(text::like_pattern(term)));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind));
    }
    if let Some(codes) = &filter.codes {
        select = select.filter(Column::Code.is_in(codes.iter().map(|c| c.trim().to_uppercase())));
    }
    let key = SortKey::new(Column::Code.into_expr(), KeyKind::Text, false);
    paginate(&state.db, select, Column::Id, key, args, |m| (KeyValue::Text(m.code.clone()), m.id)).await
}

pub async fn by_code<C: ConnectionTrait>(conn: &C, code: &str) -> AppResult<Option<ministry::Model>> {
    Ok(Ministry::find().filter(Column::Code.eq(code.trim().to_uppercase())).one(conn).await?)
}

/// Finds a ministry by code or answers BAD_USER_INPUT naming `field`.
pub async fn require_code<C: ConnectionTrait>(conn: &C, field: &str, code: &str) -> AppResult<ministry::Model> {
    by_code(conn, code).await?.ok_or_else(|| AppError::bad_input(field, format!("no ministry has code `{code}`")))
}

/// Finds a ministry by id or answers NOT_FOUND naming `field`.
pub async fn require_id<C: ConnectionTrait>(conn: &C, field: &str, id: Uuid) -> AppResult<ministry::Model> {
    Ministry::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{field}: no ministry has this id")))
}

pub struct MinistryInput {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: MinistryKind,
}

fn check_code(code: &str) -> AppResult<String> {
    let code = validate::required("code", code, 32)?.to_uppercase();
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(AppError::bad_input("code", "use letters, digits, `-` and `_` only, e.g. MOST"));
    }
    Ok(code)
}

pub async fn create(state: &AppState, actor: &Actor, input: MinistryInput) -> AppResult<ministry::Model> {
    actor.principal.require(Action::ManageReference)?;
    let code = check_code(&input.code)?;
    let name_vi = validate::required("nameVi", &input.name_vi, validate::SHORT)?;
    let name_en = validate::required("nameEn", &input.name_en, validate::SHORT)?;
    let (_writer, txn) = state.begin_write().await?;
    if by_code(&txn, &code).await?.is_some() {
        return Err(AppError::Conflict(format!("a ministry with code `{code}` already exists")));
    }
    let now = state.clock.now();
    let model = ministry::ActiveModel {
        id: Set(Uuid::new_v4()),
        search_text: Set(text::search_text([Some(code.as_str()), Some(&name_vi), Some(&name_en)])),
        code: Set(code),
        name_vi: Set(name_vi),
        name_en: Set(name_en),
        kind: Set(input.kind),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let change = Change::created("createMinistry", "Ministry", model.id, &model);
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(model)
}

pub struct MinistryUpdate {
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub kind: Option<MinistryKind>,
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    input: MinistryUpdate,
) -> AppResult<ministry::Model> {
    actor.principal.require(Action::ManageReference)?;
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, Ministry>(&txn, id, "ministry").await?;
    check_version(before.version, expected, "ministry")?;
    let name_vi = match &input.name_vi {
        Some(v) => validate::required("nameVi", v, validate::SHORT)?,
        None => before.name_vi.clone(),
    };
    let name_en = match &input.name_en {
        Some(v) => validate::required("nameEn", v, validate::SHORT)?,
        None => before.name_en.clone(),
    };
    let now = state.clock.now();
    let changes = ministry::ActiveModel {
        search_text: Set(text::search_text([Some(before.code.as_str()), Some(&name_vi), Some(&name_en)])),
        name_vi: Set(name_vi),
        name_en: Set(name_en),
        kind: Set(input.kind.unwrap_or(before.kind)),
        version: Set(expected + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    update_versioned(&txn, changes, (Column::Id, id), (Column::Version, expected), "ministry").await?;
    let after = find::<_, Ministry>(&txn, id, "ministry").await?;
    let change = Change {
        operation: "updateMinistry",
        object_type: "Ministry",
        object_id: Some(id),
        before: snapshot(&before),
        after: snapshot(&after),
    };
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(after)
}
