//! Facet counts from a per-segment facet index, built once per segment (and deletion state):
//! common values as document bitmaps, counted by AND and popcount; the rest as each document's
//! value ids, counted by walking the matching documents, or, when they are most of the segment,
//! the other documents, subtracted from the segment's totals (at most half are ever visited).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

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

    /// How many documents both sets have.
    fn common(&self, other: &DocBits) -> u64 {
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
    fn iter_without<'a>(&'a self, other: &'a DocBits) -> impl Iterator<Item = DocId> + 'a {
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

/// Every facet value of the index, numbered: (facet position in the fields, value).
#[derive(Debug, Default)]
struct Values {
    /// Shared with every search (copied only when a new segment brings a new value).
    list: Arc<Vec<(usize, Arc<str>)>>,
    ids: HashMap<(usize, Arc<str>), u32>,
}

impl Values {
    fn id(&mut self, facet: usize, value: &str) -> u32 {
        if let Some(id) = self.ids.get(&(facet, Arc::from(value))) {
            return *id;
        }
        let id = self.list.len() as u32;
        Arc::make_mut(&mut self.list).push((facet, Arc::from(value)));
        self.ids.insert((facet, Arc::from(value)), id);
        id
    }
}

/// One segment's facet values by document: common values (on at least 1 in 16 documents) as
/// bitmaps, the rest as each document's list of value ids.
#[derive(Debug)]
pub struct SegmentFacets {
    common: Vec<(u32, DocBits)>,
    /// The uncommon value ids of document `d` are `value_ids[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    value_ids: Vec<u32>,
    /// The segment's live documents, and per value id how many of them have it.
    alive: DocBits,
    alive_totals: Vec<(u32, i64)>,
}

impl SegmentFacets {
    fn build(
        segment: &SegmentReader,
        fields: &[Field],
        values: &mut Values,
    ) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut pairs: Vec<(DocId, u32)> = Vec::new();
        let mut common = Vec::new();
        let mut buffer = [0; tantivy::COLLECT_BLOCK_BUFFER_LEN];
        for (position, &field) in fields.iter().enumerate() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let facet = Facet::from_encoded(stream.key().to_vec())
                    .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
                // The root (an empty path) is indexed too; only first-level values are counted.
                let path = facet.to_path();
                let [value] = path.as_slice() else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                let id = values.id(position, value);
                let mut postings = inverted
                    .read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
                let mut bits =
                    (stream.value().doc_freq * 16 >= max_doc).then(|| (id, DocBits::new(max_doc)));
                while postings.doc() != TERMINATED {
                    let n = postings.fill_buffer(&mut buffer);
                    match bits.as_mut() {
                        Some((_, bits)) => buffer[..n].iter().for_each(|&d| bits.insert(d)),
                        None => pairs.extend(buffer[..n].iter().map(|&d| (d, id))),
                    }
                }
                common.extend(bits);
            }
        }
        // Group the (document, value) pairs by document: a counting sort.
        let mut starts = vec![0u32; max_doc as usize + 1];
        for &(doc, _) in &pairs {
            starts[doc as usize + 1] += 1;
        }
        for d in 0..max_doc as usize {
            starts[d + 1] += starts[d];
        }
        let mut next = starts.clone();
        let mut value_ids = vec![0; pairs.len()];
        for (doc, id) in pairs {
            value_ids[next[doc as usize] as usize] = id;
            next[doc as usize] += 1;
        }
        let mut alive = DocBits::new(max_doc);
        (0..max_doc)
            .filter(|&d| !segment.is_deleted(d))
            .for_each(|d| alive.insert(d));
        let mut facets = SegmentFacets {
            common,
            starts,
            value_ids,
            alive_totals: Vec::new(),
            alive: DocBits::new(0),
        };
        let mut totals = vec![0; values.list.len()];
        alive.iter().for_each(|d| facets.add(d, &mut totals, 1));
        facets.alive = alive;
        facets.alive_totals = (0..).zip(totals).filter(|(_, n)| *n > 0).collect();
        Ok(facets)
    }

    fn add(&self, doc: DocId, counts: &mut [i64], by: i64) {
        let range = self.starts[doc as usize] as usize..self.starts[doc as usize + 1] as usize;
        for &id in &self.value_ids[range] {
            counts[id as usize] += by;
        }
    }

    /// Add how many of the matching documents have each value to `counts` (by value id).
    fn count(&self, matches: &DocBits, counts: &mut [i64]) {
        for (id, bits) in &self.common {
            counts[*id as usize] += bits.common(matches) as i64;
        }
        if matches.len() * 2 <= self.alive.len() {
            matches.iter().for_each(|d| self.add(d, counts, 1));
        } else {
            for &(id, n) in &self.alive_totals {
                counts[id as usize] += n;
            }
            self.alive
                .iter_without(matches)
                .for_each(|d| self.add(d, counts, -1));
        }
    }
}

/// The facet indexes of every segment seen, kept while the segment is live and unchanged.
#[derive(Debug, Default)]
pub struct FacetIndexes {
    inner: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    values: Values,
    segments: HashMap<(SegmentId, u32), Arc<SegmentFacets>>,
}

/// The facet indexes of one searcher's segments, in segment order, with the value names.
pub struct SearcherFacets {
    segments: Vec<Arc<SegmentFacets>>,
    values: Arc<Vec<(usize, Arc<str>)>>,
}

impl FacetIndexes {
    /// The facet indexes of the searcher's segments; building those not yet built and
    /// forgetting those no longer in the index.
    pub fn for_searcher(
        &self,
        searcher: &Searcher,
        fields: &[Field],
    ) -> tantivy::Result<SearcherFacets> {
        // A segment's deletions only grow, so their number tells its states apart.
        let key = |s: &SegmentReader| (s.segment_id(), s.num_deleted_docs());
        let mut cache = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let live: Vec<(SegmentId, u32)> = searcher.segment_readers().iter().map(key).collect();
        cache.segments.retain(|k, _| live.contains(k));
        let mut segments = Vec::with_capacity(live.len());
        for segment in searcher.segment_readers() {
            let built = match cache.segments.get(&key(segment)) {
                Some(built) => built.clone(),
                None => {
                    let built = Arc::new(SegmentFacets::build(segment, fields, &mut cache.values)?);
                    cache.segments.insert(key(segment), built.clone());
                    built
                }
            };
            segments.push(built);
        }
        Ok(SearcherFacets {
            segments,
            values: cache.values.list.clone(),
        })
    }
}

impl SearcherFacets {
    /// Count the facet values of the matching documents (`matches` per segment ordinal), facet
    /// by facet in the order of the fields the indexes were built from; values with no match
    /// are left out.
    pub fn count(
        &self,
        matches: &[(SegmentOrdinal, DocBits)],
        facet_count: usize,
    ) -> Vec<Vec<(Arc<str>, u64)>> {
        let mut counts = vec![0i64; self.values.len()];
        for (ord, bits) in matches {
            if !bits.is_empty() {
                self.segments[*ord as usize].count(bits, &mut counts);
            }
        }
        let mut facets = vec![Vec::new(); facet_count];
        for ((facet, value), n) in self.values.iter().zip(counts) {
            if n > 0 {
                facets[*facet].push((value.clone(), n as u64));
            }
        }
        facets
    }
}

/// A collector of the matching documents as one bitmap per segment.
pub struct Matches;

pub struct SegmentMatches {
    ord: SegmentOrdinal,
    bits: DocBits,
}

impl Collector for Matches {
    type Fruit = Vec<(SegmentOrdinal, DocBits)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            ord,
            bits: DocBits::new(segment.max_doc()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(SegmentOrdinal, DocBits)>>,
    ) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(SegmentOrdinal, DocBits)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.bits.insert(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.bits.insert(doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        vec![(self.ord, self.bits)]
    }
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
    }
}
