//! Parsed GraphQL documents, kept by their text. Clients send the same few operations over and
//! over (a dashboard's query, a script's page, an officer's submission); parsing one costs more
//! than the rest of a small request's GraphQL work, and copying a parsed one costs a fraction of
//! that.
//!
//! What is kept is bounded: only documents of signed-in callers that parsed, of at most 8 KiB of
//! text and 512 nodes (selections, argument values, directives), 64 of them; the cache starts
//! over when full. A parsed document can be a hundred times larger than its text (`{ ...{a} }`
//! repeated), so the node count, not the text, bounds the memory. The heaviest shape measured,
//! 255 such spreads (510 nodes, 2.4 KB of text), parses to 241 KB: 64 of them are about 15 MB.
//! Someone sending endless distinct queries gets no worse than no cache.
//!
//! A kept document also remembers that it passed every validation rule. The rules are about the
//! document and the schema, except one: that each argument's value, variables filled in, is of
//! the argument's type. A document that passed once passes the others again, so the HTTP edge
//! runs it on a schema that checks only the limits (complexity and depth, which depend on the
//! variables too), when [`plain_variables`] finds its variables certainly of their types.
//! Validation was the largest part of a point lookup's own work after the statements.

use async_graphql::parser::types::{BaseType, ExecutableDocument, OperationDefinition, Selection, SelectionSet};
use async_graphql::parser::{parse_query, Positioned};
use async_graphql::{Name, ServerError, Variables};
// The parser's values, which may still hold variables.
use async_graphql_value::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<Kept>>>,
    capacity: usize,
    longest: usize,
    heaviest: usize,
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(64, 8 * 1024, 512)
    }
}

impl Documents {
    /// At most `capacity` documents, each of at most `longest` bytes of text and `heaviest` nodes.
    pub fn new(capacity: usize, longest: usize, heaviest: usize) -> Self {
        Self { parsed: Mutex::new(HashMap::new()), capacity, longest, heaviest }
    }

    /// The parsed document of `query`: a copy of the kept one, or parsed now (and, with `keep`,
    /// kept when it is small enough).
    pub fn parse(&self, query: &str, keep: bool) -> Result<Parsed, ServerError> {
        let kept = self.parsed.lock().ok().and_then(|kept| kept.get(query).cloned());
        if let Some(kept) = kept {
            return Ok(Parsed { doc: kept.doc.clone(), kept: Some(kept) });
        }
        let doc = parse_query(query).map_err(ServerError::from)?;
        let mut kept = None;
        if keep && query.len() <= self.longest && weight(&doc) <= self.heaviest {
            if let Ok(mut map) = self.parsed.lock() {
                if map.len() >= self.capacity {
                    map.clear();
                }
                let entry = Arc::new(Kept { doc: doc.clone(), passed: AtomicBool::new(false) });
                map.insert(query.to_owned(), entry.clone());
                kept = Some(entry);
            }
        }
        Ok(Parsed { doc, kept })
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.parsed.lock().map(|kept| kept.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed document, and its entry when it is kept.
#[derive(Debug)]
pub struct Parsed {
    pub doc: ExecutableDocument,
    pub kept: Option<Arc<Kept>>,
}

/// A kept document.
#[derive(Debug)]
pub struct Kept {
    doc: ExecutableDocument,
    passed: AtomicBool,
}

impl Kept {
    /// Whether the document has passed every validation rule.
    pub fn passed(&self) -> bool {
        self.passed.load(Ordering::Relaxed)
    }

    /// Marks it as having passed every rule: call it only when a request with this document
    /// was validated in full and ran.
    pub fn mark_passed(&self) {
        self.passed.store(true, Ordering::Relaxed);
    }
}

/// Whether `variables` are certainly of the types that `operation` declares for them, so that
/// the one rule that reads variables (argument values of the arguments' types) passes: every
/// variable is of a built-in scalar type, not a list, and given a value of it that is not null
/// (an `ID` as text, an `Int` within 32 bits). Anything else (enums, input objects, lists, other
/// scalars, null, a variable left out) says no, and the request is validated in full.
pub fn plain_variables(operation: &OperationDefinition, variables: &Variables) -> bool {
    use async_graphql::{Number, Value as Given};
    let int = |n: &Number| n.as_i64().is_some_and(|v| i32::try_from(v).is_ok());
    operation.variable_definitions.iter().all(|def| {
        let BaseType::Named(ty) = &def.node.var_type.node.base else { return false };
        let Some(given) = variables.get(def.node.name.node.as_str()) else { return false };
        match (ty.as_str(), given) {
            ("ID" | "String", Given::String(_)) | ("Float", Given::Number(_)) | ("Boolean", Given::Boolean(_)) => true,
            ("Int", Given::Number(n)) => int(n),
            _ => false,
        }
    })
}

/// The nodes of a document: operations, variables, selections, directives, argument values.
/// Whether the answer to `doc` may hold JSON text written ahead (`graphql::json::WritesJson`): no
/// fragments, and no selection set that asks for a response key twice, since async-graphql
/// merges the values of a repeated key by looking into them.
pub fn writes_json(doc: &ExecutableDocument) -> bool {
    fn plain(set: &SelectionSet) -> bool {
        let mut keys: Vec<&str> = Vec::with_capacity(set.items.len());
        set.items.iter().all(|s| match &s.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.as_str();
                let fresh = !keys.contains(&key);
                keys.push(key);
                fresh && plain(&f.node.selection_set.node)
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
        })
    }
    doc.fragments.is_empty() && doc.operations.iter().all(|(_, op)| plain(&op.node.selection_set.node))
}

fn weight(doc: &ExecutableDocument) -> usize {
    let operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| 1 + op.node.variable_definitions.len() + selections(&op.node.selection_set.node))
        .sum();
    operations + doc.fragments.values().map(|f| 1 + selections(&f.node.selection_set.node)).sum::<usize>()
}

fn selections(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| {
            1 + match &s.node {
                Selection::Field(f) => {
                    arguments(&f.node.arguments)
                        + directives(&f.node.directives)
                        + selections(&f.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => directives(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    directives(&inline.node.directives) + selections(&inline.node.selection_set.node)
                }
            }
        })
        .sum()
}

fn directives(list: &[Positioned<async_graphql::parser::types::Directive>]) -> usize {
    list.iter().map(|d| 1 + arguments(&d.node.arguments)).sum()
}

fn arguments(list: &[(Positioned<Name>, Positioned<Value>)]) -> usize {
    list.iter().map(|(_, v)| value(&v.node)).sum()
}

fn value(v: &Value) -> usize {
    1 + match v {
        Value::List(items) => items.iter().map(value).sum(),
        Value::Object(fields) => fields.values().map(value).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::Documents;

    #[test]
    fn documents_are_kept_by_text_within_bounds() {
        let docs = Documents::new(2, 40, 8);
        let a = "{ me { id } }";
        let first = docs.parse(a, true).expect("parses");
        let again = docs.parse(a, true).expect("parses");
        assert_eq!(format!("{:?}", first.doc), format!("{:?}", again.doc));
        // Kept once: what the first learns of it, the second sees.
        let (first, again) = (first.kept.expect("kept"), again.kept.expect("kept"));
        assert!(!again.passed());
        first.mark_passed();
        assert!(again.passed());
        assert_eq!(docs.len(), 1);
        // Errors are not kept, and give the parser's message.
        let err = docs.parse("{ me { id }", true).expect_err("unbalanced");
        assert!(err.message.contains("expected"), "{}", err.message);
        assert_eq!(docs.len(), 1);
        // Not kept for a caller who has not signed in.
        assert!(docs.parse("{ me { name } }", false).expect("parses").kept.is_none());
        assert_eq!(docs.len(), 1);
        // Too long, or too many nodes for its length, to keep; parsed all the same.
        let long = format!("{{ me {{ id {} }} }}", "name ".repeat(10));
        assert!(docs.parse(&long, true).is_ok());
        let heavy = "{ a(x: [1, 2, 3, 4, 5, 6, 7, 8]) }";
        assert!(heavy.len() <= 40);
        assert!(docs.parse(heavy, true).is_ok());
        let spreads = "{ ...{a} ...{a} ...{a} ...{a} ...{a} }";
        assert!(docs.parse(spreads, true).is_ok());
        assert_eq!(docs.len(), 1);
        // Full: starts over.
        docs.parse("{ me { name } }", true).expect("parses");
        assert_eq!(docs.len(), 2);
        docs.parse("{ me { role } }", true).expect("parses");
        assert_eq!(docs.len(), 1);
        // A document parsed again after the cache started over has to pass again.
        assert!(!docs.parse(a, true).expect("parses").kept.expect("kept").passed());
    }

    #[test]
    fn only_variables_certainly_of_their_built_in_types_are_plain() {
        use super::plain_variables;
        use async_graphql::parser::types::DocumentOperations;
        let doc = async_graphql::parser::parse_query(
            "query($id: ID!, $n: Int, $s: String, $f: Float!, $b: Boolean) { a(id: $id, n: $n, s: $s, f: $f, b: $b) }",
        )
        .unwrap();
        let DocumentOperations::Single(op) = &doc.operations else { panic!("one operation") };
        let vars = |v: serde_json::Value| async_graphql::Variables::from_json(v);
        let good = serde_json::json!({ "id": "x", "n": -7, "s": "", "f": 1.5, "b": true });
        assert!(plain_variables(&op.node, &vars(good.clone())));
        for (name, bad) in [
            ("id", serde_json::json!(5)),
            ("id", serde_json::Value::Null),
            ("n", serde_json::json!(1.5)),
            ("n", serde_json::json!(4_294_967_296i64)),
            ("n", serde_json::json!("7")),
            ("s", serde_json::json!(["a"])),
            ("f", serde_json::json!("1.5")),
            ("b", serde_json::json!(1)),
        ] {
            let mut v = good.clone();
            v[name] = bad.clone();
            assert!(!plain_variables(&op.node, &vars(v)), "{name}: {bad}");
        }
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove("s");
        assert!(!plain_variables(&op.node, &vars(missing)));
        for other in ["query($d: Date!) { a(d: $d) }", "query($l: [ID!]!) { a(l: $l) }", "query($i: In!) { a(i: $i) }"]
        {
            let doc = async_graphql::parser::parse_query(other).unwrap();
            let DocumentOperations::Single(op) = &doc.operations else { panic!("one operation") };
            let given = serde_json::json!({ "d": "2026-01-01", "l": ["x"], "i": { "a": 1 } });
            assert!(!plain_variables(&op.node, &vars(given)), "{other}");
        }
    }
}
