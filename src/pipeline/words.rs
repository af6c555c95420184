//! The text index's words of a posting, cut in Rust on the load's decoding thread.
//!
//! The index (migrations/011_text_index.sql) must hold, for every posting, words such that a run
//! of letters and digits cut from a search's lowered text (text_plan.sql, DuckDB's `[\pL\pN]`)
//! occurs in the posting's lowered text exactly when it occurs inside one of its words. Any cut
//! whose separators are characters that are neither letters nor digits, before or after DuckDB's
//! `lower()`, keeps that promise: a run never spans a separator, and a word is a piece of the
//! lowered text. The migration cuts with DuckDB's regex; the load cuts here, on characters whose
//! class no Unicode version changes (ASCII punctuation and controls, white space, the General
//! Punctuation block), so the two never disagree on what a search finds. A piece holding other
//! non-letters (`©`, an emoji) is one word with them; a search's run still lies inside it.
//!
//! Lowering: ASCII letters are lowered here (the same in every Unicode version); a piece with
//! any other character is lowered by DuckDB's `lower()` in text_index.sql, as ILIKE lowers, so
//! no case table of Rust's has to agree with DuckDB's.

/// The shortest word kept: text_plan.sql leaves shorter runs out of a search.
const MIN_CHARS: usize = 3;

/// Whether `c` ends a word: it is no letter or digit, and lowering leaves it so.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphanumeric();
    }
    // White space (Zs, Zl, Zp, and controls) and U+2000-U+206F: spaces, dashes, quotes,
    // bullets, ellipses, invisible formatting; no letter or digit.
    c.is_whitespace() || ('\u{2000}'..='\u{206f}').contains(&c)
}

/// The distinct words of three characters or more of a posting's title and description, sorted
/// and separated by spaces, and
/// whether they are final: `false` when a word holds a non-ASCII character, for DuckDB to
/// lower (and then deduplicate).
pub fn index_words(title: &str, description: &str) -> (String, bool) {
    let lowered = [title, description].map(str::to_ascii_lowercase);
    let mut words: Vec<&str> = lowered
        .iter()
        .flat_map(|text| text.split(is_separator))
        // A search looks for runs of three characters or more (text_plan.sql): a shorter word
        // can hold none of them.
        .filter(|word| word.chars().nth(MIN_CHARS - 1).is_some())
        .collect();
    words.sort_unstable();
    words.dedup();
    let lowered_all = words.iter().all(|word| word.is_ascii());
    (words.join(" "), lowered_all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_the_lowered_distinct_pieces_between_separators() {
        assert_eq!(
            index_words(
                "Rust/Go developer",
                "Build a RUST pipeline: rust, go — “fast”…"
            ),
            ("build developer fast pipeline rust".to_string(), true)
        );
        assert_eq!(index_words("", ""), (String::new(), true));
        assert_eq!(
            index_words("abc\tbcd\u{a0}cde", "def\u{3000}efg ab"),
            ("abc bcd cde def efg".to_string(), true)
        );
    }

    #[test]
    fn a_piece_with_other_characters_is_left_whole_for_duckdb_to_lower() {
        // `Straße` and `İstanbul` keep their letters; `©2024` and the emoji stay inside pieces,
        // where a search for `2024` or `rust` still finds them.
        assert_eq!(
            index_words("Straße İstanbul ©1 ÅÅ", "©2024 rust🦀go Kelvin\u{212a}"),
            (
                "kelvin\u{212a} rust🦀go straße ©2024 İstanbul".to_string(),
                false
            )
        );
    }
}
