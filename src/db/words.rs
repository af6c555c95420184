//! The text index's words: how a posting's text and a search's text are cut, in one place.
//!
//! The index (`text_postings`, `text_words`) holds, for each posting, the distinct words of its
//! lowered title and description: the pieces between separators, of [`MIN_CHARS`] characters or
//! more. A search's text is lowered (by DuckDB's `lower()`, as ILIKE lowers) and cut the same
//! way ([`search_tokens`]). Every piece of the search's text then lies inside one word of any
//! text an `ILIKE '%search%'` matches (a piece holds no separator, and every separator is a
//! separator wherever it stands), so the postings with, for each piece, a word containing it
//! are a superset of the ILIKE's matches; exactly them when the search's text is one piece. The
//! dashboard and the MCP tool run the ILIKE on those candidates only (postings.sql).
//!
//! Separators are characters no Unicode version makes a letter or digit and no lowering
//! changes: ASCII punctuation, controls and space, the other white space, and the General
//! Punctuation block. Any such set keeps the promise above; this one stays in Rust, with no
//! case or class table that has to agree with DuckDB's (and no regex: the Windows build made
//! with mingw-w64 crashes in RE2). A piece holding other non-letters (`©2024`, an emoji) is one
//! word; a search for `2024` still finds it inside.
//!
//! Lowering: ASCII letters are lowered here (the same in every Unicode version); a word with
//! any other character is lowered by DuckDB's `lower()` when it is stored (text_index_rows.sql),
//! as ILIKE lowers. Cutting before lowering gives the words lowering before cutting would: a
//! separator lowers to itself, and nothing lowers to a separator.

use duckdb::{Connection, params};

/// The shortest word kept, and the shortest piece of a search looked up: nearly every posting
/// has a word containing a shorter one, so it would narrow nothing.
const MIN_CHARS: usize = 3;

/// Whether `c` ends a word: no letter or digit, before or after lowering.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphanumeric();
    }
    // White space (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
    // U+3000) and U+2000-U+206F: spaces, dashes, quotes, bullets, ellipses, invisible
    // formatting.
    c.is_whitespace() || ('\u{2000}'..='\u{206f}').contains(&c)
}

/// The pieces of `text` between separators, of [`MIN_CHARS`] characters or more.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_separator)
        .filter(|piece| piece.chars().nth(MIN_CHARS - 1).is_some())
}

/// The words of a posting's title and description, distinct, sorted and separated by spaces,
/// and whether they are final: `false` when one holds a non-ASCII character, for DuckDB to lower
/// (and make distinct again).
pub fn index_words(title: &str, description: &str) -> (String, bool) {
    let lowered = [title, description].map(str::to_ascii_lowercase);
    let mut words: Vec<&str> = lowered.iter().flat_map(|text| pieces(text)).collect();
    words.sort_unstable();
    words.dedup();
    let lowered_all = words.iter().all(|word| word.is_ascii());
    (words.join(" "), lowered_all)
}

/// The pieces of a search's text (already lowered by DuckDB) to look up, distinct and separated
/// by spaces (`None` when there is none), and whether the text is one piece alone: then the
/// postings the index finds are exactly the ILIKE's matches.
pub fn search_tokens(lowered: &str) -> (Option<String>, bool) {
    let mut tokens: Vec<&str> = pieces(lowered).collect();
    let exact = tokens.len() == 1 && tokens[0].len() == lowered.len();
    tokens.sort_unstable();
    tokens.dedup();
    ((!tokens.is_empty()).then(|| tokens.join(" ")), exact)
}

/// A posting's id as the index keys it: the number `1` followed by the id's digits, which is
/// `CAST('1' || id AS HUGEINT)` in SQL (retention's deletes) and keeps an id's leading zeros.
/// `None` unless the id is 1 to 32 ASCII digits: the decoder refuses any other id with this.
pub fn job_key(id: &str) -> Option<i128> {
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: i128 = id.parse().ok()?;
    10i128.checked_pow(id.len() as u32)?.checked_add(digits)
}

/// Postings read at a time by [`build_index`].
const BUILD_ROWS: i64 = 10_000;

/// Builds the index of every stored posting anew (migration 13), as the load indexes a batch:
/// [`BUILD_ROWS`] postings at a time in id order (by id, not rowid: in the migration's
/// transaction the rows an earlier migration rewrote have rowids from 2^62 up), each page's
/// words appended sorted.
pub fn build_index(conn: &Connection) -> duckdb::Result<()> {
    conn.execute_batch(
        "DELETE FROM text_postings; DELETE FROM text_words;
         CREATE OR REPLACE TEMP TABLE stage_index_source
             (job_key HUGEINT, words VARCHAR, words_lowered BOOLEAN);",
    )?;
    let mut read = conn.prepare(
        "SELECT id, coalesce(title, ''), coalesce(description, '') FROM jobs
         WHERE id > ? ORDER BY id LIMIT ?",
    )?;
    let mut after = String::new();
    loop {
        let mut read_rows = 0;
        {
            let mut source = conn.appender("stage_index_source")?;
            let mut rows = read.query(params![after, BUILD_ROWS])?;
            while let Some(row) = rows.next()? {
                let (id, title, description): (String, String, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                let (words, lowered) = index_words(&title, &description);
                // An id the decoder would not have taken (none is stored) is left out.
                if let Some(key) = job_key(&id) {
                    source.append_row(params![key, words, lowered])?;
                }
                after = id;
                read_rows += 1;
            }
            source.flush()?;
        }
        conn.execute_batch(super::sql::TEXT_INDEX_ROWS)?;
        conn.execute_batch("DELETE FROM stage_index_source")?;
        if read_rows < BUILD_ROWS {
            break;
        }
    }
    conn.execute_batch("DROP TABLE stage_index_source; DROP TABLE IF EXISTS stage_words")
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

    #[test]
    fn the_key_is_the_sql_cast_of_a_one_before_the_id() {
        let conn = Connection::open_in_memory().expect("duckdb");
        for id in [
            "1",
            "0",
            "007",
            "1934447061797389104",
            &"9".repeat(32),
            &"0".repeat(32),
        ] {
            let sql: i128 = conn
                .query_row("SELECT CAST('1' || ? AS HUGEINT)", [id], |r| r.get(0))
                .expect("cast");
            assert_eq!(job_key(id), Some(sql), "{id}");
        }
        assert_ne!(job_key("07"), job_key("7"));
        for id in ["", "+5", "-5", "1a", " 1", &"9".repeat(33)] {
            assert_eq!(job_key(id), None, "{id:?}");
        }
    }

    #[test]
    fn a_search_is_cut_as_the_text_and_is_exact_when_it_is_one_piece() {
        assert_eq!(search_tokens("rust"), (Some("rust".into()), true));
        assert_eq!(search_tokens("rust🦀go"), (Some("rust🦀go".into()), true));
        assert_eq!(
            search_tokens("data entry data"),
            (Some("data entry".into()), false)
        );
        assert_eq!(search_tokens(" rust"), (Some("rust".into()), false));
        assert_eq!(search_tokens("c++/c#"), (None, false));
        assert_eq!(search_tokens("ab"), (None, false));
        assert_eq!(search_tokens(""), (None, false));
        assert_eq!(search_tokens("%rust_"), (Some("rust".into()), false));
    }
}
