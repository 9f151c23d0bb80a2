//! `ikb gen` (a synthetic corpus for benchmarks), `ikb hash-password` and `ikb hash-token`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;

use super::{Cli, catalogue, corpus_or_default};

pub fn run_gen(
    cli: &Cli,
    count: usize,
    seed: u64,
    out: &Path,
    from: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let catalogue = catalogue(cli)?;
    let read =
        incident_kb::ingest::corpus::read(&corpus_or_default(from), &catalogue, |_, _, _| {})
            .map_err(|f| anyhow::anyhow!("{f}"))?;
    let pools = incident_kb::ingest::synthetic::Pools::from_incidents(&read.incidents);
    let bytes = incident_kb::ingest::synthetic::write_corpus(&pools, seed, count, out)?;
    println!("{count} reports, {bytes} bytes, in {}", out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn run_hash_password() -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.len() < 8 {
        bail!("use a password of at least 8 characters");
    }
    println!("{}", incident_kb::web::auth::hash_password(password));
    Ok(ExitCode::SUCCESS)
}

pub fn run_hash_token(name: &str) -> anyhow::Result<ExitCode> {
    let token = incident_kb::web::auth::random_token();
    println!("token (give it to the client; it is not stored): {token}");
    println!(
        "\n[[token]]\nname = \"{name}\"\ntoken_sha256 = \"{}\"",
        incident_kb::web::auth::sha256_hex(&token)
    );
    Ok(ExitCode::SUCCESS)
}
