//! `ikb show` and `ikb export`: one incident as text or JSON, every incident as JSON Lines.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use incident_kb::incident::SectionKind;
use incident_kb::ingest::DataDir;
use incident_kb::tracking;
use incident_kb::web::json;

use super::remote::Records;
use super::{Cli, open_index};

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long)]
    pub json: bool,
    /// Incident id (as in /incidents/ID).
    pub id: String,
}

pub fn run_show(cli: &Cli, data: &DataDir, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let incident = index.get(&args.id)?;
    // What people set, from the store or the server that holds it.
    let records = Records::open(cli, data)?;
    let record = records.lookup(Some(&[incident.id.as_str()]))?;
    let today = tracking::today();
    let r = incident.current();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json::incident_json(&incident, r, &record, today))?;
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
    for (kind, m) in r.milestones.iter() {
        let after = r
            .milestones
            .minutes_after(r.impact_start, kind)
            .map(|n| format!(" (+{})", incident_kb::incident::format_minutes(n)))
            .unwrap_or_default();
        let by = match (kind, r.milestones.detected_by) {
            (incident_kb::incident::MilestoneKind::Detected, Some(d)) => format!(" {}", d.label()),
            _ => String::new(),
        };
        writeln!(
            out,
            "{}: {}{after}{by}   from the {}",
            kind.as_str(),
            fmt(Some(m.at)),
            m.evidence.origin()
        )?;
    }
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
            let (status, overdue) = tracking::item_status(i, record(&i.id).as_ref(), today);
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

pub fn run_export(cli: &Cli, data: &DataDir) -> anyhow::Result<ExitCode> {
    let index = open_index(data)?;
    let records = Records::open(cli, data)?;
    let record = records.lookup(None)?;
    let today = tracking::today();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for incident in index.all()? {
        serde_json::to_writer(
            &mut out,
            &json::incident_json(&incident, incident.current(), &record, today),
        )?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
