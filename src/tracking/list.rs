//! Listing repair items: filters (status, service, region, incident, due month or window,
//! assignee, owner) and orders (the one a follow-up review wants: overdue first, then by the
//! day due; or by due day, age, service, incident).

use std::borrow::Borrow;

use super::record::RepairRecord;
pub use super::status::StatusFilter;
use crate::catalog::Catalogue;
use crate::incident::DueMonth;
use crate::index::request::RequestError;

/// The order of a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RepairOrder {
    /// What a follow-up review wants: overdue first, then open before closed, then by the day
    /// due and the incident (newest first).
    #[default]
    FollowUp,
    /// The soonest due first; items without a due day last.
    Due,
    /// The oldest incident first (the items that have waited longest).
    Age,
    /// By the incident's first service, then the follow-up order.
    Service,
    /// By incident (newest first), its items together.
    Incident,
}

impl RepairOrder {
    pub const ALL: [RepairOrder; 5] = [
        RepairOrder::FollowUp,
        RepairOrder::Due,
        RepairOrder::Age,
        RepairOrder::Service,
        RepairOrder::Incident,
    ];

    /// How it is written in a URL (`sort=due`).
    pub fn as_str(self) -> &'static str {
        match self {
            RepairOrder::FollowUp => "follow-up",
            RepairOrder::Due => "due",
            RepairOrder::Age => "age",
            RepairOrder::Service => "service",
            RepairOrder::Incident => "incident",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RepairOrder::FollowUp => "Overdue first",
            RepairOrder::Due => "Due soonest",
            RepairOrder::Age => "Oldest incident",
            RepairOrder::Service => "Service",
            RepairOrder::Incident => "Incident",
        }
    }
}

/// Who an item is assigned to, as a listing asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    To(String),
    Nobody,
}

#[derive(Debug, Clone, Default)]
pub struct RepairFilter {
    pub statuses: Vec<StatusFilter>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub incident: Option<String>,
    pub due: Option<DueMonth>,
    /// Due by a day within these (inclusive).
    pub due_from: Option<jiff::civil::Date>,
    pub due_to: Option<jiff::civil::Date>,
    /// Any of these assignees (`assignee=me` is the caller's name; `none`, nobody).
    pub assignees: Vec<Assigned>,
    /// Any of these owner teams (as written, any case).
    pub owners: Vec<String>,
    /// Include items no longer in their incident's current review.
    pub include_retired: bool,
    pub order: RepairOrder,
}

impl RepairFilter {
    /// Read a listing's filters from named parameters, as a query string or the CLI's flags
    /// give them: `status` (repeatable; a status or "overdue"), `service` and `region`
    /// (repeatable, read through the catalogue's aliases as search reads them), `incident`,
    /// `due` (a month like 2024-09), `due_from` and `due_to` (a day, or a month: its first or
    /// last day), `assignee` (repeatable; `me` is `me`, the caller's name, and `none`
    /// nobody), `owner` (repeatable) and `sort` (see [`RepairOrder`]). Other names are not
    /// this listing's and are left alone.
    pub fn parse(
        params: &[(String, String)],
        catalogue: &Catalogue,
        me: Option<&str>,
    ) -> Result<RepairFilter, RequestError> {
        let mut f = RepairFilter::default();
        for (key, value) in params.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let value = value.trim();
            let clip = |n: usize| value.chars().take(n).collect::<String>();
            let bad = |param: &str, rule: String| RequestError {
                param: param.into(),
                rule,
            };
            match key.as_str() {
                "status" => f.statuses.push(StatusFilter::parse(value).ok_or_else(|| {
                    bad(
                        "status",
                        format!(
                            "must be one of open, in_progress, overdue, completed, wont_do (unknown status `{}`)",
                            clip(30)
                        ),
                    )
                })?),
                "service" => f.services.push(catalogue.canonical_service(value)),
                "region" => f.regions.push(catalogue.canonical_region(value)),
                "incident" => f.incident = Some(value.to_string()),
                "due" => {
                    f.due = Some(
                        value
                            .parse::<DueMonth>()
                            .map_err(|e| bad("due", format!("must be a month like 2024-09: {e}")))?,
                    )
                }
                "due_from" | "due_to" => {
                    let day = day_or_month(value, key == "due_to").ok_or_else(|| {
                        bad(
                            key,
                            format!("must be a day like 2024-09-30 or a month like 2024-09, not `{}`", clip(30)),
                        )
                    })?;
                    if key == "due_from" {
                        f.due_from = Some(day);
                    } else {
                        f.due_to = Some(day);
                    }
                }
                "assignee" => f.assignees.push(match value {
                    "none" => Assigned::Nobody,
                    "me" => Assigned::To(
                        me.ok_or_else(|| {
                            bad("assignee", "`me` needs a logged-in user: log in, or name the user".into())
                        })?
                        .to_string(),
                    ),
                    name => Assigned::To(name.to_string()),
                }),
                "owner" => f.owners.push(value.to_string()),
                "sort" => {
                    f.order = RepairOrder::ALL
                        .into_iter()
                        .find(|o| o.as_str() == value)
                        .ok_or_else(|| {
                            bad(
                                "sort",
                                format!(
                                    "must be one of {} (not `{}`)",
                                    RepairOrder::ALL.map(RepairOrder::as_str).join(", "),
                                    clip(30)
                                ),
                            )
                        })?
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
        let due_by = r.due_by();
        let within = |bound: Option<jiff::civil::Date>,
                      ok: fn(&jiff::civil::Date, &jiff::civil::Date) -> bool| {
            bound.is_none_or(|b| due_by.is_some_and(|d| ok(&d, &b)))
        };
        let assigned_ok = self.assignees.is_empty()
            || self.assignees.iter().any(|a| match a {
                Assigned::Nobody => r.tracking.assignee.is_none(),
                Assigned::To(name) => r.tracking.assignee.as_deref() == Some(name.as_str()),
            });
        let owner = r.tracking.owner.as_slice();
        (self.include_retired || !r.retired || r.tracking != Default::default())
            && status_ok
            && any(&self.services, &r.services)
            && any(&self.regions, &r.regions)
            && self.incident.as_ref().is_none_or(|i| &r.incident_id == i)
            && self.due.is_none_or(|d| r.due.contains(&d))
            && within(self.due_from, |d, b| d >= b)
            && within(self.due_to, |d, b| d <= b)
            && assigned_ok
            && any(&self.owners, owner)
    }
}

/// A day, or a month read as its first day (or, for the end of a window, its last).
fn day_or_month(s: &str, end: bool) -> Option<jiff::civil::Date> {
    if let Ok(day) = s.parse::<jiff::civil::Date>() {
        return Some(day);
    }
    let month: DueMonth = s.parse().ok()?;
    let first = jiff::civil::Date::new(month.year, month.month, 1).ok()?;
    Some(if end { first.last_of_month() } else { first })
}

/// The records that pass the filter, in the filter's order (by default overdue first, then
/// open before closed, then by the day due and incident date, newest first). Records or
/// references to them alike: a listing of kept records sorts references.
pub fn list<R: Borrow<RepairRecord>>(
    records: impl IntoIterator<Item = R>,
    filter: &RepairFilter,
    today: jiff::civil::Date,
) -> Vec<R> {
    list_first(records, filter, today, usize::MAX).1
}

/// How many records pass the filter, and the first `first` of them in the filter's order:
/// a page needs only those sorted (the rest are set aside in linear time, not sorted).
pub fn list_first<R: Borrow<RepairRecord>>(
    records: impl IntoIterator<Item = R>,
    filter: &RepairFilter,
    today: jiff::civil::Date,
    first: usize,
) -> (usize, Vec<R>) {
    // Each record's sort keys, computed once (not at every comparison).
    struct Keyed<R> {
        overdue: bool,
        closed: bool,
        due: (bool, Option<jiff::civil::Date>),
        service: (bool, String),
        record: R,
    }
    let mut out: Vec<Keyed<R>> = records
        .into_iter()
        .filter(|r| filter.matches(r.borrow(), today))
        .map(|record| {
            let r = record.borrow();
            Keyed {
                overdue: r.overdue(today),
                closed: r.status().is_closed(),
                due: due_key(r),
                service: match (filter.order, r.services.first()) {
                    (RepairOrder::Service, Some(s)) => (false, s.to_lowercase()),
                    _ => (true, String::new()),
                },
                record,
            }
        })
        .collect();
    let follow_up = |a: &Keyed<R>, b: &Keyed<R>| {
        let (ra, rb) = (a.record.borrow(), b.record.borrow());
        b.overdue
            .cmp(&a.overdue)
            .then(a.closed.cmp(&b.closed))
            .then(a.due.cmp(&b.due))
            .then(rb.incident_start.cmp(&ra.incident_start))
            .then_with(|| ra.id.cmp(&rb.id))
    };
    let started = |k: &Keyed<R>| {
        let r = k.record.borrow();
        (r.incident_start.is_none(), r.incident_start)
    };
    let order = |a: &Keyed<R>, b: &Keyed<R>| -> std::cmp::Ordering {
        match filter.order {
            RepairOrder::FollowUp => follow_up(a, b),
            RepairOrder::Due => a.due.cmp(&b.due).then_with(|| follow_up(a, b)),
            RepairOrder::Age => started(a)
                .cmp(&started(b))
                .then_with(|| {
                    a.record
                        .borrow()
                        .incident_id
                        .cmp(&b.record.borrow().incident_id)
                })
                .then_with(|| follow_up(a, b)),
            RepairOrder::Service => a.service.cmp(&b.service).then_with(|| follow_up(a, b)),
            RepairOrder::Incident => {
                let (ra, rb) = (a.record.borrow(), b.record.borrow());
                rb.incident_start
                    .cmp(&ra.incident_start)
                    .then_with(|| ra.incident_id.cmp(&rb.incident_id))
                    .then_with(|| follow_up(a, b))
            }
        }
    };
    let total = out.len();
    if first < total {
        // Every comparison ends on the id, so the first `first` are the same as a full sort's.
        out.select_nth_unstable_by(first, order);
        out.truncate(first);
    }
    out.sort_by(order);
    (total, out.into_iter().map(|k| k.record).collect())
}

/// The day due as a sort key: soonest first, none last.
fn due_key(r: &RepairRecord) -> (bool, Option<jiff::civil::Date>) {
    let d = r.due_by();
    (d.is_none(), d)
}
