//! Views across incidents, read from the index: incidents that recur (the same cause in the
//! same service or region), the patterns that recur most, and the response figures (minutes
//! to detect and to mitigate) of a service or region, and the figures of `/insights`. Pages and
//! the CLI show them.

pub mod figures;
pub mod pattern;
pub mod promise;
pub mod recurrence;
pub mod spread;

pub use figures::{Insights, RepairFact, RepairFacts, insights, repair_facts};
pub use pattern::{Pattern, patterns};
pub use recurrence::{Recurrence, recurrences};
pub use spread::Spread;

use crate::index::search::Hit;

/// An incident as a list of them names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRef {
    pub id: String,
    pub title: String,
    /// Its impact start's date ("2024-07-13"), or empty.
    pub date: String,
}

impl IncidentRef {
    pub fn of(hit: &Hit) -> IncidentRef {
        let r = hit.incident.current();
        IncidentRef {
            id: hit.incident.id.clone(),
            title: r.title.clone(),
            date: r
                .impact_start
                .map(|t| t.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}

/// "1st", "2nd", "3rd", "11th", "22nd".
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ordinals_read_as_words_do() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 112]
            .into_iter()
            .map(super::ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "112th"
            ]
        );
    }
}
