//! Relay connections over the service's keyset pages.

use super::direct::{Direct, PlainFields};
use crate::service::page::{CountQuery, Cursor, Page, PageArgs};
use async_graphql::connection::{Connection, CursorType, Edge, EmptyFields};
use async_graphql::{Object, Result};

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

/// Nodes resolve their plain fields directly (see `direct`).
pub type Conn<N> = Connection<PageCursor, Direct<N>, TotalCount, EmptyFields>;

pub fn connection<M, N>(page: Page<M>, node: impl Fn(M) -> N) -> Conn<N>
where
    N: PlainFields,
{
    let mut conn = Connection::with_additional_fields(page.has_previous, page.has_next, TotalCount(page.count));
    conn.edges.extend(page.items.into_iter().map(|(cursor, m)| Edge::new(PageCursor(cursor), Direct(node(m)))));
    conn
}

pub fn args(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> PageArgs {
    PageArgs { first, after, last, before }
}
