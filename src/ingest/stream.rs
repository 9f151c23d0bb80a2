//! Ingest in bounded memory: the corpus is parsed a part at a time and each review is spilled to
//! a file in the data folder, keyed by its incident id; then the reviews are read back one
//! group of incidents at a time (revision grouping needs every review of an id together) and
//! each group goes to the store and the index side by side. Memory holds a part of the corpus
//! and the ids, not the corpus.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::corpus::{self, Failure, ReportFile};
use super::{IngestError, IngestSummary};
use crate::assemble;
use crate::catalog::Catalogue;
use crate::incident::{Incident, Review};
use crate::index::{IndexError, SearchIndex};
use crate::tracking::{self, TrackingStore};

/// How many report files are parsed, and how many incidents written, at a time: what bounds
/// the memory an ingest needs.
pub const AT_A_TIME: usize = 2_000;

/// Read `files` and bring `store` and `index` in line with them, `at_a_time` files and
/// incidents at a time; the spill file goes in `spill_dir` and is removed after. The summary's
/// `rebuilt` is the caller's to say.
pub fn ingest(
    store: &dyn TrackingStore,
    index: &SearchIndex,
    files: &[ReportFile],
    catalogue: &Catalogue,
    progress: &mut dyn FnMut(usize, usize, &Path),
    at_a_time: usize,
    spill_dir: &Path,
) -> Result<IngestSummary, IngestError> {
    let started = std::time::Instant::now();
    let mut out = IngestSummary {
        files: files.len(),
        ..IngestSummary::default()
    };
    let mut spill = Spill::create(spill_dir)?;
    // Each review's place in the spill, by incident id, in file order within an id.
    let mut by_id: BTreeMap<String, Vec<(u64, u32)>> = BTreeMap::new();
    let mut parsed = 0;
    for part in files.chunks(at_a_time.max(1)) {
        let results = corpus::parse_files(part, catalogue, &mut |n, path| {
            progress(parsed + n, files.len(), path)
        });
        parsed += part.len();
        for (file, result) in part.iter().zip(results) {
            match result {
                Ok(reviews) => {
                    for review in reviews {
                        let at = spill.push(&review)?;
                        by_id.entry(review.id).or_default().push(at);
                        out.reviews += 1;
                    }
                }
                Err(e) => out.failures.push(Failure::of(file, &e)),
            }
        }
    }
    let spill = spill.finish()?;
    tracing::debug!(elapsed = ?started.elapsed(), reviews = out.reviews, "reports read and spilled");

    // The statuses people set, read once: the index's repair facets need only them.
    let set = store.set_on_items()?;
    let today = tracking::today();
    let facets = |i: &Incident| {
        tracking::repair_facets(i, &|id| set.get(id).copied().unwrap_or_default(), today)
    };
    let mut store_sync = store.start_sync(Timestamp::now())?;
    let mut index_sync = index.start_sync();
    let mut group: Vec<Review> = Vec::new();
    let mut ids = 0;
    let mut groups = by_id.into_values().peekable();
    while let Some(places) = groups.next() {
        for (offset, len) in places {
            group.push(spill.read(offset, len)?);
        }
        ids += 1;
        if ids < at_a_time && groups.peek().is_some() {
            continue;
        }
        ids = 0;
        let incidents = assemble::incidents(std::mem::take(&mut group));
        for i in &incidents {
            let current = i.current();
            out.sections += current.sections.len();
            out.repair_items += current.repair_items.len();
            out.warnings += i.reviews.iter().map(|r| r.warnings.len()).sum::<usize>();
        }
        out.incidents += incidents.len();
        // The store's part and the index's documents side by side.
        std::thread::scope(|scope| -> Result<(), IngestError> {
            let stored = scope.spawn(|| store_sync.part(&incidents));
            for incident in &incidents {
                index_sync.add(incident, &facets(incident))?;
            }
            stored.join().expect("the store sync does not panic")?;
            Ok(())
        })?;
    }
    // Both finish side by side too: the index's commit (and merge) beside the store's retiring.
    let (stats, report) = std::thread::scope(|scope| {
        let stored = scope.spawn(|| store_sync.finish());
        let report = index_sync.finish_with_moves();
        (
            stored.join().expect("the store sync does not panic"),
            report,
        )
    });
    out.store = stats?;
    let (report, moves) = report?;
    out.index = report;
    // An incident under a new id keeps what people set on its items (after the store's sync:
    // the items under the new id exist now).
    out.carried = tracking::moved::carry_over(store, &moves, Timestamp::now())?;
    if out.carried > 0 {
        // Their incidents' repair facets follow what was carried over.
        tracking::refresh_facets(store, index, moves.values())?;
    }
    tracing::debug!(elapsed = ?started.elapsed(), "store and index in line");
    Ok(out)
}

/// The reviews of an ingest, written one after the other as JSON to a file that is unlinked
/// as soon as it is made (nothing is left behind, whatever happens to the process).
struct Spill {
    path: PathBuf,
    file: BufWriter<File>,
    written: u64,
}

impl Spill {
    fn create(dir: &Path) -> Result<Spill, IngestError> {
        let path = dir.join("ingest.spill");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| spill_error(&path, e))?;
        std::fs::remove_file(&path).map_err(|e| spill_error(&path, e))?;
        Ok(Spill {
            file: BufWriter::with_capacity(1 << 20, file),
            path,
            written: 0,
        })
    }

    /// Write a review; where it is (offset, length).
    fn push(&mut self, review: &Review) -> Result<(u64, u32), IngestError> {
        let bytes = serde_json::to_vec(review).expect("reviews serialize");
        self.file
            .write_all(&bytes)
            .map_err(|e| spill_error(&self.path, e))?;
        let at = (self.written, bytes.len() as u32);
        self.written += bytes.len() as u64;
        Ok(at)
    }

    fn finish(self) -> Result<SpillReader, IngestError> {
        let file = self
            .file
            .into_inner()
            .map_err(|e| spill_error(&self.path, e.into_error()))?;
        Ok(SpillReader {
            file,
            path: self.path,
        })
    }
}

/// The spill, read back review by review.
struct SpillReader {
    file: File,
    path: PathBuf,
}

impl SpillReader {
    fn read(&self, offset: u64, len: u32) -> Result<Review, IngestError> {
        let mut bytes = vec![0; len as usize];
        self.file
            .read_exact_at(&mut bytes, offset)
            .map_err(|e| spill_error(&self.path, e))?;
        Ok(serde_json::from_slice(&bytes).expect("a spilled review reads back"))
    }
}

fn spill_error(path: &Path, source: std::io::Error) -> IngestError {
    IngestError::Index(IndexError::Io {
        path: path.display().to_string(),
        source,
    })
}
