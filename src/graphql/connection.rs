//! Relay connections over the service's keyset pages.

use super::direct::{Direct, PlainFields, Plan};
use super::json::{write_list, write_object, write_str, WritesJson};
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

type Inner<N> = Connection<PageCursor, Direct<N>, TotalCount, EmptyFields>;

/// A page of a list, as async-graphql's `Connection` (whose GraphQL type it is). When the answer
/// is written as JSON text (`json::WritesJson`) and the selection is plain, the whole connection
/// is written at once: its nodes through a `direct::Plan` compiled once for the page, without a
/// future or a `Value` per node. Otherwise, or when a node needs a resolver or a load, it resolves
/// as a `Connection` of `Direct` nodes.
pub struct Conn<N: PlainFields>(Inner<N>);

pub fn connection<M, N>(page: Page<M>, node: impl Fn(M) -> N) -> Conn<N>
where
    N: PlainFields,
{
    let mut conn = Connection::with_additional_fields(page.has_previous, page.has_next, TotalCount(page.count));
    conn.edges.extend(page.items.into_iter().map(|(cursor, m)| Edge::new(PageCursor(cursor), Direct(node(m)))));
    Conn(conn)
}

impl<N: PlainFields> OutputType for Conn<N> {
    fn type_name() -> Cow<'static, str> {
        Inner::<N>::type_name()
    }

    fn qualified_type_name() -> String {
        Inner::<N>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
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
        self.0.resolve(ctx, field).await
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
            let count = self.0.additional_fields.0.run().await.map_err(|err| {
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
        let conn = &self.0;
        let cursor = |edge: Option<&Edge<PageCursor, Direct<N>, EmptyFields>>, out: &mut Vec<u8>| match edge {
            Some(edge) => write_str(&edge.cursor.encode_cursor(), out),
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
                            PageField::HasPrevious => out.extend_from_slice(bool_text(conn.has_previous_page)),
                            PageField::HasNext => out.extend_from_slice(bool_text(conn.has_next_page)),
                            PageField::Start => cursor(conn.edges.first(), out),
                            PageField::End => cursor(conn.edges.last(), out),
                            PageField::Typename => write_str("PageInfo", out),
                        }
                        Some(())
                    })?;
                }
                Part::Nodes(plan) => {
                    write_list(out, &conn.edges, |edge, out| plan.write(ctx, &edge.node.0, &loaded, out))?
                }
                Part::Edges(fields) => write_list(out, &conn.edges, |edge, out| {
                    let fields = fields.iter().map(|(key, field)| (*key, field));
                    write_object(out, fields, |field, out| {
                        match field {
                            EdgeField::Cursor => cursor(Some(edge), out),
                            EdgeField::Node(plan) => plan.write(ctx, &edge.node.0, &loaded, out)?,
                            EdgeField::Typename => write_str(&edge_type_name::<N>(), out),
                        }
                        Some(())
                    })
                })?,
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
