//! Response milestones from what a review tells: the timeline step or the sentence that says the
//! incident was detected, responders engaged, the impact mitigated and the incident resolved.
//! Timeline steps come first (they are dated one by one); a review without such a step is read
//! sentence by sentence. Pure.

use std::sync::LazyLock;

use jiff::{SignedDuration, Timestamp};
use regex::Regex;

use super::extract::sentence_time;
use super::text::prose_sentences;
use super::time::TimeContext;
use crate::incident::{
    DetectedBy, Evidence, Milestone, MilestoneKind, Milestones, Section, SectionKind, TimelineEntry,
};

fn re(pattern: &str) -> Regex {
    super::text::prose_regex(pattern)
}

/// Someone or something noticed: "monitoring detected", "we were alerted", "engineers were
/// paged", "customers reported", "became aware".
static DETECTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:detected|detect(?:ion)? of|alerted|alert(?:s)? (?:fired|triggered|were triggered|was triggered)|alerting (?:our|the|on-?call)|(?:were|was) (?:automatically )?paged by|paged (?:the|our|on-?call)|became aware|(?:were|was) (?:made )?aware|first (?:noticed|observed|reported)|notic(?:ed|es)|spotted|(?:icinga|nagios|pagerduty|alertmanager|prometheus)(?:-wm)?>? (?:PROBLEM|reports|alerts|alerted|sends|sent|fired|paged|pages)|sends pages|received (?:reports?|alerts?|an alert|a report)|(?:customers|a customer|users) reported|reports? from (?:customers|users)|(?:was|were) reported)\b",
    )
});
/// Responders at work: "engineers were engaged", "escalated", "declared an incident", "began
/// investigating".
static ENGAGED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:engag(?:ed|ing)|escalat(?:ed|ing)|(?:was|were) acknowledged|(?:declared|opened) an? (?:\w+ )?incident|incident was declared|(?:began|started|commenced) (?:an? |the |their |immediate |an immediate )?(?:investigat\w*|troubleshoot\w*)|began to (?:investigate|troubleshoot)|(?:were|was) investigating|investigation (?:began|started)|mobili[sz]ed|(?:were|was) paged)\b",
    )
});
/// The impact stopped growing or was worked around: "mitigated", "rolled back", "failed over",
/// "error rates returned to normal".
static MITIGATED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:mitigated|mitigation (?:was |had been |has been )?(?:applied|complete[d]?|effective|in place|took effect)|workaround (?:was |had been )?(?:applied|in place)|rolled back|roll ?back (?:was |had been )?complete[d]?|completed the roll ?back|fail(?:ed)? ?over (?:was |had been )?complete[d]?|failed over|error rates? (?:dropped|returned|recovered|decreased)|(?:returned|back|reverted) to (?:normal|pre-incident)|recovered|restored)\b",
    )
});
/// Recovery words that only mitigate when the recovery is whole, not one region's or model's.
static PARTIAL_RECOVERY: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\b(?:recovered|restored)\b"));
static WHOLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:all|fully|full|majority|most|completely|normal|every|entire)\b")
});
/// A step that starts or plans mitigation has not mitigated yet.
static NOT_YET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:began|begin|beginning|start(?:ed|ing)?|initiat(?:ed|ing)|work(?:ed|ing)? (?:on|to|towards)|attempt\w*|efforts?|to mitigate|plan\w*|prepar\w*|continu\w*|partial\w*|some|subset|not|n't|never)\b",
    )
});
/// Hypothetical or negated statements are not events: "would have alerted", "were not alerted",
/// "if problems are detected".
static HYPOTHETICAL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:not|never|n't|would|could|should|if|unless|will|can|may|might)\b")
});
static BY_CUSTOMER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:customers? (?:reported|reports|contacted|opened|raised|notified|alerted)|reported by (?:a |our |several |multiple )?(?:customers?|users?)|(?:support|customer) (?:cases?|tickets?|requests?)|reports? from (?:customers|users)|users? reported|external reports?)\b",
    )
});
static BY_MONITORING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:monitor\w*|alert\w*|alarm\w*|icinga|nagios|pagerduty|alertmanager|telemetry|automated|automatically|metrics|health ?checks?|synthetic|paged|probes?)\b",
    )
});

/// Whether a step or sentence says that this milestone happened.
fn says(kind: MilestoneKind, text: &str) -> bool {
    match kind {
        MilestoneKind::Detected => DETECTED.is_match(text),
        // "full mitigation of this incident was declared" is not an engagement.
        MilestoneKind::Engaged => ENGAGED.is_match(text) && !MITIGATED.is_match(text),
        MilestoneKind::Mitigated => {
            MITIGATED
                .find_iter(text)
                .any(|m| !PARTIAL_RECOVERY.is_match(m.as_str()) || WHOLE.is_match(text))
                && !NOT_YET.is_match(text)
        }
        // Resolution is the end of the impact window or a whole recovery.
        MilestoneKind::Resolved => {
            (PARTIAL_RECOVERY.is_match(text) || MITIGATED.is_match(text))
                && WHOLE.is_match(text)
                && !NOT_YET.is_match(text)
        }
    }
}

/// A dated statement of the review: a timeline step or a narrative sentence.
struct Said<'a> {
    at: Timestamp,
    text: &'a str,
    step: Option<usize>,
    /// A sentence is dated once per milestone it tells, by the time nearest its words ("Service
    /// monitors detected it at 13:38 and engineers were engaged by 13:48"); a step's time is
    /// every milestone's.
    kind: Option<MilestoneKind>,
}

impl Said<'_> {
    fn milestone(&self) -> Milestone {
        Milestone {
            at: self.at,
            evidence: match self.step {
                Some(step) => Evidence::Timeline {
                    step,
                    text: self.text.to_string(),
                },
                None => Evidence::Sentence {
                    text: self.text.to_string(),
                },
            },
        }
    }
}

/// The milestones a review dates. `impact` is its impact window: sentences are dated against
/// its start, and its end is the resolution (and the mitigation, when nothing earlier says the
/// impact was mitigated).
pub fn read(
    sections: &[Section],
    timeline: &[TimelineEntry],
    ctx: &TimeContext,
    impact: (Option<Timestamp>, Option<Timestamp>),
) -> Milestones {
    let (start, end) = impact;
    let steps: Vec<Said> = timeline
        .iter()
        .enumerate()
        .filter_map(|(step, e)| {
            Some(Said {
                at: e.at?,
                text: &e.text,
                step: Some(step),
                kind: None,
            })
        })
        .collect();
    let sentences = start
        .map(|s| dated_sentences(sections, s, ctx))
        .unwrap_or_default();
    let first = |kind: MilestoneKind, not_before: Option<Timestamp>| {
        let ok = |s: &&Said| {
            s.kind.is_none_or(|k| k == kind)
                && not_before.is_none_or(|t| s.at >= t)
                && end.is_none_or(|e| s.at <= e)
                && says(kind, s.text)
        };
        steps
            .iter()
            .find(ok)
            .or_else(|| sentences.iter().find(ok))
            .map(Said::milestone)
    };
    let mut out = Milestones {
        detected: first(MilestoneKind::Detected, None),
        ..Milestones::default()
    };
    let detected_at = out.detected.as_ref().map(|m| m.at);
    out.engaged = first(MilestoneKind::Engaged, detected_at);
    out.resolved = match end {
        // The step written at the end of the impact says what ended it.
        Some(end) => Some(
            steps
                .iter()
                .find(|s| s.at == end)
                .map(Said::milestone)
                .unwrap_or(Milestone {
                    at: end,
                    evidence: Evidence::ImpactEnd,
                }),
        ),
        None => steps
            .iter()
            .rev()
            .find(|s| start.is_none_or(|t| s.at > t) && says(MilestoneKind::Resolved, s.text))
            .map(Said::milestone),
    };
    let resolved_at = out.resolved.as_ref().map(|m| m.at);
    out.mitigated = first(MilestoneKind::Mitigated, start.or(detected_at))
        .filter(|m| resolved_at.is_none_or(|r| m.at <= r))
        .or_else(|| out.resolved.clone());
    out.detected_by = detected_by(out.detected.as_ref(), sections);
    out
}

/// Who noticed: the detection's own words, else any sentence of the narrative that tells how
/// the incident was detected ("The incident was detected quickly through our internal
/// monitoring").
fn detected_by(detected: Option<&Milestone>, sections: &[Section]) -> Option<DetectedBy> {
    let classify = |text: &str| {
        if BY_CUSTOMER.is_match(text) {
            Some(DetectedBy::CustomerReport)
        } else if BY_MONITORING.is_match(text) {
            Some(DetectedBy::Monitoring)
        } else {
            None
        }
    };
    if let Some(kind) = detected.and_then(|m| m.evidence.text()).and_then(classify) {
        return Some(kind);
    }
    narrative(sections)
        .flat_map(prose_sentences)
        .filter(|s| DETECTED.is_match(s) && !HYPOTHETICAL.is_match(s))
        .find_map(classify)
}

/// The paragraphs that tell what happened (not the advice to customers).
fn narrative(sections: &[Section]) -> impl Iterator<Item = &str> {
    sections
        .iter()
        .filter(|s| s.kind != SectionKind::CustomerGuidance)
        .flat_map(|s| s.text.lines())
}

/// Every narrative sentence that states a time, dated against the impact start (a time
/// without a date takes the last date written before it), from an hour before the start to a
/// week after it.
fn dated_sentences<'a>(
    sections: &'a [Section],
    start: Timestamp,
    ctx: &TimeContext,
) -> Vec<Said<'a>> {
    let mut out = Vec::new();
    let earliest = start - SignedDuration::from_hours(1);
    let latest = start + SignedDuration::from_hours(24 * 7);
    // Repair sections too: Google Cloud tells its response under "Remediation and prevention"
    // (a promise, "we will", is hypothetical and left out).
    for section in sections
        .iter()
        .filter(|s| s.kind != SectionKind::CustomerGuidance)
    {
        let mut offset = 0;
        for paragraph in section.text.split('\n') {
            for sentence in prose_sentences(paragraph) {
                let at = offset + paragraph.find(sentence).unwrap_or(0);
                if HYPOTHETICAL.is_match(sentence) {
                    continue;
                }
                let before = section.text.get(..at).unwrap_or("");
                for (kind, words) in [
                    (MilestoneKind::Detected, &*DETECTED),
                    (MilestoneKind::Engaged, &*ENGAGED),
                    (MilestoneKind::Mitigated, &*MITIGATED),
                ] {
                    let Some(word) = words.find(sentence) else {
                        continue;
                    };
                    let Some(t) = sentence_time(sentence, word.start(), before, earliest, ctx)
                    else {
                        continue;
                    };
                    if t >= earliest && t <= latest {
                        out.push(Said {
                            at: t,
                            text: sentence,
                            step: None,
                            kind: Some(kind),
                        });
                    }
                }
            }
            offset += paragraph.len() + 1;
        }
    }
    out.sort_by_key(|s| s.at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::time::Zone;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn section(kind: SectionKind, text: &str) -> Section {
        Section {
            kind,
            heading: String::new(),
            text: text.into(),
        }
    }

    fn step(t: &str, text: &str) -> TimelineEntry {
        TimelineEntry {
            at: Some(at(t)),
            text: text.into(),
            warning: None,
        }
    }

    #[test]
    fn timeline_steps_date_each_milestone_with_their_words() {
        let timeline = [
            step("2024-07-13T00:00:00Z", "Initial customer impact started."),
            step(
                "2024-07-13T00:05:00Z",
                "Service monitoring detected failure rates going above defined thresholds.",
            ),
            step(
                "2024-07-13T00:52:00Z",
                "We classified the event as critical, engaging incident response personnel.",
            ),
            step("2024-07-13T01:00:00Z", "We began mitigation efforts."),
            step("2024-07-13T07:10:00Z", "GPT-4o recovered in East US 2."),
            step(
                "2024-07-13T10:20:00Z",
                "Majority of models and regions recovered, error rates dropped to normal levels.",
            ),
            step("2024-07-13T23:35:00Z", "All base models recovered."),
        ];
        let m = read(
            &[],
            &timeline,
            &TimeContext::default(),
            (
                Some(at("2024-07-13T00:00:00Z")),
                Some(at("2024-07-13T23:35:00Z")),
            ),
        );
        let when = |k| m.get(k).map(|x| x.at.to_string());
        assert_eq!(
            when(MilestoneKind::Detected).as_deref(),
            Some("2024-07-13T00:05:00Z")
        );
        assert_eq!(
            m.detected.as_ref().unwrap().evidence,
            Evidence::Timeline {
                step: 1,
                text: timeline[1].text.clone()
            }
        );
        assert_eq!(m.detected_by, Some(DetectedBy::Monitoring));
        assert_eq!(
            when(MilestoneKind::Engaged).as_deref(),
            Some("2024-07-13T00:52:00Z")
        );
        // Beginning mitigation is not mitigation; one model in one region is not recovery.
        assert_eq!(
            when(MilestoneKind::Mitigated).as_deref(),
            Some("2024-07-13T10:20:00Z")
        );
        assert_eq!(
            when(MilestoneKind::Resolved).as_deref(),
            Some("2024-07-13T23:35:00Z")
        );
        assert!(matches!(
            m.resolved.as_ref().unwrap().evidence,
            Evidence::Timeline { step: 6, .. }
        ));
    }

    #[test]
    fn narrative_sentences_give_each_milestone_its_own_time() {
        let text = "Latencies began to increase at 13:34 PDT and Google engineers were alerted \
                    to the increase at 13:45 PDT. Engineers were engaged by 13:52 PDT. We \
                    rolled back the change at 14:30 PDT, and errors returned to normal.";
        let ctx = TimeContext::of_text(text, Zone::Pacific);
        let start = at("2017-06-07T20:34:00Z");
        let m = read(
            &[section(SectionKind::WhatHappened, text)],
            &[],
            &ctx,
            (Some(start), None),
        );
        assert_eq!(
            m.minutes_after(Some(start), MilestoneKind::Detected),
            Some(11)
        );
        assert_eq!(
            m.minutes_after(Some(start), MilestoneKind::Engaged),
            Some(18)
        );
        assert_eq!(
            m.minutes_after(Some(start), MilestoneKind::Mitigated),
            Some(56)
        );
        assert!(matches!(
            m.detected.unwrap().evidence,
            Evidence::Sentence { .. }
        ));
    }

    #[test]
    fn promises_negations_and_customer_reports_are_told_apart() {
        let text = "Our engineers were not alerted at 10:05 UTC because monitoring was off. \
                    At 10:40 UTC customers reported errors through support cases. We will \
                    make sure we are alerted at 10:00 UTC next time.";
        let start = at("2024-03-01T10:00:00Z");
        let m = read(
            &[section(SectionKind::WhatHappened, text)],
            &[],
            &TimeContext::of_text(text, Zone::Utc),
            (Some(start), Some(at("2024-03-01T12:00:00Z"))),
        );
        assert_eq!(
            m.minutes_after(Some(start), MilestoneKind::Detected),
            Some(40)
        );
        assert_eq!(m.detected_by, Some(DetectedBy::CustomerReport));
        // Nothing says it was mitigated earlier: the impact end is.
        assert_eq!(m.mitigated.unwrap().evidence, Evidence::ImpactEnd);
    }

    #[test]
    fn a_detection_after_the_impact_ended_is_not_the_detection() {
        let timeline = [step(
            "2018-11-19T18:38:00Z",
            "Post recovery: analysis of issues customers reported.",
        )];
        let m = read(
            &[],
            &timeline,
            &TimeContext::default(),
            (
                Some(at("2018-11-19T15:00:00Z")),
                Some(at("2018-11-19T17:39:00Z")),
            ),
        );
        assert_eq!(m.detected, None);
    }
}
