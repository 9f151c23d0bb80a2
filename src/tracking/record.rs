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
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
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

    /// Late: its last due month has passed and it is not closed.
    pub fn overdue(&self, today: jiff::civil::Date) -> bool {
        self.status().is_overdue(&self.due, today)
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
            ("note", &change.note, &mut self.tracking.note),
            ("link", &change.link, &mut self.tracking.link),
        ] {
            let Some(new) = new else { continue };
            let new = Some(new.trim().to_string()).filter(|s| !s.is_empty());
            if *slot != new {
                events.push((field, slot.clone(), new.clone()));
                *slot = new;
            }
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

/// A change a person asks for; `None` fields stay as they are, `Some("")` clears a text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub status: Option<Status>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
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
