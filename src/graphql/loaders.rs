//! Per-request DataLoaders: every relation a list can reach is fetched in one statement per
//! kind of key, whatever the page size. One loader type serves many key types.

use super::shared::Shared;
use crate::error::AppError;
use crate::service::rows::{self, Columns};
use crate::service::statements::{self, Shape};
use async_graphql::dataloader::Loader;
use entity::{directive, ministry, task, task_cooperator, working_group, working_group_member};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic, QueryFilter, QueryOrder, QueryTrait,
};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MinistryId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirectiveId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WorkingGroupId(pub Uuid);
/// A task read with only some of its columns (`service::rows`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskPart(pub Uuid, pub Columns);
/// A ministry read with only some of its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MinistryPart(pub Uuid, pub Columns);
/// The cooperating ministries of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CooperatorsOf(pub Uuid);
/// The members of a working group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembersOf(pub Uuid);

pub struct Loaders {
    db: DatabaseConnection,
    /// The tasks and ministries this request has loaded, for `direct` to read without waiting
    /// on the loader; `None` where nothing is kept (a subscription's loader lives for its socket).
    loaded: Option<Loaded>,
}

/// Keyed by random ids, looked up 1,500 times a page: a fast hash, not SipHash.
type KeptMap<M> = HashMap<(Uuid, Columns), Shared<M>, rustc_hash::FxBuildHasher>;
/// Sets of ids, a page's worth at most, hashed the same way.
type FxHashSet<T> = HashSet<T, rustc_hash::FxBuildHasher>;
type Kept<M> = Mutex<KeptMap<M>>;

#[derive(Default)]
struct Loaded {
    tasks: Kept<task::Model>,
    ministries: Kept<ministry::Model>,
}

impl Loaders {
    /// The loaders of one request, which keep what they loaded.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, loaded: Some(Loaded::default()) }
    }

    /// Loaders that keep nothing.
    pub fn uncached(db: DatabaseConnection) -> Self {
        Self { db, loaded: None }
    }

    /// A task this request has already loaded with (at least) `columns`.
    pub fn loaded_task(&self, id: Uuid, columns: Columns) -> Option<Shared<task::Model>> {
        lookup(&self.loaded.as_ref()?.tasks, id, columns.normal::<task::Model>())
    }

    /// A ministry this request has already loaded with (at least) `columns`.
    pub fn loaded_ministry(&self, id: Uuid, columns: Columns) -> Option<Shared<ministry::Model>> {
        lookup(&self.loaded.as_ref()?.ministries, id, columns.normal::<ministry::Model>())
    }

    /// Whether this request keeps what it loads (a subscription's loader does not).
    pub fn keeps(&self) -> bool {
        self.loaded.is_some()
    }

    /// What this request has loaded, held for a stretch of lookups without a lock each; `None`
    /// where nothing is kept. Hold it only in code that does not wait.
    pub fn snapshot(&self) -> Option<Snapshot<'_>> {
        let loaded = self.loaded.as_ref()?;
        Some(Snapshot { tasks: loaded.tasks.lock().ok()?, ministries: loaded.ministries.lock().ok()? })
    }

    /// `ids` split into the rows this request keeps already with (at least) `columns`, each once,
    /// and the ids still to read.
    fn partition<M>(
        &self,
        store: impl Fn(&Loaded) -> &Kept<M>,
        ids: impl IntoIterator<Item = Uuid>,
        columns: Columns,
    ) -> (Vec<Shared<M>>, Vec<Uuid>) {
        let kept = match self.loaded.as_ref().and_then(|l| store(l).lock().ok()) {
            // The first load of its kind in a request (a page's tasks): `IdList` drops duplicates.
            Some(kept) if !kept.is_empty() => kept,
            _ => return (Vec::new(), ids.into_iter().collect()),
        };
        let ids = distinct(ids);
        let mut found = Vec::new();
        let mut missing = Vec::with_capacity(ids.len());
        for id in ids {
            match find(&kept, id, columns) {
                Some(m) => found.push(m.clone()),
                None => missing.push(id),
            }
        }
        (found, missing)
    }

    fn keep<M>(
        &self,
        store: impl Fn(&Loaded) -> &Kept<M>,
        rows: impl ExactSizeIterator<Item = ((Uuid, Columns), Shared<M>)>,
    ) {
        if let Some(mut kept) = self.loaded.as_ref().and_then(|l| store(l).lock().ok()) {
            kept.reserve(rows.len());
            kept.extend(rows);
        }
    }
}

fn lookup<M>(kept: &Kept<M>, id: Uuid, columns: Columns) -> Option<Shared<M>> {
    find(&*kept.lock().ok()?, id, columns).cloned()
}

fn find<M>(kept: &KeptMap<M>, id: Uuid, columns: Columns) -> Option<&Shared<M>> {
    kept.get(&(id, columns)).or_else(|| kept.get(&(id, Columns::ALL)))
}

/// The tasks and ministries a request has loaded, locked (see `Loaders::snapshot`).
pub struct Snapshot<'a> {
    tasks: std::sync::MutexGuard<'a, KeptMap<task::Model>>,
    ministries: std::sync::MutexGuard<'a, KeptMap<ministry::Model>>,
}

impl Snapshot<'_> {
    pub fn task(&self, id: Uuid, columns: Columns) -> Option<&Shared<task::Model>> {
        find(&self.tasks, id, columns.normal::<task::Model>())
    }

    pub fn ministry(&self, id: Uuid, columns: Columns) -> Option<&Shared<ministry::Model>> {
        find(&self.ministries, id, columns.normal::<ministry::Model>())
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

/// `column` is one of `ids`, in one statement whatever their number. On PostgreSQL several ids
/// go as one array parameter (`= ANY($1)`): the statement's text is the same for any number of
/// them, and none of it is written out per id. One id is compared as it is: measured, PostgreSQL
/// answered a lookup by one id slower through a one-element array. SQLite has no arrays; there
/// the ids are listed (`in_list`).
pub fn id_in<C: ColumnTrait>(backend: DbBackend, column: C, ids: impl IntoIterator<Item = Uuid>) -> Expr {
    IdList::new(backend, ids).condition(column)
}

/// Ids as `id_in` compares them.
pub enum IdList {
    /// PostgreSQL, one id.
    One(Uuid),
    /// PostgreSQL, several (or none): one array.
    Any(Vec<Uuid>),
    /// SQLite: a list padded to a power of two.
    In(Vec<Uuid>),
}

impl IdList {
    pub fn new(backend: DbBackend, ids: impl IntoIterator<Item = Uuid>) -> Self {
        match backend {
            DbBackend::Postgres => match distinct(ids).as_slice() {
                [one] => IdList::One(*one),
                many => IdList::Any(many.to_vec()),
            },
            _ => IdList::In(in_list(ids)),
        }
    }

    pub fn condition<C: ColumnTrait>(&self, column: C) -> Expr {
        match self {
            IdList::One(id) => column.eq(*id),
            IdList::Any(ids) => column.eq_any(ids.iter().copied()),
            IdList::In(ids) => column.is_in(ids.iter().copied()),
        }
    }

    /// What the condition's text depends on: the kind of list and, for SQLite, its length; 0
    /// for no ids.
    pub fn count(&self) -> u32 {
        match self {
            IdList::One(_) => 1,
            IdList::Any(ids) if ids.is_empty() => 0,
            IdList::Any(_) => u32::MAX,
            IdList::In(ids) => u32::try_from(ids.len()).unwrap_or(u32::MAX - 1),
        }
    }

    /// The values the condition binds, in order (for a list that is not empty).
    pub fn values(&self) -> Vec<sea_orm::Value> {
        match self {
            IdList::One(id) => vec![(*id).into()],
            IdList::Any(ids) => {
                let ids: Vec<sea_orm::Value> = ids.iter().map(|id| (*id).into()).collect();
                vec![sea_orm::Value::Array(sea_orm::sea_query::ArrayType::Uuid, Some(Box::new(ids)))]
            }
            IdList::In(ids) => ids.iter().map(|id| (*id).into()).collect(),
        }
    }
}

/// The ids for an `IN (…)` list, without duplicates and padded (by repeating one) to a power of
/// two. Each distinct list length is its own prepared statement in every pooled connection's
/// cache; padding keeps them to a handful instead of one per page size.
fn in_list(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut list = distinct(ids);
    if let Some(&last) = list.last() {
        list.resize(list.len().next_power_of_two(), last);
    }
    list
}

/// `ids` without duplicates, in the order first seen.
fn distinct(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let ids = ids.into_iter();
    let mut seen = FxHashSet::with_capacity_and_hasher(ids.size_hint().0, Default::default());
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

fn db_error(err: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

macro_rules! by_id_loader {
    ($key:ident, $entity:path, $model:ty) => {
        impl Loader<$key> for Loaders {
            type Value = std::sync::Arc<$model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, std::sync::Arc<$model>> {
                use $entity as E;
                let backend = self.db.get_database_backend();
                let rows = E::find()
                    .filter(id_in(backend, <E as EntityTrait>::Column::Id, keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), std::sync::Arc::new(m))).collect())
            }
        }
    };
}

/// Whole rows by id, and rows with some columns by id (one statement per set of columns), read
/// by position.
macro_rules! positional_loader {
    ($key:ident, $part:ident, $entity:path, $model:ty, $store:ident) => {
        impl Loader<$key> for Loaders {
            type Value = Shared<$model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Shared<$model>> {
                let whole: Vec<$part> = keys.iter().map(|k| $part(k.0, Columns::ALL)).collect();
                let rows = Loader::<$part>::load(self, &whole).await?;
                Ok(rows.into_iter().map(|(k, m)| ($key(k.0), m)).collect())
            }
        }

        impl Loader<$part> for Loaders {
            type Value = Shared<$model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$part]) -> LoadResult<$part, Shared<$model>> {
                let mut by_columns: HashMap<Columns, Vec<Uuid>> = HashMap::new();
                for k in keys {
                    by_columns.entry(k.1).or_default().push(k.0);
                }
                let mut out = HashMap::with_capacity(keys.len());
                for (columns, ids) in by_columns {
                    let rows = self.$store(ids, columns).await?;
                    out.extend(rows.into_iter().map(|m| ($part(m.id, columns), m)));
                }
                Ok(out)
            }
        }

        impl Loaders {
            /// Rows by id with `columns`, kept for `direct` (when this request keeps what it
            /// loads) and returned once each, in no particular order. Rows this request has
            /// kept already are not read again (a dashboard's overdue tasks and its summary ask
            /// for many of the same ministries); the others are read in one statement.
            pub async fn $store(
                &self,
                ids: impl IntoIterator<Item = Uuid>,
                columns: Columns,
            ) -> Result<Vec<Shared<$model>>, async_graphql::Error> {
                use $entity as E;
                let (mut rows, missing) = self.partition(|l| &l.$store, ids, columns);
                if missing.is_empty() {
                    return Ok(rows);
                }
                let backend = self.db.get_database_backend();
                let ids = IdList::new(backend, missing);
                let shape = Shape {
                    query: "by ids",
                    table: E::default().as_str(),
                    columns: columns.bits(),
                    count: ids.count(),
                };
                let build = || {
                    rows::narrow(E::find(), columns)
                        .filter(ids.condition(<E as EntityTrait>::Column::Id))
                        .build(backend)
                };
                // An empty list is written as a condition with values of SeaQuery's own.
                let statement = match ids.count() {
                    0 => build(),
                    _ => statements::statement(backend, shape, ids.values(), build),
                };
                let read = rows::read_all::<E, _>(&self.db, statement, columns).await.map_err(db_error)?;
                let read = Shared::all(read);
                self.keep(|l| &l.$store, read.iter().map(|m| ((m.id, columns), m.clone())));
                rows.extend(read);
                Ok(rows)
            }
        }
    };
}

positional_loader!(MinistryId, MinistryPart, ministry::Entity, ministry::Model, ministries);
positional_loader!(TaskId, TaskPart, task::Entity, task::Model, tasks);
by_id_loader!(DirectiveId, directive::Entity, directive::Model);
by_id_loader!(WorkingGroupId, working_group::Entity, working_group::Model);

impl Loader<CooperatorsOf> for Loaders {
    type Value = Vec<ministry::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CooperatorsOf]) -> LoadResult<CooperatorsOf, Vec<ministry::Model>> {
        let backend = self.db.get_database_backend();
        let links = task_cooperator::Entity::find()
            .filter(id_in(backend, task_cooperator::Column::TaskId, keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let ministries: HashMap<Uuid, ministry::Model> = ministry::Entity::find()
            .filter(id_in(backend, ministry::Column::Id, links.iter().map(|l| l.ministry_id)))
            .order_by_asc(ministry::Column::Code)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut out: HashMap<CooperatorsOf, Vec<ministry::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(m) = ministries.get(&link.ministry_id) {
                out.entry(CooperatorsOf(link.task_id)).or_default().push(m.clone());
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        Ok(out)
    }
}

impl Loader<MembersOf> for Loaders {
    type Value = Vec<working_group_member::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[MembersOf]) -> LoadResult<MembersOf, Vec<working_group_member::Model>> {
        let backend = self.db.get_database_backend();
        let rows = working_group_member::Entity::find()
            .filter(id_in(backend, working_group_member::Column::WorkingGroupId, keys.iter().map(|k| k.0)))
            .order_by_asc(working_group_member::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<MembersOf, Vec<working_group_member::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for m in rows {
            out.entry(MembersOf(m.working_group_id)).or_default().push(m);
        }
        Ok(out)
    }
}

use super::direct;
use super::ministry::Ministry;
use super::task::Task;
use async_graphql::parser::types::SelectionSet;
use async_graphql::Context;

/// Whether the selection of a connection asks for `path` on its nodes (through `nodes` or `edges.node`).
fn wants(ctx: &Context<'_>, path: &[&str]) -> bool {
    let look = ctx.look_ahead();
    [look.field("nodes"), look.field("edges").field("node")].into_iter().any(|mut node| {
        for name in path {
            node = node.field(name);
        }
        node.exists()
    })
}

/// Loads, in one batch per kind, the relations a page of blockers will ask for, so that the
/// statements per page do not depend on its size or on how resolvers interleave. Related objects
/// are loaded with the columns their selections read, as `direct` will ask for them.
pub async fn prime_blockers(ctx: &Context<'_>, rows: &[&entity::blocker::Model]) -> async_graphql::Result<()> {
    let loader = super::loader(ctx)?;
    let Some(nodes) = direct::node_sets(&ctx.item.node) else { return prime_blockers_whole(ctx, rows).await };
    let mut ministries = MinistryLoads::default();
    let task_ids: Vec<Uuid> = rows.iter().filter_map(|b| b.task_id).collect();
    for set in direct::field_sets(&nodes, "task") {
        let columns = direct::columns_of::<Task, task::Model>(set);
        let tasks = super::task::load_many(loader, task_ids.iter().copied(), columns).await?;
        for lead in direct::field_sets(&[set], "leadMinistry") {
            ministries.add(lead, tasks.iter().map(|t| t.lead_ministry_id));
        }
    }
    for set in direct::field_sets(&nodes, "raisedBy") {
        ministries.add(set, rows.iter().map(|b| b.raised_by_ministry_id));
    }
    for set in direct::field_sets(&nodes, "responsibleMinistry") {
        ministries.add(set, rows.iter().filter_map(|b| b.responsible_ministry_id));
    }
    ministries.load(loader).await
}

/// Loads the ministries that the `name` fields of a list field's items ask for (`ids`), with the
/// columns their selections read, so that the items resolve them at once (see `direct`).
pub async fn prime_ministries(
    ctx: &Context<'_>,
    name: &str,
    ids: impl IntoIterator<Item = Uuid> + Clone,
) -> async_graphql::Result<()> {
    let mut ministries = MinistryLoads::default();
    for set in direct::field_sets(&[&ctx.item.node.selection_set.node], name) {
        ministries.add(set, ids.clone());
    }
    ministries.load(super::loader(ctx)?).await
}

/// Ministry ids to load, by the columns their selections read.
#[derive(Default)]
struct MinistryLoads(HashMap<Columns, FxHashSet<Uuid>>);

impl MinistryLoads {
    fn add(&mut self, set: &SelectionSet, ids: impl IntoIterator<Item = Uuid>) {
        let columns = direct::columns_of::<Ministry, ministry::Model>(set);
        self.0.entry(columns.normal::<ministry::Model>()).or_default().extend(ids);
    }

    /// Whole rows, for selections that go the general way.
    fn whole(&mut self, ids: impl IntoIterator<Item = Uuid>) {
        self.0.entry(Columns::ALL).or_default().extend(ids);
    }

    async fn load(self, loader: &super::RequestLoader) -> async_graphql::Result<()> {
        for (columns, ids) in self.0 {
            super::ministry::load_many(loader, ids.into_iter().collect::<Vec<_>>(), columns).await?;
        }
        Ok(())
    }
}

/// `prime_blockers` for nodes that go the general way: whole rows, as their resolvers load them.
async fn prime_blockers_whole(ctx: &Context<'_>, rows: &[&entity::blocker::Model]) -> async_graphql::Result<()> {
    let loader = super::loader(ctx)?;
    let mut ministries = MinistryLoads::default();
    if wants(ctx, &["task"]) {
        let tasks = loader.load_many(rows.iter().filter_map(|b| b.task_id).map(TaskId)).await?;
        if wants(ctx, &["task", "leadMinistry"]) {
            ministries.whole(tasks.values().map(|t| t.lead_ministry_id));
        }
    }
    if wants(ctx, &["raisedBy"]) {
        ministries.whole(rows.iter().map(|b| b.raised_by_ministry_id));
    }
    if wants(ctx, &["responsibleMinistry"]) {
        ministries.whole(rows.iter().filter_map(|b| b.responsible_ministry_id));
    }
    ministries.load(loader).await
}

/// The same for a page of tasks.
pub async fn prime_tasks(ctx: &Context<'_>, rows: &[&task::Model]) -> async_graphql::Result<()> {
    let loader = super::loader(ctx)?;
    let mut leads = MinistryLoads::default();
    match direct::node_sets(&ctx.item.node) {
        Some(nodes) => {
            for set in direct::field_sets(&nodes, "leadMinistry") {
                leads.add(set, rows.iter().map(|t| t.lead_ministry_id));
            }
        }
        None if wants(ctx, &["leadMinistry"]) => leads.whole(rows.iter().map(|t| t.lead_ministry_id)),
        None => {}
    }
    if wants(ctx, &["cooperatingMinistries"]) {
        let lists = loader.load_many(rows.iter().map(|t| CooperatorsOf(t.id))).await?;
        // Already fetched with the links; feeding them saves the ministries query.
        let found: Vec<(MinistryId, Shared<ministry::Model>)> =
            lists.into_values().flatten().map(|m| (MinistryId(m.id), Shared::new(m))).collect();
        loader.feed_many(found).await;
    }
    if wants(ctx, &["directive"]) {
        loader.load_many(rows.iter().filter_map(|t| t.directive_id).map(DirectiveId)).await?;
    }
    leads.load(loader).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ministry(id: Uuid) -> ministry::Model {
        ministry::Model {
            id,
            code: id.simple().to_string()[..6].to_uppercase(),
            name_vi: String::new(),
            name_en: String::new(),
            kind: entity::enums::MinistryKind::Ministry,
            search_text: String::new(),
            version: 1,
            created_at: Default::default(),
            updated_at: Default::default(),
        }
    }

    #[test]
    fn rows_a_request_holds_are_not_read_again() {
        let code = Columns::of::<ministry::Model>(&["code"]).expect("a column");
        let ids: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();
        let loaders = Loaders::new(DatabaseConnection::default());
        // The first load of a request reads every id (duplicates are dropped by `IdList`).
        let (found, missing) = loaders.partition(|l| &l.ministries, ids[..3].iter().copied(), code);
        assert!(found.is_empty());
        assert_eq!(missing, ids[..3]);
        let read = Shared::all(ids[..3].iter().map(|id| ministry(*id)).collect());
        loaders.keep(|l| &l.ministries, read.iter().map(|m| ((m.id, code), m.clone())));
        // A later one reads only what is not held, and gets the rest from what is, once each.
        let asked = ids[1..].iter().chain(&ids[1..3]).copied();
        let (found, missing) = loaders.partition(|l| &l.ministries, asked, code);
        let mut found: Vec<Uuid> = found.iter().map(|m| m.id).collect();
        found.sort();
        let mut held = ids[1..3].to_vec();
        held.sort();
        assert_eq!(found, held);
        assert_eq!(missing, ids[3..]);
        // Rows held with other columns do not answer for these.
        let name = Columns::of::<ministry::Model>(&["name_vi"]).expect("a column");
        let (found, missing) = loaders.partition(|l| &l.ministries, ids[..2].iter().copied(), name);
        assert!(found.is_empty());
        assert_eq!(missing, ids[..2]);
        // A loader that keeps nothing reads everything.
        let uncached = Loaders::uncached(DatabaseConnection::default());
        let (found, missing) = uncached.partition(|l| &l.ministries, ids[..2].iter().copied(), code);
        assert!(found.is_empty());
        assert_eq!(missing, ids[..2]);
    }

    #[test]
    fn in_lists_are_deduplicated_and_padded_to_a_power_of_two() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        let list = in_list(ids.iter().copied().chain([ids[0], ids[3]]));
        assert_eq!(list.len(), 8);
        assert_eq!(&list[..5], &ids[..]);
        assert!(list[5..].iter().all(|id| *id == ids[4]));
        assert!(in_list([]).is_empty());
        assert_eq!(in_list([ids[1]]), vec![ids[1]]);
    }
}
