//! Writing incidents into the search index: one document per incident, replaced only when the
//! incident or its repair statuses changed, removed when its report is gone.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::request::Facet;
use super::schema::{TITLE_WEIGHT, text_weight};
use super::{Fields, IndexError, SearchIndex, merge, read_sidecar, tantivy_err, write_sidecar};
use crate::incident::{Incident, MilestoneKind, SectionKind};

const HASHES_FILE: &str = "ikb-hashes.json";

/// An incident's repair status facet values, as tracking computes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairFacets {
    pub values: BTreeSet<&'static str>,
}

impl RepairFacets {
    /// The facet values tracking computed for an incident (its rules are not the index's).
    pub fn new(values: impl IntoIterator<Item = &'static str>) -> RepairFacets {
        RepairFacets {
            values: values.into_iter().collect(),
        }
    }
}

/// What a sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncReport {
    pub added: usize,
    pub replaced: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Of the removed, those now under another id (see `index::moved`).
    #[serde(default)]
    pub moved: usize,
}

fn facet(value: &str) -> tantivy::schema::Facet {
    tantivy::schema::Facet::from_path([value])
}

/// The document of one incident.
pub fn document(
    fields: &Fields,
    incident: &Incident,
    repair: &RepairFacets,
    json: &str,
) -> TantivyDocument {
    let r = incident.current();
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &incident.id);
    if let Some(t) = &r.tracking_id {
        doc.add_text(fields.tracking_id, t);
    }
    doc.add_text(fields.title, &r.title);
    doc.add_text(fields.words, &r.title);
    for _ in 0..TITLE_WEIGHT {
        doc.add_text(fields.text, &r.title);
    }
    let mut add_section = |kind: SectionKind, body: String| {
        for _ in 0..text_weight(kind) {
            doc.add_text(fields.text, &body);
        }
        doc.add_text(fields.words, &body);
        doc.add_text(fields.section(kind), body);
    };
    for s in &r.sections {
        add_section(s.kind, format!("{}\n{}", s.heading, s.text));
    }
    if !r.timeline.is_empty() {
        let steps: Vec<&str> = r.timeline.iter().map(|t| t.text.as_str()).collect();
        add_section(SectionKind::Response, steps.join("\n"));
    }
    doc.add_i64(
        fields.impact_start,
        r.impact_start.map_or(0, |t| t.as_second()),
    );
    let m = &r.milestones;
    let minutes = [
        (fields.detect_minutes, MilestoneKind::Detected),
        (fields.mitigate_minutes, MilestoneKind::Mitigated),
    ];
    for (field, kind) in minutes {
        if let Some(n) = m.minutes_after(r.impact_start, kind) {
            doc.add_i64(field, n);
        }
    }
    let f = |facet: Facet| fields.facet(facet);
    for s in &r.services {
        doc.add_facet(f(Facet::Service), facet(s));
    }
    for s in &r.regions {
        doc.add_facet(f(Facet::Region), facet(s));
    }
    for c in &r.causes {
        doc.add_facet(f(Facet::Cause), facet(c));
    }
    for v in &repair.values {
        doc.add_facet(f(Facet::RepairStatus), facet(v));
    }
    if let Some(t) = r.impact_start {
        doc.add_facet(
            f(Facet::Year),
            facet(&t.to_zoned(jiff::tz::TimeZone::UTC).year().to_string()),
        );
    }
    doc.add_facet(f(Facet::Stage), facet(r.stage.as_str()));
    doc.add_facet(f(Facet::Provider), facet(&r.provider.to_ascii_lowercase()));
    if let Some(by) = r.milestones.detected_by {
        doc.add_facet(f(Facet::Detected), facet(by.as_str()));
    }
    doc.add_text(fields.incident, json);
    doc
}

/// A build of an empty index commits after this many documents (see [`IndexSync::add`]).
const COMMIT_EVERY: usize = 2_000;

/// A sync that writes at least this many incidents merges the index into as few segments as
/// merges of at most [`merge::MAX_MERGE_BYTES`] make.
const MERGE_AFTER: usize = 1000;

impl SearchIndex {
    /// Make the index hold exactly these incidents. `repair` gives each incident's repair
    /// facets. Unchanged incidents are not rewritten; nothing is committed when nothing changed.
    pub fn sync(
        &self,
        incidents: &[Incident],
        repair: &dyn Fn(&Incident) -> RepairFacets,
    ) -> Result<SyncReport, IndexError> {
        let mut sync = self.start_sync();
        for incident in incidents {
            sync.add(incident, &repair(incident))?;
        }
        sync.finish()
    }

    /// The same, part by part: [`IndexSync::add`] every incident of the corpus, then
    /// [`IndexSync::finish`] removes the others and commits.
    pub fn start_sync(&self) -> IndexSync<'_> {
        let searcher = self.reader.searcher();
        let known: BTreeMap<String, String> =
            read_sidecar(&self.path.join(HASHES_FILE)).unwrap_or_default();
        IndexSync {
            trust_known: !known.is_empty() || searcher.num_docs() == 0,
            index_was_empty: searcher.num_docs() == 0,
            known,
            index: self,
            report: SyncReport::default(),
            next: BTreeMap::new(),
            added_sources: Vec::new(),
            writer: None,
            uncommitted: 0,
        }
    }
}

/// A sync of the index under way (see [`SearchIndex::start_sync`]).
pub struct IndexSync<'a> {
    index: &'a SearchIndex,
    /// Each incident's hash as the last sync wrote it.
    known: BTreeMap<String, String>,
    trust_known: bool,
    index_was_empty: bool,
    report: SyncReport,
    next: BTreeMap<String, String>,
    /// The files each incident new to a non-empty index was read from (to find the ids that
    /// moved, at the end).
    added_sources: Vec<(String, BTreeSet<String>)>,
    /// Opened at the first change; documents stream to its indexing threads as they are
    /// added, so they are never all in memory at once.
    writer: Option<IndexWriter<TantivyDocument>>,
    /// Documents added since the last commit.
    uncommitted: usize,
}

impl IndexSync<'_> {
    fn open_writer(&self) -> Result<IndexWriter<TantivyDocument>, IndexError> {
        // One indexing thread per core (up to four), 64 MB of buffer each.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        let writer = self.index.writer(threads, 64_000_000 * threads)?;
        if self.index_was_empty {
            // A build commits every COMMIT_EVERY documents and merges once, at its end, in
            // groups of a bounded size (`finish`): merging as it goes would write each
            // document several times.
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        }
        if !self.trust_known {
            // The hashes were lost (a crash between commit and their write): rebuild it all.
            writer
                .delete_all_documents()
                .map_err(tantivy_err(&self.index.path))?;
        }
        Ok(writer)
    }

    /// The index holds this incident, with these repair facets, once the sync finishes.
    pub fn add(&mut self, incident: &Incident, facets: &RepairFacets) -> Result<(), IndexError> {
        let json = serde_json::to_string(incident).expect("incidents serialize");
        let mut h = Sha256::new();
        h.update(json.as_bytes());
        for v in &facets.values {
            h.update(v.as_bytes());
        }
        let hash: String = h.finalize()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let old = self.known.get(&incident.id);
        if self.trust_known && old == Some(&hash) {
            self.report.unchanged += 1;
        } else {
            if old.is_some() {
                self.report.replaced += 1;
            } else {
                self.report.added += 1;
                if !self.index_was_empty {
                    self.added_sources
                        .push((incident.id.clone(), super::moved::sources(incident)));
                }
            }
            if self.writer.is_none() {
                self.writer = Some(self.open_writer()?);
            }
            let w = self.writer.as_mut().expect("just opened");
            // An empty index has nothing to replace (a full build skips 100k deletes);
            // otherwise an id missing from the hashes may still be in the index, after a
            // crash between a commit and the hashes' write.
            if !self.index_was_empty {
                w.delete_term(Term::from_field_text(self.index.fields.id, &incident.id));
            }
            w.add_document(document(&self.index.fields, incident, facets, &json))
                .map_err(tantivy_err(&self.index.path))?;
            self.uncommitted += 1;
            // tantivy queues up to 10,000 documents for its indexing threads, and ours are
            // large: a build (nobody reads an index being built) commits every so often, which
            // waits for the queue, so that its memory does not grow with the corpus.
            if self.index_was_empty && self.uncommitted >= COMMIT_EVERY {
                w.commit().map_err(tantivy_err(&self.index.path))?;
                self.uncommitted = 0;
            }
        }
        self.next.insert(incident.id.clone(), hash);
        Ok(())
    }

    /// Remove the incidents not added, commit (merging segments after a bulk write)
    /// and note what was written.
    pub fn finish(self) -> Result<SyncReport, IndexError> {
        self.finish_with_moves().map(|(report, _)| report)
    }

    /// The same, with the incidents this sync found under a new id (old id -> new).
    pub fn finish_with_moves(
        mut self,
    ) -> Result<(SyncReport, BTreeMap<String, String>), IndexError> {
        let index = self.index;
        let path = index.path.as_path();
        let removed: Vec<String> = self
            .known
            .keys()
            .filter(|id| !self.next.contains_key(*id))
            .cloned()
            .collect();
        if self.writer.is_none() && (!removed.is_empty() || !self.trust_known) {
            self.writer = Some(self.open_writer()?);
        }
        let Some(mut writer) = self.writer.take() else {
            return Ok((self.report, BTreeMap::new()));
        };
        // Read before the commit: the removed incidents are still in the index's reader.
        let moves = index.moves(&removed, &self.added_sources);
        for id in &removed {
            writer.delete_term(Term::from_field_text(index.fields.id, id));
            self.report.removed += 1;
        }
        writer.commit().map_err(tantivy_err(path))?;
        writer.wait_merging_threads().map_err(tantivy_err(path))?;
        // After a bulk write, as few segments as merges of a bounded size make: every search
        // (its matching, facet counts and a spelling walk of the term dictionaries) pays per
        // segment, and a merge's memory is what it reads (BENCHMARKS.md).
        if self.report.added + self.report.replaced >= MERGE_AFTER {
            // (The metas are dropped before the merges: while one is alive, its segment's
            // files count as in use and the merge leaves them on disk.)
            let groups = merge::merge_groups(
                path,
                &index
                    .index
                    .searchable_segment_metas()
                    .map_err(tantivy_err(path))?,
                merge::MAX_MERGE_BYTES,
            );
            if !groups.is_empty() {
                // One merge at a time (so that one merge's segments are mapped at once), and
                // none of tantivy's own beside them.
                let mut writer = index.writer(1, 15_000_000)?;
                writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
                for group in groups {
                    writer.merge(&group).wait().map_err(tantivy_err(path))?;
                }
                writer.wait_merging_threads().map_err(tantivy_err(path))?;
            }
        }
        write_sidecar(&path.join(HASHES_FILE), &self.next).map_err(|source| IndexError::Io {
            path: path.display().to_string(),
            source,
        })?;
        index.record_moves(&moves, &|id| self.next.contains_key(id))?;
        self.report.moved = moves.len();
        index.reload()?;
        Ok((self.report, moves))
    }
}

impl SearchIndex {
    /// Rewrite the documents of these incidents (after tracking changes moved their repair
    /// facets), all in one commit, whatever their number or the size of the index.
    pub fn refresh(&self, updates: &[(Incident, RepairFacets)]) -> Result<(), IndexError> {
        if updates.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        let mut writer: IndexWriter<TantivyDocument> = self.writer(1, 15_000_000)?;
        for (incident, facets) in updates {
            let json = serde_json::to_string(incident).expect("incidents serialize");
            writer.delete_term(Term::from_field_text(self.fields.id, &incident.id));
            writer
                .add_document(document(&self.fields, incident, facets, &json))
                .map_err(tantivy_err(path))?;
        }
        writer.commit().map_err(tantivy_err(path))?;
        // The hashes file is left as it is: an incident's hash covers its repair facets, so the
        // next ingest sees the new facets as a change (and rewrites the same document) unless
        // they are back where that hash was taken.
        self.reload()
    }

    /// Forget what the last sync wrote, so that the next one rewrites every document (after
    /// the index was found damaged, or the store replaced by a restore).
    pub fn forget_sync(&self) -> Result<(), IndexError> {
        for file in [HASHES_FILE, crate::index::MANIFEST_FILE] {
            match std::fs::remove_file(self.path.join(file)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(IndexError::Io {
                        path: self.path.display().to_string(),
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}
