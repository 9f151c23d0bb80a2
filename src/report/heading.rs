//! Which section kind a heading names, for every report format: "What went wrong and why?",
//! "Root cause", "Action items", "REMEDIATION AND PREVENTION" ... Pure.

use crate::incident::SectionKind;

/// Heading phrases per kind, checked in this order (the first kind with a phrase the heading
/// contains wins, so "Root cause and mitigation" is a root cause, not a response).
const RULES: &[(SectionKind, &[&str])] = &[
    (
        SectionKind::RepairItems,
        &[
            "how are we making",
            "how we are making",
            "next steps",
            "action items",
            "action item",
            "follow-ups",
            "follow ups",
            "followups",
            "follow-up",
            "remediation and prevention",
            "prevention",
            "improving the service",
            "corrective action",
            "what we are doing",
            "what we're doing",
            "repair items",
            "actionables",
            "improvements",
            "lessons and actions",
        ],
    ),
    (
        SectionKind::CustomerGuidance,
        &[
            "how can customers",
            "how can our customers",
            "customer guidance",
            "workaround",
            "recommendations for customers",
        ],
    ),
    (
        SectionKind::RootCause,
        &[
            "what went wrong",
            "what do we know so far",
            "root cause",
            "contributing factor",
            "cause",
            "why did",
        ],
    ),
    (
        SectionKind::WhatHappened,
        &[
            "what happened",
            "summary of impact",
            "customer impact",
            "impact statement",
            "impact",
            "summary",
            "overview",
            "description",
            "introduction",
            "issue summary",
        ],
    ),
    (
        SectionKind::Response,
        &[
            "how did we respond",
            "timeline",
            "response",
            "mitigation",
            "detection",
            "recovery",
            "resolution",
            "current status",
            "remediation",
        ],
    ),
];

/// The kind a heading names, or `None` when it names none of them.
pub fn kind_of(heading: &str) -> Option<SectionKind> {
    let h = heading
        .trim()
        .trim_end_matches([':', '?', '.'])
        .to_lowercase();
    if h.is_empty() || h.len() > 120 {
        return None;
    }
    RULES
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| h.contains(p)))
        .map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_of_every_format_map_onto_kinds() {
        let cases = [
            ("What happened?", SectionKind::WhatHappened),
            ("What went wrong, and why?", SectionKind::RootCause),
            ("What do we know so far?", SectionKind::RootCause),
            ("How did we respond?", SectionKind::Response),
            (
                "How we are making incidents like this less likely or less impactful?",
                SectionKind::RepairItems,
            ),
            (
                "How can our customers and partners make incidents like this less impactful?",
                SectionKind::CustomerGuidance,
            ),
            ("Root cause and mitigation", SectionKind::RootCause),
            ("REMEDIATION AND PREVENTION:", SectionKind::RepairItems),
            ("DETAILED DESCRIPTION OF IMPACT:", SectionKind::WhatHappened),
            ("Contributing factors", SectionKind::RootCause),
            ("Follow-ups", SectionKind::RepairItems),
            ("Timeline", SectionKind::Response),
        ];
        for (h, k) in cases {
            assert_eq!(kind_of(h), Some(k), "{h}");
        }
        assert_eq!(kind_of("The Leap Day Bug"), None);
    }
}
