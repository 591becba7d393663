//! Relay connections over the service's keyset pages.

use super::direct::{Direct, PlainFields, Plan};
use super::json::{write_list, write_object, write_str, WritesJson};
use super::shared::Shared;
use crate::service::page::{CountQuery, Cursor, Page, PageArgs};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Object, OutputType, Positioned, Result, ServerResult, Value};
use std::borrow::Cow;

pub struct TotalCount(CountQuery);

/// `totalCount`, computed only when asked for.
#[Object]
impl TotalCount {
    /// How many items match the filter, across all pages.
    async fn total_count(&self) -> Result<u64> {
        Ok(self.0.run().await?)
    }
}

/// A cursor, encoded when asked for. Lists read `after` and `before` themselves (see
/// `service::page`), so it is never decoded here.
pub struct PageCursor(Cursor);

impl CursorType for PageCursor {
    type Error = &'static str;

    fn decode_cursor(_: &str) -> std::result::Result<Self, Self::Error> {
        Err("lists read their cursors in service::page")
    }

    fn encode_cursor(&self) -> String {
        self.0.encode()
    }
}

/// The GraphQL type of a page: async-graphql's `Connection` of `Direct` nodes.
type Inner<N> = Connection<PageCursor, Direct<N>, TotalCount, EmptyFields>;

/// A page of a list, as async-graphql's `Connection` (whose GraphQL type it is). When the answer
/// is written as JSON text (`json::WritesJson`) and the selection is plain, the whole connection
/// is written at once: its nodes through a `direct::Plan` compiled once for the page, without a
/// future or a `Value` per node. Otherwise, or when a node needs a resolver or a load, it resolves
/// as a `Connection` whose edges borrow the nodes. The nodes stay in the list the page was read
/// into, apart from their cursors, and are not moved into an edge each.
pub struct Conn<N: PlainFields> {
    nodes: Vec<Direct<N>>,
    cursors: Vec<Cursor>,
    has_previous: bool,
    has_next: bool,
    count: TotalCount,
}

pub fn connection<M, N>(page: Page<M>, node: impl Fn(M) -> N) -> Conn<N>
where
    N: PlainFields,
{
    Conn {
        nodes: page.rows.into_iter().map(|m| Direct(node(m))).collect(),
        cursors: page.cursors,
        has_previous: page.has_previous,
        has_next: page.has_next,
        count: TotalCount(page.count),
    }
}

/// `connection` for nodes that share their rows (`Shared`): the page's rows move into one
/// allocation together.
pub fn shared<M, N>(page: Page<M>, node: impl Fn(Shared<M>) -> N) -> Conn<N>
where
    N: PlainFields,
{
    let Page { rows, cursors, has_next, has_previous, count } = page;
    connection(Page { rows: Shared::all(rows), cursors, has_next, has_previous, count }, node)
}

impl<N: PlainFields> OutputType for Conn<N> {
    fn type_name() -> Cow<'static, str> {
        Inner::<N>::type_name()
    }

    fn qualified_type_name() -> String {
        Inner::<N>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        Inner::<N>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Inner::<N>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let metrics = ctx.data_opt::<std::sync::Arc<crate::service::AppState>>().map(|s| &s.metrics);
        if ctx.data_opt::<WritesJson>().is_some() {
            if let Some(written) = self.write(ctx).await? {
                metrics.inspect(|m| m.record_page(true));
                return Ok(Value::Binary(written.into()));
            }
        }
        metrics.inspect(|m| m.record_page(false));
        let mut general: Connection<PageCursor, &Direct<N>, &TotalCount, EmptyFields> =
            Connection::with_additional_fields(self.has_previous, self.has_next, &self.count);
        general.edges.extend(
            self.cursors.iter().zip(&self.nodes).map(|(cursor, node)| Edge::new(PageCursor(cursor.clone()), node)),
        );
        general.resolve(ctx, field).await
    }
}

/// The parts of a connection's selection that `Conn::write` knows.
enum Part<'a> {
    Typename,
    TotalCount(&'a Positioned<Field>),
    PageInfo(Vec<(&'a str, PageField)>),
    Nodes(Plan<'a>),
    Edges(Vec<(&'a str, EdgeField<'a>)>),
}

enum PageField {
    HasPrevious,
    HasNext,
    Start,
    End,
    Typename,
}

enum EdgeField<'a> {
    Cursor,
    Node(Plan<'a>),
    Typename,
}

/// The fields of a selection with their response keys; `None` when it has fragments,
/// directives, or a key twice.
fn keyed(set: &SelectionSet) -> Option<Vec<(&str, &Positioned<Field>)>> {
    let mut fields: Vec<(&str, &Positioned<Field>)> = Vec::with_capacity(set.items.len());
    for selection in &set.items {
        let async_graphql::parser::types::Selection::Field(field) = &selection.node else { return None };
        let key = field.node.response_key().node.as_str();
        if !field.node.directives.is_empty() || fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, field));
    }
    Some(fields)
}

fn parts(set: &SelectionSet) -> Option<Vec<(&str, Part<'_>)>> {
    let mut parts = Vec::new();
    for (key, field) in keyed(set)? {
        let sub = &field.node.selection_set.node;
        let part = match field.node.name.node.as_str() {
            "__typename" => Part::Typename,
            "totalCount" => Part::TotalCount(field),
            "nodes" => Part::Nodes(Plan::new(sub)?),
            "pageInfo" => Part::PageInfo(
                keyed(sub)?
                    .into_iter()
                    .map(|(key, f)| {
                        let known = match f.node.name.node.as_str() {
                            "hasPreviousPage" => PageField::HasPrevious,
                            "hasNextPage" => PageField::HasNext,
                            "startCursor" => PageField::Start,
                            "endCursor" => PageField::End,
                            "__typename" => PageField::Typename,
                            _ => return None,
                        };
                        Some((key, known))
                    })
                    .collect::<Option<_>>()?,
            ),
            "edges" => Part::Edges(
                keyed(sub)?
                    .into_iter()
                    .map(|(key, f)| {
                        let known = match f.node.name.node.as_str() {
                            "cursor" => EdgeField::Cursor,
                            "node" => EdgeField::Node(Plan::new(&f.node.selection_set.node)?),
                            "__typename" => EdgeField::Typename,
                            _ => return None,
                        };
                        Some((key, known))
                    })
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        };
        parts.push((key, part));
    }
    Some(parts)
}

impl<N: PlainFields> Conn<N> {
    /// The connection as JSON text, as its general resolution would give it; `Ok(None)` when
    /// that general resolution is needed (see the type).
    async fn write(&self, ctx: &ContextSelectionSet<'_>) -> ServerResult<Option<Vec<u8>>> {
        let Some(parts) = parts(&ctx.item.node) else { return Ok(None) };
        let Some((mut out, count_at)) = self.write_now(ctx, &parts) else { return Ok(None) };
        if let Some((at, field)) = count_at {
            let count = self.count.0.run().await.map_err(|err| {
                let err = async_graphql::Error::from(err).into_server_error(field.pos);
                ctx.with_field(field).set_error_path(err)
            })?;
            out.splice(at..at, count.to_string().into_bytes());
        }
        Ok(Some(out))
    }

    /// Everything but the count, which is the one part that waits: the text, and where the
    /// count goes in it (with its field) when it is asked for.
    #[allow(clippy::type_complexity)]
    fn write_now<'a>(
        &self,
        ctx: &ContextSelectionSet<'_>,
        parts: &[(&str, Part<'a>)],
    ) -> Option<(Vec<u8>, Option<(usize, &'a Positioned<Field>)>)> {
        let loaders = ctx.data_opt::<super::RequestLoader>()?.loader();
        let loaded = loaders.snapshot()?;
        let cursor = |cursor: Option<&Cursor>, out: &mut Vec<u8>| match cursor {
            Some(cursor) => write_str(&cursor.encode(), out),
            None => out.extend_from_slice(b"null"),
        };
        let mut out = Vec::with_capacity(256);
        let mut count_at = None;
        let fields = parts.iter().map(|(key, part)| (*key, part));
        write_object(&mut out, fields, |part, out| {
            match part {
                Part::Typename => write_str(&self.introspection_type_name(), out),
                Part::TotalCount(field) => count_at = Some((out.len(), *field)),
                Part::PageInfo(fields) => {
                    let fields = fields.iter().map(|(key, field)| (*key, field));
                    write_object(out, fields, |field, out| {
                        match field {
                            PageField::HasPrevious => out.extend_from_slice(bool_text(self.has_previous)),
                            PageField::HasNext => out.extend_from_slice(bool_text(self.has_next)),
                            PageField::Start => cursor(self.cursors.first(), out),
                            PageField::End => cursor(self.cursors.last(), out),
                            PageField::Typename => write_str("PageInfo", out),
                        }
                        Some(())
                    })?;
                }
                Part::Nodes(plan) => write_list(out, &self.nodes, |node, out| plan.write(ctx, &node.0, &loaded, out))?,
                Part::Edges(fields) => {
                    let edges: Vec<(&Cursor, &Direct<N>)> = self.cursors.iter().zip(&self.nodes).collect();
                    write_list(out, &edges, |(at, node), out| {
                        let fields = fields.iter().map(|(key, field)| (*key, field));
                        write_object(out, fields, |field, out| {
                            match field {
                                EdgeField::Cursor => cursor(Some(at), out),
                                EdgeField::Node(plan) => plan.write(ctx, &node.0, &loaded, out)?,
                                EdgeField::Typename => write_str(&edge_type_name::<N>(), out),
                            }
                            Some(())
                        })
                    })?
                }
            }
            Some(())
        })?;
        Some((out, count_at))
    }
}

fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

/// The name of the connection's edge type, as async-graphql names it.
fn edge_type_name<N: PlainFields>() -> Cow<'static, str> {
    Edge::<PageCursor, Direct<N>, EmptyFields>::type_name()
}

pub fn args(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> PageArgs {
    PageArgs { first, after, last, before }
}
