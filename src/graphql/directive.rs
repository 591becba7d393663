//! Directives.

use super::connection::{args, connection, Conn};
use super::loaders::DirectiveId;
use super::scalars::Date;
use super::{actor, id, loader, state, uuid};
use crate::service::access::Action;
use crate::service::directives::{self, DirectiveFilter, DirectiveInput};
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::directive::Model;

pub struct Directive(pub Model);

/// A document that assigns tasks: a notice (Thông báo), decision (Quyết định) or letter (Công văn).
#[Object]
impl Directive {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The number as written, e.g. `22-TB/CQTTBCĐ` or `1131/QĐ-TTg`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Who issued it.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// The date of issue.
    async fn issued_on(&self) -> Date {
        Date(self.0.issued_on)
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub(crate) async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Directive>> {
    Ok(loader(ctx)?.load_one(DirectiveId(id)).await?.map(|m| Directive(std::sync::Arc::unwrap_or_clone(m))))
}

/// Filters of `directives`.
#[derive(InputObject, Default)]
pub struct DirectiveFilterInput {
    /// Words in the number, title, issuer or summary; diacritics and case are ignored.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct DirectiveQuery;

#[Object]
impl DirectiveQuery {
    /// Directives, newest first.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn directives(
        &self,
        ctx: &Context<'_>,
        filter: Option<DirectiveFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Directive>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        let filter = DirectiveFilter { search: filter.unwrap_or_default().search };
        let page = directives::list(state(ctx)?, &filter, &args(first, after, last, before)).await?;
        Ok(connection(page, Directive))
    }

    async fn directive(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Directive>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        load(ctx, uuid("id", &id)?).await
    }
}

/// A new directive.
#[derive(InputObject)]
pub struct CreateDirectiveInput {
    pub number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: Date,
    pub summary: Option<String>,
}

#[derive(Default)]
pub struct DirectiveMutation;

#[Object]
impl DirectiveMutation {
    /// Records a directive (ADMIN, SECRETARIAT).
    async fn create_directive(&self, ctx: &Context<'_>, input: CreateDirectiveInput) -> Result<Directive> {
        let input = DirectiveInput {
            number: input.number,
            title: input.title,
            issuer: input.issuer,
            issued_on: input.issued_on.0,
            summary: input.summary,
        };
        Ok(Directive(directives::create(state(ctx)?, actor(ctx)?, input).await?))
    }
}

/// Few fields, seldom in bulk: every field goes through its resolver.
impl super::direct::PlainFields for Directive {}
