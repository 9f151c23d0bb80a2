//! The incident model: what a post-incident review says once parsed. Plain data, no I/O.
//!
//! A *review* is one published report (an initial statement, a preliminary or a final
//! post-incident review). An *incident* is what several reviews describe: its current review is
//! the most final one, and every review stays available as a revision.

pub mod milestone;
pub mod text;

pub use milestone::{DetectedBy, Evidence, Milestone, MilestoneKind, Milestones};

use std::collections::HashMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How far along the review process a review is. Ordered: a final review beats a preliminary one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    InitialStatement,
    Preliminary,
    Final,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::InitialStatement => "initial_statement",
            Stage::Preliminary => "preliminary",
            Stage::Final => "final",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::InitialStatement => "Initial statement",
            Stage::Preliminary => "Preliminary",
            Stage::Final => "Final",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "initial_statement" | "initial" | "statement" => Some(Stage::InitialStatement),
            "preliminary" | "draft" => Some(Stage::Preliminary),
            "final" => Some(Stage::Final),
            _ => None,
        }
    }
}

/// The values of an incident's repair facet (`status` in search). Which ones an incident has
/// is tracking's rule (`tracking::status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RepairFacet {
    /// The review lists no repair items.
    None,
    /// Every item is closed (completed or won't do).
    Completed,
    /// Some item is not closed.
    Open,
    /// Some item is overdue (alongside `Open`).
    Overdue,
}

impl RepairFacet {
    pub const ALL: [RepairFacet; 4] = [
        RepairFacet::None,
        RepairFacet::Completed,
        RepairFacet::Open,
        RepairFacet::Overdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RepairFacet::None => "none",
            RepairFacet::Completed => "completed",
            RepairFacet::Open => "open",
            RepairFacet::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RepairFacet::None => "No repair items",
            RepairFacet::Completed => "All completed",
            RepairFacet::Open => "Open items",
            RepairFacet::Overdue => "Overdue items",
        }
    }

    pub fn parse(s: &str) -> Option<RepairFacet> {
        let s = s.trim();
        RepairFacet::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }
}

/// What part of a review a section is. Every parser maps its headings onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    WhatHappened,
    RootCause,
    Response,
    RepairItems,
    CustomerGuidance,
    Other,
}

impl SectionKind {
    pub const ALL: [SectionKind; 6] = [
        SectionKind::WhatHappened,
        SectionKind::RootCause,
        SectionKind::Response,
        SectionKind::RepairItems,
        SectionKind::CustomerGuidance,
        SectionKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::WhatHappened => "what_happened",
            SectionKind::RootCause => "root_cause",
            SectionKind::Response => "response",
            SectionKind::RepairItems => "repair_items",
            SectionKind::CustomerGuidance => "customer_guidance",
            SectionKind::Other => "other",
        }
    }

    /// The URL fragment of the section on the incident page (`/incidents/ID#root-cause`).
    pub fn anchor(self) -> &'static str {
        match self {
            SectionKind::WhatHappened => "what-happened",
            SectionKind::RootCause => "root-cause",
            SectionKind::Response => "response",
            SectionKind::RepairItems => "repair-items",
            SectionKind::CustomerGuidance => "customer-guidance",
            SectionKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SectionKind::WhatHappened => "What happened",
            SectionKind::RootCause => "Root cause",
            SectionKind::Response => "Response",
            SectionKind::RepairItems => "Repair items",
            SectionKind::CustomerGuidance => "Customer guidance",
            SectionKind::Other => "Other",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<SectionKind> {
        SectionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.anchor() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When the step happened, in UTC; `None` when the line gives no time that can be resolved.
    pub at: Option<Timestamp>,
    pub text: String,
    /// Set when this step is earlier than the one before it (kept in the report's order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A month a repair item is due in, as the review states it ("Estimated completion: August 2024").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DueMonth {
    pub year: i16,
    pub month: i8,
}

impl DueMonth {
    /// The month after this one has started, so the item is late.
    pub fn has_passed(self, today: jiff::civil::Date) -> bool {
        (today.year(), today.month()) > (self.year, self.month)
    }

    /// The month's last day (`None` for a month no calendar has).
    pub fn last_day(self) -> Option<jiff::civil::Date> {
        jiff::civil::Date::new(self.year, self.month, 1)
            .ok()
            .map(|d| d.last_of_month())
    }
}

impl fmt::Display for DueMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for DueMonth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (y, m) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not YYYY-MM"))?;
        let year: i16 = y.parse().map_err(|_| format!("`{s}` is not YYYY-MM"))?;
        let month: i8 = m
            .get(..2)
            .unwrap_or(m)
            .parse()
            .map_err(|_| format!("`{s}` is not YYYY-MM"))?;
        if !(1..=12).contains(&month) {
            return Err(format!("`{s}` has no month {month}"));
        }
        Ok(DueMonth { year, month })
    }
}

impl Serialize for DueMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DueMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What the review itself says about a repair item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedStatus {
    Completed,
    Estimated,
    Tbd,
    None,
}

impl ReportedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportedStatus::Completed => "completed",
            ReportedStatus::Estimated => "estimated",
            ReportedStatus::Tbd => "tbd",
            ReportedStatus::None => "none",
        }
    }
}

/// A promise a review makes: one bullet of "How are we making incidents like this less likely".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairItem {
    /// Stable across re-ingests and across the status marker changing between revisions.
    pub id: String,
    /// The bullet's text without its status marker.
    pub text: String,
    pub reported_status: ReportedStatus,
    pub due: Vec<DueMonth>,
}

/// One published review, as a parser reads it and the enrichment step completes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Stable incident id: the tracking id where there is one, else derived from date and service.
    pub id: String,
    pub title: String,
    /// The report file this review came from, relative to its corpus folder.
    pub source: String,
    /// The public address of the original report, where the report gives or implies one.
    #[serde(default)]
    pub source_url: Option<String>,
    /// Who published it: azure, aws, gcp, github, wikimedia, or the front matter's value.
    pub provider: String,
    pub stage: Stage,
    pub tracking_id: Option<String>,
    pub impact_start: Option<Timestamp>,
    pub impact_end: Option<Timestamp>,
    /// Affected services, the primary one first.
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub causes: Vec<String>,
    pub sections: Vec<Section>,
    pub timeline: Vec<TimelineEntry>,
    pub repair_items: Vec<RepairItem>,
    /// When the response detected, engaged, mitigated and resolved, where the review says.
    #[serde(default)]
    pub milestones: Milestones,
    pub warnings: Vec<String>,
}

impl Review {
    pub fn primary_service(&self) -> Option<&str> {
        self.services.first().map(String::as_str)
    }

    pub fn sections_of(&self, kind: SectionKind) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(move |s| s.kind == kind)
    }

    /// All text of the sections of one kind, joined by blank lines.
    pub fn text_of(&self, kind: SectionKind) -> String {
        let parts: Vec<&str> = self.sections_of(kind).map(|s| s.text.as_str()).collect();
        parts.join("\n\n")
    }

    /// Anchors per section: the kind's anchor, numbered when a kind repeats; "other" sections
    /// by their heading.
    pub fn section_anchors(&self) -> Vec<String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.sections
            .iter()
            .map(|s| {
                let base = match s.kind {
                    SectionKind::Other if !s.heading.is_empty() => text::slug(&s.heading, 50),
                    k => k.anchor().to_string(),
                };
                let n = seen.entry(base.clone()).or_insert(0);
                *n += 1;
                if *n == 1 { base } else { format!("{base}-{n}") }
            })
            .collect()
    }

    /// What a person should look at in how this review was read: its warnings, then the facts
    /// it lacks (an impact start or end, a service, repair items), each a sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.warnings.clone();
        let missing = [
            (self.impact_start.is_none(), "No impact start was found."),
            (self.impact_end.is_none(), "No impact end was found."),
            (self.services.is_empty(), "No service was recognised."),
            (self.repair_items.is_empty(), "No repair items were found."),
        ];
        out.extend(
            missing
                .into_iter()
                .filter(|(lacking, _)| *lacking)
                .map(|(_, say)| say.to_string()),
        );
        out
    }

    /// Minutes from impact start to impact end.
    pub fn impact_minutes(&self) -> Option<i64> {
        let (s, e) = (self.impact_start?, self.impact_end?);
        let secs = e.as_second() - s.as_second();
        (secs >= 0).then_some(secs / 60)
    }
}

/// An incident: one or more reviews of the same event, the most final last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    /// Every review of this incident, in publication order (initial, preliminary, final).
    pub reviews: Vec<Review>,
}

impl Incident {
    /// The review that search and the incident page show: the most final one.
    pub fn current(&self) -> &Review {
        self.reviews
            .last()
            .expect("an incident has at least one review")
    }
}

/// Human duration, "2 h 15 min", "3 d 4 h".
pub fn format_minutes(minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_month_round_trips_and_knows_when_it_passed() {
        let d: DueMonth = "2024-08".parse().unwrap();
        assert_eq!(d.to_string(), "2024-08");
        assert!(!d.has_passed(jiff::civil::date(2024, 8, 31)));
        assert!(d.has_passed(jiff::civil::date(2024, 9, 1)));
        assert!("2024-13".parse::<DueMonth>().is_err());
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(format_minutes(38), "38 min");
        assert_eq!(format_minutes(135), "2 h 15 min");
        assert_eq!(format_minutes(60 * 50), "2 d 2 h");
    }
}
