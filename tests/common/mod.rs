//! Shared helpers for the integration tests: the bundled corpus, the shared corpus, a server.
#![allow(dead_code)]

pub mod postgres;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use incident_kb::catalog::Catalogue;
use incident_kb::index::{SearchIndex, SearchRequest};
use incident_kb::ingest::corpus::{self, CorpusRead};
use incident_kb::ingest::{self, DataDir, IngestSummary};

/// The bundled sample corpus (the seeds).
pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// `../shared/corpus`, or `IKB_SHARED_CORPUS`. Missing is a failure, not a skip: CI has it.
pub fn shared_corpus() -> PathBuf {
    let dir = std::env::var_os("IKB_SHARED_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        dir.is_dir(),
        "the shared corpus is missing at {} (set IKB_SHARED_CORPUS)",
        dir.display()
    );
    dir
}

/// A test corpus at `dir/corpus`: the seeds plus `extra` reports (file name, text). The one
/// place tests copy the seeds.
pub fn test_corpus(dir: &Path, extra: &[(&str, &str)]) -> PathBuf {
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for entry in std::fs::read_dir(seeds_dir()).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, corpus.join(p.file_name().unwrap())).unwrap();
    }
    for (name, text) in extra {
        let path = corpus.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    corpus
}

/// A report under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_seeds() -> CorpusRead {
    corpus::read(&[seeds_dir()], &Catalogue::bundled(), |_, _, _| {}).expect("seeds read")
}

/// Run the real `ikb` binary on the data folder `index`.
pub fn ikb(index: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ikb"))
        .arg("--index")
        .arg(index)
        .args(args)
        .env_remove("IKB_INDEX")
        .env("RUST_LOG", "warn")
        .output()
        .expect("ikb runs")
}

/// A data folder and a copy of the seeds, for tests that ingest.
pub struct Env {
    /// The temporary folder holding both (removed when the test ends).
    pub dir: tempfile::TempDir,
    pub corpus: PathBuf,
    pub data: DataDir,
}

/// A fresh data folder beside a copy of the seeds.
pub fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = test_corpus(tmp.path(), &[]);
    let data = DataDir::new(tmp.path().join("index"));
    Env {
        corpus,
        data,
        dir: tmp,
    }
}

/// Ingest the corpus into the data folder.
pub fn run(e: &Env) -> IngestSummary {
    ingest::ingest(
        &e.data,
        std::slice::from_ref(&e.corpus),
        &Catalogue::bundled(),
        |_, _, _| {},
    )
    .unwrap()
}

/// The ids of the first five hits of a plain query.
pub fn search(e: &Env, q: &str) -> Vec<String> {
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let r = index
        .search(&SearchRequest {
            query: q.into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    r.hits.into_iter().map(|h| h.incident.id).collect()
}
