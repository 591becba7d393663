//! Checks of input text and values, each naming the field it refuses.

use crate::error::{AppError, AppResult};

/// Short names and titles.
pub const SHORT: usize = 300;
/// Descriptions, summaries, comments.
pub const LONG: usize = 10_000;

/// Trimmed, non-empty text of at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(AppError::bad_input(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_owned())
}

/// Optional text: blank becomes `None`; otherwise as [`required`].
pub fn optional(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required(field, v, max).map(Some),
    }
}

/// A version the caller read, for optimistic locking.
pub fn version(value: i32) -> AppResult<i32> {
    if value < 1 {
        return Err(AppError::bad_input("expectedVersion", "must be 1 or more"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text() {
        assert_eq!(required("title", "  x ", 10).unwrap(), "x");
        assert!(required("title", "   ", 10).is_err());
        assert!(required("title", &"a".repeat(11), 10).is_err());
        assert_eq!(optional("note", Some("  "), 10).unwrap(), None);
    }
}
