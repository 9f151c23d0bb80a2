//! The figures of `/insights`, `/api/v1/insights` and `ikb insights`, for the incidents a
//! search's filters select: incidents per quarter by cause, time to mitigate by service, the
//! repair burn-down per month, and overdue items by how long they are overdue.

use std::collections::HashMap;

use serde::Serialize;

use super::recurrence::narrowed;
use super::spread::Spread;
use crate::catalog::Catalogue;
use crate::index::search::SearchResults;
use crate::index::{Facet, IndexError, SearchIndex, SearchRequest};
use crate::tracking::{RepairRecord, Status, today};

/// How many causes get a series of their own; the rest are "Other causes".
const CAUSES_SHOWN: usize = 6;
/// How many services the time to mitigate is shown for (the most incidents first).
const SERVICES_SHOWN: usize = 10;

/// What the figures need of one repair item, small enough to keep for every item of a large
/// corpus (a server keeps them, and updates one on each tracking write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairFact {
    pub incident: String,
    /// The month its incident started in, and the month it closed in (year * 12 + month - 1).
    pub opened: Option<i64>,
    pub closed: Option<i64>,
    pub status: Status,
    /// The day it is due by (a person's date, else its review's month; see
    /// [`RepairRecord::due_by`]).
    pub due_by: Option<jiff::civil::Date>,
}

impl RepairFact {
    /// Late: due by a day that has passed, and not closed.
    pub fn overdue(&self, today: jiff::civil::Date) -> bool {
        self.status.is_late(self.due_by, today)
    }
}

impl RepairFact {
    /// The fact of a record; `None` for an item gone from its review that nobody tracks (the
    /// follow-up pages do not count those either).
    pub fn of(r: &RepairRecord) -> Option<RepairFact> {
        if r.retired && r.tracking == Default::default() {
            return None;
        }
        let opened = r.incident_start.map(month_of);
        let status = r.status();
        // Closed when a person set it completed or won't do (the history's time), or,
        // reported completed by its review and never changed, in its incident's month.
        let closed = status.is_closed().then(|| {
            r.history
                .iter()
                .rev()
                .find(|e| e.field == "status" && !e.who.starts_with("review"))
                .map(|e| month_of(e.at))
                .or(opened)
        });
        Some(RepairFact {
            incident: r.incident_id.clone(),
            opened,
            closed: closed.flatten(),
            status,
            due_by: r.due_by(),
        })
    }
}

/// Every counted repair item's fact, by item id.
pub type RepairFacts = HashMap<String, RepairFact>;

pub fn repair_facts(records: &[RepairRecord]) -> RepairFacts {
    records
        .iter()
        .filter_map(|r| Some((r.id.clone(), RepairFact::of(r)?)))
        .collect()
}

/// One cause's incidents per quarter (the quarters of [`Insights::quarters`]).
#[derive(Debug, Clone, Serialize)]
pub struct CauseSeries {
    /// The cause's id, or empty for the other causes together.
    pub cause: String,
    pub label: String,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceMinutes {
    pub service: String,
    pub incidents: u64,
    /// Minutes from impact start to mitigation, over the reviews that date it.
    pub mitigate: Spread,
}

/// Repair items at the end of one month: open, and closed so far.
#[derive(Debug, Clone, Serialize)]
pub struct BurnMonth {
    /// "2024-07".
    pub month: String,
    pub open: u64,
    pub closed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgeBucket {
    pub label: &'static str,
    pub items: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Insights {
    /// Incidents the filters select, and how many of them have an impact start.
    pub incidents: usize,
    pub dated: usize,
    /// "2024 Q3", oldest first, from the first dated incident's quarter to the last's.
    pub quarters: Vec<String>,
    pub by_cause: Vec<CauseSeries>,
    pub mitigate_by_service: Vec<ServiceMinutes>,
    pub burn_down: Vec<BurnMonth>,
    pub overdue_by_age: Vec<AgeBucket>,
}

/// A facet's values and counts in a search's results.
pub fn facet_values(results: &SearchResults, facet: Facet) -> Vec<(String, u64)> {
    results
        .counts(facet)
        .iter()
        .map(|c| (c.value.clone(), c.count))
        .collect()
}

/// A quarter as a number: year * 4 + quarter (0 to 3).
fn quarter_of(second: i64) -> Option<i64> {
    let d = jiff::Timestamp::from_second(second)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Some(i64::from(d.year()) * 4 + i64::from(d.month() - 1) / 3)
}

/// A month as a number: year * 12 + month (0 to 11).
fn month_index(year: i16, month: i8) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

fn month_of(t: jiff::Timestamp) -> i64 {
    let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    month_index(d.year(), d.month())
}

/// The figures for the incidents `base` selects (its filters and impact range; its words and
/// paging are not used), and for the repair items of those incidents.
pub fn insights(
    index: &SearchIndex,
    facts: &RepairFacts,
    catalogue: &Catalogue,
    base: &SearchRequest,
) -> Result<Insights, IndexError> {
    let base = SearchRequest {
        query: String::new(),
        offset: 0,
        limit: 0,
        ..base.clone()
    };
    let all = index.search(&base)?;
    let starts = index.impact_starts(&base)?;
    let quarters: Vec<i64> = starts.iter().filter_map(|&s| quarter_of(s)).collect();
    let (first, last) = (
        quarters.iter().min().copied(),
        quarters.iter().max().copied(),
    );
    let span: Vec<i64> = match (first, last) {
        (Some(a), Some(b)) => (a..=b).collect(),
        _ => Vec::new(),
    };
    let per_quarter = |starts: &[i64]| -> Vec<u64> {
        let mut counts = vec![0u64; span.len()];
        for q in starts.iter().filter_map(|&s| quarter_of(s)) {
            if let Some(first) = first {
                counts[(q - first) as usize] += 1;
            }
        }
        counts
    };
    let causes = facet_values(&all, Facet::Cause);
    let mut by_cause = Vec::new();
    for (cause, _) in causes.iter().take(CAUSES_SHOWN) {
        let starts = index.impact_starts(&narrowed(&base, &[(Facet::Cause, cause)], 0))?;
        by_cause.push(CauseSeries {
            cause: cause.clone(),
            label: catalogue.cause_label(cause).to_string(),
            counts: per_quarter(&starts),
        });
    }
    // The rest: incidents with none of the shown causes (an incident with several causes
    // counts in each of its series).
    let mut other = per_quarter(&starts);
    if !causes.is_empty() {
        let shown: Vec<String> = causes
            .iter()
            .take(CAUSES_SHOWN)
            .map(|c| c.0.clone())
            .collect();
        let mut any_shown = base.clone();
        any_shown.filters.push((Facet::Cause, shown));
        for (o, w) in other
            .iter_mut()
            .zip(per_quarter(&index.impact_starts(&any_shown)?))
        {
            *o -= w;
        }
    }
    if other.iter().any(|&n| n > 0) {
        by_cause.push(CauseSeries {
            cause: String::new(),
            label: if causes.len() > CAUSES_SHOWN {
                "Other or no cause".into()
            } else {
                "No cause recognised".into()
            },
            counts: other,
        });
    }

    let mut mitigate_by_service = Vec::new();
    for (service, incidents) in facet_values(&all, Facet::Service) {
        if mitigate_by_service.len() == SERVICES_SHOWN {
            break;
        }
        let minutes = index.response_minutes(&narrowed(&base, &[(Facet::Service, &service)], 0))?;
        if let Some(mitigate) = Spread::of_sorted(&minutes.mitigate) {
            mitigate_by_service.push(ServiceMinutes {
                service,
                incidents,
                mitigate,
            });
        }
    }

    let items = repair_items(index, facts, &base)?;
    Ok(Insights {
        incidents: all.total,
        dated: starts.len(),
        quarters: span
            .iter()
            .map(|q| format!("{} Q{}", q / 4, q % 4 + 1))
            .collect(),
        by_cause,
        mitigate_by_service,
        burn_down: burn_down(&items),
        overdue_by_age: overdue_by_age(&items),
    })
}

/// The repair items of the incidents the filters select (the index says which: the filters
/// include causes and providers, which the tracking store does not know).
pub fn repair_items<'a>(
    index: &SearchIndex,
    facts: &'a RepairFacts,
    base: &SearchRequest,
) -> Result<Vec<&'a RepairFact>, IndexError> {
    if base.filters.is_empty() && base.from.is_none() && base.to.is_none() {
        return Ok(facts.values().collect());
    }
    let selected = index.incident_ids(base)?;
    Ok(facts
        .values()
        .filter(|f| selected.contains(&f.incident))
        .collect())
}

/// Open and closed items at the end of each month, from the first incident's month to this
/// one (see [`RepairFact`] for when an item opens and closes).
fn burn_down(items: &[&RepairFact]) -> Vec<BurnMonth> {
    let now = month_of(jiff::Timestamp::now());
    let mut opened: Vec<i64> = Vec::new();
    let mut closed: Vec<i64> = Vec::new();
    for f in items {
        let Some(open_month) = f.opened.map(|m| m.min(now)) else {
            continue;
        };
        opened.push(open_month);
        if let Some(c) = f.closed {
            closed.push(c.max(open_month).min(now));
        }
    }
    let Some(&first) = opened.iter().min() else {
        return Vec::new();
    };
    let months = (now - first + 1) as usize;
    let (mut opens, mut closes) = (vec![0u64; months], vec![0u64; months]);
    for m in opened {
        opens[(m - first) as usize] += 1;
    }
    for m in closed {
        closes[(m - first) as usize] += 1;
    }
    let (mut total, mut done) = (0u64, 0u64);
    (0..months)
        .map(|i| {
            total += opens[i];
            done += closes[i];
            let m = first + i as i64;
            BurnMonth {
                month: format!("{:04}-{:02}", m / 12, m % 12 + 1),
                open: total - done,
                closed: done,
            }
        })
        .collect()
}

/// Overdue items by the months since the month they were due by ended.
fn overdue_by_age(items: &[&RepairFact]) -> Vec<AgeBucket> {
    let today = today();
    let now = month_index(today.year(), today.month());
    let mut buckets = [
        ("under 3 months", 0u64),
        ("3 to 6 months", 0),
        ("6 to 12 months", 0),
        ("1 to 2 years", 0),
        ("2 years or more", 0),
    ];
    for f in items.iter().filter(|f| f.overdue(today)) {
        let Some(due) = f.due_by else {
            continue;
        };
        let late = now - month_index(due.year(), due.month()) - 1;
        let i = match late {
            ..3 => 0,
            3..6 => 1,
            6..12 => 2,
            12..24 => 3,
            _ => 4,
        };
        buckets[i].1 += 1;
    }
    buckets
        .into_iter()
        .map(|(label, items)| AgeBucket { label, items })
        .collect()
}
