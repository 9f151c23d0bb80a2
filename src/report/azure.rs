//! Azure status-history pages saved as plain text: split a page into its reviews, drop page
//! chrome, and read both the current layout ("What happened?", "What went wrong and why?", ...)
//! and the legacy one with inline labels ("Summary of impact:", "Root cause:", ...). Pure.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{bullet, is_chrome, is_preliminary_note, squash};
use super::time::{TimeContext, Zone};
use super::{Draft, extract, milestone};
use crate::incident::{Section, SectionKind, Stage};

/// A heading of the current layout: the whole line is the question.
fn heading(line: &str) -> Option<SectionKind> {
    static HEADINGS: LazyLock<Vec<(Regex, SectionKind)>> = LazyLock::new(|| {
        [
            (r"^what happened\??$", SectionKind::WhatHappened),
            (r"^what went wrong,? and why\??$", SectionKind::RootCause),
            (r"^what do we know so far\??$", SectionKind::RootCause),
            (r"^how did we respond\??$", SectionKind::Response),
            (r"^how (?:are we|we are) making (?:incidents|outages) like this less likely.{0,40}$", SectionKind::RepairItems),
            (r"^how can (?:our )?customers.{0,40}make incidents like this less impactful\??$", SectionKind::CustomerGuidance),
            (r"^how can we make our incident communications more useful\??$", SectionKind::Other),
            (r"^what happens next\??$", SectionKind::Other),
        ]
        .into_iter()
        .map(|(p, k)| (Regex::new(&format!("(?i){p}")).expect("valid regex"), k))
        .collect()
    });
    let t = line.trim();
    HEADINGS
        .iter()
        .find(|(re, _)| re.is_match(t))
        .map(|(_, k)| *k)
}

/// An inline label of the legacy layout, where it stands in the line and what kind it opens.
#[derive(Debug)]
struct Label<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    kind: Option<SectionKind>,
}

fn labels(line: &str) -> Vec<Label<'_>> {
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(summary of impact|customer impact|impact statement|preliminary root cause|root cause and mitigation|root cause|mitigation|next steps|workaround|current status|provide feedback)\s*:")
            .expect("valid regex")
    });
    let mut out = Vec::new();
    for c in LABEL.captures_iter(line) {
        let whole = c.get(0).expect("group 0");
        let before = line[..whole.start()].trim_end();
        let at_start = before.is_empty()
            || bullet(line).is_some_and(|(_, t)| line.len() - t.len() >= whole.start());
        let after_sentence = before.ends_with(['.', '!', '?', ')', '"']);
        if !(at_start || after_sentence) {
            continue;
        }
        let name = c.get(1).expect("group 1").as_str();
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "summary of impact" | "customer impact" | "impact statement" => {
                Some(SectionKind::WhatHappened)
            }
            "preliminary root cause" | "root cause and mitigation" | "root cause" => {
                Some(SectionKind::RootCause)
            }
            "mitigation" | "current status" => Some(SectionKind::Response),
            "next steps" => Some(SectionKind::RepairItems),
            "workaround" => Some(SectionKind::CustomerGuidance),
            _ => None, // "Provide feedback:" is a survey line.
        };
        out.push(Label {
            start: whole.start(),
            end: whole.end(),
            name,
            kind,
        });
    }
    out
}

/// A line that opens a review: "What happened?" or a leading "Summary of impact:".
fn is_anchor(line: &str) -> bool {
    heading(line) == Some(SectionKind::WhatHappened)
        || labels(line).first().is_some_and(|l| {
            l.kind == Some(SectionKind::WhatHappened) && line[..l.start].trim().is_empty()
        })
}

static TRACKING_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:tracking id\s*[:#]?\s*|aka\.ms/(?:air|azpir)/)([A-Z0-9_]{4}-[A-Z0-9_]{3})\b",
    )
    .expect("valid regex")
});
static DATE_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})/(\d{1,2})/(\d{4})$").expect("valid regex"));

fn is_survey(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("you can rate this pir")
        || l.contains("3-question survey")
        || l.starts_with("provide feedback")
}

/// Where the header of the review opening at `anchor` starts: walk back over chrome, the date
/// line, the tracking id line and one title line, never past `floor` or a survey line (which
/// closes the review before).
fn header_start(lines: &[&str], anchor: usize, floor: usize) -> usize {
    let mut start = anchor;
    let mut titles = 0;
    while start > floor {
        let l = lines[start - 1].trim();
        let header_line = if l.is_empty() || is_preliminary_note(l) || l.starts_with("Note:") {
            true
        } else if is_survey(l)
            || heading(l).is_some()
            || !labels(l).is_empty()
            || bullet(l).is_some()
        {
            false
        } else if is_chrome(l)
            || DATE_LINE.is_match(l)
            || l.to_ascii_lowercase().starts_with("tracking id")
        {
            true
        } else if titles == 0 && l.len() < 200 && !l.ends_with('.') && !l.ends_with(':') {
            titles += 1;
            true
        } else {
            false
        };
        if !header_line {
            break;
        }
        start -= 1;
    }
    start
}

fn clean_title(line: &str) -> String {
    static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:(?:final|preliminary)\s+)?(?:post incident review \(pir\)|pir|rca)\s*[-–:]\s*").expect("valid regex")
    });
    static TRACKING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\s*\(?tracking id:?\s*[A-Z0-9_]{4}-[A-Z0-9_]{3}\)?").expect("valid regex")
    });
    let t = TRACKING.replace_all(line.trim(), "");
    squash(&PREFIX.replace(&t, ""))
}

/// Split a page into the line ranges of its reviews: (header start, anchor, end).
fn split(lines: &[&str]) -> Vec<(usize, usize, usize)> {
    // A review opens at an anchor only once the one before has gone past its summary:
    // "Customer impact:" right after "Summary of impact:" is the same review.
    let opens_other_section = |l: &str| {
        heading(l).is_some_and(|k| k != SectionKind::WhatHappened)
            || labels(l)
                .iter()
                .any(|x| x.kind.is_some_and(|k| k != SectionKind::WhatHappened))
    };
    let mut anchors: Vec<usize> = Vec::new();
    for i in (0..lines.len()).filter(|&i| is_anchor(lines[i])) {
        let past_summary = anchors
            .last()
            .is_none_or(|&prev| lines[prev..i].iter().any(|l| opens_other_section(l)));
        if past_summary {
            anchors.push(i);
        }
    }
    if anchors.is_empty() {
        let first = lines
            .iter()
            .position(|l| !l.trim().is_empty() && !is_chrome(l))
            .unwrap_or(0);
        return vec![(0, first, lines.len())];
    }
    let mut out = Vec::new();
    let mut floor = 0;
    let starts: Vec<usize> = anchors
        .iter()
        .map(|&a| {
            let s = header_start(lines, a, floor);
            floor = a + 1;
            s
        })
        .collect();
    for (k, &a) in anchors.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        let header = if k == 0 { 0 } else { starts[k] };
        out.push((header, a, end));
    }
    out
}

/// Sections of a review's body lines.
fn sections(body: &[&str]) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut skipping_feedback = false;
    let push_text = |out: &mut Vec<Section>, text: &str| {
        if out.is_empty() {
            out.push(Section {
                kind: SectionKind::Other,
                heading: String::new(),
                text: String::new(),
            });
        }
        let s = out.last_mut().expect("a section");
        s.text.push_str(text);
        s.text.push('\n');
    };
    for line in body {
        let t = line.trim_end();
        if t.trim().is_empty() {
            if !out.is_empty() {
                push_text(&mut out, "");
            }
            continue;
        }
        if is_chrome(t) || is_preliminary_note(t) {
            continue;
        }
        if let Some(kind) = heading(t) {
            skipping_feedback = false;
            out.push(Section {
                kind,
                heading: squash(t),
                text: String::new(),
            });
            continue;
        }
        let found = labels(t);
        if found.is_empty() {
            if !skipping_feedback {
                push_text(&mut out, t);
            }
            continue;
        }
        let before = t[..found[0].start].trim();
        if !before.is_empty() && !skipping_feedback {
            push_text(&mut out, before);
        }
        for (i, label) in found.iter().enumerate() {
            let content_end = found.get(i + 1).map_or(t.len(), |n| n.start);
            let content = t[label.end..content_end].trim();
            match label.kind {
                Some(kind) => {
                    skipping_feedback = false;
                    out.push(Section {
                        kind,
                        heading: squash(label.name),
                        text: String::new(),
                    });
                    if !content.is_empty() {
                        push_text(&mut out, content);
                    }
                }
                None => skipping_feedback = true,
            }
        }
    }
    for s in &mut out {
        let lines: Vec<&str> = s.text.lines().collect();
        let mut text = String::new();
        let mut blank = false;
        for l in lines {
            if l.trim().is_empty() {
                blank = !text.is_empty();
                continue;
            }
            if blank {
                text.push('\n');
                blank = false;
            }
            text.push_str(l.trim_end());
            text.push('\n');
        }
        s.text = text.trim_end().to_string();
    }
    out.retain(|s| !(s.kind == SectionKind::Other && s.heading.is_empty() && s.text.is_empty()));
    out
}

/// Every review on a normalised Azure page, in page order.
pub fn parse(source: &str, text: &str) -> Vec<Draft> {
    static BROKEN_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?im)\b(summary of|preliminary root|root|next|provide|current)[ ]*\n[ ]*(impact|cause|steps|feedback|status)[ ]*:",
        )
        .expect("valid regex")
    });
    let text = BROKEN_LABEL.replace_all(text, "$1 $2:");
    let lines: Vec<&str> = text.lines().collect();
    split(&lines)
        .into_iter()
        .filter_map(|(header_start, anchor, end)| {
            review(source, &lines[header_start..anchor], &lines[anchor..end])
        })
        .collect()
}

fn review(source: &str, header: &[&str], body: &[&str]) -> Option<Draft> {
    let sections = sections(body);
    if sections.iter().all(|s| s.text.is_empty()) {
        return None;
    }
    let all_text = [header.join("\n"), body.join("\n")].join("\n");
    let tracking_id = TRACKING_ID
        .captures(&all_text)
        .map(|c| c[1].to_ascii_uppercase());
    let date_line = header
        .iter()
        .find_map(|l| DATE_LINE.captures(l.trim()))
        .and_then(|c| {
            jiff::civil::Date::new(c[3].parse().ok()?, c[1].parse().ok()?, c[2].parse().ok()?).ok()
        });
    let title = header
        .iter()
        .map(|l| l.trim())
        .find(|l| {
            !l.is_empty()
                && !is_chrome(l)
                && !is_preliminary_note(l)
                && !l.starts_with("Note:")
                && !DATE_LINE.is_match(l)
                && !l.to_ascii_lowercase().starts_with("tracking id")
                && l.len() < 200
        })
        .map(clean_title)
        .unwrap_or_default();

    let lower = all_text.to_ascii_lowercase();
    let stage = if lower.contains("we will publish a preliminary post incident review")
        || lower.contains("will publish a preliminary pir")
    {
        Stage::InitialStatement
    } else if header.iter().any(|l| is_preliminary_note(l))
        || lower.contains("\nwhat do we know so far")
        || lower.contains("preliminary root cause")
        || title.to_ascii_lowercase().contains("preliminary")
    {
        Stage::Preliminary
    } else if lower.contains("\nwhat happens next") {
        Stage::InitialStatement
    } else {
        Stage::Final
    };

    let mut ctx = TimeContext::of_text(&all_text, Zone::Utc);
    if date_line.is_some() {
        ctx.reference = date_line;
    }
    let mut warnings = Vec::new();
    let (impact_start, impact_end) = extract::impact_window(&sections, &ctx, &mut warnings);
    let timeline = extract::timeline(&sections, &ctx, impact_start, false, &mut warnings);
    let milestones = milestone::read(&sections, &timeline, &ctx, (impact_start, impact_end));
    let repair_items = extract::repair_items(&sections);
    Some(Draft {
        source: source.to_string(),
        provider: "azure".to_string(),
        title,
        stage,
        source_url: extract::source_url("azure", tracking_id.as_deref(), &all_text),
        tracking_id,
        reference_date: date_line.or(ctx.reference),
        impact_start,
        impact_end,
        sections,
        timeline,
        repair_items,
        milestones,
        warnings,
        front_matter: None,
    })
}
