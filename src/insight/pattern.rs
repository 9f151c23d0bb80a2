//! The patterns that recur: the (service, cause) and (region, cause) pairs that the most
//! incidents share, each with its incidents per year and the newest of them.

use crate::catalog::Catalogue;
use crate::index::{Facet, IndexError, SearchIndex, SearchRequest};

use super::IncidentRef;
use super::figures::facet_values;
use super::recurrence::{LISTED, first_year, narrowed};

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// [`Facet::Service`] or [`Facet::Region`].
    pub facet: Facet,
    pub value: String,
    pub cause: String,
    pub cause_label: String,
    /// How many incidents share the pair.
    pub count: usize,
    /// Incidents per year, oldest first.
    pub years: Vec<(i16, u64)>,
    pub since: Option<i16>,
    /// The newest incidents of the pair, newest first (at most five).
    pub newest: Vec<IncidentRef>,
}

/// The pairs shared by at least two of the incidents `base` selects (its filters and impact
/// range; its words are not used): at most `limit` with a service and `limit` with a region,
/// the most shared first (then the most recent).
pub fn patterns(
    index: &SearchIndex,
    catalogue: &Catalogue,
    base: &SearchRequest,
    limit: usize,
) -> Result<Vec<Pattern>, IndexError> {
    let all = index.search(&narrowed(base, &[], 0))?;
    let mut pairs: Vec<(Facet, String, String, u64)> = Vec::new();
    for (cause, n) in facet_values(&all, Facet::Cause) {
        if n < 2 {
            continue;
        }
        let of_cause = index.search(&narrowed(base, &[(Facet::Cause, &cause)], 0))?;
        for facet in [Facet::Service, Facet::Region] {
            pairs.extend(
                facet_values(&of_cause, facet)
                    .into_iter()
                    .filter(|(_, n)| *n >= 2)
                    .map(|(value, n)| (facet, value, cause.clone(), n)),
            );
        }
    }
    pairs.sort_by(|a, b| {
        b.3.cmp(&a.3)
            .then_with(|| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)))
    });
    let mut out = Vec::new();
    for facet in [Facet::Service, Facet::Region] {
        for (_, value, cause, _) in pairs.iter().filter(|p| p.0 == facet).take(limit) {
            let req = narrowed(base, &[(facet, value), (Facet::Cause, cause)], LISTED);
            let results = index.search(&req)?;
            let mut years: Vec<(i16, u64)> = facet_values(&results, Facet::Year)
                .into_iter()
                .filter_map(|(y, n)| Some((y.parse().ok()?, n)))
                .collect();
            years.sort_unstable();
            out.push(Pattern {
                facet,
                value: value.clone(),
                cause: cause.clone(),
                cause_label: catalogue.cause_label(cause).to_string(),
                count: results.total,
                since: first_year(&results),
                years,
                newest: results.hits.iter().map(IncidentRef::of).collect(),
            });
        }
    }
    out.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            b.newest
                .first()
                .map(|i| &i.date)
                .cmp(&a.newest.first().map(|i| &i.date))
        })
    });
    Ok(out)
}
