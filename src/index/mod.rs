//! The search index (tantivy): one document per incident, built from incidents and the repair
//! statuses people set; never a source of truth for tracking state.

mod alias;
mod doc_bits;
pub mod facet_count;
pub mod figures;
mod match_set;
mod merge;
mod moved;
pub mod query;
pub mod related;
pub mod request;
pub mod schema;
pub mod search;
mod spelling;
mod stem;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::{Index, IndexReader, ReloadPolicy};

use crate::catalog::{Catalogue, Vocabulary};

pub use related::{Reason, Related, RelatedQuery};
pub use request::{Facet, SearchRequest};
pub use schema::{Fields, SCHEMA_VERSION};

const VERSION_FILE: &str = "ikb-schema-version";
/// The analyzer vocabulary the index was built with (JSON), read back at every open.
const VOCABULARY_FILE: &str = "ikb-vocabulary.json";
/// The last ingest's stamp and summary, kept beside the index by ingest.
pub(crate) const MANIFEST_FILE: &str = "ikb-manifest.json";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    #[error("search index at {path}: {source}")]
    Tantivy {
        path: String,
        source: tantivy::TantivyError,
    },
    #[error("search index at {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("no search index at {0}; run `ikb ingest` first")]
    Missing(String),
    #[error(
        "the search index at {0} was built by another version of ikb; run `ikb ingest` to rebuild it"
    )]
    OtherVersion(String),
    #[error(
        "the search index at {0} is in use by another writer (is `ikb serve` running?); stop it, or let the server re-ingest"
    )]
    Locked(String),
    #[error("no incident with id `{0}`")]
    NotFound(String),
}

/// What an index is built as: the schema version and the section weights it was written
/// with (`catalog/sections.toml`); an index of another identity is rebuilt, never reused.
fn identity() -> String {
    format!(
        "{SCHEMA_VERSION} {}",
        crate::catalog::builtin::index_fingerprint()
    )
}

/// The identity the index at `path` was built as, if it says.
fn built_as(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path.join(VERSION_FILE)).ok()?;
    Some(text.trim().to_string())
}

/// A JSON file kept beside the index (derived data): its value, or `None` when it is missing or
/// unreadable, which callers treat as "work it out again".
pub(crate) fn read_sidecar<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Write a sidecar file whole or not at all: a temporary file beside it, then a rename.
pub(crate) fn write_sidecar<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec(value).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(tmp, path)
}

/// An open search index.
pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub path: PathBuf,
    /// Where the index goes when it is finished (`path` while it is built beside it).
    final_path: PathBuf,
    /// Per live segment, each document's facet values: what facet counts are read from.
    /// What its text was analyzed with; queries are analyzed the same way.
    pub vocabulary: Arc<Vocabulary>,
    /// Shared with the reader as its warmer when the index serves (see
    /// [`SearchIndex::open_serving`]).
    facet_indexes: Arc<facet_count::FacetIndexes>,
}

fn tantivy_err(path: &Path) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    use tantivy::directory::error::LockError;
    move |source| match source {
        tantivy::TantivyError::LockFailure(LockError::IoError(e), _) => IndexError::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(
                e.kind(),
                format!("cannot take its lock file ({e}); is the folder read-only?"),
            ),
        },
        tantivy::TantivyError::LockFailure(..) => IndexError::Locked(path.display().to_string()),
        source => IndexError::Tantivy {
            path: path.display().to_string(),
            source,
        },
    }
}

/// Where a new index is built before it replaces the one at `path`.
fn staging_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".building");
    path.with_file_name(name)
}

impl SearchIndex {
    /// Open the index at `path`, or start a new one when there is none, it is of another schema
    /// version, or it cannot be read (it is derived data: rebuilding loses nothing). A new index
    /// is built in a folder beside `path`, and replaces the old one only when the caller calls
    /// [`SearchIndex::finish`] after filling it, so an index another process still reads is
    /// never deleted, and a build killed midway leaves the old one in place. Returns whether
    /// the index is new. Callers hold the tracking store (its lock) before they call this.
    pub fn open_or_create(
        path: &Path,
        catalogue: &Catalogue,
    ) -> Result<(SearchIndex, bool), IndexError> {
        Self::or_create(Self::open(path), path, catalogue)
    }

    /// What [`SearchIndex::open_or_create`] does with the outcome of [`SearchIndex::open`]
    /// (for a caller that opened it beside something else).
    /// An index built with another vocabulary than the catalogue's is rebuilt too.
    pub fn or_create(
        opened: Result<SearchIndex, IndexError>,
        path: &Path,
        catalogue: &Catalogue,
    ) -> Result<(SearchIndex, bool), IndexError> {
        match opened {
            Ok(index) if *index.vocabulary == *catalogue.vocabulary() => return Ok((index, false)),
            Ok(index) => {
                tracing::warn!(
                    index = %index.vocabulary.fingerprint(),
                    catalogue = %catalogue.vocabulary().fingerprint(),
                    "the catalogue's search vocabulary changed: the search index will be rebuilt from the corpus"
                );
            }
            Err(e @ IndexError::Locked(_)) => return Err(e),
            Err(IndexError::Missing(_)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the search index will be rebuilt from the corpus")
            }
        }
        Ok((Self::create_staged(path, catalogue.vocabulary())?, true))
    }

    /// A new, empty index in the staging folder of `path`.
    fn create_staged(path: &Path, vocabulary: &Vocabulary) -> Result<SearchIndex, IndexError> {
        let staging = staging_path(path);
        let io = |source| IndexError::Io {
            path: staging.display().to_string(),
            source,
        };
        // A build that was killed left it; whoever holds the store is the only builder.
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io)?;
        }
        std::fs::create_dir_all(&staging).map_err(io)?;
        let index = Index::builder()
            .schema(schema::build().0)
            .settings(tantivy::IndexSettings {
                docstore_blocksize: schema::DOCSTORE_BLOCK_BYTES,
                ..Default::default()
            })
            .create_in_dir(&staging)
            .map_err(tantivy_err(&staging))?;
        std::fs::write(staging.join(VERSION_FILE), identity()).map_err(io)?;
        write_sidecar(&staging.join(VOCABULARY_FILE), vocabulary).map_err(io)?;
        let mut index = Self::with_reader(&staging, index, Arc::new(vocabulary.clone()), false)?;
        index.final_path = path.to_path_buf();
        Ok(index)
    }

    /// Put a newly built index in place of the old one (renames only: the old folder is moved
    /// aside, the new one moved in, then the old one removed) and open it there, `serving` or
    /// not (see [`SearchIndex::open_serving`]: a command that exits does not need the warmer).
    /// An index that was opened in place is returned as it is.
    pub fn finish(self, serving: bool) -> Result<SearchIndex, IndexError> {
        if self.path == self.final_path {
            return Ok(self);
        }
        let (staging, path) = (self.path.clone(), self.final_path.clone());
        drop(self);
        let io = |p: &Path| {
            let p = p.display().to_string();
            move |source| IndexError::Io { path: p, source }
        };
        let mut old = path.as_os_str().to_owned();
        old.push(format!(".old-{}", std::process::id()));
        let old = PathBuf::from(old);
        if path.exists() {
            std::fs::rename(&path, &old).map_err(io(&path))?;
        }
        std::fs::rename(&staging, &path).map_err(io(&staging))?;
        if old.exists()
            && let Err(e) = std::fs::remove_dir_all(&old)
        {
            tracing::warn!(folder = %old.display(), error = %e, "could not remove the replaced search index");
        }
        Self::open_as(&path, serving)
    }

    /// Whether every file of the index matches its checksum (tantivy keeps one per file).
    /// Reads the whole index: ingest runs it every time, the server once at start.
    pub fn damaged_files(&self) -> Result<Vec<PathBuf>, IndexError> {
        let mut files: Vec<PathBuf> = self
            .index
            .validate_checksum()
            .map_err(tantivy_err(&self.path))?
            .into_iter()
            .collect();
        files.sort();
        Ok(files)
    }

    /// A writer, with the files a killed commit left behind removed first: such a file (a
    /// `.del` of the next opstamp) would make the next commit fail with `FileAlreadyExists`.
    pub(crate) fn writer(
        &self,
        threads: usize,
        memory: usize,
    ) -> Result<tantivy::IndexWriter<tantivy::TantivyDocument>, IndexError> {
        let writer = self
            .index
            .writer_with_num_threads(threads, memory)
            .map_err(tantivy_err(&self.path))?;
        writer.set_merge_policy(Box::new(merge::CappedMerges::new(
            &self.path,
            merge::MAX_MERGE_BYTES,
        )));
        writer
            .garbage_collect_files()
            .wait()
            .map_err(tantivy_err(&self.path))?;
        Ok(writer)
    }

    /// Open an existing index for reading. An index of another schema version is left as it is
    /// (a server of that version may be using it) and reported.
    pub fn open(path: &Path) -> Result<SearchIndex, IndexError> {
        Self::open_as(path, false)
    }

    /// Open an existing index for serving: its reader has the facet indexes as tantivy's
    /// warmer, so they are built now (before the first search) and for every commit's new
    /// segments before searches see them. A command that exits after one search does not need
    /// this; it builds them at its first search.
    pub fn open_serving(path: &Path) -> Result<SearchIndex, IndexError> {
        Self::open_as(path, true)
    }

    fn open_as(path: &Path, serving: bool) -> Result<SearchIndex, IndexError> {
        if !path.join("meta.json").exists() {
            return Err(IndexError::Missing(path.display().to_string()));
        }
        if built_as(path) != Some(identity()) {
            return Err(IndexError::OtherVersion(path.display().to_string()));
        }
        // An index without its vocabulary was built by an older ikb.
        let vocabulary: Vocabulary = read_sidecar(&path.join(VOCABULARY_FILE))
            .ok_or_else(|| IndexError::OtherVersion(path.display().to_string()))?;
        let index = Index::open_in_dir(path).map_err(tantivy_err(path))?;
        Self::with_reader(path, index, Arc::new(vocabulary), serving)
    }

    /// An opened tantivy index with our analyzers and a reader, with the facet indexes as its
    /// warmer when `serving`.
    fn with_reader(
        path: &Path,
        index: Index,
        vocabulary: Arc<Vocabulary>,
        serving: bool,
    ) -> Result<SearchIndex, IndexError> {
        schema::register_analyzers(&index, &vocabulary);
        let fields = schema::build().1;
        let facet_indexes = Arc::new(facet_count::FacetIndexes::new(fields.facets.to_vec()));
        let mut builder = index.reader_builder().reload_policy(ReloadPolicy::Manual);
        if serving {
            let warmer: Arc<dyn tantivy::Warmer> = facet_indexes.clone();
            builder = builder.warmers(vec![Arc::downgrade(&warmer)]);
        }
        let reader = builder.try_into().map_err(tantivy_err(path))?;
        Ok(SearchIndex {
            index,
            reader,
            vocabulary,
            fields,
            path: path.to_path_buf(),
            final_path: path.to_path_buf(),
            facet_indexes,
        })
    }

    /// See the latest commit.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(tantivy_err(&self.path))
    }
}
