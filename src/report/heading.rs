//! Which section kind a heading names, for every report format: "What went wrong and why?",
//! "Root cause", "Action items", "REMEDIATION AND PREVENTION" ... Pure.

use crate::incident::SectionKind;

/// The kind a heading names, or `None` when it names none of them.
pub fn kind_of(heading: &str) -> Option<SectionKind> {
    let h = heading
        .trim()
        .trim_end_matches([':', '?', '.'])
        .to_lowercase();
    if h.is_empty() || h.len() > 120 {
        return None;
    }
    // The phrases per kind, in order: `catalog/headings.toml`.
    crate::catalog::builtin::headings()
        .iter()
        .find(|k| k.phrases.iter().any(|p| h.contains(p.as_str())))
        .map(|k| k.kind)
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
            ("Where do we go from here?", SectionKind::RepairItems),
        ];
        for (h, k) in cases {
            assert_eq!(kind_of(h), Some(k), "{h}");
        }
        assert_eq!(kind_of("The Leap Day Bug"), None);
    }
}
