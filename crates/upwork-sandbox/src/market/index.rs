//! The word index behind job search: for each word searched for, which postings contain it.
//!
//! The server runs the same search once per page, and posting text never changes once generated,
//! so the [`Market`](super::Market) keeps one [`WordIndex`] and
//! [`Market::search`](super::Market::search) asks it before scanning any text. The index stores
//! only bits by posting position; what "contains" means (whole words, case-insensitively, in the
//! title, the skills or the description) is the scan that search passes in. So this module
//! depends on nothing else in the sandbox: the market owns the index, search fills and reads it,
//! and neither has to import the other to do so.

use std::collections::HashMap;

/// How many words [`WordIndex`] remembers before it starts over (3 bits per posting each).
pub(crate) const MAX_INDEXED_WORDS: usize = 128;

/// Where a word occurs in a posting: title, skills, description.
pub(crate) type Places = [bool; 3];

/// For each word searched for so far, which postings contain it in their title, skills or
/// description, so that paging through the same query does not scan every posting again. A
/// word's postings are found once with the scan search passes in, and extended as postings
/// arrive (their text never changes).
#[derive(Debug, Default)]
pub(crate) struct WordIndex {
    words: HashMap<String, WordPostings>,
}

/// Bits by posting position, per field; the first `covered` postings have been looked at.
#[derive(Debug, Default)]
struct WordPostings {
    title: Vec<u64>,
    skills: Vec<u64>,
    description: Vec<u64>,
    covered: usize,
}

fn bit(bits: &[u64], index: usize) -> bool {
    bits.get(index / 64)
        .is_some_and(|w| w & (1 << (index % 64)) != 0)
}

impl WordIndex {
    /// Makes sure every one of `words` is indexed over all of `postings`; `scanner(word)` gives
    /// the scan that says where that word occurs in one posting.
    pub(crate) fn prepare<'w, P, S>(
        &mut self,
        words: impl IntoIterator<Item = &'w str>,
        postings: &[P],
        scanner: impl Fn(&str) -> S,
    ) where
        S: FnMut(&P) -> Places,
    {
        let mut wanted: Vec<&str> = words.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        if self.words.len() + wanted.len() > MAX_INDEXED_WORDS {
            self.words
                .retain(|word, _| wanted.binary_search(&word.as_str()).is_ok());
        }
        for word in wanted {
            let entry = self.words.entry(word.to_owned()).or_default();
            if entry.covered == postings.len() {
                continue;
            }
            let mut scan = scanner(word);
            let len = postings.len().div_ceil(64);
            for bits in [&mut entry.title, &mut entry.skills, &mut entry.description] {
                bits.resize(len, 0);
            }
            for (i, p) in postings.iter().enumerate().skip(entry.covered) {
                let [title, skills, description] = scan(p);
                let (word, mask) = (i / 64, 1 << (i % 64));
                for (bits, set) in [
                    (&mut entry.title, title),
                    (&mut entry.skills, skills),
                    (&mut entry.description, description),
                ] {
                    if set {
                        bits[word] |= mask;
                    }
                }
            }
            entry.covered = postings.len();
        }
    }

    /// The fields of the posting at `index` that contain every one of `words`, from the bits
    /// alone; `None` when one of them is not indexed that far. For a phrase this is where its
    /// words are, not yet whether they stand next to each other.
    pub(crate) fn places(&self, words: &[String], index: usize) -> Option<Places> {
        let mut places = [true; 3];
        for word in words {
            let w = self.words.get(word).filter(|w| w.covered > index)?;
            places[0] &= bit(&w.title, index);
            places[1] &= bit(&w.skills, index);
            places[2] &= bit(&w.description, index);
        }
        Some(places)
    }

    /// How many words are indexed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Postings as plain text, scanned by substring: enough to check the bookkeeping.
    fn index_over(words: &[&str], postings: &[&str]) -> WordIndex {
        let mut index = WordIndex::default();
        index.prepare(words.iter().copied(), postings, |word| {
            let word = word.to_owned();
            move |p: &&str| [p.contains(&word), false, p.ends_with(&word)]
        });
        index
    }

    #[test]
    fn places_are_anded_over_words_and_unknown_positions_are_none() {
        let postings = ["rust api", "go api", "rust"];
        let index = index_over(&["rust", "api"], &postings);
        let words = |ws: &[&str]| ws.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            index.places(&words(&["rust"]), 2),
            Some([true, false, true])
        );
        assert_eq!(
            index.places(&words(&["rust", "api"]), 0),
            Some([true, false, false])
        );
        assert_eq!(
            index.places(&words(&["rust", "api"]), 1),
            Some([false, false, false])
        );
        assert_eq!(index.places(&words(&["go"]), 1), None);
        assert_eq!(index.places(&words(&["rust"]), 3), None);
    }

    #[test]
    fn a_full_index_keeps_only_the_words_wanted_now() {
        let postings = ["a"];
        let filler: Vec<String> = (0..MAX_INDEXED_WORDS).map(|n| format!("w{n}")).collect();
        let filler: Vec<&str> = filler.iter().map(String::as_str).collect();
        let mut index = index_over(&filler, &postings);
        assert_eq!(index.len(), MAX_INDEXED_WORDS);
        index.prepare(["w1", "new"], &postings, |_| |_: &&str| [true; 3]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.places(&["w1".to_owned()], 0), Some([false; 3]));
    }
}
