//! The `ikb` command line: the arguments, and one file per command that calls the library
//! and prints its answer. No rule of the domain lives here.

mod admin;
mod ingest;
mod insights;
mod related;
mod remote;
mod repairs;
mod search;
mod serve;
mod show;
mod store;
mod warnings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use incident_kb::catalog::Catalogue;
use incident_kb::index::SearchIndex;
use incident_kb::index::request::RequestError;
use incident_kb::ingest::DataDir;

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
    /// The tracking store: a PostgreSQL URL (`postgres://user:password@host/db`) that several
    /// servers share, or a sled folder (default: the index folder's `tracking`).
    #[arg(
        long,
        global = true,
        env = "IKB_STORE",
        value_name = "URL|DIR",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// The running server to ask while it holds the tracking store (default: the one the
    /// index folder notes in server.json).
    #[arg(long, global = true, env = "IKB_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// An API token, for `ikb backup` through a running server.
    #[arg(long, global = true, env = "IKB_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Log more (-v: debug, -vv: trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read report files into the index and tracking store (only what changed is rewritten).
    Ingest(ingest::IngestArgs),
    /// Search incidents by symptom, with facet filters.
    Search(search::SearchArgs),
    /// Show one incident.
    Show(show::ShowArgs),
    /// Past incidents like an alert (its text, service and region), with why each matched.
    Related(related::RelatedArgs),
    /// Print every incident as JSON Lines.
    Export,
    /// List repair items across incidents.
    Repairs(repairs::RepairsArgs),
    /// The follow-up digest: repair items that became overdue, are due soon, or changed,
    /// grouped by assignee and service.
    Digest(repairs::DigestArgs),
    /// Figures across incidents: per quarter by cause, time to mitigate by service, the repair
    /// burn-down, overdue items by age.
    Insights(insights::InsightsArgs),
    /// Serve the web app (builds the index from the corpus first if there is none).
    Serve(serve::ServeArgs),
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
    /// List every report's warnings and the facts not found in it, worst first.
    Warnings(warnings::WarningsArgs),
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
    /// Copy the tracking state into another store (PostgreSQL, or back to sled), exactly:
    /// re-runnable, and checked (the backups of both stores are equal afterwards).
    MigrateStore {
        /// The store to copy into: `postgres://…`, a sled folder, or `sled` for the index
        /// folder's own.
        #[arg(long, value_name = "URL|DIR|sled")]
        to: String,
        /// Replace what that store holds when it differs.
        #[arg(long)]
        replace: bool,
    },
    /// Change a repair item as the web form does: status, owner, note, ticket link. Each change
    /// is an event in the item's history; the index's repair facets follow.
    Repair(repairs::RepairArgs),
    /// Read a password on standard input and print its Argon2 hash for the users file.
    HashPassword,
    /// Make a new random API token; print it, and the line for the users file.
    HashToken {
        /// A name for the token, shown in the history of what it changes.
        name: String,
    },
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
    let data = DataDir::new(&cli.index).with_store(cli.store.clone());
    match &cli.command {
        Command::Ingest(args) => ingest::run_ingest(&cli, &data, args),
        Command::Search(args) => search::run_search(&cli, &data, args),
        Command::Show(args) => show::run_show(&cli, &data, args),
        Command::Related(args) => related::run_related(&cli, &data, args),
        Command::Export => show::run_export(&cli, &data),
        Command::Repairs(args) => repairs::run_repairs(&cli, &data, args),
        Command::Digest(args) => repairs::run_digest(&cli, &data, args),
        Command::Insights(args) => insights::run_insights(&cli, &data, args),
        Command::Repair(args) => repairs::run_repair(&data, args),
        Command::Serve(args) => serve::run_serve(&cli, data, args),
        Command::Gen {
            count,
            seed,
            out,
            from,
        } => admin::run_gen(&cli, *count, *seed, out, from),
        Command::Warnings(args) => warnings::run_warnings(&data, args),
        Command::Backup { out } => store::run_backup(&cli, &data, out),
        Command::Restore {
            file,
            replace,
            force,
        } => store::run_restore(&data, file, *replace, *force),
        Command::MigrateStore { to, replace } => store::run_migrate_store(&data, to, *replace),
        Command::HashPassword => admin::run_hash_password(),
        Command::HashToken { name } => admin::run_hash_token(name),
    }
}

fn open_index(data: &DataDir) -> anyhow::Result<SearchIndex> {
    Ok(SearchIndex::open(&data.search())?)
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
    anyhow::anyhow!("--{} {}", e.param.replace('_', "-"), e.rule)
}
