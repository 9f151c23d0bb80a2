//! The search index (tantivy): one document per incident, built from incidents and the repair
//! statuses people set; never a source of truth for tracking state.

mod alias;
mod doc_bits;
pub mod facet_count;
mod match_set;
pub mod schema;
pub mod search;
mod stem;
pub mod write;

use std::path::{Path, PathBuf};

use tantivy::{Index, IndexReader, ReloadPolicy};

pub use schema::{FACETS, Fields, SCHEMA_VERSION};

const VERSION_FILE: &str = "ikb-schema-version";

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

/// The schema version the index at `path` was built with, if it says.
fn schema_version(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path.join(VERSION_FILE)).ok()?;
    text.trim().parse().ok()
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
    /// Per live segment, each document's facet values: what facet counts are read from.
    facet_indexes: facet_count::FacetIndexes,
}

fn tantivy_err(path: &Path) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |source| match source {
        tantivy::TantivyError::LockFailure(..) => IndexError::Locked(path.display().to_string()),
        source => IndexError::Tantivy {
            path: path.display().to_string(),
            source,
        },
    }
}

impl SearchIndex {
    /// Open the index at `path`, creating it, or recreating it empty when its schema version is
    /// not this build's. Returns whether it was (re)created, so the caller knows to fill it.
    pub fn open_or_create(path: &Path) -> Result<(SearchIndex, bool), IndexError> {
        let io = |source| IndexError::Io {
            path: path.display().to_string(),
            source,
        };
        let version_path = path.join(VERSION_FILE);
        let fresh =
            schema_version(path) != Some(SCHEMA_VERSION) || !path.join("meta.json").exists();
        if fresh && path.exists() {
            std::fs::remove_dir_all(path).map_err(io)?;
        }
        std::fs::create_dir_all(path).map_err(io)?;
        let index = if fresh {
            let index = Index::builder()
                .schema(schema::build().0)
                .settings(tantivy::IndexSettings {
                    docstore_blocksize: schema::DOCSTORE_BLOCK_BYTES,
                    ..Default::default()
                })
                .create_in_dir(path)
                .map_err(tantivy_err(path))?;
            std::fs::write(&version_path, SCHEMA_VERSION.to_string()).map_err(io)?;
            index
        } else {
            Index::open_in_dir(path).map_err(tantivy_err(path))?
        };
        Ok((Self::with_reader(path, index)?, fresh))
    }

    /// Open an existing index for reading. An index of another schema version is left as it is
    /// (a server of that version may be using it) and reported.
    pub fn open(path: &Path) -> Result<SearchIndex, IndexError> {
        if !path.join("meta.json").exists() {
            return Err(IndexError::Missing(path.display().to_string()));
        }
        if schema_version(path) != Some(SCHEMA_VERSION) {
            return Err(IndexError::OtherVersion(path.display().to_string()));
        }
        let index = Index::open_in_dir(path).map_err(tantivy_err(path))?;
        Self::with_reader(path, index)
    }

    /// An opened tantivy index with our analyzers and a reader.
    fn with_reader(path: &Path, index: Index) -> Result<SearchIndex, IndexError> {
        schema::register_analyzers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err(path))?;
        Ok(SearchIndex {
            index,
            reader,
            fields: schema::build().1,
            path: path.to_path_buf(),
            facet_indexes: Default::default(),
        })
    }

    /// See the latest commit.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(tantivy_err(&self.path))
    }
}
