//! Which incidents a plain query (words and facet filters) matches, as one bitmap per segment
//! built straight from posting-list blocks: every word, or else the most words any incident
//! has. The page's top hits are then scored by tantivy within that set (`InSet`), so its
//! block-max WAND skips what cannot reach the top, while the total and the facet counts come
//! from the bitmaps.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED, Term};

use super::doc_bits::DocBits;

/// A query the bitmaps answer: words of the `text` field, and facet filters (any value within
/// a facet, every facet).
#[derive(Debug, Clone, Default)]
pub struct Plain {
    pub words: Vec<Term>,
    pub filters: Vec<Vec<Term>>,
}

/// How a query's words are to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Words {
    /// Every word; when no incident has them all, the most words any incident has.
    #[default]
    Every,
    /// Any word.
    Any,
    /// Fewer words than this many: the incidents with the most words short of it, going down
    /// one word at a time until there are [`MOST_AT_LEAST`] of them or half the words are
    /// reached (the second block of a page whose first block, of incidents with every word or
    /// with the most words, is short).
    Fewer(usize),
}

/// How many incidents `Words::Fewer` looks for before it stops taking fewer words.
pub const MOST_AT_LEAST: u64 = 5;

/// The matching documents of every segment, and how many of the words each of them has.
#[derive(Debug)]
pub struct MatchSet {
    pub segments: Vec<(SegmentOrdinal, Arc<DocBits>)>,
    /// Each match has at least this many of the query's words (all of them, unless no incident
    /// has them all).
    pub words_matched: usize,
}

impl MatchSet {
    pub fn total(&self) -> u64 {
        self.segments.iter().map(|(_, bits)| bits.len()).sum()
    }
}

/// The documents of `within` (of one segment) that have `term`. Only the posting-list blocks
/// that reach a document of `within` are decoded; the skip list passes over the rest.
pub(super) fn term_bits(
    segment: &SegmentReader,
    term: &Term,
    within: &DocBits,
) -> tantivy::Result<DocBits> {
    let mut bits = DocBits::new(segment.max_doc());
    let inverted = segment.inverted_index(term.field())?;
    let Some(mut postings) = inverted.read_block_postings(term, IndexRecordOption::Basic)? else {
        return Ok(bits);
    };
    let mut next = within.next_from(0);
    while let Some(doc) = next {
        postings.seek(doc);
        let docs = postings.docs();
        match docs.last() {
            Some(&last) if last >= doc => {
                bits.insert_ascending(docs);
                next = within.next_from(last + 1);
            }
            _ => break,
        }
    }
    bits.intersect_with(within);
    Ok(bits)
}

/// Evaluate `plain` on every segment of `searcher`; `base` gives each segment's documents that
/// may match at all (the live ones, within a date range if there is one).
pub fn evaluate(
    searcher: &Searcher,
    plain: &Plain,
    want: Words,
    base: impl Fn(SegmentOrdinal) -> DocBits,
) -> tantivy::Result<MatchSet> {
    // Per segment: the documents the filters allow.
    let mut allowed = Vec::new();
    for (ord, segment) in (0..).zip(searcher.segment_readers()) {
        let mut set = base(ord);
        for values in &plain.filters {
            let mut any = DocBits::new(segment.max_doc());
            for term in values {
                any.union_with(&term_bits(segment, term, &set)?);
            }
            set.intersect_with(&any);
        }
        allowed.push((ord, set));
    }
    let n = plain.words.len();
    let match_set = |sets: Vec<(SegmentOrdinal, DocBits)>, words_matched| MatchSet {
        segments: sets.into_iter().map(|(o, s)| (o, Arc::new(s))).collect(),
        words_matched,
    };
    if n == 0 {
        return Ok(match_set(allowed, 0));
    }
    if want == Words::Every {
        // Rarest word first, each read only where the words before it all are.
        let mut rarest_first: Vec<&Term> = plain.words.iter().collect();
        rarest_first.sort_by_cached_key(|t| searcher.doc_freq(t).unwrap_or(0));
        let mut sets = Vec::with_capacity(allowed.len());
        for (ord, set) in &allowed {
            let segment = searcher.segment_reader(*ord);
            let mut set = set.clone();
            for term in &rarest_first {
                if set.is_empty() {
                    break;
                }
                set = term_bits(segment, term, &set)?;
            }
            sets.push((*ord, set));
        }
        if sets.iter().any(|(_, s)| !s.is_empty()) {
            return Ok(match_set(sets, n));
        }
    }
    // No incident has every word (or any word will do): count each document's words.
    let mut counts = Vec::with_capacity(allowed.len());
    for (ord, set) in &allowed {
        let segment = searcher.segment_reader(*ord);
        let mut words = WordCounts::new(set.word_len(), n);
        if !set.is_empty() {
            for term in &plain.words {
                words.add(&term_bits(segment, term, set)?);
            }
        }
        counts.push((*ord, words));
    }
    if let Words::Fewer(top) = want {
        // The incidents with `top` words or more are left out; of the rest, those with the most.
        let top = top.clamp(1, n);
        let all: Vec<DocBits> = counts.iter().map(|(_, c)| c.at_least(top)).collect();
        let without_all = |k: usize| -> Vec<(SegmentOrdinal, DocBits)> {
            counts
                .iter()
                .zip(&all)
                .map(|((ord, c), all)| {
                    let mut some = c.at_least(k);
                    some.remove_all(all);
                    (*ord, some)
                })
                .collect()
        };
        let mut found = None;
        for k in (n.div_ceil(2).max(1)..top).rev() {
            let sets = without_all(k);
            let total: u64 = sets.iter().map(|(_, s)| s.len()).sum();
            if total > 0 {
                found = Some((sets, k));
            }
            if total >= MOST_AT_LEAST {
                break;
            }
        }
        return Ok(match found {
            Some((sets, k)) => match_set(sets, k),
            None => match_set(without_all(n), 0),
        });
    }
    let most = counts.iter().map(|(_, c)| c.max()).max().unwrap_or(0);
    let k = match want {
        Words::Every | Words::Fewer(_) => most.max(1),
        Words::Any => 1,
    };
    Ok(MatchSet {
        segments: counts
            .into_iter()
            .map(|(ord, c)| (ord, Arc::new(c.at_least(k))))
            .collect(),
        words_matched: if most == 0 { n } else { k },
    })
}

/// How many of the query's words each document of a segment has, bit-sliced: bit `b` of the
/// count of document `64 * i + j` is bit `j` of `planes[b][i]`, so adding a word's bitmap is a
/// ripple-carry add over whole 64-bit words.
struct WordCounts {
    planes: Vec<Vec<u64>>,
}

impl WordCounts {
    fn new(len: usize, max: usize) -> WordCounts {
        let bits = (usize::BITS - max.leading_zeros()).max(1) as usize;
        WordCounts {
            planes: vec![vec![0; len]; bits],
        }
    }

    fn add(&mut self, bits: &DocBits) {
        for (i, &word) in bits.words().iter().enumerate() {
            let mut carry = word;
            for plane in &mut self.planes {
                if carry == 0 {
                    break;
                }
                let next = plane[i] & carry;
                plane[i] ^= carry;
                carry = next;
            }
        }
    }

    /// The documents with at least `k` of the words (`k` below `2^planes`).
    fn at_least(&self, k: usize) -> DocBits {
        let len = self.planes[0].len();
        DocBits::from_words(
            (0..len)
                .map(|i| {
                    // Compare each count with k, from the highest bit down.
                    let (mut greater, mut equal) = (0u64, !0u64);
                    for (b, plane) in self.planes.iter().enumerate().rev() {
                        let c = plane[i];
                        if k >> b & 1 == 1 {
                            equal &= c;
                        } else {
                            greater |= equal & c;
                            equal &= !c;
                        }
                    }
                    greater | equal
                })
                .collect(),
        )
    }

    /// The highest count any document has.
    fn max(&self) -> usize {
        let len = self.planes[0].len();
        let mut max = 0;
        // Bit by bit from the top: keep the documents that can still have the highest count.
        let mut candidates = vec![!0u64; len];
        for (b, plane) in self.planes.iter().enumerate().rev() {
            let with: Vec<u64> = candidates.iter().zip(plane).map(|(c, p)| c & p).collect();
            if with.iter().any(|w| *w != 0) {
                max |= 1 << b;
                candidates = with;
            }
        }
        max
    }
}

/// A query restricted to the documents of a match set: tantivy scores `inner` and only
/// documents in the set are collected. Pruned top-k collection keeps `inner`'s block-max WAND:
/// documents outside the set never raise the threshold.
#[derive(Debug)]
pub struct InSet {
    inner: Box<dyn Query>,
    sets: Arc<Vec<(tantivy::index::SegmentId, Arc<DocBits>)>>,
}

impl Clone for InSet {
    fn clone(&self) -> InSet {
        InSet {
            inner: self.inner.box_clone(),
            sets: Arc::clone(&self.sets),
        }
    }
}

impl InSet {
    pub fn new(inner: Box<dyn Query>, searcher: &Searcher, matches: &MatchSet) -> InSet {
        let sets = matches
            .segments
            .iter()
            .map(|(ord, bits)| (searcher.segment_reader(*ord).segment_id(), Arc::clone(bits)))
            .collect();
        InSet {
            inner,
            sets: Arc::new(sets),
        }
    }
}

impl Query for InSet {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(InSetWeight {
            inner: self.inner.weight(enable_scoring)?,
            sets: Arc::clone(&self.sets),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct InSetWeight {
    inner: Box<dyn Weight>,
    sets: Arc<Vec<(tantivy::index::SegmentId, Arc<DocBits>)>>,
}

impl InSetWeight {
    fn bits(&self, segment: &SegmentReader) -> Arc<DocBits> {
        self.sets
            .iter()
            .find(|(id, _)| *id == segment.segment_id())
            .map_or_else(|| Arc::new(DocBits::new(0)), |(_, bits)| Arc::clone(bits))
    }
}

impl Weight for InSetWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = InSetScorer {
            inner: self.inner.scorer(reader, boost)?,
            bits: self.bits(reader),
        };
        scorer.skip_outside();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if !self.bits(reader).contains(doc) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not in the match set"
            )));
        }
        self.inner.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let bits = self.bits(reader);
        let mut current = threshold;
        let mut scorer = self.inner.scorer(reader, 1.0)?;
        if bits.len() * 4 < u64::from(scorer.size_hint()) {
            // A set under a quarter of what `inner` walks: score its documents alone, seeking
            // `inner` to each (every document of the set matches `inner`).
            for doc in bits.iter() {
                if scorer.seek(doc) == doc {
                    let score = scorer.score();
                    if score > current {
                        current = callback(doc, score);
                    }
                } else if scorer.doc() == TERMINATED {
                    break;
                }
            }
            return Ok(());
        }
        drop(scorer);
        self.inner
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                if bits.contains(doc) {
                    current = callback(doc, score);
                }
                current
            })
    }
}

/// `inner`'s documents that are in the set.
struct InSetScorer {
    inner: Box<dyn Scorer>,
    bits: Arc<DocBits>,
}

impl InSetScorer {
    fn skip_outside(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && !self.bits.contains(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for InSetScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.skip_outside()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.skip_outside()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for InSetScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(max: DocId, docs: &[DocId]) -> DocBits {
        let mut b = DocBits::new(max);
        docs.iter().for_each(|&d| b.insert(d));
        b
    }

    #[test]
    fn word_counts_find_the_documents_with_at_least_k_words_and_the_most_any_has() {
        // Five words over 200 documents; document d has word w when d % (w + 2) == 0.
        let words: Vec<DocBits> = (0..5)
            .map(|w| {
                let docs: Vec<DocId> = (0..200u32).filter(|d| d.is_multiple_of(w + 2)).collect();
                bits(200, &docs)
            })
            .collect();
        let mut counts = WordCounts::new(words[0].word_len(), words.len());
        words.iter().for_each(|b| counts.add(b));
        let count = |d: DocId| (0..5).filter(|w| d.is_multiple_of(w + 2)).count();
        for k in 1..=5 {
            let expected: Vec<DocId> = (0..200).filter(|&d| count(d) >= k).collect();
            assert_eq!(
                counts.at_least(k).iter().collect::<Vec<_>>(),
                expected,
                "k={k}"
            );
        }
        // 0 and 60, 120, 180 have all five (divisible by 2, 3, 4, 5, 6).
        assert_eq!(counts.max(), 5);
        let mut fewer = WordCounts::new(4, 5);
        fewer.add(&bits(200, &[7]));
        fewer.add(&bits(200, &[7, 9]));
        assert_eq!(fewer.max(), 2);
        assert_eq!(WordCounts::new(4, 5).max(), 0);
    }
}
