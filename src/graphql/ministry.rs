//! Ministries and agencies.

use super::connection::{self, args, Conn};
use super::direct::{enumerated, int, plain_id, text, value, Direct, Plain, PlainFields};
use super::loaders::{MinistryId, MinistryPart};
use super::shared::Shared;
use super::{actor, id, loader, opt_uuid, state, uuid};
use crate::error::AppError;
use crate::service::access::Action;
use crate::service::ministries::{self, MinistryFilter, MinistryInput, MinistryUpdate};
use crate::service::rows::Columns;
use async_graphql::{Context, ContextSelectionSet, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::MinistryKind;
use entity::ministry::Model;

pub struct Ministry(pub Shared<Model>);

impl From<Model> for Ministry {
    fn from(m: Model) -> Self {
        Self(Shared::new(m))
    }
}

/// A ministry, ministerial-level agency, government agency, province or other body that leads or
/// cooperates on tasks, reports, and raises blockers.
#[Object]
impl Ministry {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The usual English abbreviation, e.g. `MOST`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The Vietnamese name, e.g. "Bộ Khoa học và Công nghệ".
    async fn name_vi(&self) -> &str {
        &self.0.name_vi
    }
    /// The English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// The Vietnamese name (the official one).
    async fn name(&self) -> &str {
        &self.0.name_vi
    }
    /// What kind of body it is.
    async fn kind(&self) -> MinistryKind {
        self.0.kind
    }
    /// Increases with every change; pass it as `expectedVersion` to change the ministry.
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

/// Loads a ministry through the request's loader.
pub(crate) async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Direct<Ministry>>> {
    Ok(loader(ctx)?.load_one(MinistryId(id)).await?.map(|m| Direct(Ministry(m))))
}

/// A ministry with (at least) `columns` read, through the request's loader.
pub(crate) async fn load_columns(
    ctx: &Context<'_>,
    id: uuid::Uuid,
    columns: Columns,
) -> Result<Option<Direct<Ministry>>> {
    if columns.is_all::<Model>() {
        return load(ctx, id).await;
    }
    Ok(loader(ctx)?.load_one(MinistryPart(id, columns)).await?.map(|m| Direct(Ministry(m))))
}

/// Loads ministries with `columns` into the request's loader, in one statement.
pub(crate) async fn load_many(
    loader: &crate::graphql::RequestLoader,
    ids: impl IntoIterator<Item = uuid::Uuid>,
    columns: Columns,
) -> Result<()> {
    if columns.is_all::<Model>() {
        loader.load_many(ids.into_iter().map(MinistryId)).await?;
    } else if loader.loader().keeps() {
        // As for tasks (`task::load_many`): narrowed rows are read from what the request keeps.
        loader.loader().ministries(ids, columns).await?;
    } else {
        loader.load_many(ids.into_iter().map(|id| MinistryPart(id, columns))).await?;
    }
    Ok(())
}

impl PlainFields for Ministry {
    fn plain(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Plain<'_>> {
        let m = &self.0;
        Some(match name {
            "id" => plain_id(m.id),
            "code" => text(&m.code),
            "nameVi" | "name" => text(&m.name_vi),
            "nameEn" => text(&m.name_en),
            "kind" => enumerated(m.kind),
            "version" => int(m.version),
            "createdAt" => value(&m.created_at),
            "updatedAt" => value(&m.updated_at),
            _ => return None,
        })
    }

    fn columns(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "id" => &[],
            "code" => &["code"],
            "nameVi" | "name" => &["name_vi"],
            "nameEn" => &["name_en"],
            "kind" => &["kind"],
            "version" => &["version"],
            "createdAt" => &["created_at"],
            "updatedAt" => &["updated_at"],
            _ => return None,
        })
    }
}

/// Filters of `ministries`.
#[derive(InputObject, Default)]
pub struct MinistryFilterInput {
    /// Words in the code or names; diacritics and case are ignored (`bo khoa hoc` finds "Bộ Khoa học").
    pub search: Option<String>,
    pub kind: Option<MinistryKind>,
    /// Only these codes.
    pub codes: Option<Vec<String>>,
}

#[derive(Default)]
pub struct MinistryQuery;

#[Object]
impl MinistryQuery {
    /// Ministries and agencies, by code.
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn ministries(
        &self,
        ctx: &Context<'_>,
        filter: Option<MinistryFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Ministry>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        let f = filter.unwrap_or_default();
        let filter = MinistryFilter { search: f.search, kind: f.kind, codes: f.codes };
        let page = ministries::list(state(ctx)?, &filter, &args(first, after, last, before)).await?;
        Ok(connection::shared(page, Ministry))
    }

    /// One ministry, by `id` or by `code`.
    async fn ministry(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> Result<Option<Direct<Ministry>>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        match (opt_uuid("id", &id)?, code) {
            (Some(id), _) => load(ctx, id).await,
            (None, Some(code)) => {
                Ok(ministries::by_code(&state(ctx)?.db, &code).await?.map(|m| Direct(Ministry::from(m))))
            }
            (None, None) => Err(AppError::bad_input("id", "give `id` or `code`").into()),
        }
    }
}

/// A new ministry or agency.
#[derive(InputObject)]
pub struct CreateMinistryInput {
    /// Unique, e.g. `MOST`; letters, digits, `-` and `_`.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: MinistryKind,
}

/// Changes to a ministry; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateMinistryInput {
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub kind: Option<MinistryKind>,
}

#[derive(Default)]
pub struct MinistryMutation;

#[Object]
impl MinistryMutation {
    /// Adds a ministry or agency (ADMIN, SECRETARIAT).
    async fn create_ministry(&self, ctx: &Context<'_>, input: CreateMinistryInput) -> Result<Ministry> {
        let input =
            MinistryInput { code: input.code, name_vi: input.name_vi, name_en: input.name_en, kind: input.kind };
        Ok(Ministry::from(ministries::create(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Renames or reclassifies a ministry (ADMIN, SECRETARIAT).
    async fn update_ministry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateMinistryInput,
    ) -> Result<Ministry> {
        let id = uuid("id", &id)?;
        let input = MinistryUpdate { name_vi: input.name_vi, name_en: input.name_en, kind: input.kind };
        Ok(Ministry::from(ministries::update(state(ctx)?, actor(ctx)?, id, expected_version, input).await?))
    }
}
