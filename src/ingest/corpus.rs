//! Reading a corpus: walk report folders, read each file, and turn every readable report into
//! incidents. A file that cannot be read is named with its reason; the others still count.

use std::path::{Path, PathBuf};

use crate::assemble;
use crate::catalog::Catalogue;
use crate::incident::{Incident, Review};
use crate::report::{self, ReportError};

/// Extensions of report files; anything else in a corpus folder is left alone.
pub const REPORT_EXTENSIONS: [&str; 7] = ["txt", "md", "markdown", "text", "html", "htm", "xhtml"];

/// A report file that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// What reading a corpus gave.
#[derive(Debug, Default)]
pub struct CorpusRead {
    pub files: usize,
    pub reviews: usize,
    pub incidents: Vec<Incident>,
    pub failures: Vec<Failure>,
}

/// A report file, and the name reviews give as their source: its path under the corpus folder
/// it was found in ("azure/2024-07-19_1K80-N_8.txt"), never the machine's absolute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub path: PathBuf,
    pub name: String,
}

impl ReportFile {
    /// A file given on its own: named by its file name.
    pub fn alone(path: &Path) -> ReportFile {
        ReportFile {
            path: path.to_path_buf(),
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            ),
        }
    }

    fn under(root: &Path, path: &Path) -> ReportFile {
        let name = match path.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            _ => return ReportFile::alone(path),
        };
        ReportFile {
            path: path.to_path_buf(),
            name,
        }
    }
}

/// Report files under the folders (or the files themselves), sorted, without READMEs and
/// hidden files.
pub fn report_files(roots: &[PathBuf]) -> Result<Vec<ReportFile>, Failure> {
    let mut out = Vec::new();
    for root in roots {
        if !root.exists() {
            return Err(Failure {
                path: root.display().to_string(),
                reason: "no such file or folder".into(),
            });
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| Failure {
                path: root.display().to_string(),
                reason: e.to_string(),
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy();
            if !entry.file_type().is_file() || name.starts_with('.') {
                continue;
            }
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_ascii_uppercase())
                .unwrap_or_default();
            if matches!(
                stem.as_str(),
                "README" | "LICENSE" | "SOURCES" | "CONVENTIONS" | "CHANGELOG"
            ) {
                continue;
            }
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if REPORT_EXTENSIONS.contains(&ext.as_str()) {
                out.push(ReportFile::under(root, path));
            }
        }
    }
    Ok(out)
}

/// Read and parse one report file into reviews, named by its file name.
pub fn read_report(path: &Path, catalogue: &Catalogue) -> Result<Vec<Review>, ReportError> {
    read_named(&ReportFile::alone(path), catalogue)
}

/// Read and parse one report file into reviews, named as the file says.
pub fn read_named(file: &ReportFile, catalogue: &Catalogue) -> Result<Vec<Review>, ReportError> {
    let path = file.path.as_path();
    let bytes = std::fs::read(path).map_err(|e| ReportError::Unreadable(std::sync::Arc::new(e)))?;
    let drafts = report::parse_file(&file.name, path, &bytes)?;
    Ok(drafts
        .into_iter()
        .map(|d| assemble::enrich(d, catalogue))
        .collect())
}

/// Read every report under the roots; `progress(done, total, file)` is called once per file.
/// Files are parsed on all cores; the result does not depend on how they were split.
pub fn read(
    roots: &[PathBuf],
    catalogue: &Catalogue,
    progress: impl FnMut(usize, usize, &Path),
) -> Result<CorpusRead, Failure> {
    let files = report_files(roots)?;
    read_files(&files, catalogue, progress)
}

/// Parse the given report files (see `read`).
pub fn read_files(
    files: &[ReportFile],
    catalogue: &Catalogue,
    mut progress: impl FnMut(usize, usize, &Path),
) -> Result<CorpusRead, Failure> {
    let mut read = CorpusRead {
        files: files.len(),
        ..CorpusRead::default()
    };
    let mut reviews = Vec::new();
    let parsed = parse_files(files, catalogue, &mut |n, path| {
        progress(n, files.len(), path)
    });
    for (file, result) in files.iter().zip(parsed) {
        match result {
            Ok(r) => reviews.extend(r),
            Err(e) => read.failures.push(Failure::of(file, &e)),
        }
    }
    read.reviews = reviews.len();
    read.incidents = assemble::incidents(reviews);
    Ok(read)
}

impl Failure {
    /// A file that could not be read, and why.
    pub fn of(file: &ReportFile, e: &ReportError) -> Failure {
        Failure {
            path: file.path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// Parse report files on every core (up to eight), in their order; `done(n, path)` is told
/// of each as it is done (`n` counts from 0 in the order they finish).
pub fn parse_files(
    files: &[ReportFile],
    catalogue: &Catalogue,
    done: &mut dyn FnMut(usize, &Path),
) -> Vec<Result<Vec<Review>, ReportError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = files.len().div_ceil(threads).max(1);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<usize>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let tx = done_tx.clone();
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, path)| {
                            let r = read_named(path, catalogue);
                            let _ = tx.send(c * chunk + i);
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        drop(done_tx);
        for (n, i) in done_rx.iter().enumerate() {
            done(n, &files[i].path);
        }
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a parser thread panicked"))
            .collect()
    })
}
