//! What a person (or a backup) may put on a repair item: the rules every write goes through,
//! from the web form, the JSON API and `ikb restore` alike.

use std::collections::HashSet;

use super::record::{Backup, Change, RepairRecord};
use super::status::Status;

pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_OWNER_CHARS: usize = 100;
pub const MAX_LINK_CHARS: usize = 2000;
/// A repair item's id and its text, as ingest makes them, stay well under these.
pub const MAX_ID_CHARS: usize = 300;
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Events one item's history may hold in a backup.
pub const MAX_HISTORY_EVENTS: usize = 10_000;

impl Change {
    /// Check a change; each problem is one clear message.
    pub fn validate(
        status: Option<&str>,
        owner: Option<&str>,
        note: Option<&str>,
        link: Option<&str>,
    ) -> Result<Change, Vec<String>> {
        let mut errors = Vec::new();
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match Status::parse(s) {
                Some(st) => Some(st),
                None => {
                    errors.push(format!(
                        "Unknown status `{}`: choose open, in progress, completed or won't do.",
                        s.chars().take(30).collect::<String>()
                    ));
                    None
                }
            },
        };
        if let Some(o) = owner
            && o.chars().count() > MAX_OWNER_CHARS
        {
            errors.push(format!(
                "The owner is longer than {MAX_OWNER_CHARS} characters."
            ));
        }
        if let Some(n) = note
            && n.chars().count() > MAX_NOTE_CHARS
        {
            errors.push(format!(
                "The note is {} characters; the limit is {MAX_NOTE_CHARS}.",
                n.chars().count()
            ));
        }
        if let Some(l) = link.map(str::trim).filter(|l| !l.is_empty())
            && !link_ok(l)
        {
            errors.push(
                "The link must be an http:// or https:// address (a ticket URL), without spaces."
                    .into(),
            );
        }
        if errors.is_empty() {
            Ok(Change {
                status,
                owner: owner.map(str::to_string),
                note: note.map(str::to_string),
                link: link.map(str::to_string),
            })
        } else {
            Err(errors)
        }
    }
}

/// Whether `link` is an http(s) address with a host, without white space, within the limit.
fn link_ok(l: &str) -> bool {
    let scheme_ok = l.starts_with("https://") || l.starts_with("http://");
    let host_ok = l
        .split("://")
        .nth(1)
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    scheme_ok && host_ok && !l.chars().any(char::is_whitespace) && l.len() <= MAX_LINK_CHARS
}

impl Backup {
    /// Check every record as a write through the API would be checked, and that no id comes
    /// twice; each problem names the record. A backup with problems restores nothing.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (n, r) in self.records.iter().enumerate() {
            let name = format!(
                "record {} (`{}`)",
                n + 1,
                r.id.chars().take(60).collect::<String>()
            );
            if !seen.insert(r.id.as_str()) {
                errors.push(format!("{name}: the id comes twice in the backup"));
            }
            for e in record_problems(r) {
                errors.push(format!("{name}: {e}"));
            }
            if errors.len() >= 20 {
                errors.push("… (stopped after 20 problems)".into());
                break;
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn record_problems(r: &RepairRecord) -> Vec<String> {
    let mut errors = Vec::new();
    if r.id.trim().is_empty() || r.id.chars().count() > MAX_ID_CHARS {
        errors.push(format!("the id must be 1 to {MAX_ID_CHARS} characters"));
    }
    if r.text.chars().count() > MAX_TEXT_CHARS || r.incident_title.chars().count() > MAX_TEXT_CHARS
    {
        errors.push(format!("the text is over {MAX_TEXT_CHARS} characters"));
    }
    let t = &r.tracking;
    if let Err(mut e) = Change::validate(
        None,
        t.owner.as_deref(),
        t.note.as_deref(),
        t.link.as_deref(),
    ) {
        errors.append(&mut e);
    }
    if r.history.len() > MAX_HISTORY_EVENTS {
        errors.push(format!(
            "the history has {} events; the limit is {MAX_HISTORY_EVENTS}",
            r.history.len()
        ));
    }
    let limit = MAX_NOTE_CHARS.max(MAX_LINK_CHARS);
    for e in &r.history {
        let too_long = |v: &Option<String>| v.as_ref().is_some_and(|v| v.chars().count() > limit);
        if too_long(&e.from) || too_long(&e.to) || e.who.chars().count() > MAX_OWNER_CHARS {
            errors.push(format!(
                "a history event is over the limit of {limit} characters"
            ));
            break;
        }
        if e.field == "status"
            && let Some(to) = &e.to
            && Status::parse(to).is_none()
        {
            errors.push(format!(
                "a history event sets an unknown status `{}`",
                to.chars().take(30).collect::<String>()
            ));
            break;
        }
    }
    errors
}
