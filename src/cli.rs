//! Command-line arguments and the commands they run.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use incident_kb::facet::Catalogue;
use incident_kb::incident::{SectionKind, format_minutes};
use incident_kb::index::SearchIndex;
use incident_kb::index::request::{RequestError, SearchRequest};
use incident_kb::ingest::{self, DataDir};
use incident_kb::tracking::list::RepairFilter;
use incident_kb::tracking::{self, TrackingStore};
use incident_kb::view;

/// incident-kb: search past incidents by symptom, and track what every review promised to fix.
#[derive(Debug, Parser)]
#[command(name = "ikb", version, about, long_about = None)]
pub struct Cli {
    /// Folder of the search index and tracking store.
    #[arg(long, global = true, env = "IKB_INDEX", default_value = "index")]
    pub index: PathBuf,
    /// Folder with services.toml, regions.toml and causes.toml (the bundled ones otherwise).
    #[arg(long, global = true, env = "IKB_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Log more (-v: debug, -vv: trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read report files into the index and tracking store (only what changed is rewritten).
    Ingest(IngestArgs),
    /// Search incidents by symptom, with facet filters.
    Search(SearchArgs),
    /// Show one incident.
    Show(ShowArgs),
    /// Print every incident as JSON Lines.
    Export,
    /// List repair items across incidents.
    Repairs(RepairsArgs),
    /// Serve the web app (builds the index from the corpus first if there is none).
    Serve(ServeArgs),
    /// Generate a synthetic corpus for benchmarks, recombined from real reports.
    Gen {
        /// How many reports.
        #[arg(long)]
        count: usize,
        /// The same seed (and sources) give the same reports.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder to write the reports to.
        #[arg(long)]
        out: PathBuf,
        /// Folders of real reports to recombine (default: corpus/).
        #[arg(long = "from", value_name = "DIR")]
        from: Vec<PathBuf>,
    },
    /// Write the tracking state (statuses, owners, notes, links, history) as JSON.
    Backup {
        /// Write to this file (atomically) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the tracking state with a backup made by `ikb backup`.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Replace a store that is not empty.
        #[arg(long)]
        replace: bool,
        /// With --replace: go ahead even when the backup holds no record (it empties the store).
        #[arg(long)]
        force: bool,
    },
    /// Change a repair item as the web form does: status, owner, note, ticket link. Each change
    /// is an event in the item's history; the index's repair facets follow.
    Repair(RepairArgs),
    /// Read a password on standard input and print its Argon2 hash for the users file.
    HashPassword,
    /// Make a new random API token; print it, and the line for the users file.
    HashToken {
        /// A name for the token, shown in the history of what it changes.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// A folder (or file) of reports; repeat for several. Default: corpus/.
    #[arg(long = "corpus", value_name = "DIR")]
    pub corpus: Vec<PathBuf>,
}

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

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long)]
    pub json: bool,
    /// Incident id (as in /incidents/ID).
    pub id: String,
}

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

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, env = "IKB_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Report folders to ingest when the index is missing. Default: corpus/.
    #[arg(long = "corpus", value_name = "DIR")]
    pub corpus: Vec<PathBuf>,
    /// Users and API tokens allowed to write (TOML, see README). Without it tracking is read-only.
    #[arg(long, env = "IKB_USERS_FILE", value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "IKB_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

pub fn init_logging(cli: &Cli) {
    let level = match cli.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "incident_kb={level},ikb={level},actix_web=info,warn"
        ))
    });
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

fn catalogue(cli: &Cli) -> anyhow::Result<Catalogue> {
    match &cli.catalog {
        Some(dir) => Ok(Catalogue::load(dir)?),
        None if std::path::Path::new("catalog").is_dir() => {
            Ok(Catalogue::load(std::path::Path::new("catalog"))?)
        }
        None => Ok(Catalogue::bundled()),
    }
}

fn corpus_or_default(dirs: &[PathBuf]) -> Vec<PathBuf> {
    if dirs.is_empty() {
        vec![PathBuf::from("corpus")]
    } else {
        dirs.to_vec()
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = DataDir::new(&cli.index);
    match &cli.command {
        Command::Ingest(args) => run_ingest(&cli, &data, args),
        Command::Search(args) => run_search(&cli, &data, args),
        Command::Show(args) => run_show(&data, args),
        Command::Export => run_export(&data),
        Command::Repairs(args) => run_repairs(&cli, &data, args),
        Command::Repair(args) => run_repair(&data, args),
        Command::Serve(args) => {
            let catalogue = catalogue(&cli)?;
            let auth = match &args.users {
                Some(path) => incident_kb::web::Auth::load(path)?,
                None => {
                    tracing::warn!("no --users file: repair tracking is read-only");
                    incident_kb::web::Auth::new(Default::default())
                }
            };
            incident_kb::web::serve(incident_kb::web::ServeOptions {
                addr: args.addr.clone(),
                data,
                corpus: corpus_or_default(&args.corpus),
                catalogue,
                auth,
                secure_cookies: args.secure_cookies,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen {
            count,
            seed,
            out,
            from,
        } => {
            let catalogue = catalogue(&cli)?;
            let read =
                incident_kb::corpus::read(&corpus_or_default(from), &catalogue, |_, _, _| {})
                    .map_err(|f| anyhow::anyhow!("{f}"))?;
            let pools = incident_kb::synthetic::Pools::from_incidents(&read.incidents);
            let bytes = incident_kb::synthetic::write_corpus(&pools, *seed, *count, out)?;
            println!("{count} reports, {bytes} bytes, in {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out } => {
            let store = tracking::open(&data.tracking())?;
            let backup = store.backup()?;
            let json = serde_json::to_vec_pretty(&backup)?;
            match out {
                Some(path) => {
                    let tmp = path.with_extension("tmp");
                    let mut f = std::fs::File::create(&tmp)
                        .with_context(|| format!("writing {}", tmp.display()))?;
                    f.write_all(&json)?;
                    f.sync_all()?;
                    std::fs::rename(&tmp, path)?;
                    eprintln!(
                        "backed up {} repair items to {}",
                        backup.records.len(),
                        path.display()
                    );
                }
                None => std::io::stdout().lock().write_all(&json)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            file,
            replace,
            force,
        } => {
            let text =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let backup: incident_kb::tracking::Backup = serde_json::from_slice(&text)
                .with_context(|| {
                    format!("{} is not a backup made by `ikb backup`", file.display())
                })?;
            let store = tracking::open(&data.tracking())?;
            if !store.is_empty() && !replace {
                bail!(
                    "the tracking store at {} is not empty; pass --replace to replace it with the backup",
                    data.tracking().display()
                );
            }
            if backup.records.is_empty() && !store.is_empty() && !force {
                bail!(
                    "{} holds no repair item: restoring it would empty the tracking store at {} ({} items); pass --force as well if that is what you want",
                    file.display(),
                    data.tracking().display(),
                    store.len()
                );
            }
            let n = store.restore(&backup)?;
            println!("restored {n} repair items");
            // The index's repair facets follow the restored statuses.
            match SearchIndex::open(&data.search()) {
                Ok(index) => {
                    let report = ingest::refresh_repair_facets(store.as_ref(), &index)?;
                    println!(
                        "search index: repair facets of {} incidents rewritten",
                        report.replaced
                    );
                }
                Err(incident_kb::index::IndexError::Missing(_)) => {}
                Err(e) => eprintln!(
                    "note: the search index was not updated ({e}); run `ikb ingest` to bring its repair facets in line"
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.len() < 8 {
                bail!("use a password of at least 8 characters");
            }
            println!("{}", incident_kb::web::auth::hash_password(password));
            Ok(ExitCode::SUCCESS)
        }
        Command::HashToken { name } => {
            let token = incident_kb::web::auth::random_token();
            println!("token (give it to the client; it is not stored): {token}");
            println!(
                "\n[[token]]\nname = \"{name}\"\ntoken_sha256 = \"{}\"",
                incident_kb::web::auth::sha256_hex(&token)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_ingest(cli: &Cli, data: &DataDir, args: &IngestArgs) -> anyhow::Result<ExitCode> {
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
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn open_index(data: &DataDir) -> anyhow::Result<SearchIndex> {
    Ok(SearchIndex::open(&data.search())?)
}

/// Tracking records are read without the store's lock when a server holds it: the index alone
/// then gives reported statuses.
fn open_store(data: &DataDir) -> Option<Box<dyn TrackingStore>> {
    tracking::open(&data.tracking()).ok()
}

fn run_search(cli: &Cli, data: &DataDir, args: &SearchArgs) -> anyhow::Result<ExitCode> {
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
    let store = open_store(data);
    let record = |id: &str| store.as_ref().and_then(|s| s.get(id).ok().flatten());
    let today = tracking::today();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &view::search_json(&query, &results, &record, today),
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(hint) = &results.hint {
        writeln!(out, "hint: {hint}")?;
    }
    if let Some(note) = results.partial_note() {
        writeln!(out, "note: {note}")?;
    }
    for (n, hit) in results.hits.iter().enumerate() {
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
            args.offset + n + 1,
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
            hit.snippet_text.replace('\n', " ")
        )?;
        writeln!(
            out,
            "    /incidents/{}#{}",
            hit.incident.id,
            hit.section.anchor()
        )?;
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

fn run_show(data: &DataDir, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let incident = index.get(&args.id)?;
    let store = open_store(data);
    let record = |id: &str| store.as_ref().and_then(|s| s.get(id).ok().flatten());
    let today = tracking::today();
    let r = incident.current();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &view::incident_json(&incident, r, &record, today))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{}\n{}",
        r.title,
        "=".repeat(r.title.chars().count().min(100))
    )?;
    writeln!(
        out,
        "id: {}   stage: {}   tracking id: {}",
        incident.id,
        r.stage.label(),
        r.tracking_id.as_deref().unwrap_or("-")
    )?;
    let fmt = |t: Option<jiff::Timestamp>| {
        t.map_or("?".to_string(), |t| {
            t.strftime("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    writeln!(
        out,
        "impact: {} – {}",
        fmt(r.impact_start),
        fmt(r.impact_end)
    )?;
    writeln!(
        out,
        "services: {}\nregions: {}\ncauses: {}",
        r.services.join(", "),
        r.regions.join(", "),
        r.causes.join(", ")
    )?;
    writeln!(
        out,
        "source: {}   revisions: {}",
        r.source,
        incident
            .reviews
            .iter()
            .map(|r| r.stage.label())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for s in &r.sections {
        if s.kind == SectionKind::RepairItems || s.text.is_empty() {
            continue;
        }
        writeln!(out, "\n## {}\n{}", s.heading, s.text)?;
    }
    if !r.repair_items.is_empty() {
        writeln!(out, "\n## Repair items")?;
        for i in &r.repair_items {
            let (status, overdue) = view::item_status(i, record(&i.id).as_ref(), today);
            let status = status.as_str();
            let due: Vec<String> = i.due.iter().map(ToString::to_string).collect();
            let late = if overdue { " OVERDUE" } else { "" };
            writeln!(
                out,
                "- [{status}{late}] {} {}",
                i.text,
                if due.is_empty() {
                    String::new()
                } else {
                    format!("(due {})", due.join(", "))
                }
            )?;
        }
    }
    for w in incident.reviews.iter().flat_map(|r| &r.warnings) {
        writeln!(out, "warning: {w}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_export(data: &DataDir) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let store = open_store(data);
    let record = |id: &str| store.as_ref().and_then(|s| s.get(id).ok().flatten());
    let today = tracking::today();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for incident in index.all()? {
        serde_json::to_writer(
            &mut out,
            &view::incident_json(&incident, incident.current(), &record, today),
        )?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_repair(data: &DataDir, args: &RepairArgs) -> anyhow::Result<ExitCode> {
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
        serde_json::to_writer_pretty(&mut out, &view::repair_json(&record, today))?;
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

fn run_repairs(cli: &Cli, data: &DataDir, args: &RepairsArgs) -> anyhow::Result<ExitCode> {
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
        let json: Vec<_> = items.iter().map(|r| view::repair_json(r, today)).collect();
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

/// Flags as the named parameters the library's parsers read (the web's query string names).
fn named(
    name: &str,
    values: impl IntoIterator<Item = String>,
) -> impl Iterator<Item = (String, String)> {
    let name = name.to_string();
    values.into_iter().map(move |v| (name.clone(), v))
}

/// A parameter the parser refused, said as the flag it came from.
fn flag_error(e: RequestError) -> anyhow::Error {
    anyhow::anyhow!("--{} {}", e.param, e.rule)
}
