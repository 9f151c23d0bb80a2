//! Shared helpers for the integration tests: the bundled corpus, the shared corpus, a server.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use incident_kb::catalog::Catalogue;
use incident_kb::ingest::corpus::{self, CorpusRead};

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
        std::fs::write(corpus.join(name), text).unwrap();
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
