//! Text folding for search: lower case, Vietnamese diacritics removed, `đ` to `d`.

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Folds text so that `Bộ Khoa học` and `bo khoa hoc` compare equal.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The folded text of several fields, for a `search_text` column.
pub fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let joined: Vec<String> = parts.into_iter().flatten().map(fold).filter(|s| !s.is_empty()).collect();
    joined.join(" | ")
}

/// A LIKE pattern for a folded search term, with LIKE's wildcards escaped.
pub fn like_pattern(term: &str) -> String {
    let folded = fold(term);
    let escaped = folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Bộ Khoa học và Công nghệ"), "bo khoa hoc va cong nghe");
        assert_eq!(fold("ĐẦU MỐI"), "dau moi");
        assert_eq!(fold("  Điện   Biên "), "dien bien");
        assert_eq!(fold("Nghị quyết 57"), "nghi quyet 57");
    }

    #[test]
    fn search_text_skips_missing_parts() {
        assert_eq!(search_text([Some("Bộ Y tế"), None, Some("Health")]), "bo y te | health");
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("50%_x"), "%50\\%\\_x%");
    }
}
