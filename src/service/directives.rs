//! Directives: the documents tasks come from (Thông báo, Quyết định, Công văn).

use super::audit::{self, Change};
use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::{validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use crate::text;
use chrono::NaiveDate;
use entity::directive::{self, Column, Entity as Directive};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

#[derive(Clone, Debug, Default)]
pub struct DirectiveFilter {
    pub search: Option<String>,
}

/// Newest first.
pub async fn list(state: &AppState, filter: &DirectiveFilter, args: &PageArgs) -> AppResult<Page<directive::Model>> {
    let mut select = Directive::find();
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(Column::SearchText.like(text::like_pattern(term)));
    }
    let key = SortKey::new(Column::IssuedOn.into_expr(), KeyKind::Date, true);
    paginate(&state.db, select, Column::Id, key, args, |m| (KeyValue::Date(m.issued_on), m.id)).await
}

pub async fn by_number<C: ConnectionTrait>(conn: &C, number: &str) -> AppResult<Option<directive::Model>> {
    Ok(Directive::find().filter(Column::Number.eq(number.trim())).one(conn).await?)
}

pub struct DirectiveInput {
    pub number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub summary: Option<String>,
}

/// The active model of a new directive (shared with seeding).
pub fn new_directive(input: &DirectiveInput, now: chrono::DateTime<chrono::Utc>) -> AppResult<directive::ActiveModel> {
    let number = validate::required("number", &input.number, 100)?;
    let title = validate::required("title", &input.title, validate::LONG)?;
    let issuer = validate::required("issuer", &input.issuer, validate::SHORT)?;
    let summary = validate::optional("summary", input.summary.as_deref(), validate::LONG)?;
    Ok(directive::ActiveModel {
        id: Set(Uuid::new_v4()),
        search_text: Set(text::search_text([Some(number.as_str()), Some(&title), Some(&issuer), summary.as_deref()])),
        number: Set(number),
        title: Set(title),
        issuer: Set(issuer),
        issued_on: Set(input.issued_on),
        summary: Set(summary),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

pub async fn create(state: &AppState, actor: &Actor, input: DirectiveInput) -> AppResult<directive::Model> {
    actor.principal.require(Action::ManageReference)?;
    let now = state.clock.now();
    let active = new_directive(&input, now)?;
    let (_writer, txn) = state.begin_write().await?;
    if by_number(&txn, &input.number).await?.is_some() {
        return Err(AppError::Conflict(format!("directive `{}` already exists", input.number.trim())));
    }
    let model = active.insert(&txn).await?;
    let change = Change::created("createDirective", "Directive", model.id, &model);
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(model)
}
