//! Response milestones of a review: when the incident was detected, responders engaged, the
//! impact mitigated and the incident resolved, each with the words of the review that say so.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One step of the response that a review can date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    Detected,
    Engaged,
    Mitigated,
    Resolved,
}

impl MilestoneKind {
    pub const ALL: [MilestoneKind; 4] = [
        MilestoneKind::Detected,
        MilestoneKind::Engaged,
        MilestoneKind::Mitigated,
        MilestoneKind::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MilestoneKind::Detected => "detected",
            MilestoneKind::Engaged => "engaged",
            MilestoneKind::Mitigated => "mitigated",
            MilestoneKind::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MilestoneKind::Detected => "Detected",
            MilestoneKind::Engaged => "Engaged",
            MilestoneKind::Mitigated => "Mitigated",
            MilestoneKind::Resolved => "Resolved",
        }
    }
}

/// Where a milestone's time comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Evidence {
    /// The report's front matter sets it (`detected_at = …`).
    FrontMatter,
    /// A timeline entry: its place in the review's timeline (0-based) and its text.
    Timeline { step: usize, text: String },
    /// A sentence of the narrative.
    Sentence { text: String },
    /// The end of the impact window, which the review states elsewhere.
    ImpactEnd,
}

impl Evidence {
    /// The review's words, where the evidence is a step or a sentence.
    pub fn text(&self) -> Option<&str> {
        match self {
            Evidence::Timeline { text, .. } | Evidence::Sentence { text } => Some(text),
            Evidence::FrontMatter | Evidence::ImpactEnd => None,
        }
    }

    /// Where it comes from, for a reader: "timeline", "narrative", "front matter", "impact
    /// window".
    pub fn origin(&self) -> &'static str {
        match self {
            Evidence::FrontMatter => "front matter",
            Evidence::Timeline { .. } => "timeline",
            Evidence::Sentence { .. } => "narrative",
            Evidence::ImpactEnd => "impact window",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub at: Timestamp,
    pub evidence: Evidence,
}

/// Who noticed first, as the review tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectedBy {
    /// Monitoring, alerts, telemetry or automated checks.
    Monitoring,
    /// A customer's report or support case.
    CustomerReport,
}

impl DetectedBy {
    pub const ALL: [DetectedBy; 2] = [DetectedBy::Monitoring, DetectedBy::CustomerReport];

    pub fn as_str(self) -> &'static str {
        match self {
            DetectedBy::Monitoring => "monitoring",
            DetectedBy::CustomerReport => "customer_report",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DetectedBy::Monitoring => "by monitoring",
            DetectedBy::CustomerReport => "by a customer report",
        }
    }

    pub fn parse(s: &str) -> Option<DetectedBy> {
        let s = s.trim().replace(['-', ' '], "_");
        DetectedBy::ALL.into_iter().find(|d| {
            d.as_str().eq_ignore_ascii_case(&s)
                || (s == "customer" && *d == DetectedBy::CustomerReport)
        })
    }
}

/// The milestones one review dates; any of them may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<Milestone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engaged: Option<Milestone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigated: Option<Milestone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Milestone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_by: Option<DetectedBy>,
}

impl Milestones {
    pub fn get(&self, kind: MilestoneKind) -> Option<&Milestone> {
        match kind {
            MilestoneKind::Detected => self.detected.as_ref(),
            MilestoneKind::Engaged => self.engaged.as_ref(),
            MilestoneKind::Mitigated => self.mitigated.as_ref(),
            MilestoneKind::Resolved => self.resolved.as_ref(),
        }
    }

    pub fn slot(&mut self, kind: MilestoneKind) -> &mut Option<Milestone> {
        match kind {
            MilestoneKind::Detected => &mut self.detected,
            MilestoneKind::Engaged => &mut self.engaged,
            MilestoneKind::Mitigated => &mut self.mitigated,
            MilestoneKind::Resolved => &mut self.resolved,
        }
    }

    /// The dated milestones, in the order of the response.
    pub fn iter(&self) -> impl Iterator<Item = (MilestoneKind, &Milestone)> {
        MilestoneKind::ALL
            .into_iter()
            .filter_map(|k| self.get(k).map(|m| (k, m)))
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none() && self.detected_by.is_none()
    }

    /// Minutes from `start` (the impact start) to a milestone; `None` when either is missing
    /// or the milestone is dated before the start.
    pub fn minutes_after(&self, start: Option<Timestamp>, kind: MilestoneKind) -> Option<i64> {
        let secs = self.get(kind)?.at.as_second() - start?.as_second();
        (secs >= 0).then_some(secs / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_count_from_the_impact_start_and_never_go_negative() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let m = Milestones {
            detected: Some(Milestone {
                at: at("2024-07-13T00:05:00Z"),
                evidence: Evidence::ImpactEnd,
            }),
            ..Milestones::default()
        };
        let start = Some(at("2024-07-13T00:00:00Z"));
        assert_eq!(m.minutes_after(start, MilestoneKind::Detected), Some(5));
        assert_eq!(m.minutes_after(start, MilestoneKind::Mitigated), None);
        let later = Some(at("2024-07-13T01:00:00Z"));
        assert_eq!(m.minutes_after(later, MilestoneKind::Detected), None);
        assert_eq!(m.minutes_after(None, MilestoneKind::Detected), None);
    }

    #[test]
    fn detection_kinds_parse_from_their_names() {
        assert_eq!(
            DetectedBy::parse("monitoring"),
            Some(DetectedBy::Monitoring)
        );
        assert_eq!(
            DetectedBy::parse("customer report"),
            Some(DetectedBy::CustomerReport)
        );
        assert_eq!(
            DetectedBy::parse("customer"),
            Some(DetectedBy::CustomerReport)
        );
        assert_eq!(DetectedBy::parse("luck"), None);
    }
}
