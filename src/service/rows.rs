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
use sea_orm::sqlx::sqlite::{Sqlite, SqliteValueRef};
use sea_orm::sqlx::{Column as _, Decode, Row as _, TypeInfo as _, ValueRef as _};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, QuerySelect, QueryTrait,
    Select, Statement, TryGetable,
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

    /// The set as a number: bit `i` is the model's `i`-th column.
    pub fn bits(self) -> u64 {
        self.0
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

    /// The same on SQLite, from a value that is not NULL.
    fn decode_sqlite(_value: SqliteValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
        None
    }
}

fn column_error(at: usize, e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("reading column {at}: {e}"))
}

/// A column's value read where it lies in the row, by the type's own decoder for the database
/// (`decode_pg`, `decode_sqlite`), `None` for a NULL. The value is looked up once, for the NULL
/// and the decoding, and a NULL costs no error value. A type without a decoder of its own there,
/// or a value its decoder leaves alone, is read through SeaORM.
fn read_cell<T: NotNull>(row: &QueryResult, at: usize) -> Result<Option<T>, DbErr> {
    let decoded = if let Some(r) = row.try_as_pg_row() {
        let value = r.try_get_raw(at).map_err(|e| column_error(at, e))?;
        if value.is_null() {
            return Ok(None);
        }
        T::decode_pg(value)
    } else if let Some(r) = row.try_as_sqlite_row() {
        let value = r.try_get_raw(at).map_err(|e| column_error(at, e))?;
        if value.is_null() {
            return Ok(None);
        }
        T::decode_sqlite(value)
    } else {
        None
    };
    match decoded {
        Some(decoded) => decoded.map(Some).map_err(|e| column_error(at, e)),
        None => Ok(Option::<T>::try_get_by_index(row, at)?),
    }
}

impl<T: NotNull> Cell for T {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        read_cell(row, at)?.ok_or_else(|| column_error(at, "NULL in a column that holds a value in every row"))
    }

    fn blank() -> Self {
        <T as NotNull>::blank()
    }
}

impl<T: NotNull> Cell for Option<T> {
    fn read(row: &QueryResult, at: usize) -> Result<Self, DbErr> {
        read_cell(row, at)
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
    ($($t:ty => $blank:expr, $sqlite:expr),* $(,)?) => {
        $(impl NotNull for $t {
            fn blank() -> Self {
                $blank
            }

            fn decode_pg(value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                Some(<$t as Decode<Postgres>>::decode(value))
            }

            fn decode_sqlite(value: SqliteValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                $sqlite(value)
            }
        })*
    };
}

// On SQLite, without SeaORM's and sqlx's checks around each value (see `decode_pg`): text as it
// lies in the row, ids from their 16 bytes, dates by hand where sqlx tries chrono's general
// parser. Each only when the value is stored as the kind the column is written in (`stored`);
// any other value, and a date in another form, is read through SeaORM as before, with its
// conversions and its errors.
not_null! {
    String => String::new(), |v| stored(&v, "TEXT").then(|| <&str as Decode<Sqlite>>::decode(v).map(str::to_owned)),
    Uuid => Uuid::nil(),
        |v| stored(&v, "BLOB").then(|| <&[u8] as Decode<Sqlite>>::decode(v).and_then(|b| Ok(Uuid::from_slice(b)?))),
    i32 => 0, |v| stored(&v, "INTEGER").then(|| <i32 as Decode<Sqlite>>::decode(v)),
    bool => false, |v| stored(&v, "INTEGER").then(|| <bool as Decode<Sqlite>>::decode(v)),
    NaiveDate => NaiveDate::default(), |v| sqlite_text(v).and_then(sqlite_date).map(Ok),
}

/// Whether a SQLite value is stored as `kind` (`TEXT`, `INTEGER`, `REAL`, `BLOB`).
fn stored(value: &SqliteValueRef<'_>, kind: &str) -> bool {
    value.type_info().name() == kind
}

/// A SQLite value's bytes, if it is stored as text. (Reading another kind as text would convert
/// it in the row, after which sqlx could no longer read it as a number.)
fn sqlite_text(value: SqliteValueRef<'_>) -> Option<&[u8]> {
    if !stored(&value, "TEXT") {
        return None;
    }
    <&str as Decode<Sqlite>>::decode(value).ok().map(str::as_bytes)
}

/// `digits` as a number, if they are all ASCII digits.
fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
}

/// `YYYY-MM-DD`, the form sqlx writes a date in on SQLite.
fn sqlite_date(text: &[u8]) -> Option<NaiveDate> {
    if text.len() != 10 || text[4] != b'-' || text[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(number(&text[..4])?).ok()?, number(&text[5..7])?, number(&text[8..])?)
}

/// `YYYY-MM-DDTHH:MM:SS`, then an optional fraction of 1 to 9 digits, then `+00:00` or `Z`: the
/// form sqlx writes a UTC time in on SQLite (RFC 3339). `None` for any other form, which is left
/// to sqlx's decoder and its list of SQLite's formats.
fn sqlite_utc(text: &[u8]) -> Option<DateTime<Utc>> {
    if text.len() < 20 || text[10] != b'T' || text[13] != b':' || text[16] != b':' {
        return None;
    }
    let date = sqlite_date(&text[..10])?;
    let (hour, minute, second) = (number(&text[11..13])?, number(&text[14..16])?, number(&text[17..19])?);
    let (mut nanos, mut rest) = (0, &text[19..]);
    if let [b'.', fraction @ ..] = rest {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = number(&fraction[..digits])? * 10u32.pow(9 - digits as u32);
        rest = &fraction[digits..];
    }
    if rest != b"+00:00" && rest != b"Z" {
        return None;
    }
    Some(date.and_hms_nano_opt(hour, minute, second, nanos)?.and_utc())
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

    /// Parsed by hand in the form sqlx writes (`sqlite_utc`), where sqlx runs chrono's general
    /// RFC 3339 parser and builds a time with an offset first; text in another form, or a time
    /// stored as a number, is read through SeaORM, which tries SQLite's other forms.
    fn decode_sqlite(value: SqliteValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
        sqlite_text(value).and_then(sqlite_utc).map(Ok)
    }
}

/// An enum's variant by the name it is stored under.
trait Named: Sized {
    fn named(text: &str) -> Result<Self, BoxDynError>;
}

/// Enums are text columns: the text is matched against the variants' names where it lies in the
/// row, without a `String` for each value.
macro_rules! not_null_enums {
    ($($t:ty),* $(,)?) => {
        $(impl Named for $t {
            fn named(text: &str) -> Result<Self, BoxDynError> {
                static NAMES: std::sync::OnceLock<Vec<(String, $t)>> = std::sync::OnceLock::new();
                let names = NAMES.get_or_init(|| <$t as Iterable>::iter().map(|v| (v.to_value(), v)).collect());
                names.iter().find(|(name, _)| name == text).map(|(_, v)| *v).ok_or_else(|| {
                    format!("`{text}` is not a {}", stringify!($t)).into()
                })
            }
        }

        impl NotNull for $t {
            fn blank() -> Self {
                <$t as Iterable>::iter().next().expect("an enum has a variant")
            }

            fn decode_pg(value: PgValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                Some(<&str as Decode<Postgres>>::decode(value).and_then(Self::named))
            }

            fn decode_sqlite(value: SqliteValueRef<'_>) -> Option<Result<Self, BoxDynError>> {
                stored(&value, "TEXT").then(|| <&str as Decode<Sqlite>>::decode(value).and_then(Self::named))
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
    read_all::<E, C>(db, select.build(db.get_database_backend()), columns).await
}

/// Runs `statement`, which selects `columns` of `E` in column order, and reads its rows by
/// position.
pub async fn read_all<E, C>(db: &C, statement: Statement, columns: Columns) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Positional,
    C: ConnectionTrait,
{
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

    /// The hand parsers read what sqlx writes on SQLite exactly as sqlx's own decoders do, and
    /// leave every other form to them.
    #[test]
    fn sqlite_dates_and_times_read_as_sqlx_reads_them() {
        use chrono::{Duration, SecondsFormat};
        let start = DateTime::parse_from_rfc3339("1999-12-31T23:59:59.999999999Z").unwrap().to_utc();
        let mut checked = 0;
        for i in 0..20_000i64 {
            // Steps of odd sizes: every digit position of the fraction, months and leap days.
            let time = start + Duration::nanoseconds(i * 7_919_000_013_337 + (i % 10) * 10i64.pow((i % 10) as u32));
            for format in [SecondsFormat::AutoSi, SecondsFormat::Secs, SecondsFormat::Millis, SecondsFormat::Nanos] {
                for z in [false, true] {
                    let text = time.to_rfc3339_opts(format, z);
                    let expected = DateTime::parse_from_rfc3339(&text).unwrap().to_utc();
                    assert_eq!(sqlite_utc(text.as_bytes()), Some(expected), "{text}");
                    checked += 1;
                }
            }
            let day = time.date_naive().format("%F").to_string();
            assert_eq!(sqlite_date(day.as_bytes()), Some(time.date_naive()), "{day}");
        }
        assert!(checked > 100_000);
        for digits in ["5", "25", "1234", "12345", "1234567", "12345678"] {
            for end in ["Z", "+00:00"] {
                let text = format!("2026-05-10T03:04:05.{digits}{end}");
                let expected = DateTime::parse_from_rfc3339(&text).unwrap().to_utc();
                assert_eq!(sqlite_utc(text.as_bytes()), Some(expected), "{text}");
            }
        }
        for other in [
            "2026-05-10 03:00:00",
            "2026-05-10T03:00:00+07:00",
            "2026-05-10T03:00:00.+00:00",
            "2026-05-10T03:00:00.1234567890+00:00",
            "2026-05-10T03:00:60+00:00",
            "2026-02-30T03:00:00Z",
            "2026-05-10T3:00:00Z",
            "2026-05-10T03:00:00+00:00 ",
            "+2026-05-10T03:00Z",
            "2026-05-10T03:00Z",
            "2026-05-1xT03:00:00Z",
        ] {
            assert_eq!(sqlite_utc(other.as_bytes()), None, "{other}");
        }
        for other in ["2026-5-10", "2026-05-10 ", "2026-13-01", "2026/05/10", "２０２６-05-10", "-026-05-10"] {
            assert_eq!(sqlite_date(other.as_bytes()), None, "{other}");
        }
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
