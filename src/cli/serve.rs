//! `ikb serve`: the web app on the data folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use incident_kb::ingest::DataDir;

use super::{Cli, catalogue, corpus_or_default};

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

pub fn run_serve(cli: &Cli, data: DataDir, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let catalogue = catalogue(cli)?;
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
