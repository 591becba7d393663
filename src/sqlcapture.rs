//! Statement capture for the benchmark's floor: with `DEBUG_SQL_CAPTURE` on, a request that sends
//! `x-capture-sql: 1` gets the SQL it ran, with typed values, in `extensions.sqlStatements`, so the
//! benchmark can replay exactly those statements against the database. Off by default; never turn
//! it on in production (it shows queries to the caller).

use sea_orm::sea_query::{ArrayType, Value, Values};
use serde_json::{json, Value as Json};

/// One statement as captured: SQL text with placeholders, and its values.
pub fn encode(sql: &str, values: Option<&Values>) -> Json {
    let values: Vec<Json> = values.map(|v| v.0.iter().map(encode_value).collect()).unwrap_or_default();
    json!({ "sql": sql, "values": values })
}

fn encode_value(v: &Value) -> Json {
    let (t, v) = match v {
        Value::Bool(b) => ("bool", json!(b)),
        Value::TinyInt(i) => ("i64", json!(i)),
        Value::SmallInt(i) => ("i64", json!(i)),
        Value::Int(i) => ("i32", json!(i)),
        Value::BigInt(i) => ("i64", json!(i)),
        Value::TinyUnsigned(i) => ("i64", json!(i)),
        Value::SmallUnsigned(i) => ("i64", json!(i)),
        Value::Unsigned(i) => ("i64", json!(i)),
        Value::BigUnsigned(i) => ("i64", json!(i)),
        Value::Float(f) => ("f64", json!(f)),
        Value::Double(f) => ("f64", json!(f)),
        Value::String(s) => ("string", json!(s)),
        Value::Char(c) => ("string", json!(c.map(|c| c.to_string()))),
        Value::Json(j) => ("json", j.as_deref().cloned().unwrap_or(Json::Null)),
        Value::ChronoDate(d) => ("date", json!(d.map(|d| d.to_string()))),
        Value::ChronoDateTimeUtc(t) => ("timestamptz", json!(t.map(|t| t.to_rfc3339()))),
        Value::Uuid(u) => ("uuid", json!(u.map(|u| u.to_string()))),
        Value::Array(ArrayType::Uuid, ids) => {
            let ids: Option<Vec<Json>> =
                ids.as_ref().map(|ids| ids.iter().map(|id| encode_value(id)["v"].take()).collect());
            ("uuid[]", json!(ids))
        }
        other => ("string", json!(format!("{other:?}"))),
    };
    json!({ "t": t, "v": v })
}

/// The values of a captured statement, typed again.
pub fn decode_values(values: &[Json]) -> Values {
    Values(values.iter().map(decode_value).collect())
}

fn decode_value(v: &Json) -> Value {
    let raw = &v["v"];
    let s = raw.as_str();
    match v["t"].as_str().unwrap_or("string") {
        "bool" => Value::Bool(raw.as_bool()),
        "i32" => Value::Int(raw.as_i64().map(|i| i as i32)),
        "i64" => Value::BigInt(raw.as_i64()),
        "f64" => Value::Double(raw.as_f64()),
        "json" => Value::Json((!raw.is_null()).then(|| Box::new(raw.clone()))),
        "date" => Value::ChronoDate(s.and_then(|s| s.parse().ok())),
        "timestamptz" => Value::ChronoDateTimeUtc(
            s.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&chrono::Utc)),
        ),
        "uuid" => Value::Uuid(s.and_then(|s| uuid::Uuid::parse_str(s).ok())),
        "uuid[]" => Value::Array(
            ArrayType::Uuid,
            raw.as_array()
                .map(|ids| Box::new(ids.iter().map(|id| decode_value(&json!({ "t": "uuid", "v": id }))).collect())),
        ),
        _ => Value::String(s.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let values = Values(vec![
            Value::Uuid(Some(uuid::Uuid::nil())),
            Value::String(None),
            Value::Int(Some(7)),
            Value::ChronoDate(Some(chrono::NaiveDate::from_ymd_opt(2026, 5, 20).unwrap())),
            Value::Bool(Some(true)),
            Value::Array(
                ArrayType::Uuid,
                Some(Box::new(vec![Value::Uuid(Some(uuid::Uuid::nil())), Value::Uuid(Some(uuid::Uuid::max()))])),
            ),
            Value::Array(ArrayType::Uuid, None),
        ]);
        let encoded = encode("SELECT $1", Some(&values));
        let back = decode_values(encoded["values"].as_array().unwrap());
        assert_eq!(back, values);
    }
}
