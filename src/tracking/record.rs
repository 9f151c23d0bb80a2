//! A repair item as tracking keeps it: what its review reports, what people set on it, its
//! append-only history, and the pure rules that turn a change or a newer review into a new
//! version of it (every store applies them the same way).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::status::Status;
use crate::incident::{DueMonth, Incident, RepairItem, ReportedStatus};

/// What people set on an item. `None` means nobody has set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    pub status: Option<Status>,
    /// The team that owns it, as people write it.
    pub owner: Option<String>,
    /// The latest note of the item's thread (the thread is its history's note events: see
    /// [`RepairRecord::notes`]).
    pub note: Option<String>,
    pub link: Option<String>,
    /// The person it is assigned to: one of the server's users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The day a person set it due by; it counts over the month its review reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<jiff::civil::Date>,
    /// Why it will not be done (required with that status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One change in an item's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    /// The user who made it, or `review (final)` when a review reported it.
    pub who: String,
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Event {
    /// What the event did, in words, without who: "changed the status from Open to In
    /// progress", "assigned it to bob", "added a note".
    pub fn describe(&self) -> String {
        let from = self.from.as_deref();
        let to = self.to.as_deref();
        let status = |s: Option<&str>| {
            s.map_or("nothing".to_string(), |s| {
                Status::parse(s).map_or_else(|| s.replace('_', " "), |st| st.label().to_string())
            })
        };
        let reported = |s: Option<&str>| match s.unwrap_or("none") {
            "completed" => "completed",
            "estimated" => "planned, with a due date",
            "tbd" => "planned, date to be decided",
            _ => "without a status",
        };
        let clip = |s: &str| {
            let short: String = s.chars().take(80).collect();
            if short.len() < s.len() {
                format!("{}…", short.trim_end())
            } else {
                short
            }
        };
        let set = |what: &str| match (from, to) {
            (Some(f), Some(t)) => format!("changed the {what} from {} to {}", clip(f), clip(t)),
            (None, Some(t)) => format!("set the {what} to {}", clip(t)),
            (Some(f), None) => format!("cleared the {what} (was {})", clip(f)),
            (None, None) => format!("left the {what} empty"),
        };
        match self.field.as_str() {
            "status" => format!("changed the status from {} to {}", status(from), status(to)),
            "reported_status" if from.is_none() => {
                format!("reported the item {}", reported(to))
            }
            "reported_status" => format!(
                "now reports the item {} (was {})",
                reported(to),
                reported(from)
            ),
            "assignee" => match (from, to) {
                (Some(f), Some(t)) => format!("reassigned it from {f} to {t}"),
                (None, Some(t)) => format!("assigned it to {t}"),
                (Some(f), None) => format!("unassigned it (was {f})"),
                (None, None) => "left it unassigned".to_string(),
            },
            "note" => match to {
                Some(_) => "added a note".to_string(),
                None => "cleared the note".to_string(),
            },
            "reason" => match to {
                Some(t) => format!("gave the reason: {}", clip(t)),
                None => "cleared the reason".to_string(),
            },
            "due_date" => set("due date"),
            "link" => set("ticket link"),
            "owner" => set("owner"),
            other => set(&other.replace('_', " ")),
        }
    }
}

/// One note of an item's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note<'a> {
    pub at: Timestamp,
    pub who: &'a str,
    pub text: &'a str,
}

/// A repair item with its tracking state and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRecord {
    pub id: String,
    pub incident_id: String,
    pub incident_title: String,
    pub incident_start: Option<Timestamp>,
    pub text: String,
    pub reported_status: ReportedStatus,
    pub due: Vec<DueMonth>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    /// The item is no longer in its incident's current review (or the incident is gone). It is
    /// kept, with what people set on it.
    pub retired: bool,
    pub tracking: Tracking,
    /// Bumped on every change; an edit made against an older version is refused.
    pub version: u64,
    pub history: Vec<Event>,
}

impl RepairRecord {
    /// The status that counts: what a person set, else what the review reports.
    pub fn status(&self) -> Status {
        Status::counting(self.tracking.status, self.reported_status)
    }

    /// Late: the day it is due by has passed and it is not closed.
    pub fn overdue(&self, today: jiff::civil::Date) -> bool {
        self.status().is_late(self.due_by(), today)
    }

    /// A copy without the history (which is not copied): what a listing keeps.
    pub fn without_history(&self) -> RepairRecord {
        RepairRecord {
            id: self.id.clone(),
            incident_id: self.incident_id.clone(),
            incident_title: self.incident_title.clone(),
            incident_start: self.incident_start,
            text: self.text.clone(),
            reported_status: self.reported_status,
            due: self.due.clone(),
            services: self.services.clone(),
            regions: self.regions.clone(),
            retired: self.retired,
            tracking: self.tracking.clone(),
            version: self.version,
            history: Vec::new(),
        }
    }

    /// What people set that its status and lateness depend on.
    pub fn set_on(&self) -> super::status::SetOn {
        super::status::SetOn {
            status: self.tracking.status,
            due_date: self.tracking.due_date,
        }
    }

    /// The last day it is due by: the date a person set, else the last day of the latest
    /// month its review reported; `None` when neither says.
    pub fn due_by(&self) -> Option<jiff::civil::Date> {
        super::status::due_by(self.tracking.due_date, &self.due)
    }

    /// The item's note thread, oldest first: every note a person added (and, for records
    /// from before notes were a thread, every text the single note was set to).
    pub fn notes(&self) -> impl Iterator<Item = Note<'_>> {
        self.history
            .iter()
            .filter(|e| e.field == "note")
            .filter_map(|e| {
                e.to.as_deref().map(|text| Note {
                    at: e.at,
                    who: &e.who,
                    text,
                })
            })
    }

    /// The record of `item` as its incident's current review reports it, built on `existing`
    /// (what people set and the history are kept): a reported status that changed is an event.
    pub fn reported(
        existing: Option<RepairRecord>,
        incident: &Incident,
        item: &RepairItem,
        now: Timestamp,
    ) -> RepairRecord {
        let review = incident.current();
        let who = format!("review ({})", review.stage.as_str());
        let mut record = existing.unwrap_or_else(|| RepairRecord {
            id: item.id.clone(),
            incident_id: incident.id.clone(),
            incident_title: String::new(),
            incident_start: None,
            text: String::new(),
            reported_status: item.reported_status,
            due: Vec::new(),
            services: Vec::new(),
            regions: Vec::new(),
            retired: false,
            tracking: Tracking::default(),
            version: 0,
            history: vec![Event {
                at: now,
                who: who.clone(),
                field: "reported_status".into(),
                from: None,
                to: Some(item.reported_status.as_str().into()),
            }],
        });
        if record.reported_status != item.reported_status {
            record.history.push(Event {
                at: now,
                who,
                field: "reported_status".into(),
                from: Some(record.reported_status.as_str().into()),
                to: Some(item.reported_status.as_str().into()),
            });
        }
        record.incident_id = incident.id.clone();
        record.incident_title = review.title.clone();
        record.incident_start = review.impact_start;
        record.text = item.text.clone();
        record.reported_status = item.reported_status;
        record.due = item.due.clone();
        record.services = review.services.clone();
        record.regions = review.regions.clone();
        record.retired = false;
        record
    }

    /// An ingest-side record written over `current` (which a person may have changed
    /// meanwhile): the tracking state, the version and the history of `current` are kept.
    pub fn merged_into(&self, current: RepairRecord) -> RepairRecord {
        let mut next = self.clone();
        next.tracking = current.tracking;
        next.version = current.version + 1;
        let mut history = current.history;
        for e in &self.history {
            if !history.contains(e) {
                history.push(e.clone());
            }
        }
        next.history = history;
        next
    }

    /// Apply a person's change: every field that changes becomes an event, and the version
    /// goes up once. Returns whether anything changed.
    pub fn apply(&mut self, change: &Change, who: &str, now: Timestamp) -> bool {
        let mut events = Vec::new();
        if let Some(status) = change.status
            && (status != self.status() || self.tracking.status.is_none())
        {
            events.push((
                "status",
                Some(self.status().as_str().to_string()),
                Some(status.as_str().to_string()),
            ));
            self.tracking.status = Some(status);
        }
        for (field, new, slot) in [
            ("owner", &change.owner, &mut self.tracking.owner),
            ("link", &change.link, &mut self.tracking.link),
            ("assignee", &change.assignee, &mut self.tracking.assignee),
            ("reason", &change.reason, &mut self.tracking.reason),
        ] {
            let Some(new) = new else { continue };
            let new = Some(new.trim().to_string()).filter(|s| !s.is_empty());
            if *slot != new {
                events.push((field, slot.clone(), new.clone()));
                *slot = new;
            }
        }
        if let Some(due) = change.due_date
            && due != self.tracking.due_date
        {
            let day = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string());
            events.push(("due_date", day(self.tracking.due_date), day(due)));
            self.tracking.due_date = due;
        }
        // A note is added to the thread, never written over.
        if let Some(note) = change
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            events.push(("note", None, Some(note.to_string())));
            self.tracking.note = Some(note.to_string());
        }
        if events.is_empty() {
            return false;
        }
        self.version += 1;
        for (field, from, to) in events {
            self.history.push(Event {
                at: now,
                who: who.to_string(),
                field: field.into(),
                from,
                to,
            });
        }
        true
    }
}

/// A change a person asks for; `None` fields stay as they are, `Some("")` clears a text field
/// (`Some(None)` the due date). A note is added to the item's thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub status: Option<Status>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    pub assignee: Option<String>,
    pub due_date: Option<Option<jiff::civil::Date>>,
    pub reason: Option<String>,
}

/// What syncing reported items did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStats {
    pub added: usize,
    pub updated: usize,
    pub retired: usize,
}

/// A backup of the tracking store: every record with its tracking state and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    pub format: String,
    pub version: u32,
    pub records: Vec<RepairRecord>,
}

/// What `Backup::format` says, so that a wrong file is refused.
pub const BACKUP_FORMAT: &str = "incident-kb tracking backup";

impl Backup {
    /// A backup of these records, in the current format.
    pub fn new(records: Vec<RepairRecord>) -> Backup {
        Backup {
            format: BACKUP_FORMAT.to_string(),
            version: 1,
            records,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RepairRecord {
        RepairRecord {
            id: "i-1".into(),
            incident_id: "i".into(),
            incident_title: "An incident".into(),
            incident_start: None,
            text: "Add a canary stage".into(),
            reported_status: ReportedStatus::Estimated,
            due: vec!["2024-09".parse().unwrap()],
            services: Vec::new(),
            regions: Vec::new(),
            retired: false,
            tracking: Tracking::default(),
            version: 0,
            history: Vec::new(),
        }
    }

    #[test]
    fn notes_are_added_to_a_thread_and_a_due_day_counts_over_the_reported_month() {
        let mut r = record();
        let now = Timestamp::now();
        let note = |text: &str| Change {
            note: Some(text.into()),
            ..Change::default()
        };
        assert!(r.apply(&note("first"), "alice", now));
        assert!(r.apply(&note("second"), "bob", now));
        assert!(
            !r.apply(&note("  "), "bob", now),
            "an empty note adds nothing"
        );
        let thread: Vec<(&str, &str)> = r.notes().map(|n| (n.who, n.text)).collect();
        assert_eq!(thread, [("alice", "first"), ("bob", "second")]);
        assert_eq!(r.tracking.note.as_deref(), Some("second"));
        let october = jiff::civil::date(2024, 10, 1);
        assert!(r.overdue(october), "the reported month has passed");
        let later = Change {
            due_date: Some(Some(jiff::civil::date(2024, 12, 31))),
            assignee: Some("bob".into()),
            ..Change::default()
        };
        assert!(r.apply(&later, "alice", now));
        assert!(!r.overdue(october), "the day a person set counts");
        assert_eq!(r.version, 3);
        let said: Vec<String> = r.history.iter().map(Event::describe).collect();
        assert_eq!(
            said,
            [
                "added a note",
                "added a note",
                "assigned it to bob",
                "set the due date to 2024-12-31"
            ]
        );
    }

    #[test]
    fn events_read_as_words() {
        let event = |field: &str, from: Option<&str>, to: Option<&str>| Event {
            at: Timestamp::UNIX_EPOCH,
            who: "alice".into(),
            field: field.into(),
            from: from.map(str::to_string),
            to: to.map(str::to_string),
        };
        let cases = [
            (
                event("status", Some("open"), Some("in_progress")),
                "changed the status from Open to In progress",
            ),
            (
                event("reported_status", None, Some("estimated")),
                "reported the item planned, with a due date",
            ),
            (
                event("reported_status", Some("estimated"), Some("completed")),
                "now reports the item completed (was planned, with a due date)",
            ),
            (
                event("assignee", Some("bob"), None),
                "unassigned it (was bob)",
            ),
            (
                event("owner", Some("a-team"), Some("b-team")),
                "changed the owner from a-team to b-team",
            ),
            (
                event("link", Some("https://t/1"), None),
                "cleared the ticket link (was https://t/1)",
            ),
        ];
        for (e, words) in cases {
            assert_eq!(e.describe(), words);
        }
    }
}
