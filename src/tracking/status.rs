//! The rules of repair status, all in one place: the statuses people track, the one that
//! counts for an item (what a person set, else what its review reports), when an item is
//! overdue, and which repair facet values an incident has ("open", "completed", "none",
//! "overdue"; the values themselves are the model's, [`RepairFacet`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use crate::incident::RepairFacet;
use crate::incident::{DueMonth, Incident, RepairItem, ReportedStatus};

/// Where an item stands, as people track it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Completed,
    WontDo,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::InProgress,
        Status::Completed,
        Status::WontDo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::WontDo => "wont_do",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::InProgress => "In progress",
            Status::Completed => "Completed",
            Status::WontDo => "Won't do",
        }
    }

    /// Read a status as people write it: `in progress`, `In-Progress`, `won't do`, `wont_do`.
    pub fn parse(s: &str) -> Option<Status> {
        let s = s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .replace('\'', "");
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Done one way or the other: nothing more is expected.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Completed | Status::WontDo)
    }

    /// The status that counts: what a person set, else what the review reports.
    pub fn counting(set: Option<Status>, reported: ReportedStatus) -> Status {
        set.unwrap_or(if reported == ReportedStatus::Completed {
            Status::Completed
        } else {
            Status::Open
        })
    }

    /// Late: the day it is due by has passed and the item is not closed.
    pub fn is_late(self, due_by: Option<jiff::civil::Date>, today: jiff::civil::Date) -> bool {
        !self.is_closed() && due_by.is_some_and(|d| d < today)
    }
}

/// The last day an item is due by: the date a person set, else the last day of the latest
/// month its review reported.
pub fn due_by(set: Option<jiff::civil::Date>, reported: &[DueMonth]) -> Option<jiff::civil::Date> {
    set.or_else(|| reported.iter().max().and_then(|m| m.last_day()))
}

/// What people set on an item that its status, its lateness and its incident's repair facets
/// depend on (the rest comes from the review).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetOn {
    pub status: Option<Status>,
    pub due_date: Option<jiff::civil::Date>,
}

impl SetOn {
    pub fn is_empty(self) -> bool {
        self == SetOn::default()
    }
}

/// The status that counts for a review's item and whether it is overdue, given what a person
/// set on it (if anything).
pub fn status_of(item: &RepairItem, set: SetOn, today: jiff::civil::Date) -> (Status, bool) {
    let status = Status::counting(set.status, item.reported_status);
    (
        status,
        status.is_late(due_by(set.due_date, &item.due), today),
    )
}

/// A listing's status filter: a tracked status, or "overdue".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Is(Status),
    Overdue,
}

impl StatusFilter {
    /// How it is written in a URL or on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Is(s) => s.as_str(),
            StatusFilter::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<StatusFilter> {
        if s.trim().eq_ignore_ascii_case("overdue") {
            Some(StatusFilter::Overdue)
        } else {
            Status::parse(s).map(StatusFilter::Is)
        }
    }
}

impl RepairFacet {
    /// An incident's facet values from its items' (status, overdue): "none" without items,
    /// "completed" when all are closed, else "open"; plus "overdue" when one is.
    pub fn of_items(items: &[(Status, bool)]) -> BTreeSet<RepairFacet> {
        let mut values = BTreeSet::new();
        if items.is_empty() {
            values.insert(RepairFacet::None);
        } else if items.iter().all(|(s, _)| s.is_closed()) {
            values.insert(RepairFacet::Completed);
        } else {
            values.insert(RepairFacet::Open);
        }
        if items.iter().any(|(_, overdue)| *overdue) {
            values.insert(RepairFacet::Overdue);
        }
        values
    }

    /// An incident's facet values: each item's status and due date are what a person set
    /// (`set`, by item id), else what its review reports.
    pub fn of_incident(
        incident: &Incident,
        set: &dyn Fn(&str) -> SetOn,
        today: jiff::civil::Date,
    ) -> BTreeSet<RepairFacet> {
        let items: Vec<_> = incident
            .current()
            .repair_items
            .iter()
            .map(|i| status_of(i, set(&i.id), today))
            .collect();
        RepairFacet::of_items(&items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_people_write_them() {
        assert_eq!(Status::parse("In progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("won't do"), Some(Status::WontDo));
        assert_eq!(Status::parse("wont-do"), Some(Status::WontDo));
        assert_eq!(Status::parse("done"), None);
        assert_eq!(StatusFilter::parse(" Overdue"), Some(StatusFilter::Overdue));
    }

    #[test]
    fn what_a_person_set_counts_over_the_review_and_closed_is_never_overdue() {
        let due: Vec<DueMonth> = vec!["2024-06".parse().unwrap()];
        let july = jiff::civil::date(2024, 7, 1);
        let s = Status::counting(None, ReportedStatus::Estimated);
        assert_eq!(s, Status::Open);
        assert!(s.is_late(due_by(None, &due), july));
        assert!(!s.is_late(due_by(None, &due), jiff::civil::date(2024, 6, 30)));
        // A day a person set counts over the month the review reported.
        let day = Some(jiff::civil::date(2024, 8, 15));
        assert!(!s.is_late(due_by(day, &due), july));
        assert!(s.is_late(due_by(day, &due), jiff::civil::date(2024, 8, 16)));
        let s = Status::counting(Some(Status::WontDo), ReportedStatus::Estimated);
        assert!(!s.is_late(due_by(None, &due), july));
        assert_eq!(
            Status::counting(None, ReportedStatus::Completed),
            Status::Completed
        );
    }

    #[test]
    fn an_incident_facet_is_none_completed_or_open_plus_overdue() {
        use RepairFacet as F;
        let of = |items: &[(Status, bool)]| F::of_items(items).into_iter().collect::<Vec<_>>();
        assert_eq!(of(&[]), [F::None]);
        assert_eq!(
            of(&[(Status::Completed, false), (Status::WontDo, false)]),
            [F::Completed]
        );
        assert_eq!(
            of(&[(Status::Completed, false), (Status::Open, true)]),
            [F::Open, F::Overdue]
        );
        assert_eq!(F::parse("OVERDUE"), Some(F::Overdue));
    }
}
