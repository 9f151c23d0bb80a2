//! `ikb ingest`: read report files into the index and the tracking store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use incident_kb::ingest::{self, DataDir};

use super::{Cli, catalogue, corpus_or_default};

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// A folder (or file) of reports; repeat for several. Default: corpus/.
    #[arg(long = "corpus", value_name = "DIR")]
    pub corpus: Vec<PathBuf>,
}

pub fn run_ingest(cli: &Cli, data: &DataDir, args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let catalogue = catalogue(cli)?;
    let roots = corpus_or_default(&args.corpus);
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading reports {bar:30} {pos}/{len} {wide_msg}",
        )
        .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let summary = ingest::ingest(data, &roots, &catalogue, |n, total, path| {
        bar.set_length(total as u64);
        bar.set_position(n as u64 + 1);
        bar.set_message(
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    })?;
    bar.finish_and_clear();
    for f in &summary.failures {
        eprintln!("skipped {f}");
    }
    println!(
        "{} files, {} reviews, {} incidents, {} sections, {} repair items, {} warnings, {} files skipped",
        summary.files,
        summary.reviews,
        summary.incidents,
        summary.sections,
        summary.repair_items,
        summary.warnings,
        summary.failures.len()
    );
    println!(
        "index: {} added, {} replaced, {} removed, {} unchanged{}; tracking: {} new items, {} updated, {} retired ({:.2} s)",
        summary.index.added,
        summary.index.replaced,
        summary.index.removed,
        summary.index.unchanged,
        if summary.rebuilt { " (rebuilt)" } else { "" },
        summary.store.added,
        summary.store.updated,
        summary.store.retired,
        started.elapsed().as_secs_f64()
    );
    if summary.index.moved > 0 {
        println!(
            "{} incidents have a new id (their reports read better now): their old addresses lead to the new ones, and {} repair items took what people had set on them",
            summary.index.moved, summary.carried
        );
    }
    if summary.warnings > 0 {
        println!("`ikb warnings` (or /warnings) lists each report's warnings and missing facts");
    }
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
