//! Earlier incidents with the same cause in the same service or region, for an incident's
//! page: "3rd configuration change incident in East US since 2023".

use crate::catalog::Catalogue;
use crate::incident::Review;
use crate::index::request::Sort;
use crate::index::{Facet, IndexError, SearchIndex, SearchRequest};

use super::{IncidentRef, ordinal};

/// How many earlier incidents a recurrence lists.
pub const LISTED: usize = 5;
/// How many of an incident's regions are looked at.
const REGIONS: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    /// [`Facet::Service`] (the incident's primary service) or [`Facet::Region`].
    pub facet: Facet,
    pub value: String,
    /// The cause's id and its label.
    pub cause: String,
    pub cause_label: String,
    /// How many earlier incidents share the pair.
    pub earlier: usize,
    /// The year of the first of them.
    pub since: Option<i16>,
    /// The newest of them, newest first (at most [`LISTED`]).
    pub incidents: Vec<IncidentRef>,
}

impl Recurrence {
    /// "3rd configuration change incident in East US since 2023".
    pub fn sentence(&self) -> String {
        let at = if self.facet == Facet::Region {
            "in"
        } else {
            "of"
        };
        let since = self
            .since
            .map(|y| format!(" since {y}"))
            .unwrap_or_default();
        format!(
            "{} {} incident {at} {}{since}",
            ordinal(self.earlier + 1),
            self.cause_label.to_lowercase(),
            self.value
        )
    }

    /// The search for every incident of the pair: its filters.
    pub fn filters(&self) -> Vec<(Facet, String)> {
        vec![
            (self.facet, self.value.clone()),
            (Facet::Cause, self.cause.clone()),
        ]
    }
}

/// The request for the incidents of `base` that also have `facet = value` (newest first).
pub(super) fn narrowed(
    base: &SearchRequest,
    pairs: &[(Facet, &str)],
    limit: usize,
) -> SearchRequest {
    let mut req = base.clone();
    req.query.clear();
    req.sort = Sort::Newest;
    req.offset = 0;
    req.limit = limit;
    for (facet, value) in pairs {
        req.filters.push((*facet, vec![value.to_string()]));
    }
    req
}

/// The year of the oldest incident a search found, from its year facet.
pub(super) fn first_year(results: &crate::index::search::SearchResults) -> Option<i16> {
    results
        .counts(Facet::Year)
        .iter()
        .filter_map(|v| v.value.parse::<i16>().ok())
        .min()
}

/// The incidents before this review's impact start that share its primary service and a
/// cause, or one of its regions and a cause; the pairs with the most earlier incidents first.
/// A review without an impact start has no "earlier".
pub fn recurrences(
    index: &SearchIndex,
    catalogue: &Catalogue,
    review: &Review,
) -> Result<Vec<Recurrence>, IndexError> {
    let Some(start) = review.impact_start else {
        return Ok(Vec::new());
    };
    let before = SearchRequest {
        to: Some(start),
        ..SearchRequest::default()
    };
    let scopes = review
        .services
        .first()
        .map(|s| (Facet::Service, s))
        .into_iter()
        .chain(
            review
                .regions
                .iter()
                .take(REGIONS)
                .map(|r| (Facet::Region, r)),
        );
    let mut out = Vec::new();
    for (facet, value) in scopes {
        for cause in &review.causes {
            let req = narrowed(&before, &[(facet, value), (Facet::Cause, cause)], LISTED);
            let results = index.search(&req)?;
            if results.total == 0 {
                continue;
            }
            out.push(Recurrence {
                facet,
                value: value.clone(),
                cause: cause.clone(),
                cause_label: catalogue.cause_label(cause).to_string(),
                earlier: results.total,
                since: first_year(&results),
                incidents: results.hits.iter().map(IncidentRef::of).collect(),
            });
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.earlier));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recurrence_reads_as_a_sentence() {
        let r = Recurrence {
            facet: Facet::Region,
            value: "East US".into(),
            cause: "configuration-change".into(),
            cause_label: "Configuration change".into(),
            earlier: 2,
            since: Some(2023),
            incidents: Vec::new(),
        };
        assert_eq!(
            r.sentence(),
            "3rd configuration change incident in East US since 2023"
        );
        let s = Recurrence {
            facet: Facet::Service,
            value: "Azure DNS".into(),
            earlier: 1,
            since: None,
            ..r
        };
        assert_eq!(
            s.sentence(),
            "2nd configuration change incident of Azure DNS"
        );
    }
}
