//! `ikb serve`: the web app on the data folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use incident_kb::ingest::DataDir;
use incident_kb::web::digest::{Delivery, WebhookBody};

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
    /// Post the follow-up digest to this webhook (a Slack-compatible incoming webhook, or any
    /// URL taking JSON) on a schedule.
    #[arg(
        long,
        env = "IKB_DIGEST_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub digest_webhook: Option<String>,
    /// How often: 7d, 1d, 12h, … (each digest covers the time since the last one delivered).
    #[arg(long, env = "IKB_DIGEST_EVERY", default_value = "7d")]
    pub digest_every: String,
    /// The webhook's body: slack (`{"text": …}`) or json (`{"text": …, "digest": {…}}`).
    #[arg(long, env = "IKB_DIGEST_BODY", default_value = "slack")]
    pub digest_body: String,
    /// The server's public address, for the links in the digest (default: http://ADDR).
    #[arg(long, env = "IKB_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
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
    let digest = match &args.digest_webhook {
        None => None,
        Some(url) => {
            let every = incident_kb::tracking::digest::parse_window(&args.digest_every)
                .and_then(|d| std::time::Duration::try_from(d).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--digest-every must be like 7d, 1d, 12h or 30m, not `{}`",
                        args.digest_every
                    )
                })?;
            let body = match args.digest_body.as_str() {
                "slack" => WebhookBody::Slack,
                "json" => WebhookBody::Json,
                other => anyhow::bail!("--digest-body must be slack or json, not `{other}`"),
            };
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                anyhow::bail!("--digest-webhook must be an http:// or https:// URL");
            }
            Some(Delivery {
                url: url.clone(),
                every,
                body,
                base: args
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", args.addr)),
            })
        }
    };
    incident_kb::web::serve(
        incident_kb::web::ServeOptions {
            addr: args.addr.clone(),
            data,
            corpus: corpus_or_default(&args.corpus),
            catalogue,
            auth,
            secure_cookies: args.secure_cookies,
        },
        digest,
    )?;
    Ok(ExitCode::SUCCESS)
}
