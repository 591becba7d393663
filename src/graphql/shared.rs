//! Rows shared between a request's loader and the objects that show them.

use std::ops::Deref;
use std::sync::Arc;

/// A row that several owners hold: the request's loader, which keeps what it read, and each
/// object of the answer that shows it. The rows one statement read live in one allocation, so a
/// page's 475 tasks are one allocation and one copy, not 475 of each; `Deref` gives the row.
pub struct Shared<M> {
    rows: Arc<[M]>,
    at: usize,
}

impl<M> Shared<M> {
    /// One row on its own.
    pub fn new(row: M) -> Self {
        Self { rows: Arc::new([row]), at: 0 }
    }

    /// Each of `rows`, all in one allocation.
    pub fn all(rows: Vec<M>) -> Vec<Self> {
        let rows: Arc<[M]> = Arc::from(rows);
        (0..rows.len()).map(|at| Self { rows: rows.clone(), at }).collect()
    }
}

impl<M> Deref for Shared<M> {
    type Target = M;

    fn deref(&self) -> &M {
        &self.rows[self.at]
    }
}

impl<M> Clone for Shared<M> {
    fn clone(&self) -> Self {
        Self { rows: self.rows.clone(), at: self.at }
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Shared<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_of_a_batch_is_itself_and_outlives_the_others() {
        let mut rows = Shared::all(vec![String::from("a"), String::from("b"), String::from("c")]);
        assert_eq!(rows.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        let kept = rows[1].clone();
        rows.clear();
        assert_eq!(*kept, "b");
        assert_eq!(*Shared::new(7), 7);
    }
}
