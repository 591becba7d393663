//! Answers written as JSON text, and values known before they become GraphQL values.
//!
//! async-graphql builds a tree of `Value`s for every answer (an `IndexMap` per object, a `String`
//! per text, a hashed key per field) and then serializes it. For a page of 500 blockers with their
//! task and ministries that tree was the largest single cost left on the server. `direct` writes
//! such lists as JSON text instead and hands the text over as a `Value::Binary`, which this
//! schema never produces otherwise; `response` writes a `Binary` as the text it holds. Only HTTP
//! answers go through `response`, so only a request that the HTTP handler marks with
//! `WritesJson` gets text: a subscription's values are serialized elsewhere, and get values.

use async_graphql::resolver_utils::EnumType;
use async_graphql::{Name, Response, Value};
use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

/// Request data: this request's answer is written by `response`, so lists may come as text.
/// The HTTP handler adds it only when no selection set of the document repeats a response key
/// (async-graphql merges repeated keys by looking into values, which text would defeat) and the
/// document has no fragments.
pub struct WritesJson;

/// A plain field's value before it is a `Value`: text borrowed from the row, an enum's name, an
/// id or a date, written without building anything in between.
#[derive(Clone)]
pub enum Plain<'a> {
    Null,
    Text(&'a str),
    Id(Uuid),
    Date(NaiveDate),
    Enum(&'static str),
    Bool(bool),
    Int(i64),
    Value(Value),
}

impl Plain<'_> {
    /// The `Value` that the field's resolver gives.
    pub fn into_value(self) -> Value {
        match self {
            Plain::Null => Value::Null,
            Plain::Text(s) => Value::String(s.to_owned()),
            Plain::Id(id) => Value::String(id.to_string()),
            Plain::Date(d) => Value::String(date_text(d)),
            Plain::Enum(name) => Value::Enum(Name::new(name)),
            Plain::Bool(b) => Value::Boolean(b),
            Plain::Int(n) => Value::Number(n.into()),
            Plain::Value(v) => v,
        }
    }

    /// The JSON text of `into_value`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Plain::Null => out.extend_from_slice(b"null"),
            Plain::Text(s) => write_str(s, out),
            Plain::Id(id) => {
                out.push(b'"');
                out.extend_from_slice(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
                out.push(b'"');
            }
            Plain::Date(d) => {
                out.push(b'"');
                write_date(*d, out);
                out.push(b'"');
            }
            Plain::Enum(name) => write_str(name, out),
            Plain::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Plain::Int(n) => {
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Plain::Value(v) => write_value(v, out),
        }
    }
}

/// The GraphQL name of an enum's value.
pub fn enum_name<E: EnumType>(value: E) -> &'static str {
    E::items().iter().find(|item| item.value == value).map_or("", |item| item.name)
}

/// A date as the `Date` scalar writes it: `YYYY-MM-DD`.
pub fn date_text(d: NaiveDate) -> String {
    let mut out = Vec::with_capacity(10);
    write_date(d, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn write_date(d: NaiveDate, out: &mut Vec<u8>) {
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (0..=9999).contains(&y) {
        let y = y as u32;
        let digits = [y / 1000, y / 100 % 10, y / 10 % 10, y % 10, m / 10, m % 10, day / 10, day % 10];
        let [a, b, c, e, f, g, h, i] = digits.map(|n| b'0' + n as u8);
        out.extend_from_slice(&[a, b, c, e, b'-', f, g, b'-', h, i]);
    } else {
        // chrono's own form for years beyond four digits (`+12345-01-01`).
        out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes());
    }
}

/// A JSON string, escaped as serde_json escapes it. Most text needs no escaping; it is found so
/// eight bytes at a time, without a branch per byte, and copied whole.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether any byte is one JSON escapes: a control character, `"` or `\`. Each eight bytes are
/// read as one word; the tail is read padded with a byte that needs nothing.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if word_needs_escape(u64::from_le_bytes(word.try_into().expect("eight bytes"))) {
            return true;
        }
    }
    let mut last = u64::from_le_bytes([b' '; 8]);
    for (i, &b) in words.remainder().iter().enumerate() {
        last = last & !(0xff << (8 * i)) | (b as u64) << (8 * i);
    }
    word_needs_escape(last)
}

/// Whether a byte of `w` is below 0x20, `"` or `\`: for each, a byte of `x` below `n` (`n` at
/// most 0x80) sets its top bit in `(x - n…n) & !x`, and no other byte can make such a bit appear
/// unless one does (the standard "has less" test); equality is "below 1" after an exclusive or.
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * n as u64) & !x;
    let control = below(w, 0x20);
    let quote = below(w ^ (ONES * b'"' as u64), 1);
    let backslash = below(w ^ (ONES * b'\\' as u64), 1);
    (control | quote | backslash) & TOPS != 0
}

/// An object key: response keys are GraphQL names (`[_A-Za-z][_0-9A-Za-z]*`), which need no
/// escaping, but a key goes through the escaper anyway so that no text can break the JSON.
pub fn write_key(key: &str, out: &mut Vec<u8>) {
    write_str(key, out);
    out.push(b':');
}

/// A JSON object of `fields` (response key, what to write), each value written by `value`;
/// `None` as soon as one is.
pub fn write_object<'a, F: 'a>(
    out: &mut Vec<u8>,
    fields: impl IntoIterator<Item = (&'a str, &'a F)>,
    mut value: impl FnMut(&F, &mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    out.push(b'{');
    for (i, (key, field)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_key(key, out);
        value(field, out)?;
    }
    out.push(b'}');
    Some(())
}

/// A JSON array of `items`, each written by `item`; `None` as soon as one is. After the first
/// item it makes room for all of them at that size, so that a page of 500 grows its buffer once
/// instead of doubling it a dozen times.
pub fn write_list<T>(
    out: &mut Vec<u8>,
    items: &[T],
    mut item: impl FnMut(&T, &mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    out.push(b'[');
    for (i, one) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let start = out.len();
        item(one, out)?;
        if i == 0 {
            out.reserve((out.len() - start + 1) * (items.len() - 1) * 5 / 4 + 64);
        }
    }
    out.push(b']');
    Some(())
}

/// A value as JSON; a `Binary` is JSON text already, written as it is.
pub fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
        Value::String(s) => write_str(s, out),
        Value::Enum(name) => write_str(name, out),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Binary(text) => out.extend_from_slice(text),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            for (i, (key, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_key(key, out);
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

/// A response as async-graphql serializes it (`data`, then `extensions` and `errors` when there
/// are any), with the text of lists written by `direct` in place.
pub fn response(response: &Response) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256 + text_len(&response.data));
    write_response(response, &mut out)?;
    Ok(out)
}

/// The length of the text held in `value`, to size the answer's buffer once.
fn text_len(value: &Value) -> usize {
    match value {
        Value::Binary(text) => text.len(),
        Value::List(items) => items.iter().map(text_len).sum(),
        Value::Object(fields) => fields.values().map(text_len).sum(),
        _ => 0,
    }
}

/// Responses of a batch, as a JSON array.
pub fn responses(responses: &[Response]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256 * responses.len().max(1));
    out.push(b'[');
    for (i, r) in responses.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_response(r, &mut out)?;
    }
    out.push(b']');
    Ok(out)
}

fn write_response(response: &Response, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"data\":");
    write_value(&response.data, out);
    if !response.extensions.is_empty() {
        out.extend_from_slice(b",\"extensions\":");
        out.push(b'{');
        for (i, (key, value)) in response.extensions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_key(key, out);
            write_value(value, out);
        }
        out.push(b'}');
    }
    if !response.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut *out, &response.errors)?;
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::indexmap::IndexMap;

    fn text(p: Plain<'_>) -> String {
        let mut out = Vec::new();
        p.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them_wherever_the_special_byte_is() {
        let mut checked = 0;
        // Fillers next to the special bytes (space, `!`, `#`, `[`, `]`) and of several bytes.
        for filler in ['a', ' ', '!', '#', '[', ']', 'ộ'] {
            for len in 0..40 {
                let plain: String = (0..len).map(|_| filler).collect();
                let mut out = Vec::new();
                write_str(&plain, &mut out);
                assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&plain).unwrap(), "{plain:?}");
                for at in 0..len {
                    for special in ['"', '\\', '\n', '\u{0}', '\u{1}', '\u{1f}', 'ộ', '\u{7f}'] {
                        let text: String = (0..len).map(|i| if i == at { special } else { filler }).collect();
                        let mut out = Vec::new();
                        write_str(&text, &mut out);
                        let expected = serde_json::to_string(&text).unwrap();
                        assert_eq!(String::from_utf8(out).unwrap(), expected, "{text:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 40_000);
    }

    #[test]
    fn plain_values_write_what_their_values_serialize_to() {
        let id = Uuid::new_v4();
        let cases = [
            Plain::Null,
            Plain::Text("Bộ \"Khoa học\"\n\u{1}\\"),
            Plain::Id(id),
            Plain::Date(NaiveDate::from_ymd_opt(2026, 1, 9).unwrap()),
            Plain::Date(NaiveDate::from_ymd_opt(12345, 12, 31).unwrap()),
            Plain::Date(NaiveDate::from_ymd_opt(7, 3, 4).unwrap()),
            Plain::Enum("IN_PROGRESS"),
            Plain::Bool(true),
            Plain::Bool(false),
            Plain::Int(0),
            Plain::Int(-42),
            Plain::Int(i64::MIN),
            Plain::Int(i64::MAX),
            Plain::Value(Value::from(1.5)),
        ];
        for case in cases {
            let written = text(case.clone());
            let value = case.into_value();
            assert_eq!(written, serde_json::to_string(&value).unwrap());
        }
        let date = NaiveDate::from_ymd_opt(2026, 1, 9).unwrap();
        assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
    }

    #[test]
    fn a_response_with_text_in_it_is_the_response_with_values() {
        let mut inner = IndexMap::new();
        inner.insert(Name::new("code"), Value::String("BKHCN".into()));
        let nodes = Value::List(vec![Value::Object(inner.clone()), Value::Null]);
        let mut as_text = Vec::new();
        write_value(&nodes, &mut as_text);
        let mut data = IndexMap::new();
        data.insert(Name::new("a"), Value::Binary(as_text.into()));
        let mut plain = IndexMap::new();
        plain.insert(Name::new("a"), nodes);
        let mut with_text = Response::new(Value::Object(data));
        with_text.errors.push(async_graphql::ServerError::new("no", None));
        with_text.extensions.insert("n".into(), Value::from(3));
        let mut with_values = Response::new(Value::Object(plain));
        with_values.errors.push(async_graphql::ServerError::new("no", None));
        with_values.extensions.insert("n".into(), Value::from(3));
        let written: serde_json::Value = serde_json::from_slice(&response(&with_text).unwrap()).unwrap();
        assert_eq!(written, serde_json::to_value(&with_values).unwrap());
        let both = responses(&[with_values, Response::default()]).unwrap();
        let both: serde_json::Value = serde_json::from_slice(&both).unwrap();
        assert_eq!(both[0], written);
        assert_eq!(both[1], serde_json::json!({ "data": null }));
    }
}
