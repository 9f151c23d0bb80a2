//! The audit log: every change across repair items (who, when, what), newest first, with the
//! filters a review meeting or a security check asks for.

use jiff::Timestamp;

use super::record::{Event, RepairRecord};
use crate::index::request::RequestError;

/// One change to one item.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub record: &'a RepairRecord,
    pub event: &'a Event,
}

/// Which changes to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only changes by this name (exact; `people` for every change a person made, `reviews`
    /// for what the reviews reported).
    pub who: Option<String>,
    /// Only changes to this field (status, assignee, due_date, note, owner, link, reason,
    /// reported_status).
    pub field: Option<String>,
    /// Only changes at or after / before these days (UTC).
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub incident: Option<String>,
}

/// The fields a change can be to.
pub const FIELDS: [&str; 8] = [
    "status",
    "assignee",
    "due_date",
    "note",
    "owner",
    "link",
    "reason",
    "reported_status",
];

/// Whether an event is what a review reported (not a person's change).
pub fn by_review(e: &Event) -> bool {
    e.who.starts_with("review (")
}

impl AuditFilter {
    /// Read the filters from named parameters: `who`, `field`, `since` and `until` (days,
    /// 2024-09-30, in UTC; `until` includes its day), `incident`.
    pub fn parse(params: &[(String, String)]) -> Result<AuditFilter, RequestError> {
        let mut f = AuditFilter::default();
        for (key, value) in params.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let value = value.trim();
            let day = |end: bool| -> Result<Timestamp, RequestError> {
                let d: jiff::civil::Date = value.parse().map_err(|_| RequestError {
                    param: key.clone(),
                    rule: format!(
                        "must be a day like 2024-09-30, not `{}`",
                        value.chars().take(30).collect::<String>()
                    ),
                })?;
                let d = if end { d.tomorrow().unwrap_or(d) } else { d };
                d.to_zoned(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp())
                    .map_err(|e| RequestError {
                        param: key.clone(),
                        rule: e.to_string(),
                    })
            };
            match key.as_str() {
                "who" => f.who = Some(value.to_string()),
                "field" => {
                    if !FIELDS.contains(&value) {
                        return Err(RequestError {
                            param: "field".into(),
                            rule: format!("must be one of {}", FIELDS.join(", ")),
                        });
                    }
                    f.field = Some(value.to_string());
                }
                "since" => f.since = Some(day(false)?),
                "until" => f.until = Some(day(true)?),
                "incident" => f.incident = Some(value.to_string()),
                _ => {}
            }
        }
        Ok(f)
    }

    pub fn matches(&self, r: &RepairRecord, e: &Event) -> bool {
        let who_ok = match self.who.as_deref() {
            None => true,
            Some("people") => !by_review(e),
            Some("reviews") => by_review(e),
            Some(name) => e.who == name,
        };
        who_ok
            && self.field.as_ref().is_none_or(|f| &e.field == f)
            && self.since.is_none_or(|t| e.at >= t)
            && self.until.is_none_or(|t| e.at < t)
            && self.incident.as_ref().is_none_or(|i| &r.incident_id == i)
    }
}

/// Every change of these records that passes the filter, newest first (then by item id).
pub fn entries<'a>(records: &'a [RepairRecord], filter: &AuditFilter) -> Vec<AuditEntry<'a>> {
    let mut out: Vec<AuditEntry<'a>> = records
        .iter()
        .flat_map(|record| {
            record
                .history
                .iter()
                .filter(|e| filter.matches(record, e))
                .map(move |event| AuditEntry { record, event })
        })
        .collect();
    out.sort_by(|a, b| {
        b.event
            .at
            .cmp(&a.event.at)
            .then_with(|| a.record.id.cmp(&b.record.id))
    });
    out
}
