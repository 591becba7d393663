//! Statement texts kept by shape, so that the statements every request runs are not built again.
//!
//! Building a statement with SeaORM and SeaQuery is a tree of expressions, one per selected
//! column, written out to text with every name quoted: in a point lookup (the user behind the
//! token, the task, its ministry) that was about as many instructions as GraphQL validation,
//! for three texts that never change. Here a statement's text is built once for each shape (what
//! it reads, the columns, the length of an id list) and backend, and each later run binds its
//! own values to that text.
//!
//! The caller gives the values in the order the text binds them. On the first run of a shape
//! the statement is built as before and its values compared with the caller's; only when they
//! are the same is the text kept, so a caller who lists them wrongly gets a built statement
//! every time (and a test build stops on it), never the wrong rows.

use rustc_hash::FxHashMap;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QuerySelect, QueryTrait, Statement, Value, Values,
};
use std::sync::{Arc, OnceLock, RwLock};
use uuid::Uuid;

/// What a statement's text depends on, besides the backend: the query (a name for its kind and
/// the table it reads), the columns it selects and how many values a list in it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    pub query: &'static str,
    pub table: &'static str,
    pub columns: u64,
    pub count: u32,
}

/// Shapes are a handful per query; the bound only guards against a shape with an unbounded
/// part, which would start the map over rather than grow it.
const MOST: usize = 1024;

type Texts = RwLock<FxHashMap<(Shape, u8), Arc<str>>>;

fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(Default::default)
}

fn backend_tag(backend: DbBackend) -> u8 {
    match backend {
        DbBackend::Postgres => 0,
        DbBackend::Sqlite => 1,
        _ => 2,
    }
}

/// The statement of `shape` with `values`: its kept text, or `build()` (kept when its values are
/// `values`, in that order).
pub fn statement(backend: DbBackend, shape: Shape, values: Vec<Value>, build: impl FnOnce() -> Statement) -> Statement {
    let key = (shape, backend_tag(backend));
    let kept = texts().read().ok().and_then(|texts| texts.get(&key).cloned());
    if let Some(sql) = kept {
        let values = (!values.is_empty()).then_some(Values(values));
        return Statement { sql: sql.as_ref().to_owned(), values, db_backend: backend };
    }
    let built = build();
    let same = match &built.values {
        Some(bound) => bound.0 == values,
        None => values.is_empty(),
    };
    if same {
        if let Ok(mut texts) = texts().write() {
            if texts.len() >= MOST {
                texts.clear();
            }
            texts.insert(key, Arc::from(built.sql.as_str()));
        }
    } else {
        debug_assert!(false, "the values of {shape:?} are not bound as listed: {:?} against {values:?}", built.values);
        tracing::warn!(
            query = shape.query,
            table = shape.table,
            "a statement's values are not bound as listed; its text is not kept"
        );
    }
    built
}

/// The row of `E` with `id`, as `E::find_by_id(id).one(conn)` reads it, from a kept text.
pub async fn find_by_id<E, C>(conn: &C, id: Uuid) -> Result<Option<E::Model>, DbErr>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: FromQueryResult,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let backend = conn.get_database_backend();
    let shape = Shape { query: "by id", table: E::default().as_str(), columns: u64::MAX, count: 1 };
    let statement =
        statement(backend, shape, vec![id.into(), 1u64.into()], || E::find_by_id(id).limit(1).build(backend));
    match conn.query_one_raw(statement).await? {
        Some(row) => Ok(Some(E::Model::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ColumnTrait, QueryFilter};

    fn built(backend: DbBackend, id: Uuid) -> Statement {
        entity::ministry::Entity::find().filter(entity::ministry::Column::Id.eq(id)).build(backend)
    }

    #[test]
    fn a_kept_text_binds_the_values_of_each_run() {
        let shape = Shape { query: "test: by id", table: "ministry", columns: 0, count: 1 };
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
            let a = statement(backend, shape, vec![first.into()], || built(backend, first));
            let mut ran = false;
            let b = statement(backend, shape, vec![second.into()], || {
                ran = true;
                built(backend, second)
            });
            assert!(!ran, "the text of the second run was built again");
            assert_eq!(a.sql, b.sql);
            let again = built(backend, second);
            assert_eq!((b.sql, b.values.map(|v| v.0)), (again.sql, again.values.map(|v| v.0)));
        }
    }

    #[test]
    #[should_panic(expected = "not bound as listed")]
    fn values_listed_out_of_order_are_not_kept() {
        let shape = Shape { query: "test: wrong values", table: "ministry", columns: 0, count: 1 };
        let id = Uuid::new_v4();
        statement(DbBackend::Sqlite, shape, vec![Uuid::new_v4().into()], || built(DbBackend::Sqlite, id));
    }
}
