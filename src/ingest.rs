//! Ingest: read the corpus, then bring the tracking store and the search index in line with it.
//! The store is written first (it keeps what people set); the index is derived and can always
//! be rebuilt from the corpus and the store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::corpus::{self, Failure};
use crate::facet::Catalogue;
use crate::incident::Incident;
use crate::index::write::{RepairFacets, SyncReport};
use crate::index::{IndexError, SearchIndex};
use crate::store::{RepairRecord, Store, StoreError, SyncStats};

/// Where the data lives under the `--index` folder.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }
    /// The search index: derived data, rebuilt whenever needed.
    pub fn search(&self) -> PathBuf {
        self.root.join("search")
    }
    /// The tracking store: what people set. Never deleted by a rebuild.
    pub fn tracking(&self) -> PathBuf {
        self.root.join("tracking")
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
#[derive(Debug, Default)]
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
    pub rebuilt: bool,
}

/// Today, in UTC: the day against which due months are judged.
pub fn today() -> jiff::civil::Date {
    Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The repair facets of an incident, from the statuses that count in the store.
pub fn repair_facets(
    incident: &Incident,
    records: &HashMap<String, RepairRecord>,
    today: jiff::civil::Date,
) -> RepairFacets {
    let statuses: Vec<_> = incident
        .current()
        .repair_items
        .iter()
        .filter_map(|i| records.get(&i.id))
        .map(|r| (r.status(), r.overdue(today)))
        .collect();
    RepairFacets::from_items(&statuses)
}

/// Records by id.
pub fn records_by_id(store: &Store) -> Result<HashMap<String, RepairRecord>, StoreError> {
    Ok(store
        .all()?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect())
}

/// Bring store and index in line with already-read incidents.
pub fn apply(
    store: &Store,
    index: &SearchIndex,
    incidents: &[Incident],
) -> Result<(SyncStats, SyncReport), IngestError> {
    let stats = store.sync_reported(incidents, Timestamp::now())?;
    let records = records_by_id(store)?;
    let today = today();
    let report = index.sync(incidents, &|i| repair_facets(i, &records, today))?;
    Ok((stats, report))
}

/// Read the corpus under `roots` and ingest it into the data folder.
pub fn ingest(
    data: &DataDir,
    roots: &[PathBuf],
    catalogue: &Catalogue,
    progress: impl FnMut(usize, usize, &Path),
) -> Result<IngestSummary, IngestError> {
    let store = Store::open(&data.tracking())?;
    let (index, rebuilt) = SearchIndex::open_or_create(&data.search())?;
    ingest_into(&store, &index, rebuilt, roots, catalogue, progress)
}

/// Ingest with an open store and index (what the server does on start and on request).
pub fn ingest_into(
    store: &Store,
    index: &SearchIndex,
    rebuilt: bool,
    roots: &[PathBuf],
    catalogue: &Catalogue,
    progress: impl FnMut(usize, usize, &Path),
) -> Result<IngestSummary, IngestError> {
    let read = corpus::read(roots, catalogue, progress).map_err(IngestError::Corpus)?;
    let (store_stats, index_report) = apply(store, index, &read.incidents)?;
    let current = || read.incidents.iter().map(Incident::current);
    Ok(IngestSummary {
        files: read.files,
        reviews: read.reviews,
        incidents: read.incidents.len(),
        sections: current().map(|r| r.sections.len()).sum(),
        repair_items: current().map(|r| r.repair_items.len()).sum(),
        warnings: read
            .incidents
            .iter()
            .flat_map(|i| &i.reviews)
            .map(|r| r.warnings.len())
            .sum(),
        failures: read.failures,
        index: index_report,
        store: store_stats,
        rebuilt,
    })
}
