//! Rows read by position, and only the columns a request needs.
//!
//! SeaORM's derived models read every column by name: a lookup in the row's name map (SipHash)
//! for each column, and for each NULL an error string built and thrown away. A page of 500
//! blockers with their tasks is some 23,000 such reads. Here the hot models (blockers, tasks,
//! ministries) are read by their place in the select list, which is the order of the entity's
//! columns, checked against the row's own column names once per result set.
//!
//! A [`Columns`] set says which of a model's columns a statement selects. A list whose selection
//! asks only for fields with known columns (see `graphql::direct`) selects just those; the
//! fields it does not select are left blank in the model (empty text, nil id, `None`), and only
//! fields whose columns were selected are ever read from such a model.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::*;
use sea_orm::sqlx::error::BoxDynError;
use sea_orm::sqlx::postgres::{PgValueFormat, PgValueRef, Postgres};
use sea_orm::sqlx::{Column as _, Decode, Row as _, ValueRef as _};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, QuerySelect, QueryTrait,
    Select, TryGetable,
};
use uuid::Uuid;

/// Which of a model's columns a statement selects: bit `i` is the model's `i`-th column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Columns(u64);

impl Columns {
    /// Every column: the whole row.
    pub const ALL: Columns = Columns(u64::MAX);

    /// The columns named (as in the model), plus the id. `None` when a name is not a column.
    pub fn of<M: Positional>(names: &[&str]) -> Option<Columns> {
        let mut set = Columns(0).with::<M>("id")?;
        for name in names {
            set = set.with::<M>(name)?;
        }
        Some(set)
    }

    /// This set and the column `name`; `None` when it is not a column of `M`.
    pub fn with<M: Positional>(self, name: &str) -> Option<Columns> {
        let at = M::FIELDS.iter().position(|f| *f == name)?;
        Some(Columns(self.0 | 1 << at))
    }

    pub fn union(self, other: Columns) -> Columns {
        Columns(self.0 | other.0)
    }

    /// The same set, spelt `ALL` when it holds every column of `M`.
    pub fn normal<M: Positional>(self) -> Columns {
        if self.is_all::<M>() {
            Columns::ALL
        } else {
            self
        }
    }

    pub fn is_all<M: Positional>(self) -> bool {
        (0..M::FIELDS.len()).all(|i| self.has(i))
    }

    fn has(self, at: usize) -> bool {
        self.0 & (1 << at) != 0
    }
}

/// A model read by position. `FIELDS` lists its fields in column order.
pub trait Positional: Sized {
    const FIELDS: &'static [&'static str];

    /// The model from a row selecting `columns` in column order; other fields are blank.
    fn read(row: &QueryResult, columns: Columns) -> Result<Self, DbErr>;
}

/// One column's value, read by position.
pub trait Cell: Sized {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr>;
    /// The value of a field whose column was not selected.
    fn blank() -> Self;
}

/// A type a non-null column decodes to.
pub trait NotNull: TryGetable {
    fn blank() -> Self;

    /// The value from a PostgreSQL column's bytes, when the type has a decoder of its own there:
    /// without sqlx's check of the value's type against the column, which the column names
    /// checked once per result set (see `all`) and the migrations make redundant. `None`: read
    /// it through SeaORM.
    fn decode_pg(_value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
        None
    }
}

fn column_error(at: usize, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("reading column {at}: {e}"))
}

fn read_value<T: NotNull>(row: &QueryResult, at: usize) -> Result<T, DbErr> {
    if let Some(r) = row.try_as_pg_row() {
        let value = r.try_get_raw(at).map_err(|e| column_error(at, e))?;
        if let Some(decoded) = T::decode_pg(value) {
            return decoded.map_err(|e| column_error(at, e));
        }
    }
    Ok(T::try_get_by_index(row, at)?)
}

impl<T: NotNull> Cell for T {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        read_value(row, at)
    }

    fn blank() -> Self {
        <T as NotNull>::blank()
    }
}

impl<T: NotNull> Cell for Option<T> {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        // A NULL is seen before decoding, so that it costs no error value; on PostgreSQL the
        // column's bytes are looked up once for both.
        if let Some(r) = row.try_as_pg_row() {
            let value = r.try_get_raw(at).map_err(|e| column_error(at, e))?;
            if value.is_null() {
                return Ok(None);
            }
            if let Some(decoded) = T::decode_pg(value) {
                return decoded.map(Some).map_err(|e| column_error(at, e));
            }
            return Ok(Some(T::try_get_by_index(row, at)?));
        }
        if let Some(r) = row.try_as_sqlite_row() {
            let null = r.try_get_raw(at).map_err(|e| column_error(at, e))?.is_null();
            return if null { Ok(None) } else { Ok(Some(T::try_get_by_index(row, at)?)) };
        }
        Ok(Option::<T>::try_get_by_index(row, at)?)
    }

    fn blank() -> Self {
        None
    }
}

/// The names of a row's columns, where the driver tells them.
fn column_names(row: &QueryResult) -> Option<Vec<String>> {
    if let Some(r) = row.try_as_pg_row() {
        return Some(r.columns().iter().map(|c| c.name().to_owned()).collect());
    }
    if let Some(r) = row.try_as_sqlite_row() {
        return Some(r.columns().iter().map(|c| c.name().to_owned()).collect());
    }
    None
}

macro_rules! not_null {
    ($($t:ty => $blank:expr),* $(,)?) => {
        $(impl NotNull for $t {
            fn blank() -> Self {
                $blank
            }

            fn decode_pg(value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                Some(<$t as Decode<Postgres>>::decode(value))
            }
        })*
    };
}

not_null! {
    String => String::new(),
    Uuid => Uuid::nil(),
    i32 => 0,
    bool => false,
    NaiveDate => NaiveDate::default(),
}

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch, in UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl NotNull for DateTime<Utc> {
    fn blank() -> Self {
        DateTime::<Utc>::default()
    }

    /// A binary `timestamptz` is microseconds since PostgreSQL's epoch: turned into a time by
    /// arithmetic, where sqlx builds the epoch's date again for each value and adds a duration.
    fn decode_pg(value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
        if value.format() != PgValueFormat::Binary {
            return Some(<DateTime<Utc> as Decode<Postgres>>::decode(value));
        }
        Some(<i64 as Decode<Postgres>>::decode(value).and_then(|micros| {
            micros
                .checked_add(POSTGRES_EPOCH_MICROS)
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(|| format!("timestamp {micros} µs after 2000-01-01 is out of range").into())
        }))
    }
}

/// Enums are text columns: on PostgreSQL the text is matched against the variants' names where it
/// lies in the row, without a `String` for each value.
macro_rules! not_null_enums {
    ($($t:ty),* $(,)?) => {
        $(impl NotNull for $t {
            fn blank() -> Self {
                <$t as Iterable>::iter().next().expect("an enum has a variant")
            }

            fn decode_pg(value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                static NAMES: std::sync::OnceLock<Vec<(String, $t)>> = std::sync::OnceLock::new();
                let names = NAMES.get_or_init(|| <$t as Iterable>::iter().map(|v| (v.to_value(), v)).collect());
                Some(<&str as Decode<Postgres>>::decode(value).and_then(|text| {
                    names.iter().find(|(name, _)| name == text).map(|(_, v)| *v).ok_or_else(|| {
                        format!("`{text}` is not a {}", stringify!($t)).into()
                    })
                }))
            }
        })*
    };
}

not_null_enums!(MinistryKind, TaskStatus, BlockerStatus, Severity, BlockerCategory, BlockerOrigin);

macro_rules! positional {
    ($($model:path { $($field:ident),* $(,)? })*) => {
        $(impl Positional for $model {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            #[allow(unused_assignments)]
            fn read(row: &QueryResult, columns: Columns) -> Result<Self, DbErr> {
                let (mut at, mut bit) = (0usize, 0usize);
                Ok(Self {
                    $($field: {
                        let v = if columns.has(bit) {
                            at += 1;
                            Cell::read(row, at - 1)?
                        } else {
                            Cell::blank()
                        };
                        bit += 1;
                        v
                    }),*
                })
            }
        })*
    };
}

positional! {
    entity::blocker::Model {
        id, title, description, severity, category, status, origin, origin_name, raised_by_ministry_id,
        raised_by_actor_id, raised_by_actor_name, responsible_ministry_id, task_id, due_date, resolution,
        escalated_to, escalation_reason, resolved_at, search_text, version, created_at, updated_at,
    }
    entity::task::Model {
        id, code, title, description, status, lead_ministry_id, working_group_id, directive_id, focal_person_name,
        focal_person_title, due_date, approving_authority, expected_output, resources, completed_at,
        completed_on_time, cancel_reason, search_text, version, created_at, updated_at,
    }
    entity::ministry::Model {
        id, code, name_vi, name_en, kind, search_text, version, created_at, updated_at,
    }
}

/// `select` narrowed to `columns` (in column order).
pub fn narrow<E>(select: Select<E>, columns: Columns) -> Select<E>
where
    E: EntityTrait,
    E::Model: Positional,
{
    if columns.is_all::<E::Model>() {
        return select;
    }
    let mut select = select.select_only();
    for (i, column) in E::Column::iter().enumerate() {
        if columns.has(i) {
            select = select.column(column);
        }
    }
    select
}

/// Runs `select` (already narrowed to `columns`) and reads its rows by position.
pub async fn all<E, C>(db: &C, select: Select<E>, columns: Columns) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ConnectionTrait,
{
    let statement = select.build(db.get_database_backend());
    let rows = db.query_all_raw(statement).await?;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let expected: Vec<&str> =
        E::Column::iter().enumerate().filter(|(i, _)| columns.has(*i)).map(|(_, c)| c.as_str()).collect();
    if let Some(names) = column_names(first) {
        if names.iter().map(String::as_str).ne(expected.iter().copied()) {
            return Err(DbErr::Custom(format!(
                "the columns of `{}` came back as {names:?}, not in the entity's order {expected:?}",
                E::default().as_str()
            )));
        }
    }
    // Pushed into a list made to size: collecting `Result`s cannot size it and would move every
    // model again each time it grew.
    let mut models = Vec::with_capacity(rows.len());
    for row in &rows {
        models.push(E::Model::read(row, columns)?);
    }
    Ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_order<E: EntityTrait>()
    where
        E::Model: Positional,
    {
        let columns: Vec<&str> = E::Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(columns, E::Model::FIELDS, "fields of {} out of column order", E::default().as_str());
    }

    #[test]
    fn positional_fields_are_the_columns_in_order() {
        same_order::<entity::blocker::Entity>();
        same_order::<entity::task::Entity>();
        same_order::<entity::ministry::Entity>();
    }

    #[test]
    fn column_sets_name_only_columns_and_always_hold_the_id() {
        use entity::task::Model;
        let code = Columns::of::<Model>(&["code"]).unwrap();
        assert!(code.has(0) && code.has(1) && !code.has(2));
        assert!(Columns::of::<Model>(&["leadMinistry"]).is_none());
        assert!(Columns::ALL.is_all::<Model>());
        assert!(!code.is_all::<Model>());
    }
}
