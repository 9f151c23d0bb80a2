//! Ingest: read the corpus, then bring the tracking store and the search index in line with it.
//! The store keeps what people set; the index is derived and can always be rebuilt from the
//! corpus and the store.

pub mod corpus;
pub mod stream;
pub mod synthetic;

use std::path::{Path, PathBuf};

use crate::catalog::Catalogue;
use crate::index::write::SyncReport;
use crate::index::{IndexError, MANIFEST_FILE, SearchIndex};
use crate::tracking::{self, StoreError, StoreLocation, SyncStats, TrackingStore};
use corpus::{Failure, ReportFile};

/// Where the data lives: the `--index` folder, and the tracking store (a sled folder in it
/// unless `--store` names a PostgreSQL database).
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
    /// `--store`: the tracking store's location when it is not the folder's own.
    pub store: Option<String>,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir {
            root: root.into(),
            store: None,
        }
    }

    /// The same folder with the tracking store at `store` (`None`: the folder's own).
    pub fn with_store(self, store: Option<String>) -> DataDir {
        DataDir { store, ..self }
    }

    /// The search index: derived data, rebuilt whenever needed.
    pub fn search(&self) -> PathBuf {
        self.root.join("search")
    }

    /// The tracking store: what people set. Never deleted by a rebuild.
    pub fn tracking(&self) -> StoreLocation {
        match &self.store {
            Some(spec) => StoreLocation::parse(spec),
            None => StoreLocation::Sled(self.root.join("tracking")),
        }
    }

    /// Open the tracking store for a process that writes this folder's index (an ingest, a
    /// server): sled's own lock says that no other process uses the folder; with another
    /// store, a lock file in the folder says it, held for as long as the store is open.
    pub fn open_store(&self) -> Result<Box<dyn TrackingStore>, StoreError> {
        match self.tracking() {
            StoreLocation::Sled(path) => tracking::open(&StoreLocation::Sled(path)),
            StoreLocation::Postgres(url) => {
                let lock = self.lock_folder()?;
                Ok(Box::new(
                    tracking::postgres::PgStore::open(&url)?.holding(lock),
                ))
            }
        }
    }

    /// Lock `folder.lock` in the folder (an OS lock: a killed process leaves none).
    fn lock_folder(&self) -> Result<std::fs::File, StoreError> {
        let locked = |_| StoreError::Locked {
            path: self.root.display().to_string(),
        };
        std::fs::create_dir_all(&self.root).map_err(|e| StoreError::Unavailable {
            path: self.root.display().to_string(),
            reason: e.to_string(),
        })?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("folder.lock"))
            .map_err(|e| StoreError::Unavailable {
                path: self.root.display().to_string(),
                reason: e.to_string(),
            })?;
        file.try_lock().map_err(locked)?;
        Ok(file)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("corpus {0}")]
    Corpus(Failure),
}

/// What an ingest did, for the summary line and the tests.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct IngestSummary {
    pub files: usize,
    pub reviews: usize,
    pub incidents: usize,
    pub sections: usize,
    pub repair_items: usize,
    pub warnings: usize,
    pub failures: Vec<Failure>,
    pub index: SyncReport,
    pub store: SyncStats,
    /// Repair items that took what people set on them under their incident's old id.
    #[serde(default)]
    pub carried: usize,
    pub rebuilt: bool,
}

/// Read the corpus under `roots` and ingest it into the data folder.
pub fn ingest(
    data: &DataDir,
    roots: &[PathBuf],
    catalogue: &Catalogue,
    progress: impl FnMut(usize, usize, &Path),
) -> Result<IngestSummary, IngestError> {
    // The store first: its lock says no other process (a server of any version) uses this
    // data folder, and only then is the index touched.
    let store = data.open_store()?;
    let (index, rebuilt) = SearchIndex::open_or_create(&data.search(), catalogue)?;
    let summary = ingest_into(store.as_ref(), &index, rebuilt, roots, catalogue, progress)?;
    index.finish(false)?;
    Ok(summary)
}

/// Ingest with an open store and index (what the server does on start and on request).
pub fn ingest_into(
    store: &dyn TrackingStore,
    index: &SearchIndex,
    rebuilt: bool,
    roots: &[PathBuf],
    catalogue: &Catalogue,
    progress: impl FnMut(usize, usize, &Path),
) -> Result<IngestSummary, IngestError> {
    let started = std::time::Instant::now();
    let rebuilt = rebuilt || repair_if_damaged(index)?;
    let files = corpus::report_files(roots).map_err(IngestError::Corpus)?;
    let stamp = manifest_stamp(&files, catalogue, store);
    if !rebuilt && let Some(m) = Manifest::read(&index.path).filter(|m| m.stamp == stamp) {
        tracing::debug!(elapsed = ?started.elapsed(), "nothing changed since the last ingest");
        return Ok(m.summary());
    }
    let mut progress = progress;
    let summary = IngestSummary {
        rebuilt,
        ..stream::ingest(
            store,
            index,
            &files,
            catalogue,
            &mut progress,
            stream::AT_A_TIME,
            &index.path,
        )?
    };
    tracing::debug!(elapsed = ?started.elapsed(), "store and index in line");
    // The stamp again: the store grew if this ingest added items.
    let manifest = Manifest {
        stamp: manifest_stamp(&files, catalogue, store),
        summary,
    };
    if let Err(e) = manifest.write(&index.path) {
        tracing::warn!(error = %e, "could not write the ingest manifest; the next ingest reads everything again");
    }
    Ok(manifest.summary)
}

/// Rewrite the repair facets of every incident whose statuses in the store no longer match
/// the index (after `ikb restore` replaced the store); the next ingest reads everything.
pub fn refresh_repair_facets(
    store: &dyn TrackingStore,
    index: &SearchIndex,
) -> Result<SyncReport, IngestError> {
    let incidents = index.all()?;
    let set = store.set_on_items()?;
    let today = tracking::today();
    let report = index.sync(&incidents, &|i| {
        tracking::repair_facets(i, &|id| set.get(id).copied().unwrap_or_default(), today)
    })?;
    match std::fs::remove_file(index.path.join(MANIFEST_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(IndexError::Io {
            path: index.path.display().to_string(),
            source: e,
        }
        .into()),
        _ => Ok(report),
    }
}

/// Check the index's files against their checksums; when one is damaged, make the next sync
/// rewrite every document (the index is derived data: nothing is lost). Returns whether it was.
pub fn repair_if_damaged(index: &SearchIndex) -> Result<bool, IndexError> {
    let damaged = index.damaged_files()?;
    if damaged.is_empty() {
        return Ok(false);
    }
    tracing::warn!(
        index = %index.path.display(),
        files = ?damaged,
        "the search index is damaged; rebuilding it from the corpus"
    );
    index.forget_sync()?;
    Ok(true)
}

/// What an unchanged corpus looks like: the files (path, size, modification time), the
/// catalogues, the schema, this month (due months pass) and the size of the tracking store.
fn manifest_stamp(
    files: &[ReportFile],
    catalogue: &Catalogue,
    store: &dyn TrackingStore,
) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(format!(
        "{}|{}|{}|{}|{}|{}\n",
        env!("CARGO_PKG_VERSION"),
        crate::index::SCHEMA_VERSION,
        catalogue.fingerprint,
        crate::catalog::builtin::readers_fingerprint(),
        tracking::today().strftime("%Y-%m"),
        store.len()
    ));
    for f in files {
        let meta = std::fs::metadata(&f.path).ok();
        let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
        let modified = meta
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(format!(
            "{}|{}|{len}|{modified}\n",
            f.path.display(),
            f.name
        ));
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The last ingest's stamp and summary, kept beside the index (derived data: a rebuilt index
/// has none, so the next ingest reads everything).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Manifest {
    stamp: String,
    summary: IngestSummary,
}

impl Manifest {
    fn read(dir: &Path) -> Option<Manifest> {
        crate::index::read_sidecar(&dir.join(MANIFEST_FILE))
    }

    fn write(&self, dir: &Path) -> std::io::Result<()> {
        crate::index::write_sidecar(&dir.join(MANIFEST_FILE), self)
    }

    /// The summary of an ingest that found nothing to do.
    fn summary(self) -> IngestSummary {
        IngestSummary {
            index: SyncReport {
                unchanged: self.summary.incidents,
                ..SyncReport::default()
            },
            store: SyncStats::default(),
            carried: 0,
            rebuilt: false,
            ..self.summary
        }
    }
}
