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

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::{parse_query, Positioned};
use async_graphql::{Name, ServerError};
// The parser's values, which may still hold variables.
use async_graphql_value::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
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
    pub fn parse(&self, query: &str, keep: bool) -> Result<ExecutableDocument, ServerError> {
        let kept = self.parsed.lock().ok().and_then(|kept| kept.get(query).cloned());
        if let Some(doc) = kept {
            return Ok((*doc).clone());
        }
        let doc = parse_query(query).map_err(ServerError::from)?;
        if keep && query.len() <= self.longest && weight(&doc) <= self.heaviest {
            if let Ok(mut kept) = self.parsed.lock() {
                if kept.len() >= self.capacity {
                    kept.clear();
                }
                kept.insert(query.to_owned(), Arc::new(doc.clone()));
            }
        }
        Ok(doc)
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.parsed.lock().map(|kept| kept.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(docs.len(), 1);
        // Errors are not kept, and give the parser's message.
        let err = docs.parse("{ me { id }", true).expect_err("unbalanced");
        assert!(err.message.contains("expected"), "{}", err.message);
        assert_eq!(docs.len(), 1);
        // Not kept for a caller who has not signed in.
        docs.parse("{ me { name } }", false).expect("parses");
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
    }
}
