//! `ikb search`: incidents by symptom, with the web's filters as flags.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use incident_kb::incident::format_minutes;
use incident_kb::index::request::SearchRequest;
use incident_kb::ingest::DataDir;
use incident_kb::tracking;
use incident_kb::web::json;

use super::remote::Records;
use super::{Cli, catalogue, flag_error, named, open_index};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only incidents affecting this service (repeat for any of several).
    #[arg(long)]
    pub service: Vec<String>,
    #[arg(long)]
    pub region: Vec<String>,
    /// A cause id from the taxonomy, e.g. configuration-change, dns, capacity.
    #[arg(long)]
    pub cause: Vec<String>,
    /// Repair status: open, completed, none or overdue.
    #[arg(long)]
    pub status: Vec<String>,
    #[arg(long)]
    pub year: Vec<String>,
    /// Review stage: initial_statement, preliminary or final.
    #[arg(long)]
    pub stage: Vec<String>,
    /// Only incidents that started on or after this day (2024-07-13).
    #[arg(long)]
    pub from: Option<String>,
    /// Only incidents that started on or before this day.
    #[arg(long)]
    pub to: Option<String>,
    /// relevance, newest or oldest.
    #[arg(long, default_value = "relevance")]
    pub sort: String,
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// What to look for: symptoms, error codes, services ("429s after a config rollout").
    pub query: Vec<String>,
}

pub fn run_search(cli: &Cli, data: &DataDir, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let catalogue = catalogue(cli)?;
    // The flags are the web's parameters by another name: one parser reads both.
    let mut params: Vec<(String, String)> = named("q", [args.query.join(" ")]).collect();
    for (name, values) in [
        ("service", &args.service),
        ("region", &args.region),
        ("cause", &args.cause),
        ("status", &args.status),
        ("year", &args.year),
        ("stage", &args.stage),
    ] {
        params.extend(named(name, values.iter().cloned()));
    }
    params.extend(named("from", args.from.clone()));
    params.extend(named("to", args.to.clone()));
    params.extend(named("sort", [args.sort.clone()]));
    params.extend(named("limit", [args.limit.to_string()]));
    params.extend(named("offset", [args.offset.to_string()]));
    let (req, _) = SearchRequest::parse(&params, &catalogue, args.limit).map_err(flag_error)?;
    let query = req.query.clone();
    let results = index.search(&req)?;
    let records = Records::open(cli, data)?;
    let shown: Vec<&str> = results
        .hits
        .iter()
        .chain(&results.more)
        .map(|h| h.incident.id.as_str())
        .collect();
    let record = records.lookup(Some(&shown))?;
    let today = tracking::today();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &json::search_json(&query, &results, &record, today),
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(hint) = &results.hint {
        writeln!(out, "hint: {hint}")?;
    }
    if let Some(s) = &results.suggestion {
        writeln!(out, "Did you mean: {}", s.query)?;
    }
    if let Some(note) = results.partial_note() {
        writeln!(out, "note: {note}")?;
    }
    let blocks = [(None, &results.hits), (results.more_note(), &results.more)];
    for (heading, hits) in blocks {
        if let Some(h) = heading {
            writeln!(out, "\n{h}:")?;
        }
        write_hits(&mut out, hits, args.offset)?;
    }
    writeln!(
        out,
        "{} incidents ({:.1} ms)",
        results.total,
        results.took.as_secs_f64() * 1000.0
    )?;
    for (name, counts) in &results.facets {
        if counts.is_empty() {
            continue;
        }
        let top: Vec<String> = counts
            .iter()
            .take(6)
            .map(|c| format!("{} ({})", c.value, c.count))
            .collect();
        writeln!(out, "  {}: {}", name.name(), top.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_hits(
    out: &mut impl Write,
    hits: &[incident_kb::index::search::Hit],
    offset: usize,
) -> anyhow::Result<()> {
    for (n, hit) in hits.iter().enumerate() {
        let r = hit.incident.current();
        let when = r
            .impact_start
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "date unknown".into());
        let duration = r
            .impact_minutes()
            .map(|m| format!(" ({})", format_minutes(m)))
            .unwrap_or_default();
        writeln!(
            out,
            "{:>2}. {}  [{}]",
            offset + n + 1,
            r.title,
            hit.incident.id
        )?;
        writeln!(
            out,
            "    {when}{duration} · {} · {}",
            r.stage.label(),
            r.services
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            out,
            "    {}: {}",
            hit.section.label(),
            hit.snippet.marked_text().replace('\n', " ")
        )?;
        writeln!(
            out,
            "    /incidents/{}#{}",
            hit.incident.id,
            hit.section.anchor()
        )?;
    }
    Ok(())
}
