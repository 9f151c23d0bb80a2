//! `ikb related`: past incidents like an alert, with why each matched; the function the alert
//! webhook, `/related` and its API answer with.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use incident_kb::ingest::DataDir;
use incident_kb::web::json;

use super::{Cli, catalogue, open_index};

#[derive(Debug, Args)]
pub struct RelatedArgs {
    /// Print JSON (the answer `POST /api/v1/alerts` gives for one alert) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The service the alert is about, as its labels name it (azure-openai, "Azure DNS").
    #[arg(long)]
    pub service: Option<String>,
    /// Where it fires, as its labels name it (eastus, westeurope, us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long, default_value_t = 5)]
    pub limit: usize,
    /// The alert's text ("GPT-5.2 requests get HTTP 429 in Sweden Central").
    #[arg(required = true)]
    pub text: Vec<String>,
}

pub fn run_related(cli: &Cli, data: &DataDir, args: &RelatedArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let catalogue = catalogue(cli)?;
    let alert = incident_kb::alert::plain(
        &args.text.join(" "),
        args.service.as_deref().unwrap_or(""),
        args.region.as_deref().unwrap_or(""),
    )?;
    let query = alert.query(&catalogue, args.limit);
    let related = index.related(&query)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let answer = json::alert_json(&alert, &query, &related, "");
        writeln!(out, "{}", serde_json::to_string_pretty(&answer)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !query.services.is_empty() || !query.regions.is_empty() {
        writeln!(
            out,
            "read as: {}",
            [query.services.join(", "), query.regions.join(", ")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        )?;
    }
    if related.is_empty() {
        writeln!(out, "No past incident is like this one.")?;
    }
    for (n, r) in related.iter().enumerate() {
        let review = r.hit.incident.current();
        let day = review
            .impact_start
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "date unknown".into());
        let why: Vec<String> = r.reasons.iter().map(|x| x.describe()).collect();
        writeln!(
            out,
            "{}. {}  {}  ({day})",
            n + 1,
            r.hit.incident.id,
            review.title
        )?;
        writeln!(out, "   {}", why.join("; "))?;
    }
    Ok(ExitCode::SUCCESS)
}
