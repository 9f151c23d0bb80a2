//! Which segments of the index are merged, and how large a merge may get: a merge reads all
//! its segments through memory maps, so capping what one merge reads caps an ingest's memory
//! whatever the size of the corpus. Never decides what a segment holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The most bytes of segments one merge reads (and so about the largest segment a merge
/// writes). A merge maps its segments whole, and those pages count in the process's memory
/// until it ends: at this cap an ingest of 100k or 300k incidents peaks under 1 GB
/// (BENCHMARKS.md). Fewer, larger segments make searches a little faster.
pub const MAX_MERGE_BYTES: u64 = 256 * 1024 * 1024;

/// tantivy's log merge policy (segments of about the same size merged together in the
/// background), without the merges that would read more than [`MAX_MERGE_BYTES`].
#[derive(Debug)]
pub(crate) struct CappedMerges {
    index_path: PathBuf,
    log: LogMergePolicy,
    max_bytes: u64,
}

impl CappedMerges {
    pub(crate) fn new(index_path: &Path, max_bytes: u64) -> CappedMerges {
        CappedMerges {
            index_path: index_path.to_path_buf(),
            log: LogMergePolicy::default(),
            max_bytes,
        }
    }
}

impl MergePolicy for CappedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let candidates = self.log.compute_merge_candidates(segments);
        if candidates.is_empty() {
            // (Most calls: the folder is read only when there is a merge to weigh.)
            return candidates;
        }
        let sizes = segment_sizes(&self.index_path, segments);
        candidates
            .into_iter()
            .filter(|candidate| {
                let bytes: u64 = candidate
                    .0
                    .iter()
                    .map(|id| sizes.get(id).unwrap_or(&0))
                    .sum();
                bytes <= self.max_bytes
            })
            .collect()
    }
}

/// A segment with more than this share of its documents deleted is rewritten even alone.
const EXPUNGE_DELETED: f64 = 0.25;

/// The merges that leave the fewest segments with none reading more than `max_bytes`: the
/// segments, largest first (by the bytes of their live documents), each into the first group
/// it fits in (first-fit decreasing). Groups of two or more segments are returned, and a
/// segment alone when more than a quarter of it is deleted documents.
pub(crate) fn merge_groups(
    index_path: &Path,
    segments: &[SegmentMeta],
    max_bytes: u64,
) -> Vec<Vec<SegmentId>> {
    let sizes = segment_sizes(index_path, segments);
    let deleted = |s: &SegmentMeta| s.num_deleted_docs() as f64 / s.max_doc().max(1) as f64;
    let mut by_size: Vec<(SegmentId, u64)> = segments
        .iter()
        .map(|s| {
            let bytes = sizes.get(&s.id()).copied().unwrap_or(0);
            (s.id(), (bytes as f64 * (1.0 - deleted(s))) as u64)
        })
        .collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut groups: Vec<(Vec<SegmentId>, u64)> = Vec::new();
    for (id, bytes) in by_size {
        match groups
            .iter_mut()
            .find(|(_, total)| total + bytes <= max_bytes)
        {
            Some((group, total)) => {
                group.push(id);
                *total += bytes;
            }
            None => groups.push((vec![id], bytes)),
        }
    }
    let mostly_deleted: Vec<SegmentId> = segments
        .iter()
        .filter(|s| deleted(s) > EXPUNGE_DELETED)
        .map(SegmentMeta::id)
        .collect();
    groups
        .into_iter()
        .map(|(group, _)| group)
        .filter(|group| group.len() > 1 || mostly_deleted.contains(&group[0]))
        .collect()
}

/// Each segment's bytes on disk: the files named after it (postings, positions, terms, stored
/// documents, fast fields, norms, deletes). A file that cannot be read counts as empty.
fn segment_sizes(index_path: &Path, segments: &[SegmentMeta]) -> HashMap<SegmentId, u64> {
    let by_name: HashMap<String, SegmentId> = segments
        .iter()
        .map(|s| (s.id().uuid_string(), s.id()))
        .collect();
    let mut sizes: HashMap<SegmentId, u64> = segments.iter().map(|s| (s.id(), 0)).collect();
    let Ok(files) = std::fs::read_dir(index_path) else {
        return sizes;
    };
    for file in files.flatten() {
        let name = file.file_name();
        let Some(uuid) = name.to_str().and_then(|n| n.split('.').next()) else {
            continue;
        };
        if let (Some(id), Ok(meta)) = (by_name.get(uuid), file.metadata()) {
            *sizes.entry(*id).or_default() += meta.len();
        }
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{STORED, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    /// An index of `segments` committed segments of `docs` documents each, with no merging.
    fn index_of(dir: &Path, segments: usize, docs: usize) -> Index {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT | STORED);
        let index = Index::create_in_dir(dir, schema.build()).unwrap();
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        for s in 0..segments {
            for d in 0..docs {
                writer
                    .add_document(doc!(body => format!("s{s} d{d} {}", "x ".repeat(50))))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        writer.wait_merging_threads().unwrap();
        index
    }

    #[test]
    fn groups_never_read_more_than_the_cap_and_leave_few_segments() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_of(dir.path(), 10, 200);
        let metas = index.searchable_segment_metas().unwrap();
        let sizes = segment_sizes(dir.path(), &metas);
        assert_eq!(sizes.len(), 10);
        let each = *sizes.values().max().unwrap();
        assert!(each > 1000, "segments have bytes: {sizes:?}");
        // Room for three segments in a merge: 10 segments become 4 (3 + 3 + 3 + 1).
        let cap = each * 3 + each / 2;
        let groups = merge_groups(dir.path(), &metas, cap);
        let grouped: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(grouped, [3, 3, 3], "{groups:?}");
        for group in &groups {
            let bytes: u64 = group.iter().map(|id| sizes[id]).sum();
            assert!(bytes <= cap, "{bytes} > {cap}");
        }
        // A cap below one segment merges nothing; a large one merges all into one group.
        assert!(merge_groups(dir.path(), &metas, each - 1).is_empty());
        assert_eq!(merge_groups(dir.path(), &metas, u64::MAX / 2).len(), 1);
    }

    #[test]
    fn a_segment_alone_is_rewritten_when_a_quarter_of_it_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_of(dir.path(), 2, 100);
        let metas = index.searchable_segment_metas().unwrap();
        let each = *segment_sizes(dir.path(), &metas).values().max().unwrap();
        // A cap of one segment: nothing to merge while nothing is deleted.
        assert!(merge_groups(dir.path(), &metas, each).is_empty());
        drop(metas);
        let body = index.schema().get_field("body").unwrap();
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        // 20 of each segment's 100 documents deleted: still under the share.
        for d in 0..20 {
            writer.delete_term(tantivy::Term::from_field_text(body, &format!("d{d}")));
        }
        writer.commit().unwrap();
        let metas = index.searchable_segment_metas().unwrap();
        assert!(metas.iter().all(|s| s.num_deleted_docs() == 20));
        assert!(merge_groups(dir.path(), &metas, each).is_empty());
        drop(metas);
        // 30 of 100: each is rewritten alone.
        for d in 20..30 {
            writer.delete_term(tantivy::Term::from_field_text(body, &format!("d{d}")));
        }
        writer.commit().unwrap();
        let metas = index.searchable_segment_metas().unwrap();
        let groups = merge_groups(dir.path(), &metas, each);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.iter().all(|g| g.len() == 1));
    }

    #[test]
    fn the_policy_drops_the_log_merges_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_of(dir.path(), 8, 100);
        let metas = index.searchable_segment_metas().unwrap();
        let total: u64 = segment_sizes(dir.path(), &metas).values().sum();
        // tantivy's log policy merges eight segments of a level into one.
        let wide = CappedMerges::new(dir.path(), total);
        assert_eq!(wide.compute_merge_candidates(&metas).len(), 1);
        let narrow = CappedMerges::new(dir.path(), total - 1);
        assert!(narrow.compute_merge_candidates(&metas).is_empty());
    }
}
