//! A set of documents of one segment as a bitmap: what match sets and facet counts are made of.

use tantivy::DocId;

/// A set of documents of one segment, one bit each.
#[derive(Debug, Clone)]
pub struct DocBits {
    words: Vec<u64>,
}

impl DocBits {
    pub fn new(max_doc: DocId) -> DocBits {
        DocBits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
        }
    }

    pub fn insert(&mut self, doc: DocId) {
        self.words[doc as usize / 64] |= 1 << (doc % 64);
    }

    /// Insert documents given in ascending order: one write per 64-bit word, not per document.
    pub fn insert_ascending(&mut self, docs: &[DocId]) {
        let Some(&first) = docs.first() else {
            return;
        };
        let (mut at, mut word) = (first as usize / 64, 0u64);
        for &doc in docs {
            if doc as usize / 64 != at {
                self.words[at] |= word;
                (at, word) = (doc as usize / 64, 0);
            }
            word |= 1 << (doc % 64);
        }
        self.words[at] |= word;
    }

    pub fn contains(&self, doc: DocId) -> bool {
        self.words
            .get(doc as usize / 64)
            .is_some_and(|w| w & (1 << (doc % 64)) != 0)
    }

    pub fn len(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// A set from its 64-bit words (document `64 * i + j` is bit `j` of word `i`).
    pub fn from_words(words: Vec<u64>) -> DocBits {
        DocBits { words }
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// How many 64-bit words the set has.
    pub fn word_len(&self) -> usize {
        self.words.len()
    }

    /// Keep only the documents `other` has too.
    pub fn intersect_with(&mut self, other: &DocBits) {
        for (i, w) in self.words.iter_mut().enumerate() {
            *w &= other.words.get(i).copied().unwrap_or(0);
        }
    }

    /// Drop the documents `other` has.
    pub fn remove_all(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= !o;
        }
    }

    /// Add the documents of `other` (of the same segment).
    pub fn union_with(&mut self, other: &DocBits) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    /// The first document of the set at or after `doc`.
    pub fn next_from(&self, doc: DocId) -> Option<DocId> {
        let mut i = doc as usize / 64;
        let mut word = *self.words.get(i)? & (!0u64 << (doc % 64));
        loop {
            if word != 0 {
                return Some(i as DocId * 64 + word.trailing_zeros());
            }
            i += 1;
            word = *self.words.get(i)?;
        }
    }

    /// How many documents both sets have.
    pub fn common(&self, other: &DocBits) -> u64 {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| u64::from((a & b).count_ones()))
            .sum()
    }

    /// The documents in the set.
    pub fn iter(&self) -> impl Iterator<Item = DocId> + '_ {
        ones(self.words.iter().copied())
    }

    /// The documents of `self` that are not in `other`.
    pub fn iter_without<'a>(&'a self, other: &'a DocBits) -> impl Iterator<Item = DocId> + 'a {
        ones(
            self.words
                .iter()
                .zip(other.words.iter().chain(std::iter::repeat(&0)))
                .map(|(a, b)| a & !b),
        )
    }
}

/// The positions of the set bits of consecutive 64-bit words.
fn ones(words: impl Iterator<Item = u64>) -> impl Iterator<Item = DocId> {
    words.enumerate().flat_map(|(i, mut word)| {
        std::iter::from_fn(move || {
            (word != 0).then(|| {
                let bit = word.trailing_zeros();
                word &= word - 1;
                i as DocId * 64 + bit
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_list_their_documents() {
        let mut a = DocBits::new(200);
        let mut b = DocBits::new(200);
        for d in [0, 63, 64, 130, 199] {
            a.insert(d);
        }
        for d in [63, 130, 150] {
            b.insert(d);
        }
        assert_eq!(a.len(), 5);
        assert_eq!(a.iter().collect::<Vec<_>>(), [0, 63, 64, 130, 199]);
        assert_eq!((a.common(&b), b.common(&a)), (2, 2));
        assert_eq!(a.iter_without(&b).collect::<Vec<_>>(), [0, 64, 199]);
        assert_eq!(a.iter_without(&DocBits::new(0)).count(), 5);
        assert!(a.contains(199) && !a.contains(198) && !a.contains(10_000));
        assert!(DocBits::new(10).is_empty() && !b.is_empty());
        let mut c = DocBits::new(200);
        c.insert_ascending(&[0, 63, 64, 130]);
        c.insert_ascending(&[]);
        c.insert_ascending(&[199]);
        assert_eq!(c.iter().collect::<Vec<_>>(), a.iter().collect::<Vec<_>>());
        let firsts: Vec<Option<DocId>> = [0, 1, 64, 65, 131, 199, 200, 500]
            .iter()
            .map(|&d| a.next_from(d))
            .collect();
        assert_eq!(
            firsts,
            [
                Some(0),
                Some(63),
                Some(64),
                Some(130),
                Some(199),
                Some(199),
                None,
                None
            ]
        );
        let mut both = a.clone();
        both.intersect_with(&b);
        assert_eq!(both.iter().collect::<Vec<_>>(), [63, 130]);
        both.intersect_with(&DocBits::new(0));
        assert!(both.is_empty());
        let mut either = a.clone();
        either.union_with(&b);
        assert_eq!(
            either.iter().collect::<Vec<_>>(),
            [0, 63, 64, 130, 150, 199]
        );
    }
}
