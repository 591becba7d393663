//! Parsed GraphQL documents, kept by their text. Clients send the same few operations over and
//! over (a dashboard's query, a script's page, an officer's submission); parsing one costs more
//! than the rest of a small request's GraphQL work, and copying a parsed one costs a fraction of
//! that. Only documents that parsed are kept; the cache is bounded in entries and in the length
//! of the text it keeps, and starts over when full, so a client sending endless distinct
//! queries gets no worse than no cache.

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use async_graphql::ServerError;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Documents {
    parsed: Mutex<HashMap<String, ExecutableDocument>>,
    capacity: usize,
    longest: usize,
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(512, 16 * 1024)
    }
}

impl Documents {
    /// At most `capacity` documents, each of at most `longest` bytes of text.
    pub fn new(capacity: usize, longest: usize) -> Self {
        Self { parsed: Mutex::new(HashMap::new()), capacity, longest }
    }

    /// The parsed document of `query`: a copy of the kept one, or parsed now (and kept).
    pub fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        if let Some(doc) = self.parsed.lock().ok().and_then(|kept| kept.get(query).cloned()) {
            return Ok(doc);
        }
        let doc = parse_query(query).map_err(ServerError::from)?;
        if query.len() <= self.longest {
            if let Ok(mut kept) = self.parsed.lock() {
                if kept.len() >= self.capacity {
                    kept.clear();
                }
                kept.insert(query.to_owned(), doc.clone());
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

#[cfg(test)]
mod tests {
    use super::Documents;

    #[test]
    fn documents_are_kept_by_text_within_bounds() {
        let docs = Documents::new(2, 40);
        let a = "{ me { id } }";
        let first = docs.parse(a).expect("parses");
        let again = docs.parse(a).expect("parses");
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(docs.len(), 1);
        // Errors are not kept, and give the parser's message.
        let err = docs.parse("{ me { id }").expect_err("unbalanced");
        assert!(err.message.contains("expected"), "{}", err.message);
        assert_eq!(docs.len(), 1);
        // Too long to keep, but parsed all the same.
        let long = format!("{{ me {{ id {} }} }}", "name ".repeat(10));
        assert!(docs.parse(&long).is_ok());
        assert_eq!(docs.len(), 1);
        // Full: starts over.
        docs.parse("{ me { name } }").expect("parses");
        assert_eq!(docs.len(), 2);
        docs.parse("{ me { role } }").expect("parses");
        assert_eq!(docs.len(), 1);
    }
}
