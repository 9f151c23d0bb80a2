//! The follow-up digest as people read it (Markdown for chat, plain text), and the server's
//! delivery of it: on a schedule, to a webhook (a Slack-compatible `{"text": …}` body, or a
//! generic JSON one), with retries and a log line per delivery.

use std::time::Duration;

use jiff::Timestamp;

use super::json::markdown_text;
use crate::ingest::DataDir;
use crate::tracking::digest::{DUE_SOON_DAYS, Digest};

/// The digest's first line: its window and counts.
pub fn heading(d: &Digest) -> String {
    let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
    format!(
        "Repair items, {} to {}: {} became overdue, {} due in the next {DUE_SOON_DAYS} days, {} changed",
        day(d.since),
        day(d.until),
        d.became_overdue,
        d.due_soon,
        d.changed
    )
}

/// Markdown with links to each item and incident, for chat (`base`: the server's public URL).
pub fn markdown(d: &Digest, base: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut out = format!("**{}**\n", heading(d));
    if d.groups.is_empty() {
        out.push_str("Nothing became overdue, is due soon or changed.\n");
    }
    for g in &d.groups {
        let who = g.assignee.as_deref().unwrap_or("Unassigned");
        out.push_str(&format!("\n**{}**\n", markdown_text(who)));
        for s in &g.services {
            out.push_str(&format!("_{}_\n", markdown_text(&s.service)));
            for i in &s.items {
                let why: Vec<&str> = i.why.iter().map(|w| w.label()).collect();
                let due = i.due_by.map(|d| format!(", due {d}")).unwrap_or_default();
                let text: String = i.text.chars().take(160).collect();
                out.push_str(&format!(
                    "- [{}]({base}/repairs/{}) ({}{due}) in [{}]({base}/incidents/{})\n",
                    markdown_text(&text),
                    i.id,
                    why.join(", "),
                    markdown_text(&i.incident_title),
                    i.incident_id
                ));
                for c in &i.changes {
                    out.push_str(&format!("  - {}\n", markdown_text(c)));
                }
            }
        }
    }
    out
}

/// Plain text, for a terminal or an e-mail.
pub fn text(d: &Digest, base: &str) -> String {
    let base = base.trim_end_matches('/');
    let mut out = format!("{}\n", heading(d));
    for g in &d.groups {
        out.push_str(&format!(
            "\n{}\n",
            g.assignee.as_deref().unwrap_or("Unassigned")
        ));
        for s in &g.services {
            out.push_str(&format!("  {}\n", s.service));
            for i in &s.items {
                let why: Vec<&str> = i.why.iter().map(|w| w.label()).collect();
                let due = i.due_by.map(|d| format!(", due {d}")).unwrap_or_default();
                let text: String = i.text.chars().take(160).collect();
                out.push_str(&format!(
                    "    - {text} ({}{due})\n      {base}/repairs/{}\n",
                    why.join(", "),
                    i.id
                ));
                for c in &i.changes {
                    out.push_str(&format!("      {c}\n"));
                }
            }
        }
    }
    out
}

/// The body a webhook gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookBody {
    /// Slack's incoming webhooks (and Mattermost's, Rocket.Chat's): `{"text": markdown}`.
    Slack,
    /// `{"text": markdown, "digest": {…}}`: the same text and the digest as data.
    Json,
}

/// Where and how often the server posts the digest.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    pub every: Duration,
    pub body: WebhookBody,
    /// The server's public URL, for the links.
    pub base: String,
}

/// The data folder's note of when the last digest was delivered (`digest.json`), so that a
/// restarted server's next digest covers the time since then, not only its own uptime.
fn delivered_file(data: &DataDir) -> std::path::PathBuf {
    data.root.join("digest.json")
}

/// When the last digest was delivered, if one was.
pub fn last_delivered(data: &DataDir) -> Option<Timestamp> {
    let text = std::fs::read(delivered_file(data)).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    v["delivered"].as_str()?.parse().ok()
}

/// Note that a digest was delivered at `at` (written atomically).
pub fn note_delivered(data: &DataDir, at: Timestamp) -> std::io::Result<()> {
    let path = delivered_file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(
        &tmp,
        serde_json::json!({ "delivered": at.to_string() }).to_string(),
    )?;
    std::fs::rename(&tmp, &path)
}

/// How many times one digest is tried, and the first wait between tries (doubled each time).
pub const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// Post one digest, retrying a failure (an error or a status that is not 2xx) with backoff;
/// each try that fails is logged, and so is the outcome. Returns whether it was delivered.
pub fn post(delivery: &Delivery, digest: &Digest) -> bool {
    let text = markdown(digest, &delivery.base);
    let body = match delivery.body {
        WebhookBody::Slack => serde_json::json!({ "text": text }),
        WebhookBody::Json => serde_json::json!({ "text": text, "digest": digest }),
    }
    .to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    // The webhook's address may hold a secret (Slack's do): only its host is logged.
    let host = delivery
        .url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("?")
        .to_string();
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        let outcome = agent
            .post(&delivery.url)
            .header("Content-Type", "application/json")
            .send(body.as_bytes());
        match outcome {
            Ok(reply) if reply.status().is_success() => {
                tracing::info!(webhook = %host, attempt, status = reply.status().as_u16(), items = digest.groups.iter().map(|g| g.services.iter().map(|s| s.items.len()).sum::<usize>()).sum::<usize>(), "digest delivered");
                return true;
            }
            Ok(reply) => {
                tracing::warn!(webhook = %host, attempt, status = reply.status().as_u16(), "digest delivery refused");
            }
            Err(e) => {
                tracing::warn!(webhook = %host, attempt, error = %e, "digest delivery failed")
            }
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(wait);
            wait *= 2;
        }
    }
    tracing::error!(webhook = %host, attempts = ATTEMPTS, "digest not delivered; the next one covers its window too");
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::digest::{DigestGroup, DigestItem, ServiceItems, Why};

    #[test]
    fn the_last_delivery_is_kept_in_the_data_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path());
        assert_eq!(last_delivered(&data), None);
        let at: Timestamp = "2024-10-03T12:00:00Z".parse().unwrap();
        note_delivered(&data, at).unwrap();
        assert_eq!(last_delivered(&data), Some(at));
    }

    #[test]
    fn markdown_links_every_item_and_escapes_what_people_wrote() {
        let d = Digest {
            since: "2024-09-26T00:00:00Z".parse().unwrap(),
            until: "2024-10-03T00:00:00Z".parse().unwrap(),
            became_overdue: 1,
            due_soon: 0,
            changed: 1,
            groups: vec![DigestGroup {
                assignee: Some("bob".into()),
                services: vec![ServiceItems {
                    service: "Azure DNS".into(),
                    items: vec![DigestItem {
                        id: "inc-1".into(),
                        text: "Add [canary] *stage*".into(),
                        incident_id: "inc".into(),
                        incident_title: "DNS outage".into(),
                        status: "open",
                        due_by: Some(jiff::civil::date(2024, 9, 30)),
                        why: vec![Why::BecameOverdue, Why::Changed],
                        changes: vec!["alice assigned it to bob".into()],
                    }],
                }],
            }],
        };
        let md = markdown(&d, "https://kb.example/");
        assert!(md.starts_with("**Repair items, 2024-09-26 to 2024-10-03: 1 became overdue"));
        assert!(md.contains(
            "- [Add \\[canary\\] \\*stage\\*](https://kb.example/repairs/inc-1) (became overdue, changed, due 2024-09-30) in [DNS outage](https://kb.example/incidents/inc)"
        ), "{md}");
        assert!(md.contains("  - alice assigned it to bob"));
        assert!(text(&d, "https://kb.example").contains("https://kb.example/repairs/inc-1"));
    }
}
