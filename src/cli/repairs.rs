//! `ikb repairs` lists repair items with the web's filters; `ikb repair` changes one as the
//! web form does.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use incident_kb::index::SearchIndex;
use incident_kb::ingest::DataDir;
use incident_kb::tracking;
use incident_kb::tracking::list::RepairFilter;
use incident_kb::web::json;

use super::{Cli, catalogue, flag_error, named};

#[derive(Debug, Args)]
pub struct RepairsArgs {
    #[arg(long)]
    pub json: bool,
    /// open, in_progress, overdue, completed or wont_do (repeat for any of several).
    #[arg(long)]
    pub status: Vec<String>,
    /// Only items of incidents affecting this service (aliases as in search).
    #[arg(long)]
    pub service: Vec<String>,
    #[arg(long)]
    pub region: Vec<String>,
    /// Only the items of this incident.
    #[arg(long)]
    pub incident: Option<String>,
    /// Only items due in this month (2024-09).
    #[arg(long)]
    pub due: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Repair item id (as in /repairs/ID).
    pub id: String,
    /// open, in_progress, completed or wont_do.
    #[arg(long)]
    pub status: Option<String>,
    /// Who owns it (a person or team); "" clears it.
    #[arg(long)]
    pub owner: Option<String>,
    /// A note; "" clears it.
    #[arg(long)]
    pub note: Option<String>,
    /// A ticket link (http:// or https://); "" clears it.
    #[arg(long)]
    pub link: Option<String>,
    /// Only if the item is still at this version (as `ikb repairs --json` shows it).
    #[arg(long)]
    pub version: Option<u64>,
    /// The name recorded in the history. Default: cli:$USER.
    #[arg(long = "as", value_name = "NAME")]
    pub who: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run_repairs(cli: &Cli, data: &DataDir, args: &RepairsArgs) -> anyhow::Result<ExitCode> {
    let store = tracking::open(&data.tracking()).context("opening the tracking store")?;
    let catalogue = catalogue(cli)?;
    let mut params = Vec::new();
    for (name, values) in [
        ("status", &args.status),
        ("service", &args.service),
        ("region", &args.region),
    ] {
        params.extend(named(name, values.iter().cloned()));
    }
    params.extend(named("incident", args.incident.clone()));
    params.extend(named("due", args.due.clone()));
    let filter = RepairFilter::parse(&params, &catalogue).map_err(flag_error)?;
    let today = tracking::today();
    let items = store.list(&filter, today)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json: Vec<_> = items.iter().map(|r| json::repair_json(r, today)).collect();
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &items {
        let due: Vec<String> = r.due.iter().map(ToString::to_string).collect();
        let late = if r.overdue(today) { " OVERDUE" } else { "" };
        writeln!(
            out,
            "{:<12}{late:<8} {:<8} {}  [{}]",
            r.status().as_str(),
            due.join(","),
            r.text,
            r.id
        )?;
    }
    writeln!(out, "{} repair items", items.len())?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_repair(data: &DataDir, args: &RepairArgs) -> anyhow::Result<ExitCode> {
    let change = incident_kb::tracking::Change::validate(
        args.status.as_deref(),
        args.owner.as_deref(),
        args.note.as_deref(),
        args.link.as_deref(),
    )
    .map_err(|errors| anyhow::anyhow!("the change was not made:\n  {}", errors.join("\n  ")))?;
    if change == incident_kb::tracking::Change::default() {
        bail!("say what to change: --status, --owner, --note or --link");
    }
    let store = tracking::open(&data.tracking()).context("opening the tracking store")?;
    let who = args.who.clone().unwrap_or_else(|| {
        format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    });
    let record =
        incident_kb::tracking::apply(store.as_ref(), &args.id, &change, &who, args.version)?;
    // The change is stored; the index follows (when it cannot, the mark left in the store
    // has the next server start or re-ingest do it).
    match SearchIndex::open(&data.search()) {
        Ok(index) => {
            incident_kb::tracking::refresh_facets(store.as_ref(), &index, [&record.incident_id])?
        }
        Err(e) => eprintln!(
            "note: the search index was not updated ({e}); the next `ikb serve` or `ikb ingest` brings it in line"
        ),
    }
    let today = tracking::today();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json::repair_json(&record, today))?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}: {} (version {}, {} events in its history)",
            record.id,
            record.status().label(),
            record.version,
            record.history.len()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
