//! The GraphQL API: one module per domain, each with its types and its part of the Query and
//! Mutation roots, merged here. Resolvers are thin: read arguments, call `service`, map the result.

pub mod audit;
pub mod auth;
pub mod blocker;
pub mod connection;
pub mod direct;
pub mod directive;
pub mod json;
pub mod loaders;
pub mod ministry;
pub mod report;
pub mod scalars;
pub mod shared;
pub mod subscription;
pub mod summary;
pub mod task;
pub mod webhook;
pub mod working_group;

use crate::db::{StatementCounter, STATEMENTS};
use crate::error::AppError;
use crate::service::{Actor, AppState};
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{resolve_container, ContainerType};
use async_graphql::{
    Context, ContextSelectionSet, MergedObject, ObjectType, OutputType, Positioned, Schema, SchemaBuilder,
    ServerResult, Value, ID,
};
use loaders::Loaders;
use std::borrow::Cow;
use std::sync::Arc;
use uuid::Uuid;

/// Every query of the API.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Queries(
    auth::AuthQuery,
    ministry::MinistryQuery,
    working_group::WorkingGroupQuery,
    directive::DirectiveQuery,
    task::TaskQuery,
    report::ReportQuery,
    blocker::BlockerQuery,
    summary::SummaryQuery,
    audit::AuditQuery,
    webhook::WebhookQuery,
);

/// The query root: `Queries`, whose root fields take turns where the request says so (`Turn`).
#[derive(Default)]
pub struct Query(Queries);

/// Request data on SQLite: the root fields of one request resolve one after another instead of
/// at once. A dashboard asks for the monthly summary and a page of overdue tasks; resolved at once,
/// each request had two statements in flight, and four screens queued for the pool's four
/// connections, each queued statement another hand-over between threads. Taking turns, a
/// request holds one connection at a time, as the summary's own statements already do (see
/// `summary::MonthlySummary::read_in_turn`). On PostgreSQL a statement is a round trip to another
/// process, and root fields still run at once there.
#[derive(Default)]
pub struct Turn(tokio::sync::Mutex<()>);

impl ContainerType for Query {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        match ctx.data_opt::<Turn>() {
            Some(turn) => {
                let _held = turn.0.lock().await;
                self.0.resolve_field(ctx).await
            }
            None => self.0.resolve_field(ctx).await,
        }
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        self.0.find_entity(ctx, params).await
    }
}

impl OutputType for Query {
    fn type_name() -> Cow<'static, str> {
        Queries::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Queries::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve_container(ctx, self).await
    }
}

impl ObjectType for Query {}

/// Every mutation of the API. Each runs in one transaction and writes one audit event.
#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    ministry::MinistryMutation,
    working_group::WorkingGroupMutation,
    directive::DirectiveMutation,
    task::TaskMutation,
    report::ReportMutation,
    blocker::BlockerMutation,
    webhook::WebhookMutation,
);

pub use subscription::Subscription;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Limits that protect the server from expensive queries.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_depth: 15, max_complexity: 50_000, introspection: true }
    }
}

/// The schema without any state: for exporting the SDL and for tests.
pub fn schema_builder(limits: Limits) -> SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_directives(8)
        .limit_recursive_depth(32);
    if !limits.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
}

/// The running schema, holding the shared state.
pub fn build(state: Arc<AppState>, limits: Limits) -> AppSchema {
    schema_builder(limits).data(state).finish()
}

/// The same schema with async-graphql's fast validation: only the limits (complexity, depth,
/// fragment cycles) are checked, none of the document's rules. The HTTP edge runs on it only
/// documents that passed every rule before and variables it checked itself (`http::documents`).
pub fn build_for_checked(state: Arc<AppState>, limits: Limits) -> AppSchema {
    schema_builder(limits).validation_mode(async_graphql::ValidationMode::Fast).data(state).finish()
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    schema_builder(Limits::default()).finish().sdl()
}

/// The per-request data the HTTP edge adds to a GraphQL request.
/// The loader's batches run in their own tasks; they count toward the request's statements.
pub fn request_data(
    state: &Arc<AppState>,
    actor: Option<Actor>,
    counter: StatementCounter,
) -> (Option<Actor>, RequestLoader) {
    let spawn = move |batch| tokio::spawn(STATEMENTS.scope(counter.clone(), batch));
    let loader = DataLoader::with_cache(Loaders::new(state.db.clone()), spawn, HashMapCache::default())
        .delay(state.loader_delay);
    (actor, loader)
}

/// The loader of a subscription connection: it lives as long as the socket, so it does not cache.
pub fn subscription_loader(state: &Arc<AppState>) -> RequestLoader {
    let loader = DataLoader::with_cache(Loaders::uncached(state.db.clone()), tokio::spawn, HashMapCache::default());
    loader.enable_all_cache(false);
    loader
}

/// Today's date in Vietnam, read once for a whole request (request data): every row of one
/// answer is judged against the same day, and a page of 500 does not read the clock 500 times.
#[derive(Clone, Copy)]
pub struct Today(pub chrono::NaiveDate);

/// Today for this request: the request's own, or the clock's where a request has none (a
/// subscription's events).
pub(crate) fn today(ctx: &async_graphql::context::ContextBase<'_, impl Sized>) -> Result<chrono::NaiveDate, AppError> {
    match ctx.data_opt::<Today>() {
        Some(today) => Ok(today.0),
        None => ctx
            .data_opt::<Arc<AppState>>()
            .map(|state| state.clock.today())
            .ok_or_else(|| AppError::internal("schema built without state")),
    }
}

/// The loader of one request. It caches, so relations primed from a page are not fetched again.
pub type RequestLoader = DataLoader<Loaders, HashMapCache>;

pub(crate) fn state<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AppState>, AppError> {
    ctx.data::<Arc<AppState>>().map_err(|_| AppError::internal("schema built without state"))
}

/// Runs a mutation's service call through the writers: on SQLite on the writer thread, so that
/// its write turn is as short as the database allows (see `db::Writers`).
pub(crate) async fn write<T, Fut>(
    ctx: &Context<'_>,
    work: impl FnOnce(Arc<AppState>, Actor) -> Fut,
) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
{
    let (state, actor) = (state(ctx)?.clone(), actor(ctx)?.clone());
    let writers = state.clone();
    writers.writers.run(work(state, actor)).await
}

/// The caller, or UNAUTHENTICATED.
pub(crate) fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, AppError> {
    match ctx.data::<Option<Actor>>() {
        Ok(Some(actor)) => Ok(actor),
        _ => Err(AppError::Unauthenticated("sign in first: send `Authorization: Bearer <token>`".into())),
    }
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> Result<&'a RequestLoader, AppError> {
    ctx.data::<RequestLoader>().map_err(|_| AppError::internal("request built without loaders"))
}

/// Reads an ID argument as a UUID, naming the field when it is not one.
pub(crate) fn uuid(field: &str, id: &ID) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, format!("`{}` is not an id", id.as_str())))
}

pub(crate) fn opt_uuid(field: &str, id: &Option<ID>) -> Result<Option<Uuid>, AppError> {
    id.as_ref().map(|id| uuid(field, id)).transpose()
}

pub(crate) fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}
