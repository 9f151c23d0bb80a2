//! Listing repair items: filters (status, service, region, incident, due month) and the order a
//! follow-up review wants (overdue first, then by due month).

use super::record::RepairRecord;
pub use super::status::StatusFilter;
use crate::incident::DueMonth;

#[derive(Debug, Clone, Default)]
pub struct RepairFilter {
    pub statuses: Vec<StatusFilter>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub incident: Option<String>,
    pub due: Option<DueMonth>,
    /// Include items no longer in their incident's current review.
    pub include_retired: bool,
}

impl RepairFilter {
    pub fn matches(&self, r: &RepairRecord, today: jiff::civil::Date) -> bool {
        let status_ok = self.statuses.is_empty()
            || self.statuses.iter().any(|s| match s {
                StatusFilter::Is(st) => r.status() == *st,
                StatusFilter::Overdue => r.overdue(today),
            });
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty()
                || wanted
                    .iter()
                    .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
        };
        (self.include_retired || !r.retired || r.tracking != Default::default())
            && status_ok
            && any(&self.services, &r.services)
            && any(&self.regions, &r.regions)
            && self.incident.as_ref().is_none_or(|i| &r.incident_id == i)
            && self.due.is_none_or(|d| r.due.contains(&d))
    }
}

/// The records that pass the filter: overdue first, then open before closed, then by due month
/// and incident date (newest first).
pub fn list(
    records: Vec<RepairRecord>,
    filter: &RepairFilter,
    today: jiff::civil::Date,
) -> Vec<RepairRecord> {
    let mut out: Vec<RepairRecord> = records
        .into_iter()
        .filter(|r| filter.matches(r, today))
        .collect();
    out.sort_by(|a, b| {
        b.overdue(today)
            .cmp(&a.overdue(today))
            .then(a.status().is_closed().cmp(&b.status().is_closed()))
            .then(a.due.iter().min().cmp(&b.due.iter().min()))
            .then(b.incident_start.cmp(&a.incident_start))
            .then(a.id.cmp(&b.id))
    });
    out
}
