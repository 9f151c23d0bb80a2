//! Facet counts from a per-segment facet index, built once per segment (and deletion state):
//! each document's value ids, and the common values also as document bitmaps. A search counts
//! the cheaper way: walking the value ids of the matching documents (or, when they are most of
//! the segment, of the others, subtracted from the segment's totals), or AND and popcount for
//! the common values and walking only the rest. The same index keeps each segment's live
//! documents and their order by impact start, which date ranges and date-sorted pages use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{
    DocAddress, DocId, DocSet, Opstamp, Score, Searcher, SearcherGeneration, SegmentOrdinal,
    SegmentReader, TERMINATED, Warmer,
};

use super::doc_bits::DocBits;

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

/// One segment's facet values by document: each document's list of value ids, and the common
/// values (on at least 1 in 64 documents) also as bitmaps. Each search counts the cheaper way:
/// by walking the lists of the matching documents (or of the others, when they are fewer), or
/// by AND and popcount for the common values and walking only the lists' uncommon values.
#[derive(Debug)]
pub struct SegmentFacets {
    common: Vec<(u32, DocBits)>,
    /// The value ids of document `d` are `value_ids[starts[d]..starts[d + 1]]`, its uncommon
    /// ones first, up to `common_from[d]`.
    starts: Vec<u32>,
    common_from: Vec<u32>,
    value_ids: Vec<u32>,
    /// The segment's live documents, and per value id how many of them have it (and whether
    /// the value is common).
    alive: DocBits,
    alive_len: u64,
    alive_totals: Vec<(u32, i64, bool)>,
    /// How many value ids the live documents have in all, and how many of them are uncommon.
    alive_values: (u64, u64),
    /// Every document by (impact start, document), oldest first; no impact start counts as 0.
    by_date: Vec<(i64, DocId)>,
}

/// Which of a document's values a walk visits.
#[derive(Clone, Copy, PartialEq)]
enum Walk {
    All,
    Uncommon,
}

impl SegmentFacets {
    fn build(
        segment: &SegmentReader,
        fields: &[Field],
        values: &mut Values,
    ) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        // (document, value id) of the uncommon values, then of the common ones.
        let mut pairs: [Vec<(DocId, u32)>; 2] = [Vec::new(), Vec::new()];
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
                let is_common = stream.value().doc_freq * 64 >= max_doc;
                let mut bits = DocBits::new(max_doc);
                while postings.doc() != TERMINATED {
                    let n = postings.fill_buffer(&mut buffer);
                    bits.insert_ascending(&buffer[..n]);
                    pairs[usize::from(is_common)].extend(buffer[..n].iter().map(|&d| (d, id)));
                }
                if is_common {
                    common.push((id, bits));
                }
            }
        }
        // Group the pairs by document, a counting sort that keeps their order: each
        // document's uncommon values come first.
        let mut starts = vec![0u32; max_doc as usize + 1];
        let mut common_from = vec![0u32; max_doc as usize];
        for &(doc, _) in pairs.iter().flatten() {
            starts[doc as usize + 1] += 1;
        }
        for &(doc, _) in &pairs[0] {
            common_from[doc as usize] += 1;
        }
        for d in 0..max_doc as usize {
            starts[d + 1] += starts[d];
            common_from[d] += starts[d];
        }
        let mut next = starts.clone();
        let mut value_ids = vec![0; starts[max_doc as usize] as usize];
        for (doc, id) in pairs.into_iter().flatten() {
            value_ids[next[doc as usize] as usize] = id;
            next[doc as usize] += 1;
        }
        let mut alive = DocBits::new(max_doc);
        (0..max_doc)
            .filter(|&d| !segment.is_deleted(d))
            .for_each(|d| alive.insert(d));
        let starts_at = segment.fast_fields().i64("impact_start")?;
        let mut by_date: Vec<(i64, DocId)> = (0..max_doc)
            .map(|d| (starts_at.first(d).unwrap_or(0), d))
            .collect();
        by_date.sort_unstable();
        let mut facets = SegmentFacets {
            common,
            starts,
            common_from,
            value_ids,
            alive_len: alive.len(),
            alive_totals: Vec::new(),
            alive: DocBits::new(0),
            alive_values: (0, 0),
            by_date,
        };
        let mut totals = vec![0; values.list.len()];
        alive
            .iter()
            .for_each(|d| facets.add(d, &mut totals, 1, Walk::All));
        facets.alive = alive;
        facets.alive_totals = (0..)
            .zip(totals)
            .filter(|(_, n)| *n > 0)
            .map(|(id, n)| (id, n, facets.common.iter().any(|(c, _)| *c == id)))
            .collect();
        let sum = |uncommon_only: bool| {
            let totals = facets.alive_totals.iter();
            totals
                .filter(|(_, _, is_common)| !(uncommon_only && *is_common))
                .map(|(_, n, _)| *n as u64)
                .sum()
        };
        facets.alive_values = (sum(false), sum(true));
        Ok(facets)
    }

    fn values(&self, doc: DocId, walk: Walk) -> &[u32] {
        let start = self.starts[doc as usize] as usize;
        let end = match walk {
            Walk::All => self.starts[doc as usize + 1],
            Walk::Uncommon => self.common_from[doc as usize],
        };
        &self.value_ids[start..end as usize]
    }

    fn add(&self, doc: DocId, counts: &mut [i64], by: i64, walk: Walk) {
        for &id in self.values(doc, walk) {
            counts[id as usize] += by;
        }
    }

    /// Add how many of the matching documents have each value to `counts` (by value id).
    fn count(&self, matches: &DocBits, counts: &mut [i64]) {
        self.count_by(matches, counts, self.cheaper_walk(matches));
    }

    /// Whether walking every value of the visited documents is cheaper than ANDing the common
    /// values' bitmaps and walking the rest, in values visited and 64-bit words ANDed.
    fn cheaper_walk(&self, matches: &DocBits) -> Walk {
        let matching = matches.len();
        let visited = matching.min(self.alive_len.saturating_sub(matching));
        let (all, uncommon) = self.alive_values;
        let per_visited = |values: u64| visited * values / self.alive_len.max(1);
        let walk_all = per_visited(all);
        let with_bitmaps =
            self.common.len() as u64 * matches.word_len() as u64 + per_visited(uncommon);
        if walk_all <= with_bitmaps {
            Walk::All
        } else {
            Walk::Uncommon
        }
    }

    fn count_by(&self, matches: &DocBits, counts: &mut [i64], walk: Walk) {
        if walk == Walk::Uncommon {
            for (id, bits) in &self.common {
                counts[*id as usize] += bits.common(matches) as i64;
            }
        }
        // Visit the matching documents, or the others when they are fewer.
        let complement = matches.len() * 2 > self.alive_len;
        if complement {
            for &(id, n, is_common) in &self.alive_totals {
                if walk == Walk::All || !is_common {
                    counts[id as usize] += n;
                }
            }
            self.alive
                .iter_without(matches)
                .for_each(|d| self.add(d, counts, -1, walk));
        } else {
            matches.iter().for_each(|d| self.add(d, counts, 1, walk));
        }
    }
}

/// The facet indexes of every segment seen, kept while the segment is live and unchanged.
/// A serving index registers this as its reader's tantivy [`Warmer`], so each new searcher
/// generation (after a commit) has them built before it is used and old ones are dropped; an
/// index a command opens once builds them at its first search instead.
#[derive(Debug)]
pub struct FacetIndexes {
    fields: Vec<Field>,
    inner: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    values: Values,
    segments: HashMap<(SegmentId, Option<Opstamp>), Arc<SegmentFacets>>,
}

/// The facet indexes of one searcher's segments, in segment order, with the value names.
pub struct SearcherFacets {
    segments: Vec<Arc<SegmentFacets>>,
    values: Arc<Vec<(usize, Arc<str>)>>,
}

/// A segment in one state: its deletions are named by their opstamp.
fn key(s: &SegmentReader) -> (SegmentId, Option<Opstamp>) {
    (s.segment_id(), s.delete_opstamp())
}

impl FacetIndexes {
    /// The facet indexes of these facet fields (in [`super::Facet::ALL`] order).
    pub fn new(fields: Vec<Field>) -> FacetIndexes {
        FacetIndexes {
            fields,
            inner: Mutex::default(),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The facet indexes of the searcher's segments, building those not yet built.
    pub fn for_searcher(&self, searcher: &Searcher) -> tantivy::Result<SearcherFacets> {
        let mut cache = self.cache();
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let built = match cache.segments.get(&key(segment)) {
                Some(built) => built.clone(),
                None => {
                    let built = Arc::new(SegmentFacets::build(
                        segment,
                        &self.fields,
                        &mut cache.values,
                    )?);
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

    /// Forget the segments (and segment states) no searcher of `live` has.
    fn keep_only(&self, live: &[&SearcherGeneration]) {
        self.cache().segments.retain(|(id, deletes), _| {
            live.iter()
                .any(|g| g.segments().get(id).is_some_and(|d| d == deletes))
        });
    }
}

impl Warmer for FacetIndexes {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        self.for_searcher(searcher).map(|_| ())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        self.keep_only(live_generations);
    }
}

impl SearcherFacets {
    /// The live documents of the segment with this ordinal.
    pub fn alive(&self, ord: SegmentOrdinal) -> &DocBits {
        &self.segments[ord as usize].alive
    }

    /// The documents of the segment with this ordinal whose impact started at or after `from`
    /// and before `to` (seconds).
    pub fn dated(&self, ord: SegmentOrdinal, from: i64, to: i64) -> DocBits {
        let segment = &self.segments[ord as usize];
        let order = &segment.by_date;
        let start = order.partition_point(|&(at, _)| at < from);
        let end = order.partition_point(|&(at, _)| at < to);
        let mut bits = DocBits::new(segment.alive.word_len() as DocId * 64);
        order[start..end.max(start)]
            .iter()
            .for_each(|&(_, doc)| bits.insert(doc));
        bits
    }

    /// The matching documents from `offset`, at most `limit`, newest (or oldest) impact start
    /// first; ties in document order (newest first: the later document first).
    pub fn by_date(
        &self,
        matches: &[(SegmentOrdinal, Arc<DocBits>)],
        newest_first: bool,
        offset: usize,
        limit: usize,
    ) -> Vec<DocAddress> {
        let want = offset + limit;
        // The first `want` of each segment, then the first `want` of them all.
        let mut found: Vec<(i64, SegmentOrdinal, DocId)> = Vec::new();
        for (ord, bits) in matches {
            let order = &self.segments[*ord as usize].by_date;
            let mut pick =
                |&(at, doc): &(i64, DocId)| bits.contains(doc).then_some((at, *ord, doc));
            if newest_first {
                found.extend(order.iter().rev().filter_map(&mut pick).take(want));
            } else {
                found.extend(order.iter().filter_map(&mut pick).take(want));
            }
        }
        found.sort_unstable();
        if newest_first {
            found.reverse();
        }
        found
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, ord, doc)| DocAddress::new(ord, doc))
            .collect()
    }

    /// Count the facet values of the matching documents (`matches` per segment ordinal), facet
    /// by facet in the order of the fields the indexes were built from; values with no match
    /// are left out.
    pub fn count(
        &self,
        matches: &[(SegmentOrdinal, Arc<DocBits>)],
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
        self.bits.insert_ascending(docs);
    }

    fn harvest(self) -> Self::Fruit {
        vec![(self.ord, self.bits)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{FAST, FacetOptions, INDEXED, Schema};
    use tantivy::{Index, TantivyDocument, Term};

    /// Document `d` of the test index: its service and status values and impact start.
    fn facets_of(d: u64) -> (Vec<String>, Vec<String>, Option<i64>) {
        let services = vec!["everywhere".to_string(), format!("rare-{}", d % 100)];
        let statuses = match d % 7 {
            0 => vec![],
            n if n % 2 == 0 => vec!["open".to_string()],
            _ => vec!["completed".to_string(), "open".to_string()],
        };
        (
            services,
            statuses,
            (!d.is_multiple_of(13)).then_some((d % 50) as i64 * 1000),
        )
    }

    #[test]
    fn both_ways_of_counting_and_the_date_order_agree_with_the_documents() {
        let mut b = Schema::builder();
        let n = b.add_u64_field("n", INDEXED);
        let start = b.add_i64_field("impact_start", INDEXED | FAST);
        let fields = [
            b.add_facet_field("service", FacetOptions::default()),
            b.add_facet_field("status", FacetOptions::default()),
        ];
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for d in 0..300u64 {
            let (services, statuses, at) = facets_of(d);
            let mut doc = TantivyDocument::new();
            doc.add_u64(n, d);
            at.into_iter().for_each(|t| doc.add_i64(start, t));
            services
                .iter()
                .for_each(|v| doc.add_facet(fields[0], Facet::from_path([v])));
            statuses
                .iter()
                .for_each(|v| doc.add_facet(fields[1], Facet::from_path([v])));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        for d in (0..300u64).step_by(11) {
            writer.delete_term(Term::from_field_u64(n, d));
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 1);
        let alive = |d: u64| !d.is_multiple_of(11);
        let indexes = FacetIndexes::new(fields.to_vec());
        let built = indexes.for_searcher(&searcher).unwrap();
        let segment = &built.segments[0];
        assert!(segment.common.len() >= 3, "everywhere, open, completed");
        assert!(segment.common.len() < 10, "the rare values are not common");

        type Wanted = fn(u64) -> bool;
        let sets: [(&str, Wanted); 4] = [
            ("every third", |d| d % 3 == 0),
            ("most", |d| d < 250),
            ("one", |d| d == 123),
            ("none", |_| false),
        ];
        for (name, wanted) in sets {
            let mut matches = DocBits::new(300);
            (0..300u64)
                .filter(|&d| alive(d) && wanted(d))
                .for_each(|d| matches.insert(d as DocId));
            let mut expected: HashMap<(usize, String), i64> = HashMap::new();
            for d in (0..300u64).filter(|&d| alive(d) && wanted(d)) {
                let (services, statuses, _) = facets_of(d);
                for (facet, values) in [(0, services), (1, statuses)] {
                    for v in values {
                        *expected.entry((facet, v)).or_default() += 1;
                    }
                }
            }
            for walk in [Walk::All, Walk::Uncommon] {
                let mut counts = vec![0; built.values.len()];
                segment.count_by(&matches, &mut counts, walk);
                let got: HashMap<(usize, String), i64> = built
                    .values
                    .iter()
                    .zip(counts)
                    .filter(|(_, c)| *c != 0)
                    .map(|((facet, v), c)| ((*facet, v.to_string()), c))
                    .collect();
                assert_eq!(got, expected, "{name}, {:?}", walk == Walk::All);
            }
        }

        let mut every_third = DocBits::new(300);
        (0..300u64)
            .filter(|&d| alive(d) && d % 3 == 0)
            .for_each(|d| every_third.insert(d as DocId));
        let matches = [(0, Arc::new(every_third))];
        let at = |d: DocId| facets_of(d as u64).2.unwrap_or(0);
        let mut expected: Vec<DocId> = (0..300u32)
            .filter(|&d| alive(d as u64) && d % 3 == 0)
            .collect();
        expected.sort_by_key(|&d| (at(d), d));
        let oldest: Vec<DocId> = built
            .by_date(&matches, false, 2, 5)
            .iter()
            .map(|a| a.doc_id)
            .collect();
        assert_eq!(oldest, expected[2..7]);
        let newest: Vec<DocId> = built
            .by_date(&matches, true, 0, 4)
            .iter()
            .map(|a| a.doc_id)
            .collect();
        let last: Vec<DocId> = expected.iter().rev().take(4).copied().collect();
        assert_eq!(newest, last);
        assert!(built.by_date(&matches, true, 10_000, 10).is_empty());
    }

    #[test]
    fn as_the_readers_warmer_each_commits_segments_are_built_before_a_search() {
        let mut b = Schema::builder();
        let start = b.add_i64_field("impact_start", INDEXED | FAST);
        let field = b.add_facet_field("service", FacetOptions::default());
        let index = Index::create_in_ram(b.build());
        let indexes = Arc::new(FacetIndexes::new(vec![field]));
        let warmer: Arc<dyn Warmer> = indexes.clone();
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .warmers(vec![Arc::downgrade(&warmer)])
            .try_into()
            .unwrap();
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 15_000_000)
            .unwrap();
        for round in 0..3 {
            let mut doc = TantivyDocument::new();
            doc.add_facet(field, Facet::from_path([format!("s{round}")]));
            doc.add_i64(start, round);
            writer.add_document(doc).unwrap();
            writer.commit().unwrap();
            reader.reload().unwrap();
            // No search ran: the warmer built every segment of the new generation.
            let searcher = reader.searcher();
            let cache = indexes.cache();
            assert!(
                searcher
                    .segment_readers()
                    .iter()
                    .all(|s| cache.segments.contains_key(&key(s))),
                "round {round}"
            );
        }
        // Only what a live generation holds is kept.
        let searcher = reader.searcher();
        indexes.keep_only(&[searcher.generation()]);
        assert_eq!(
            indexes.cache().segments.len(),
            searcher.segment_readers().len()
        );
        indexes.keep_only(&[]);
        assert!(indexes.cache().segments.is_empty());
    }
}
