//! Keyset pagination behind every Relay connection.
//!
//! A list is ordered by one sort key and then by id; a cursor holds the last row's (key, id). The
//! next page is "rows after that pair", so rows inserted while a client pages never shift what it
//! has not seen yet: nothing that existed when paging began is repeated or skipped.

use super::rows::{self, Columns, Positional};
use crate::error::{AppError, AppResult};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoSimpleExpr, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Value,
};
use serde_json::json;
use uuid::Uuid;

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 500;

/// The Relay arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn first(n: i32) -> Self {
        Self { first: Some(n), ..Default::default() }
    }

    /// The page size asked for: default 50, most 500.
    pub fn size(&self) -> AppResult<u64> {
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input("first", "give either `first` or `last`, not both"));
        }
        let (name, n) = match (self.first, self.last) {
            (Some(n), _) => ("first", n),
            (None, Some(n)) => ("last", n),
            (None, None) => return Ok(DEFAULT_PAGE),
        };
        if n < 0 || n as u64 > MAX_PAGE {
            return Err(AppError::bad_input(name, format!("must be between 0 and {MAX_PAGE}, got {n}")));
        }
        Ok(n as u64)
    }

    fn backward(&self) -> bool {
        self.last.is_some() || (self.before.is_some() && self.first.is_none())
    }
}

/// What kind of value the sort key holds, to read it back from a cursor.
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    Text,
    Date,
    Time,
    Int,
}

/// The order of a list: one key expression, then id, both in one direction.
#[derive(Clone, Debug)]
pub struct SortKey {
    pub expr: SimpleExpr,
    pub kind: KeyKind,
    pub descending: bool,
}

impl SortKey {
    pub fn new(expr: impl Into<SimpleExpr>, kind: KeyKind, descending: bool) -> Self {
        Self { expr: expr.into(), kind, descending }
    }
}

/// Sorts a nullable date column with undated rows last (as if due on 9999-12-31).
pub fn date_key<C: ColumnTrait>(col: C, descending: bool) -> SortKey {
    SortKey::new(sea_orm::sea_query::Func::coalesce([Expr::col(col), Expr::val(undated())]), KeyKind::Date, descending)
}

/// The date an undated row sorts as.
pub fn undated() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// A value of a sort key, as kept in a cursor.
#[derive(Clone)]
pub enum KeyValue {
    Text(String),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Int(i64),
}

impl KeyValue {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Text(s) => json!(s),
            Self::Date(d) => json!(d.to_string()),
            Self::Time(t) => json!(t.to_rfc3339()),
            Self::Int(i) => json!(i),
        }
    }

    fn from_json(kind: KeyKind, value: &serde_json::Value) -> Option<Value> {
        Some(match kind {
            KeyKind::Text => Value::from(value.as_str()?.to_owned()),
            KeyKind::Date => Value::from(value.as_str()?.parse::<NaiveDate>().ok()?),
            KeyKind::Time => Value::from(DateTime::parse_from_rfc3339(value.as_str()?).ok()?.with_timezone(&Utc)),
            KeyKind::Int => Value::from(value.as_i64()?),
        })
    }
}

/// Where a row stands in its list: its sort key and id. Encoded (a JSON pair in URL-safe base64)
/// only when a client asks for it: a script paging 500 rows at a time asks for one.
#[derive(Clone)]
pub struct Cursor {
    key: KeyValue,
    id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        encode_cursor(&self.key, self.id)
    }
}

/// One page of rows with their cursors. The rows stay in the list they were read into: a row
/// of a page of blockers is 328 bytes, and pairing each with its cursor moved all 500 of
/// them once more.
pub struct Page<M> {
    /// The rows, in the list's order.
    pub rows: Vec<M>,
    /// The cursor of each row, in the same order.
    pub cursors: Vec<Cursor>,
    pub has_next: bool,
    pub has_previous: bool,
    pub count: CountQuery,
}

/// `totalCount`, built and run only when a client asks for it (a script paging through a list
/// does not).
#[derive(Clone)]
pub struct CountQuery {
    db: DatabaseConnection,
    source: SelectStatement,
}

impl CountQuery {
    pub async fn run(&self) -> AppResult<u64> {
        let outer = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(self.source.clone(), Alias::new("page_source"))
            .to_owned();
        let row = self.db.query_one_raw(self.db.get_database_backend().build(&outer)).await?;
        let n: i64 = match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn encode_cursor(key: &KeyValue, id: Uuid) -> String {
    let raw = json!([key.to_json(), id.to_string()]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(field: &str, cursor: &str, kind: KeyKind) -> AppResult<(Value, Uuid)> {
    let invalid = || AppError::bad_input(field, "not a cursor of this list; use a cursor the list returned");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let parsed: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let parts = parsed.as_array().filter(|a| a.len() == 2).ok_or_else(invalid)?;
    let key = KeyValue::from_json(kind, &parts[0]).ok_or_else(invalid)?;
    let id = parts[1].as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(invalid)?;
    Ok((key, id))
}

/// Rows strictly after (or, `before`, strictly before) the cursor in the list's order. The
/// first, redundant bound (`key >= value`) is what lets the database start the index scan at the
/// cursor: without it both databases read the index from the start of the list and threw away
/// every row of the earlier pages, so the tenth page of a pull read ten pages' worth of rows.
fn beyond(key: &SortKey, id_col: SimpleExpr, value: Value, id: Uuid, after: bool) -> Condition {
    let forward = after != key.descending;
    let k = || Expr::expr(key.expr.clone());
    let i = Expr::expr(id_col);
    let (bound, key_cmp, id_cmp) = if forward {
        (k().gte(value.clone()), k().gt(value.clone()), i.gt(id))
    } else {
        (k().lte(value.clone()), k().lt(value.clone()), i.lt(id))
    };
    Condition::all().add(bound).add(Condition::any().add(key_cmp).add(Condition::all().add(k().eq(value)).add(id_cmp)))
}

/// Runs one page of `select` in `key` order. `key_of` reads a row's sort key and id.
pub async fn paginate<E, C>(
    db: &DatabaseConnection,
    select: Select<E>,
    id_col: C,
    key: SortKey,
    args: &PageArgs,
    key_of: impl Fn(&E::Model) -> (KeyValue, Uuid),
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    paginate_by(db, select, id_col, key, args, key_of, |query| query.all(db)).await
}

/// `paginate`, selecting only `columns` (which must hold the sort key's) and reading the rows
/// by position (see `rows`).
pub async fn paginate_columns<E, C>(
    db: &DatabaseConnection,
    select: Select<E>,
    columns: Columns,
    id_col: C,
    key: SortKey,
    args: &PageArgs,
    key_of: impl Fn(&E::Model) -> (KeyValue, Uuid),
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ColumnTrait,
{
    let select = rows::narrow(select, columns);
    paginate_by(db, select, id_col, key, args, key_of, |query| rows::all(db, query, columns)).await
}

async fn paginate_by<E, C, F>(
    db: &DatabaseConnection,
    select: Select<E>,
    id_col: C,
    key: SortKey,
    args: &PageArgs,
    key_of: impl Fn(&E::Model) -> (KeyValue, Uuid),
    fetch: impl FnOnce(Select<E>) -> F,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
    F: std::future::Future<Output = Result<Vec<E::Model>, sea_orm::DbErr>>,
{
    let size = args.size()?;
    let count = count_query(db, &select);
    let backward = args.backward();
    let mut query = select;
    if let Some(after) = &args.after {
        let (value, id) = decode_cursor("after", after, key.kind)?;
        query = query.filter(beyond(&key, id_col.into_simple_expr(), value, id, true));
    }
    if let Some(before) = &args.before {
        let (value, id) = decode_cursor("before", before, key.kind)?;
        query = query.filter(beyond(&key, id_col.into_simple_expr(), value, id, false));
    }
    let ascending = key.descending == backward;
    let order = if ascending { Order::Asc } else { Order::Desc };
    let mut rows =
        fetch(query.order_by(key.expr.clone(), order.clone()).order_by(id_col, order).limit(size + 1)).await?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    if backward {
        rows.reverse();
    }
    let cursors = rows
        .iter()
        .map(|row| {
            let (key, id) = key_of(row);
            Cursor { key, id }
        })
        .collect();
    let (has_next, has_previous) = if backward { (args.before.is_some(), more) } else { (more, args.after.is_some()) };
    Ok(Page { rows, cursors, has_next, has_previous, count })
}

fn count_query<E: EntityTrait>(db: &DatabaseConnection, select: &Select<E>) -> CountQuery {
    CountQuery { db: db.clone(), source: select.clone().into_query() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_limits() {
        assert_eq!(PageArgs::default().size().unwrap(), 50);
        assert_eq!(PageArgs::first(500).size().unwrap(), 500);
        assert!(PageArgs::first(501).size().is_err());
        assert!(PageArgs::first(-1).size().is_err());
        let both = PageArgs { first: Some(1), last: Some(1), ..Default::default() };
        assert!(both.size().is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::new_v4();
        let cursor = encode_cursor(&KeyValue::Date(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()), id);
        let (value, back) = decode_cursor("after", &cursor, KeyKind::Date).unwrap();
        assert_eq!(back, id);
        assert_eq!(value, Value::from(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap()));
        assert!(decode_cursor("after", "nonsense", KeyKind::Date).is_err());
        assert!(decode_cursor("after", &cursor, KeyKind::Int).is_err());
    }
}
