//! Objects resolved without a future per field.
//!
//! The general path of async-graphql gives every field of every object its own boxed future and
//! runs them through a `FuturesUnordered`. For a page of 500 blockers with their task and
//! ministries that is some 7,500 futures, and it was the largest part of the server's work per
//! page. Most of those fields are plain values of a row already in memory (`title`, `status`,
//! `dueDate`), so `Direct<T>` computes them at once and runs only the others (relations, fields
//! that query or may fail) concurrently, through `T`'s own resolvers.
//!
//! The GraphQL type is `T`'s: `Direct<T>` registers and names itself as `T`, so the schema does
//! not change. A selection with fragments or directives goes the general way. Plain values must
//! be the ones `T`'s resolvers give; a test compares the two paths field by field (a fragment
//! forces the general path). Plain fields skip what the general path would run around a field:
//! schema extensions (this schema registers none) and field guards (these types have none); a
//! field that needs either must not be in a plain table. Keys come out in selection order, as
//! the specification orders them.

pub use super::json::Plain;
use super::json::{enum_name, write_key, write_list, write_str};
use super::loaders::{Loaders, Snapshot};
use super::{ministry, task};
use crate::service::rows::{Columns, Positional};
use async_graphql::futures_util::future::join_all;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{resolve_container, EnumType};
use async_graphql::{ContainerType, ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

/// An object some of whose fields are plain values, known without waiting or failing.
pub trait PlainFields: ContainerType {
    /// The value of field `name` (not an alias), or `None` when it goes through the resolver.
    fn plain(&self, _ctx: &ContextSelectionSet<'_>, _name: &str) -> Option<Plain<'_>> {
        None
    }

    /// The object field `name` refers to, when it is one that resolves directly too.
    fn related(&self, _name: &str) -> Option<Related> {
        None
    }

    /// The columns (besides the id) that field `name` reads, when it is plain or related;
    /// `None` for a field that needs the whole row. See `columns_of`.
    fn columns(_name: &str) -> Option<&'static [&'static str]> {
        None
    }
}

/// The columns of `M` that a selection of `T` reads: the id and each field's, or all of them
/// when the selection goes the general way (fragments, directives) or asks for a field that
/// needs the whole row. A model read with fewer columns reaches only the fields they serve.
pub fn columns_of<T: PlainFields, M: Positional>(set: &SelectionSet) -> Columns {
    let mut columns = Columns::of::<M>(&[]).unwrap_or(Columns::ALL);
    for selection in &set.items {
        let Selection::Field(field) = &selection.node else { return Columns::ALL };
        if !field.node.directives.is_empty() {
            return Columns::ALL;
        }
        let name = field.node.name.node.as_str();
        if name == "__typename" {
            continue;
        }
        match T::columns(name).and_then(Columns::of::<M>) {
            Some(more) => columns = columns.union(more),
            None => return Columns::ALL,
        }
    }
    columns
}

/// The selections of a connection's nodes (`nodes { … }`, `edges { node { … } }`); `None` when
/// the connection's own selection goes the general way.
pub fn node_sets(connection: &Field) -> Option<Vec<&SelectionSet>> {
    let mut sets = Vec::new();
    for field in plain_fields(&connection.selection_set.node)? {
        match field.name.node.as_str() {
            "nodes" => sets.push(&field.selection_set.node),
            "edges" => {
                for edge in plain_fields(&field.selection_set.node)? {
                    if edge.name.node == "node" {
                        sets.push(&edge.selection_set.node);
                    }
                }
            }
            _ => {}
        }
    }
    // Nodes with fragments or directives go the general way too.
    sets.iter().all(|set| plain_fields(set).is_some()).then_some(sets)
}

/// The columns of `M` that the nodes of a connection of `T` read (`columns_of` over `node_sets`).
pub fn node_columns<T: PlainFields, M: Positional>(connection: &Field) -> Columns {
    let Some(sets) = node_sets(connection) else { return Columns::ALL };
    let id = Columns::of::<M>(&[]).unwrap_or(Columns::ALL);
    sets.iter().map(|set| columns_of::<T, M>(set)).fold(id, Columns::union)
}

/// The selections of the fields called `name` in `sets`.
pub fn field_sets<'a>(sets: &[&'a SelectionSet], name: &str) -> Vec<&'a SelectionSet> {
    sets.iter()
        .flat_map(|set| plain_fields(set).unwrap_or_default())
        .filter(|f| f.name.node == name)
        .map(|f| &f.selection_set.node)
        .collect()
}

/// The fields of a selection, when it has nothing but fields without directives.
fn plain_fields(set: &SelectionSet) -> Option<Vec<&Field>> {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) if f.node.directives.is_empty() => Some(&f.node),
            _ => None,
        })
        .collect()
}

/// A field that holds another object, through the request's loader (`None`: the field is null).
#[derive(Clone, Copy)]
pub enum Related {
    Ministry(Option<Uuid>),
    Task(Option<Uuid>),
}

/// `T`, resolved with its plain fields computed at once.
pub struct Direct<T>(pub T);

impl<T: PlainFields> OutputType for Direct<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve(ctx, &self.0).await
    }
}

/// A list of `T`, as `Vec<Direct<T>>` (whose GraphQL type it is), written as JSON text at once
/// when the answer is written as text (`json::WritesJson`), its selection is plain and every item
/// needs neither a resolver nor a load (see `connection::Conn`, which does the same for pages).
pub struct Rows<T>(pub Vec<Direct<T>>);

impl<T: PlainFields> OutputType for Rows<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<Direct<T>> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<Direct<T>> as OutputType>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<Direct<T>> as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        if ctx.data_opt::<super::json::WritesJson>().is_some() {
            if let Some(text) = self.write(ctx) {
                return Ok(Value::Binary(text.into()));
            }
        }
        self.0.resolve(ctx, field).await
    }
}

impl<T: PlainFields> Rows<T> {
    fn write(&self, ctx: &ContextSelectionSet<'_>) -> Option<Vec<u8>> {
        let plan = Plan::new(&ctx.item.node)?;
        let loaded = ctx.data_opt::<super::RequestLoader>()?.loader().snapshot()?;
        let mut out = Vec::with_capacity(256);
        write_list(&mut out, &self.0, |item, out| plan.write(ctx, &item.0, &loaded, out))?;
        Some(out)
    }
}

/// A field's value as `T`'s resolver would give it, for the plain tables.
pub fn value<V: InputType>(v: &V) -> Plain<'static> {
    Plain::Value(v.to_value())
}

pub fn text(s: &str) -> Plain<'_> {
    Plain::Text(s)
}

pub fn opt_text(s: Option<&str>) -> Plain<'_> {
    s.map_or(Plain::Null, Plain::Text)
}

/// An `ID!` made of a row's id.
pub fn plain_id(id: Uuid) -> Plain<'static> {
    Plain::Id(id)
}

/// A `Date`, or null.
pub fn date(d: Option<NaiveDate>) -> Plain<'static> {
    d.map_or(Plain::Null, Plain::Date)
}

/// An enum's value.
pub fn enumerated<E: EnumType>(e: E) -> Plain<'static> {
    Plain::Enum(enum_name(e))
}

pub fn int(n: impl Into<i64>) -> Plain<'static> {
    Plain::Int(n.into())
}

pub fn boolean(b: bool) -> Plain<'static> {
    Plain::Bool(b)
}

async fn resolve<T: PlainFields>(ctx: &ContextSelectionSet<'_>, root: &T) -> ServerResult<Value> {
    let items = &ctx.item.node.items;
    let simple = items.iter().all(|s| matches!(&s.node, Selection::Field(f) if f.node.directives.is_empty()));
    if !simple {
        return resolve_container(ctx, root).await;
    }
    let loaders = ctx.data_opt::<super::RequestLoader>().map(|l| l.loader());
    let mut values: Vec<Option<(Name, Value)>> = Vec::with_capacity(items.len());
    let mut relations = Vec::new();
    let mut others = Vec::new();
    for (i, selection) in items.iter().enumerate() {
        let Selection::Field(field) = &selection.node else { unreachable!("checked above") };
        let key = field.node.response_key().node.clone();
        let name = field.node.name.node.as_str();
        let plain = if name == "__typename" {
            Some(Value::String(root.introspection_type_name().into_owned()))
        } else {
            root.plain(ctx, name).map(Plain::into_value)
        };
        if let Some(v) = plain {
            values.push(Some((key, v)));
            continue;
        }
        match root.related(name) {
            Some(related) => match loaders.and_then(|l| related_now(ctx, &field.node, related, l)) {
                Some(v) => values.push(Some((key, v))),
                None => {
                    values.push(None);
                    relations.push(async move { (i, key, resolve_related(ctx, field, related).await) });
                }
            },
            None => {
                values.push(None);
                let ctx = ctx.clone();
                others.push(async move {
                    let ctx_field = ctx.with_field(field);
                    (i, key, root.resolve_field(&ctx_field).await)
                });
            }
        }
    }
    if !relations.is_empty() || !others.is_empty() {
        // As on the general path: a field that fails is reported and left out.
        let (relations, others) = futures::join!(join_all(relations), join_all(others));
        let others = others.into_iter().map(|(i, key, result)| (i, key, result.map(Option::unwrap_or_default)));
        for (i, key, result) in relations.into_iter().chain(others) {
            match result {
                Ok(v) => values[i] = Some((key, v)),
                Err(err) => ctx.add_error(err),
            }
        }
    }
    Ok(object_of(values.into_iter().flatten()))
}

fn object_of(fields: impl Iterator<Item = (Name, Value)>) -> Value {
    let (least, most) = fields.size_hint();
    let mut object = IndexMap::with_capacity(most.unwrap_or(least));
    for (key, value) in fields {
        insert(&mut object, key, value);
    }
    if object.is_empty() {
        Value::Null
    } else {
        Value::Object(object)
    }
}

/// A related object computed at once: when the request has loaded it already and its selection
/// is plain fields (and related objects loaded already), as `resolve_related` would give it.
/// `None` sends it the general way.
fn related_now(ctx: &ContextSelectionSet<'_>, field: &Field, related: Related, loaders: &Loaders) -> Option<Value> {
    let set = &field.selection_set.node;
    match related {
        Related::Ministry(Some(id)) => {
            let m = loaders.loaded_ministry(id, columns_of::<ministry::Ministry, entity::ministry::Model>(set))?;
            resolve_now(ctx, set, &ministry::Ministry(m), loaders)
        }
        Related::Task(Some(id)) => {
            let t = loaders.loaded_task(id, columns_of::<task::Task, entity::task::Model>(set))?;
            resolve_now(ctx, set, &task::Task(t), loaders)
        }
        Related::Ministry(None) | Related::Task(None) => Some(Value::Null),
    }
}

/// `resolve` of a selection that needs neither a resolver nor a load; `None` when it does.
fn resolve_now<T: PlainFields>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    root: &T,
    loaders: &Loaders,
) -> Option<Value> {
    let mut fields = Vec::with_capacity(set.items.len());
    for field in plain_fields(set)? {
        let name = field.name.node.as_str();
        let value = if name == "__typename" {
            Value::String(root.introspection_type_name().into_owned())
        } else if let Some(v) = root.plain(ctx, name) {
            v.into_value()
        } else {
            related_now(ctx, field, root.related(name)?, loaders)?
        };
        fields.push((field.response_key().node.clone(), value));
    }
    Some(object_of(fields.into_iter()))
}

/// A selection compiled once for the many objects of a list: its fields in order and, for each
/// related object, its own plan and the columns it reads.
pub struct Plan<'a> {
    steps: Vec<Step<'a>>,
}

struct Step<'a> {
    key: &'a str,
    /// What goes before the value: a comma after the first field, the key, a colon.
    head: Vec<u8>,
    name: &'a str,
    nested: Option<Nested<'a>>,
}

struct Nested<'a> {
    plan: Plan<'a>,
    task: Columns,
    ministry: Columns,
}

impl<'a> Plan<'a> {
    /// `None` when the selection goes the general way: fragments, directives, a response key
    /// asked for twice.
    pub fn new(set: &'a SelectionSet) -> Option<Self> {
        let fields = plain_fields(set)?;
        let mut steps: Vec<Step<'a>> = Vec::with_capacity(fields.len());
        for field in fields {
            let key = field.response_key().node.as_str();
            if steps.iter().any(|s| s.key == key) {
                return None;
            }
            let sub = &field.selection_set.node;
            let nested = if sub.items.is_empty() {
                None
            } else {
                Some(Nested {
                    plan: Plan::new(sub)?,
                    task: columns_of::<task::Task, entity::task::Model>(sub),
                    ministry: columns_of::<ministry::Ministry, entity::ministry::Model>(sub),
                })
            };
            let mut head = Vec::with_capacity(key.len() + 4);
            if !steps.is_empty() {
                head.push(b',');
            }
            write_key(key, &mut head);
            steps.push(Step { key, head, name: field.name.node.as_str(), nested });
        }
        Some(Plan { steps })
    }

    /// Writes `root` as the JSON object this selection gives, when it needs neither a resolver
    /// nor a load: plain fields, and related objects the request has loaded already. `None`
    /// when it does; `out` then holds a part of an object, for the caller to throw away.
    pub fn write<T: PlainFields>(
        &self,
        ctx: &ContextSelectionSet<'_>,
        root: &T,
        loaded: &Snapshot<'_>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        // The keys were written once, in `new`: a page writes each of them hundreds of times.
        out.push(b'{');
        for step in &self.steps {
            out.extend_from_slice(&step.head);
            match &step.nested {
                _ if step.name == "__typename" => write_str(&root.introspection_type_name(), out),
                None => root.plain(ctx, step.name)?.write(out),
                Some(nested) => match root.related(step.name)? {
                    Related::Ministry(Some(id)) => {
                        let m = loaded.ministry(id, nested.ministry)?;
                        nested.plan.write(ctx, &ministry::Ministry(m.clone()), loaded, out)?;
                    }
                    Related::Task(Some(id)) => {
                        let t = loaded.task(id, nested.task)?;
                        nested.plan.write(ctx, &task::Task(t.clone()), loaded, out)?;
                    }
                    Related::Ministry(None) | Related::Task(None) => out.extend_from_slice(b"null"),
                },
            }
        }
        out.push(b'}');
        Some(())
    }
}

/// `resolve` behind a pointer: objects nest (a task's lead ministry, a blocker's task), and the
/// type of a future that holds itself cannot be written out.
fn resolve_boxed<'a, T: PlainFields>(
    ctx: &'a ContextSelectionSet<'a>,
    root: &'a T,
) -> Pin<Box<dyn Future<Output = ServerResult<Value>> + Send + 'a>> {
    Box::pin(resolve(ctx, root))
}

/// The object a related field holds, resolved directly; loading errors as the field's resolver
/// would report them, and an error inside the object makes it null, as for any nullable object.
async fn resolve_related(
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
    related: Related,
) -> ServerResult<Value> {
    let ctx_field = ctx.with_field(field);
    let failed = |err: async_graphql::Error| ctx_field.set_error_path(err.into_server_error(field.pos));
    let inner = ctx_field.with_selection_set(&field.node.selection_set);
    let set = &field.node.selection_set.node;
    let resolved = match related {
        Related::Ministry(Some(id)) => {
            let columns = columns_of::<ministry::Ministry, entity::ministry::Model>(set);
            match ministry::load_columns(&ctx_field, id, columns).await.map_err(failed)? {
                Some(m) => resolve_boxed(&inner, &m.0).await,
                None => return Ok(Value::Null),
            }
        }
        Related::Task(Some(id)) => {
            match task::load_columns(&ctx_field, id, columns_of::<task::Task, entity::task::Model>(set))
                .await
                .map_err(failed)?
            {
                Some(t) => resolve_boxed(&inner, &t.0).await,
                None => return Ok(Value::Null),
            }
        }
        Related::Ministry(None) | Related::Task(None) => return Ok(Value::Null),
    };
    Ok(resolved.unwrap_or_else(|err| {
        inner.add_error(err);
        Value::Null
    }))
}

/// A response key asked for twice merges its selections, as on the general path.
fn insert(target: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    use async_graphql::indexmap::map::Entry;
    let prev = match target.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            return;
        }
        Entry::Occupied(slot) => slot.into_mut(),
    };
    match (prev, value) {
        (Value::Object(prev), Value::Object(more)) => {
            for (k, v) in more {
                insert(prev, k, v);
            }
        }
        (Value::List(prev), Value::List(more)) => {
            for (prev, more) in prev.iter_mut().zip(more) {
                if let (Value::Object(prev), Value::Object(more)) = (prev, more) {
                    for (k, v) in more {
                        insert(prev, k, v);
                    }
                }
            }
        }
        _ => {}
    }
}
