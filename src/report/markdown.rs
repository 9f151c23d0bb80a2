//! Markdown postmortems: TOML (`+++`) or YAML (`---`) front matter for the facts, headings for
//! sections, lists for timeline entries and action items. Raw HTML is dropped, never kept. Pure.

use jiff::Timestamp;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use super::time::{TimeContext, Zone};
use super::{Draft, FrontMatter, ReportError, extract, heading, milestone};
use crate::incident::{
    DetectedBy, Evidence, Milestone, MilestoneKind, Section, SectionKind, Stage,
};

/// Split front matter from the body: (format, front matter text, body, lines before the body).
fn split_front_matter(text: &str) -> Result<Option<(&'static str, &str, &str)>, ReportError> {
    for (fence, format) in [("+++", "toml"), ("---", "yaml")] {
        let Some(rest) = text.strip_prefix(fence) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('\n') else {
            continue;
        };
        let close = format!("\n{fence}");
        let end = if rest.starts_with(fence) {
            Some(0)
        } else {
            rest.find(&close).map(|i| i + 1)
        };
        let Some(end) = end else {
            return Err(ReportError::FrontMatter(format!(
                "it opens with `{fence}` but never closes; did you forget the closing `{fence}` line?"
            )));
        };
        let body = rest[end + fence.len()..].trim_start_matches('\n');
        return Ok(Some((format, &rest[..end], body)));
    }
    Ok(None)
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// The facts a front matter states, each field checked for its type.
#[derive(Debug, Default)]
struct Facts {
    id: Option<String>,
    title: Option<String>,
    stage: Option<Stage>,
    tracking_id: Option<String>,
    source_url: Option<String>,
    provider: Option<String>,
    date: Option<Timestamp>,
    impact_start: Option<Timestamp>,
    impact_end: Option<Timestamp>,
    services: Vec<String>,
    regions: Vec<String>,
    causes: Vec<String>,
    /// `detected_at`, `engaged_at`, `mitigated_at`, `resolved_at`.
    milestones: Vec<(MilestoneKind, Timestamp)>,
    detected_by: Option<DetectedBy>,
}

/// A field holding a web address: http or https only (it becomes a link on the incident page).
fn url_field(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ReportError> {
    let Some(url) = string_field(map, key)? else {
        return Ok(None);
    };
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    if !scheme_ok || url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ReportError::FrontMatter(format!(
            "`{key}` must be an http:// or https:// address without spaces, under 2048 characters"
        )));
    }
    Ok(Some(url))
}

fn string_field(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ReportError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(Value::Number(n)) if key == "id" || key == "tracking_id" => Ok(Some(n.to_string())),
        Some(other) => Err(ReportError::FrontMatter(format!(
            "`{key}` must be a string, found {}",
            type_name(other)
        ))),
    }
}

fn list_field(map: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<String>, ReportError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_string()),
                other => Err(ReportError::FrontMatter(format!(
                    "`{key}` must be a list of strings, and one entry is {}",
                    type_name(other)
                ))),
            })
            .collect(),
        Some(other) => Err(ReportError::FrontMatter(format!(
            "`{key}` must be a list of strings, found {}",
            type_name(other)
        ))),
    }
}

/// A front-matter time: RFC 3339 ("2025-03-04T09:12:00Z"), "2025-03-04 09:12" (UTC) or a date.
fn time_field(
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<Timestamp>, ReportError> {
    let Some(s) = string_field(map, key)? else {
        return Ok(None);
    };
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(Some(t));
    }
    let civil = s
        .trim_end_matches(" UTC")
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            s.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
    match civil {
        Ok(dt) => Ok(dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())),
        Err(_) => Err(ReportError::FrontMatter(format!(
            "`{key}` = \"{s}\" is not a time; write it as RFC 3339, e.g. \"2025-03-04T09:12:00Z\""
        ))),
    }
}

fn read_facts(format: &str, text: &str) -> Result<Facts, ReportError> {
    let value: Value = match format {
        "toml" => toml::from_str::<toml::Table>(text)
            .map(|t| toml_to_json(toml::Value::Table(t)))
            .map_err(|e| ReportError::FrontMatter(format!("TOML: {}", e.message())))?,
        _ => serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text)
            .map_err(|e| ReportError::FrontMatter(format!("YAML: {e}")))
            .and_then(|v| {
                serde_json::to_value(v).map_err(|e| ReportError::FrontMatter(format!("YAML: {e}")))
            })?,
    };
    let map = match value {
        Value::Object(map) => map,
        Value::Null => serde_json::Map::new(),
        other => {
            return Err(ReportError::FrontMatter(format!(
                "expected key = value pairs, found {}",
                type_name(&other)
            )));
        }
    };
    let mut milestones = Vec::new();
    for kind in MilestoneKind::ALL {
        if let Some(at) = time_field(&map, &format!("{}_at", kind.as_str()))? {
            milestones.push((kind, at));
        }
    }
    let detected_by = match string_field(&map, "detected_by")? {
        None => None,
        Some(s) => Some(DetectedBy::parse(&s).ok_or_else(|| {
            ReportError::FrontMatter(format!(
                "`detected_by` = \"{s}\" is not one of monitoring, customer_report"
            ))
        })?),
    };
    let stage = match string_field(&map, "stage")? {
        None => None,
        Some(s) => Some(Stage::parse(&s).ok_or_else(|| {
            ReportError::FrontMatter(format!(
                "`stage` = \"{s}\" is not one of initial_statement, preliminary, final"
            ))
        })?),
    };
    Ok(Facts {
        id: string_field(&map, "id")?,
        title: string_field(&map, "title")?,
        stage,
        tracking_id: string_field(&map, "tracking_id")?,
        source_url: url_field(&map, "source_url")?,
        provider: string_field(&map, "provider")?,
        date: time_field(&map, "date")?,
        impact_start: time_field(&map, "impact_start")?,
        impact_end: time_field(&map, "impact_end")?,
        services: list_field(&map, "services")?,
        regions: list_field(&map, "regions")?,
        causes: list_field(&map, "causes")?,
        milestones,
        detected_by,
    })
}

/// The body as sections: each heading opens one; an H1 before any other text is the title.
fn sections(body: &str) -> (Option<String>, Vec<Section>) {
    let options =
        Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut title = None;
    let mut out: Vec<Section> = Vec::new();
    let mut current = Section {
        kind: SectionKind::WhatHappened,
        heading: "Summary".into(),
        text: String::new(),
    };
    let mut heading_text: Option<(HeadingLevel, String)> = None;
    let mut list_depth = 0usize;
    for event in Parser::new_ext(body, options) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading_text = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, h)) = heading_text.take() else {
                    continue;
                };
                let h = super::text::squash(&h);
                if level == HeadingLevel::H1
                    && title.is_none()
                    && out.is_empty()
                    && current.text.trim().is_empty()
                {
                    title = Some(h);
                    continue;
                }
                if !current.text.trim().is_empty() || current.heading != "Summary" {
                    out.push(std::mem::replace(
                        &mut current,
                        Section {
                            kind: SectionKind::Other,
                            heading: String::new(),
                            text: String::new(),
                        },
                    ));
                }
                current = Section {
                    kind: heading::kind_of(&h).unwrap_or(SectionKind::Other),
                    heading: h,
                    text: String::new(),
                };
            }
            Event::Text(t) | Event::Code(t) => match heading_text.as_mut() {
                Some((_, h)) => h.push_str(&t),
                None => current.text.push_str(&t),
            },
            Event::SoftBreak => current.text.push(' '),
            Event::HardBreak => current.text.push('\n'),
            Event::Start(Tag::List(_)) => {
                list_depth += 1;
                if !current.text.is_empty() && !current.text.ends_with('\n') {
                    current.text.push('\n');
                }
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                if !current.text.is_empty() && !current.text.ends_with('\n') {
                    current.text.push('\n');
                }
                // Depth is capped so that a report of deeply nested lists stays linear in size.
                current
                    .text
                    .push_str(&"  ".repeat(list_depth.saturating_sub(1).min(8)));
                current.text.push_str("• ");
            }
            Event::TaskListMarker(done) => {
                current.text.push_str(if done { "[x] " } else { "[ ] " })
            }
            Event::End(
                TagEnd::Item
                | TagEnd::Paragraph
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => {
                if !current.text.ends_with('\n') {
                    current.text.push('\n');
                }
                if list_depth == 0 {
                    current.text.push('\n');
                }
            }
            Event::End(TagEnd::TableCell) => current.text.push_str(" | "),
            // Raw HTML is never kept: the page escapes text, and scripts have no place here.
            Event::Html(_) | Event::InlineHtml(_) => {}
            _ => {}
        }
    }
    out.push(current);
    for s in &mut out {
        let lines: Vec<&str> = s.text.lines().map(str::trim_end).collect();
        s.text = lines.join("\n").trim().replace("\n\n\n", "\n\n");
    }
    out.retain(|s| !s.text.is_empty() || !s.heading.is_empty());
    out.retain(|s| {
        !(s.heading == "Summary" && s.kind == SectionKind::WhatHappened && s.text.is_empty())
    });
    (title, out)
}

/// Parse one Markdown postmortem.
pub fn parse(source: &str, text: &str) -> Result<Draft, ReportError> {
    let (facts, body) = match split_front_matter(text)? {
        Some((format, fm, body)) => (read_facts(format, fm)?, body),
        None => (Facts::default(), text),
    };
    let (h1, sections) = sections(body);
    if sections.is_empty() && h1.is_none() && facts.title.is_none() {
        return Err(ReportError::NoReview);
    }
    let mut ctx = TimeContext::of_text(body, Zone::Utc);
    if let Some(t) = facts.impact_start.or(facts.date) {
        ctx.reference = Some(t.to_zoned(jiff::tz::TimeZone::UTC).date());
    }
    let mut warnings = Vec::new();
    let (found_start, found_end) = extract::impact_window(&sections, &ctx, &mut warnings);
    let impact_start = facts.impact_start.or(found_start);
    let impact_end = facts.impact_end.or(found_end);
    if let (Some(s), Some(e)) = (impact_start, impact_end)
        && e < s
        && facts.impact_start.is_some()
    {
        warnings.push(format!("impact_end ({e}) is before impact_start ({s})"));
    }
    let timeline = extract::timeline(&sections, &ctx, impact_start, false, &mut warnings);
    let repair_items = extract::repair_items(&sections);
    // What the front matter states wins over what the text tells.
    let mut milestones = milestone::read(&sections, &timeline, &ctx, (impact_start, impact_end));
    for (kind, at) in &facts.milestones {
        *milestones.slot(*kind) = Some(Milestone {
            at: *at,
            evidence: Evidence::FrontMatter,
        });
    }
    if facts.detected_by.is_some() {
        milestones.detected_by = facts.detected_by;
    }
    let provider = facts.provider.unwrap_or_else(|| "internal".to_string());
    let source_url = facts
        .source_url
        .clone()
        .or_else(|| extract::source_url(&provider, facts.tracking_id.as_deref(), body));
    Ok(Draft {
        source: source.to_string(),
        source_url,
        provider,
        title: facts.title.or(h1).unwrap_or_default(),
        stage: facts.stage.unwrap_or(Stage::Final),
        tracking_id: facts.tracking_id,
        reference_date: ctx.reference,
        impact_start,
        impact_end,
        sections,
        timeline,
        repair_items,
        milestones,
        warnings,
        front_matter: Some(FrontMatter {
            id: facts.id,
            source_url: facts.source_url,
            services: facts.services,
            regions: facts.regions,
            causes: facts.causes,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::ReportedStatus;

    const REPORT: &str = r#"+++
id = "2025-03-04-payments"
title = "Payments API returned 503s after a config rollout"
stage = "final"
impact_start = 2025-03-04T09:12:00Z
impact_end = "2025-03-04T10:40:00Z"
services = ["Payments API"]
regions = ["eu-west-1"]
+++

# Ignored because the front matter has a title

Checkout failed for 12% of requests.

## Root cause

A feature flag default changed in the config rollout. <script>alert(1)</script>

## Timeline

- 09:12 UTC — Error rate alert fired
- 09:40 UTC — Rolled back the config

## Action items

- [x] Roll back the flag
- [ ] Canary config changes (due: 2025-05)
"#;

    #[test]
    fn front_matter_sections_timeline_and_items() {
        let d = parse("x.md", REPORT).unwrap();
        assert_eq!(d.title, "Payments API returned 503s after a config rollout");
        assert_eq!(d.impact_start.unwrap().to_string(), "2025-03-04T09:12:00Z");
        assert_eq!(d.front_matter.as_ref().unwrap().services, ["Payments API"]);
        let kinds: Vec<SectionKind> = d.sections.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                SectionKind::WhatHappened,
                SectionKind::RootCause,
                SectionKind::Response,
                SectionKind::RepairItems
            ]
        );
        assert!(
            !d.sections[1].text.contains("script"),
            "raw HTML is dropped: {}",
            d.sections[1].text
        );
        assert_eq!(d.timeline.len(), 2);
        assert_eq!(
            d.timeline[1].at.unwrap().to_string(),
            "2025-03-04T09:40:00Z"
        );
        assert_eq!(d.repair_items.len(), 2);
        assert_eq!(d.repair_items[0].reported_status, ReportedStatus::Completed);
        assert_eq!(d.repair_items[1].due[0].to_string(), "2025-05");
    }

    #[test]
    fn yaml_front_matter_works_too() {
        let d = parse("y.md", "---\ntitle: DNS outage\nstage: preliminary\nservices: [DNS]\n---\n## Impact\nNames did not resolve.\n").unwrap();
        assert_eq!(
            (d.title.as_str(), d.stage),
            ("DNS outage", Stage::Preliminary)
        );
    }

    #[test]
    fn wrong_types_and_unclosed_front_matter_say_what_to_fix() {
        let e = parse("z.md", "+++\ntitle = 5\n+++\nx").unwrap_err();
        assert_eq!(
            e.to_string(),
            "front matter: `title` must be a string, found a number"
        );
        let e = parse("z.md", "+++\nservices = [1]\n+++\nx").unwrap_err();
        assert!(e.to_string().contains("list of strings"), "{e}");
        let e = parse("z.md", "+++\ntitle = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("never closes"), "{e}");
        let e = parse("z.md", "---\nstage: done\n---\nx").unwrap_err();
        assert!(
            e.to_string()
                .contains("initial_statement, preliminary, final"),
            "{e}"
        );
        let e = parse("z.md", "+++\nimpact_start = \"yesterday\"\n+++\nx").unwrap_err();
        assert!(e.to_string().contains("RFC 3339"), "{e}");
        for bad in ["javascript:alert(1)", "/incidents/x", "https://a b"] {
            let e = parse("z.md", &format!("+++\nsource_url = \"{bad}\"\n+++\nx")).unwrap_err();
            assert!(
                e.to_string().contains("`source_url` must be an http"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_original_is_the_front_matters_or_implied_by_the_tracking_id() {
        let d = parse(
            "a.md",
            "+++\nsource_url = \"https://wiki.example/PM-12\"\n+++\n# T\nx",
        )
        .unwrap();
        assert_eq!(d.source_url.as_deref(), Some("https://wiki.example/PM-12"));
        let d = parse(
            "b.md",
            "+++\nprovider = \"azure\"\ntracking_id = \"KTY1-HW8\"\n+++\n# T\nx",
        )
        .unwrap();
        assert_eq!(
            d.source_url.as_deref(),
            Some("https://azure.status.microsoft/en-us/status/history/?trackingId=KTY1-HW8")
        );
        assert_eq!(parse("c.md", "# T\nno address").unwrap().source_url, None);
    }

    #[test]
    fn front_matter_milestones_win_over_the_timeline() {
        use crate::incident::{DetectedBy, Evidence, MilestoneKind};
        let d = parse("x.md", REPORT).unwrap();
        // From the timeline: "09:12 UTC — Error rate alert fired".
        let detected = d.milestones.detected.as_ref().unwrap();
        assert_eq!(detected.at.to_string(), "2025-03-04T09:12:00Z");
        assert!(matches!(
            detected.evidence,
            Evidence::Timeline { step: 0, .. }
        ));
        let set = REPORT.replacen(
            "+++\n\n",
            "detected_at = \"2025-03-04T09:20:00Z\"\nmitigated_at = 2025-03-04T09:40:00Z\ndetected_by = \"customer report\"\n+++\n\n",
            1,
        );
        let d = parse("x.md", &set).unwrap();
        let m = &d.milestones;
        assert_eq!(
            m.minutes_after(d.impact_start, MilestoneKind::Detected),
            Some(8)
        );
        assert_eq!(m.detected.as_ref().unwrap().evidence, Evidence::FrontMatter);
        assert_eq!(
            m.minutes_after(d.impact_start, MilestoneKind::Mitigated),
            Some(28)
        );
        assert_eq!(m.detected_by, Some(DetectedBy::CustomerReport));
        let bad = REPORT.replacen("+++\n\n", "detected_by = \"luck\"\n+++\n\n", 1);
        let err = parse("x.md", &bad).unwrap_err().to_string();
        assert!(
            err.contains("detected_by") && err.contains("monitoring"),
            "{err}"
        );
        let bad = REPORT.replacen("+++\n\n", "resolved_at = \"soon\"\n+++\n\n", 1);
        let err = parse("x.md", &bad).unwrap_err().to_string();
        assert!(err.contains("resolved_at"), "{err}");
    }
}
