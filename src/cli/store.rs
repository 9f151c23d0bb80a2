//! `ikb backup` and `ikb restore`: the tracking state as a JSON file, and back; `ikb
//! migrate-store`: the tracking state into another store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use incident_kb::index::SearchIndex;
use incident_kb::ingest::{self, DataDir};
use incident_kb::tracking;

use super::Cli;
use super::remote::Records;

pub fn run_backup(cli: &Cli, data: &DataDir, out: &Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // While a server holds the store, it makes the backup (the same bytes).
    let (json, records) = match Records::open(cli, data)? {
        Records::Store(store) => {
            let backup = store.backup()?;
            (serde_json::to_vec_pretty(&backup)?, backup.records.len())
        }
        Records::Server(remote) => {
            let json = remote.post("/api/v1/backup", cli.token.as_deref())?;
            let backup: incident_kb::tracking::Backup = serde_json::from_slice(&json)
                .context("the server's backup is not one `ikb restore` reads")?;
            (json, backup.records.len())
        }
    };
    match out {
        Some(path) => {
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::File::create(&tmp)
                .with_context(|| format!("writing {}", tmp.display()))?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            eprintln!("backed up {records} repair items to {}", path.display());
        }
        None => std::io::stdout().lock().write_all(&json)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_restore(
    data: &DataDir,
    file: &PathBuf,
    replace: bool,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let backup: incident_kb::tracking::Backup = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a backup made by `ikb backup`", file.display()))?;
    let store = match tracking::open(&data.tracking()) {
        Err(tracking::StoreError::Locked { path }) => bail!(
            "the tracking store at {path} is held by a running `ikb serve`: a restore replaces what it holds, so stop the server, run `ikb restore` again, then start the server (take a fresh backup first with `ikb backup --token …`)"
        ),
        opened => opened?,
    };
    if !store.is_empty() && !replace {
        bail!(
            "the tracking store at {} is not empty; pass --replace to replace it with the backup",
            data.tracking()
        );
    }
    if backup.records.is_empty() && !store.is_empty() && !force {
        bail!(
            "{} holds no repair item: restoring it would empty the tracking store at {} ({} items); pass --force as well if that is what you want",
            file.display(),
            data.tracking(),
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

pub fn run_migrate_store(data: &DataDir, to: &str, replace: bool) -> anyhow::Result<ExitCode> {
    let from = data.tracking();
    let to = match to {
        "sled" => DataDir::new(&data.root).tracking(),
        spec => tracking::StoreLocation::parse(spec),
    };
    if from == to {
        bail!("the tracking store is already at {to}: name another with --to");
    }
    let held = |e: tracking::StoreError| match e {
        tracking::StoreError::Locked { path } => anyhow::anyhow!(
            "the tracking store at {path} is held by a running `ikb serve`: stop it, migrate, then start it with the new --store"
        ),
        e => e.into(),
    };
    let source = tracking::open(&from).map_err(held)?;
    let target = tracking::open(&to).map_err(held)?;
    let backup = source.backup()?;
    let wanted = serde_json::to_vec(&backup)?;
    let before = serde_json::to_vec(&target.backup()?)?;
    if before == wanted {
        println!(
            "{to} already holds the same {} repair items as {from}: nothing to do",
            backup.records.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !target.is_empty() && !replace {
        bail!(
            "{to} holds {} repair items that differ from {from}'s; pass --replace to replace them",
            target.len()
        );
    }
    let n = target.restore(&backup)?;
    let after = serde_json::to_vec(&target.backup()?)?;
    if after != wanted {
        bail!(
            "the copy in {to} differs from {from} after the migration ({} against {} bytes of backup); nothing was removed from {from}",
            after.len(),
            wanted.len()
        );
    }
    println!(
        "copied {n} repair items from {from} to {to}; the backups of both are equal ({} bytes). Start the server with --store {to} to use it",
        wanted.len()
    );
    Ok(ExitCode::SUCCESS)
}
