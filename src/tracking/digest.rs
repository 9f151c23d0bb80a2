//! The follow-up digest a team reads every week: the repair items that became overdue in a
//! window, the ones due soon, and the ones people changed, grouped by assignee and service.
//! (`web::digest` writes it as Markdown or text and posts it.)

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::audit::by_review;
use super::record::RepairRecord;

/// How far ahead "due soon" looks.
pub const DUE_SOON_DAYS: i64 = 7;

/// Why an item is in the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    BecameOverdue,
    DueSoon,
    Changed,
}

impl Why {
    pub fn label(self) -> &'static str {
        match self {
            Why::BecameOverdue => "became overdue",
            Why::DueSoon => "due soon",
            Why::Changed => "changed",
        }
    }
}

/// One item of the digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    pub id: String,
    pub text: String,
    pub incident_id: String,
    pub incident_title: String,
    pub status: &'static str,
    pub due_by: Option<Date>,
    pub why: Vec<Why>,
    /// What people changed in the window, in words ("alice assigned it to bob").
    pub changes: Vec<String>,
}

/// The digest of one window: items grouped by assignee ("unassigned" last), then by service.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub since: Timestamp,
    pub until: Timestamp,
    pub became_overdue: usize,
    pub due_soon: usize,
    pub changed: usize,
    pub groups: Vec<DigestGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestGroup {
    /// The assignee, or `None` for unassigned items.
    pub assignee: Option<String>,
    pub services: Vec<ServiceItems>,
}

/// One assignee's items of one service (an incident's first service).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceItems {
    pub service: String,
    pub items: Vec<DigestItem>,
}

/// The digest of `records` for the window from `since` to `now`.
pub fn digest(records: &[RepairRecord], since: Timestamp, now: Timestamp) -> Digest {
    let day = |t: Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let (first, today) = (day(since), day(now));
    let soon = today
        .checked_add(jiff::Span::new().days(DUE_SOON_DAYS))
        .unwrap_or(today);
    let mut by_assignee: BTreeMap<(bool, String), BTreeMap<String, Vec<DigestItem>>> =
        BTreeMap::new();
    let (mut became_overdue, mut due_soon, mut changed) = (0, 0, 0);
    for r in records.iter().filter(|r| !r.retired) {
        let open = !r.status().is_closed();
        let due_by = r.due_by();
        let mut why = Vec::new();
        // Overdue from the day after it was due by, and that day fell in the window; or
        // overdue now by a due day a person set in the window.
        let in_window = |e: &&super::record::Event| e.at >= since && e.at <= now;
        let dated_now = r
            .history
            .iter()
            .filter(in_window)
            .any(|e| e.field == "due_date");
        let late = open && due_by.is_some_and(|d| d < today);
        if late && (dated_now || due_by.is_some_and(|d| d >= first.yesterday().unwrap_or(first))) {
            why.push(Why::BecameOverdue);
            became_overdue += 1;
        }
        if open && due_by.is_some_and(|d| d >= today && d <= soon) {
            why.push(Why::DueSoon);
            due_soon += 1;
        }
        let changes: Vec<String> = r
            .history
            .iter()
            .filter(in_window)
            .filter(|e| !by_review(e))
            .map(|e| format!("{} {}", e.who, e.describe()))
            .collect();
        if !changes.is_empty() {
            why.push(Why::Changed);
            changed += 1;
        }
        if why.is_empty() {
            continue;
        }
        let assignee = r.tracking.assignee.clone();
        let service = r
            .services
            .first()
            .cloned()
            .unwrap_or_else(|| "no service".to_string());
        by_assignee
            .entry((assignee.is_none(), assignee.unwrap_or_default()))
            .or_default()
            .entry(service)
            .or_default()
            .push(DigestItem {
                id: r.id.clone(),
                text: r.text.clone(),
                incident_id: r.incident_id.clone(),
                incident_title: r.incident_title.clone(),
                status: r.status().as_str(),
                due_by,
                why,
                changes,
            });
    }
    let groups = by_assignee
        .into_iter()
        .map(|((unassigned, name), services)| DigestGroup {
            assignee: (!unassigned).then_some(name),
            services: services
                .into_iter()
                .map(|(service, mut items)| {
                    items.sort_by(|a, b| a.why.cmp(&b.why).then(a.due_by.cmp(&b.due_by)));
                    ServiceItems { service, items }
                })
                .collect(),
        })
        .collect();
    Digest {
        since,
        until: now,
        became_overdue,
        due_soon,
        changed,
        groups,
    }
}

/// A window length as people write it: `7d`, `2w`, `24h`, `90m`, `30s`.
pub fn parse_window(s: &str) -> Option<jiff::SignedDuration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n <= 0 {
        return None;
    }
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    Some(jiff::SignedDuration::from_secs(n.checked_mul(seconds)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::ReportedStatus;
    use crate::tracking::{Change, Status, Tracking};

    fn record(id: &str, due: &str, assignee: Option<&str>) -> RepairRecord {
        RepairRecord {
            id: id.into(),
            incident_id: "inc".into(),
            incident_title: "DNS outage".into(),
            incident_start: None,
            text: format!("item {id}"),
            reported_status: ReportedStatus::Estimated,
            due: vec![due.parse().unwrap()],
            services: vec!["Azure DNS".into()],
            regions: Vec::new(),
            retired: false,
            tracking: Tracking {
                assignee: assignee.map(str::to_string),
                ..Tracking::default()
            },
            version: 0,
            history: Vec::new(),
        }
    }

    #[test]
    fn items_that_became_overdue_are_due_soon_or_changed_are_grouped_by_assignee() {
        let now: Timestamp = "2024-10-03T12:00:00Z".parse().unwrap();
        let since = now - jiff::SignedDuration::from_hours(7 * 24);
        let mut changed = record("c", "2025-06", None);
        changed.apply(
            &Change {
                status: Some(Status::InProgress),
                ..Change::default()
            },
            "alice",
            now - jiff::SignedDuration::from_hours(1),
        );
        let records = vec![
            record("late", "2024-09", Some("bob")), // due by 09-30: overdue from 10-01
            record("older", "2024-08", Some("bob")), // overdue before the window
            {
                // Overdue by a past day a person set in the window.
                let mut r = record("dated", "2025-06", Some("carol"));
                r.apply(
                    &Change {
                        due_date: Some(Some(jiff::civil::date(2024, 7, 1))),
                        ..Change::default()
                    },
                    "alice",
                    now - jiff::SignedDuration::from_hours(2),
                );
                r
            },
            record("soon", "2024-10", None), // due by 10-31: not within 7 days
            {
                let mut r = record("soon2", "2024-10", Some("bob"));
                r.tracking.due_date = Some(jiff::civil::date(2024, 10, 8));
                r
            },
            changed,
        ];
        let d = digest(&records, since, now);
        assert_eq!((d.became_overdue, d.due_soon, d.changed), (2, 1, 2));
        let bob = &d.groups[0];
        assert_eq!(bob.assignee.as_deref(), Some("bob"));
        let ids: Vec<&str> = bob.services[0]
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(ids, ["late", "soon2"]);
        assert_eq!(d.groups[1].assignee.as_deref(), Some("carol"));
        assert_eq!(
            d.groups[1].services[0].items[0].why,
            [Why::BecameOverdue, Why::Changed]
        );
        assert_eq!(d.groups[2].assignee, None, "unassigned last");
        let changed = &d.groups[2].services[0].items[0];
        assert_eq!(
            changed.changes,
            ["alice changed the status from Open to In progress"]
        );
    }

    #[test]
    fn windows_read_as_people_write_them() {
        assert_eq!(
            parse_window("7d"),
            Some(jiff::SignedDuration::from_hours(168))
        );
        assert_eq!(
            parse_window("2w"),
            Some(jiff::SignedDuration::from_hours(336))
        );
        assert_eq!(
            parse_window("90s"),
            Some(jiff::SignedDuration::from_secs(90))
        );
        for bad in ["", "d", "0d", "-1d", "7y", "seven days"] {
            assert_eq!(parse_window(bad), None, "{bad}");
        }
    }
}
