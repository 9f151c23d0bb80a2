//! `ikb repairs` lists repair items with the web's filters; `ikb repair` changes one as the
//! web form does; `ikb digest` prints the follow-up digest.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use incident_kb::index::SearchIndex;
use incident_kb::ingest::DataDir;
use incident_kb::tracking;
use incident_kb::tracking::list::RepairFilter;
use incident_kb::web::json;

use super::remote::Records;
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
    /// Only items due by a day on or after this one (2024-09-01, or a month).
    #[arg(long = "due-from", value_name = "DAY")]
    pub due_from: Option<String>,
    /// Only items due by a day on or before this one (2024-09-30, or a month).
    #[arg(long = "due-to", value_name = "DAY")]
    pub due_to: Option<String>,
    /// Only items assigned to this user (`none`: unassigned; repeat for any of several).
    #[arg(long)]
    pub assignee: Vec<String>,
    /// Only items of this owner team (repeat for any of several).
    #[arg(long)]
    pub owner: Vec<String>,
    /// follow-up (overdue first, the default), due, age, service or incident.
    #[arg(long)]
    pub sort: Option<String>,
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
    /// A note to add to the item's thread.
    #[arg(long)]
    pub note: Option<String>,
    /// A ticket link (http:// or https://); "" clears it.
    #[arg(long)]
    pub link: Option<String>,
    /// Assign it to this person (a user of the server); "" unassigns it.
    #[arg(long)]
    pub assignee: Option<String>,
    /// The day it is due by (2024-09-30); "" clears it.
    #[arg(long = "due-date", value_name = "DAY")]
    pub due_date: Option<String>,
    /// Why it won't be done (required with --status wont_do).
    #[arg(long)]
    pub reason: Option<String>,
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
    let catalogue = catalogue(cli)?;
    let mut params = Vec::new();
    for (name, values) in [
        ("status", &args.status),
        ("service", &args.service),
        ("region", &args.region),
        ("assignee", &args.assignee),
        ("owner", &args.owner),
    ] {
        params.extend(named(name, values.iter().cloned()));
    }
    for (name, value) in [
        ("incident", &args.incident),
        ("due", &args.due),
        ("due_from", &args.due_from),
        ("due_to", &args.due_to),
        ("sort", &args.sort),
    ] {
        params.extend(named(name, value.clone()));
    }
    let filter = RepairFilter::parse(&params, &catalogue, None).map_err(flag_error)?;
    let today = tracking::today();
    // From the store, or from the server that holds it (the same filters, read there).
    let items = match Records::open(cli, data)? {
        Records::Store(store) => store.list(&filter, today)?,
        Records::Server(remote) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &params {
                query.append_pair(name, value);
            }
            remote.records(&query.finish())?
        }
    };
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
    let input = incident_kb::tracking::ChangeInput {
        status: args.status.as_deref(),
        owner: args.owner.as_deref(),
        note: args.note.as_deref(),
        link: args.link.as_deref(),
        assignee: args.assignee.as_deref(),
        due_date: args.due_date.as_deref(),
        reason: args.reason.as_deref(),
    };
    // The command line is the machine's operator: any name may be assigned.
    let change = incident_kb::tracking::Change::validate(&input, &|_| true)
        .map_err(|errors| anyhow::anyhow!("the change was not made:\n  {}", errors.join("\n  ")))?;
    if change == incident_kb::tracking::Change::default() {
        bail!(
            "say what to change: --status, --owner, --note, --link, --assignee, --due-date or --reason"
        );
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

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The window: items that became overdue or changed in it (7d, 2w, 24h).
    #[arg(long, default_value = "7d")]
    pub since: String,
    /// markdown (for chat), text or json.
    #[arg(long, default_value = "text")]
    pub format: String,
    /// The server's public address, for the links.
    #[arg(long, env = "IKB_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
    pub base_url: String,
}

pub fn run_digest(cli: &Cli, data: &DataDir, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let window = incident_kb::tracking::digest::parse_window(&args.since).ok_or_else(|| {
        anyhow::anyhow!("--since must be like 7d, 2w or 24h, not `{}`", args.since)
    })?;
    if !matches!(args.format.as_str(), "markdown" | "text" | "json") {
        bail!(
            "--format must be markdown, text or json, not `{}`",
            args.format
        );
    }
    let records = match Records::open(cli, data)? {
        Records::Store(store) => store.all()?,
        Records::Server(remote) => remote.records("")?,
    };
    let now = jiff::Timestamp::now();
    let since = now
        .checked_sub(window)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let digest = incident_kb::tracking::digest::digest(&records, since, now);
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut out, &digest)?;
            writeln!(out)?;
        }
        "markdown" => write!(
            out,
            "{}",
            incident_kb::web::digest::markdown(&digest, &args.base_url)
        )?,
        _ => write!(
            out,
            "{}",
            incident_kb::web::digest::text(&digest, &args.base_url)
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
