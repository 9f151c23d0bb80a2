//! `ikb insights`: the figures of `/insights` for the incidents the filters select: incidents
//! per quarter by cause, time to mitigate by service, the repair burn-down, overdue items by age.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use incident_kb::incident::format_minutes;
use incident_kb::index::SearchRequest;
use incident_kb::ingest::DataDir;

use super::{Cli, catalogue, flag_error, named, open_index};

#[derive(Debug, Args)]
pub struct InsightsArgs {
    /// Print JSON (what `/api/v1/insights` answers) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only incidents of this service (repeat for any of several).
    #[arg(long)]
    pub service: Vec<String>,
    #[arg(long)]
    pub region: Vec<String>,
    /// A cause id from the taxonomy, e.g. configuration-change.
    #[arg(long)]
    pub cause: Vec<String>,
    #[arg(long)]
    pub year: Vec<String>,
    /// azure, aws, gcp, github, wikimedia, or a front matter's provider.
    #[arg(long)]
    pub provider: Vec<String>,
}

pub fn run_insights(cli: &Cli, data: &DataDir, args: &InsightsArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let catalogue = catalogue(cli)?;
    let super::remote::Records::Store(store) = super::remote::Records::open(cli, data)? else {
        anyhow::bail!(
            "the tracking store is held by a running `ikb serve`: ask it, GET /api/v1/insights"
        );
    };
    let mut params = Vec::new();
    for (name, values) in [
        ("service", &args.service),
        ("region", &args.region),
        ("cause", &args.cause),
        ("year", &args.year),
        ("provider", &args.provider),
    ] {
        params.extend(named(name, values.iter().cloned()));
    }
    let (req, _) = SearchRequest::parse(&params, &catalogue, 1).map_err(flag_error)?;
    let facts = incident_kb::insight::repair_facts(&store.all()?);
    let figures = incident_kb::insight::insights(&index, &facts, &catalogue, &req)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &figures)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{} incidents, {} with an impact start",
        figures.incidents, figures.dated
    )?;
    writeln!(out, "\nIncidents per quarter by cause")?;
    for c in &figures.by_cause {
        let total: u64 = c.counts.iter().sum();
        let quarters: Vec<String> = figures
            .quarters
            .iter()
            .zip(&c.counts)
            .filter(|(_, n)| **n > 0)
            .map(|(q, n)| format!("{q}: {n}"))
            .collect();
        writeln!(out, "  {} ({total}): {}", c.label, quarters.join(", "))?;
    }
    writeln!(
        out,
        "\nTime to mitigate by service (median, middle half, reviews)"
    )?;
    let m = |v: f64| format_minutes(v.round() as i64);
    for s in &figures.mitigate_by_service {
        writeln!(
            out,
            "  {}: {} ({} – {}), {} of {} incidents",
            s.service,
            m(s.mitigate.median),
            m(s.mitigate.p25),
            m(s.mitigate.p75),
            s.mitigate.count,
            s.incidents
        )?;
    }
    if let Some(last) = figures.burn_down.last() {
        writeln!(
            out,
            "\nRepair items at the end of {}: {} open, {} closed",
            last.month, last.open, last.closed
        )?;
    }
    writeln!(out, "\nOverdue repair items by how long they are overdue")?;
    for b in &figures.overdue_by_age {
        writeln!(out, "  {}: {}", b.label, b.items)?;
    }
    Ok(ExitCode::SUCCESS)
}
