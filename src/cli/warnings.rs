//! `ikb warnings`: what the readers could not read well, report by report, worst first.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use incident_kb::ingest::DataDir;
use incident_kb::web::json;

use super::open_index;

#[derive(Debug, Args)]
pub struct WarningsArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run_warnings(data: &DataDir, args: &WarningsArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let incidents = index.all()?;
    let list = json::warnings_json(&incidents);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &list {
        writeln!(out, "{} ({}, {})", r.title, r.source, r.url)?;
        for p in &r.problems {
            writeln!(out, "  - {p}")?;
        }
    }
    writeln!(
        out,
        "{} of {} incidents have something to look at",
        list.len(),
        incidents.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
