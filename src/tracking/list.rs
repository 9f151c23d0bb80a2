//! Listing repair items: filters (status, service, region, incident, due month) and the order a
//! follow-up review wants (overdue first, then by due month).

use super::record::RepairRecord;
pub use super::status::StatusFilter;
use crate::catalog::Catalogue;
use crate::incident::DueMonth;
use crate::index::request::RequestError;

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
    /// Read a listing's filters from named parameters, as a query string or the CLI's flags
    /// give them: `status` (repeatable; a status or "overdue"), `service` and `region`
    /// (repeatable, read through the catalogue's aliases as search reads them), `incident`,
    /// `due` (a month like 2024-09). Other names are not this listing's and are left alone.
    pub fn parse(
        params: &[(String, String)],
        catalogue: &Catalogue,
    ) -> Result<RepairFilter, RequestError> {
        let mut f = RepairFilter::default();
        for (key, value) in params.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let value = value.trim();
            let clip = |n: usize| value.chars().take(n).collect::<String>();
            match key.as_str() {
                "status" => f.statuses.push(StatusFilter::parse(value).ok_or_else(|| {
                    RequestError {
                        param: "status".into(),
                        rule: format!(
                            "must be one of open, in_progress, overdue, completed, wont_do (unknown status `{}`)",
                            clip(30)
                        ),
                    }
                })?),
                "service" => f.services.push(catalogue.canonical_service(value)),
                "region" => f.regions.push(catalogue.canonical_region(value)),
                "incident" => f.incident = Some(value.to_string()),
                "due" => {
                    f.due = Some(value.parse::<DueMonth>().map_err(|e| RequestError {
                        param: "due".into(),
                        rule: format!("must be a month like 2024-09: {e}"),
                    })?)
                }
                _ => {}
            }
        }
        Ok(f)
    }

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
