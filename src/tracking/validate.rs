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

/// A change as a form, the JSON API or the command line gives it: text, not yet checked.
/// `None` leaves a field as it is; `Some("")` clears it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeInput<'a> {
    pub status: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub note: Option<&'a str>,
    pub link: Option<&'a str>,
    pub assignee: Option<&'a str>,
    /// A day, `2024-09-30`.
    pub due_date: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl Change {
    /// Check a change; each problem is one clear message. `is_user` says whether a name may be
    /// assigned (the server's users).
    pub fn validate(
        input: &ChangeInput<'_>,
        is_user: &dyn Fn(&str) -> bool,
    ) -> Result<Change, Vec<String>> {
        let mut errors = Vec::new();
        let status = match input.status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match Status::parse(s) {
                Some(st) => Some(st),
                None => {
                    errors.push(format!(
                        "Unknown status `{}`: choose open, in progress, completed or won't do.",
                        clip(s, 30)
                    ));
                    None
                }
            },
        };
        let too_long = |what: &str, text: Option<&str>, limit: usize| {
            let n = text.map_or(0, |t| t.chars().count());
            (n > limit).then(|| format!("The {what} is {n} characters; the limit is {limit}."))
        };
        errors.extend(too_long("owner", input.owner, MAX_OWNER_CHARS));
        errors.extend(too_long("note", input.note, MAX_NOTE_CHARS));
        errors.extend(too_long("reason", input.reason, MAX_NOTE_CHARS));
        if let Some(l) = input.link.map(str::trim).filter(|l| !l.is_empty())
            && !link_ok(l)
        {
            errors.push(
                "The link must be an http:// or https:// address (a ticket URL), without spaces."
                    .into(),
            );
        }
        if let Some(a) = input.assignee.map(str::trim).filter(|a| !a.is_empty())
            && !is_user(a)
        {
            errors.push(format!(
                "`{}` is not a user of this server: assign the item to one of its users (a team goes in Owner).",
                clip(a, 60)
            ));
        }
        let due_date = match input.due_date.map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(d) => match d.parse::<jiff::civil::Date>() {
                Ok(day) if (2000..=2100).contains(&day.year()) => Some(Some(day)),
                _ => {
                    errors.push(format!(
                        "The due date `{}` is not a day like 2024-09-30.",
                        clip(d, 30)
                    ));
                    None
                }
            },
        };
        let reason = input.reason.map(str::trim).filter(|r| !r.is_empty());
        if status == Some(Status::WontDo) && reason.is_none() {
            errors.push("Say why it won't be done: \"won't do\" needs a reason.".into());
        }
        if errors.is_empty() {
            Ok(Change {
                status,
                owner: input.owner.map(str::to_string),
                note: input.note.map(str::to_string),
                link: input.link.map(str::to_string),
                assignee: input.assignee.map(str::to_string),
                due_date,
                reason: input.reason.map(str::to_string),
            })
        } else {
            Err(errors)
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
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
    let input = ChangeInput {
        owner: t.owner.as_deref(),
        note: t.note.as_deref(),
        link: t.link.as_deref(),
        assignee: t.assignee.as_deref(),
        reason: t.reason.as_deref(),
        ..ChangeInput::default()
    };
    // A backup names whoever was assigned then; the users of this server may differ.
    if let Err(mut e) = Change::validate(&input, &|name| name.chars().count() <= MAX_OWNER_CHARS) {
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
