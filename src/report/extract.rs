//! What every report format shares once its sections are known: the impact window, the
//! timeline entries, the repair items and the address of the original. Pure.

use std::sync::LazyLock;

use jiff::Timestamp;
use regex::Regex;

use super::repair;
use super::text::bullet;
use super::time::{self, DateParts, Point, TimeContext, Zone};
use crate::incident::{RepairItem, Section, SectionKind, TimelineEntry};

/// The impact window: the envelope of every window the what-happened text states (a review can
/// give one window per symptom), else the first one anywhere in the report.
pub fn impact_window(
    sections: &[Section],
    ctx: &TimeContext,
    warnings: &mut Vec<String>,
) -> (Option<Timestamp>, Option<Timestamp>) {
    let summary: Vec<&str> = sections
        .iter()
        .filter(|s| s.kind == SectionKind::WhatHappened)
        .map(|s| s.text.as_str())
        .collect();
    let summary = summary.join("\n");
    // A header that states the window ("Incident began at 2015-12-07 22:00 and ended at
    // 2015-12-08 13:25", as Google Cloud's pages open) is the window the report means; the
    // narrative's own windows (a sub-service's, a tail of errors) do not widen it.
    if let Some(header) = header_window(sections, ctx) {
        return (Some(header.start), header.end);
    }
    let all: Vec<&str> = sections.iter().map(|s| s.text.as_str()).collect();
    let all = all.join("\n");
    let mut found = windows_in(&summary, ctx, warnings);
    if found.is_empty() {
        // Elsewhere in the text a "from ... to ..." is not always the impact: take the first that resolves.
        found = windows_in(&all, ctx, &mut Vec::new())
            .into_iter()
            .take(1)
            .collect();
    }
    let mut start = found.iter().map(|w| w.start).min();
    let mut end = found.iter().filter_map(|w| w.end).max();
    // A window told after the story says the impact began is one part of it ("any customer
    // whose API access was throttled between 12:06PM PDT and 2:33PM PDT", after "At 10:00AM
    // PDT Monday, a small number of EBS volumes … began seeing degraded performance"): the
    // impact starts at that beginning, when it is at most a day before, and ends where the
    // story says recovery was whole, when that is later.
    if let Some(first) = start
        && let Some((began, said_at)) = onset(&all, ctx)
        && began < first
        && first.duration_since(began) <= jiff::SignedDuration::from_hours(24)
        && time::find_windows(&all)
            .iter()
            .find(|w| time::resolve_window(w, &all, ctx).is_ok_and(|w| w.start == first))
            .is_some_and(|w| said_at < w.offset)
    {
        start = Some(began);
        if let Some(recovered) = recovery_end(&all, began, ctx) {
            end = end.max(Some(recovered));
        }
    }
    if found.is_empty() {
        // "On 23rd June 2011 at about 15:35 UTC, ...": the first dated time of the report;
        // else the time of the first sentence that says the impact began.
        start = first_dated_point(&summary, ctx)
            .or_else(|| onset(&all, ctx).map(|(t, _)| t))
            .or_else(|| first_dated_point(&all, ctx));
    }
    if let (Some(start), None) = (start, end) {
        end = recovery_end(&all, start, ctx).or_else(|| {
            // "GitHub was unavailable for two hours and six minutes."
            stated_length(&all).and_then(|minutes| {
                start
                    .checked_add(jiff::SignedDuration::from_mins(minutes))
                    .ok()
            })
        });
    }
    // No start is written ("Saturday's maintenance window"), but the end is: "we returned the
    // site to service at 20:23 PST", on the report's day.
    if let (None, None, Some(day)) = (start, end, ctx.reference)
        && let Ok(midnight) = time::to_timestamp(day, (0, 0), ctx.default_zone, ctx)
    {
        end = recovery_end(&all, midnight, ctx);
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        warnings.push(format!("impact window ends ({e}) before it starts ({s})"));
    }
    (start, end)
}

/// How long the impact lasted, in minutes, as a report states it: "GitHub was unavailable for
/// two hours and six minutes", "the outage lasted 45 minutes", "for a total duration of 3
/// hours and 12 minutes". The first such statement.
fn stated_length(text: &str) -> Option<i64> {
    const NUMBER: &str = r"\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|forty-five|fifty";
    static LENGTH: LazyLock<Regex> = LazyLock::new(|| {
        let amount =
            format!(r"({NUMBER})\s+(hours?|minutes?)(?:,?\s+and\s+({NUMBER})\s+(minutes?))?");
        Regex::new(&format!(
            r"(?i)\b(?:(?:was|were)\s+(?:\w+\s+)?(?:unavailable|down|offline|inaccessible|unreachable)\s+for|(?:outage|disruption|incident|impact)\s+lasted|total duration of)\s+(?:about\s+|approximately\s+|roughly\s+|nearly\s+)?{amount}\b"
        ))
        .expect("valid regex")
    });
    let number = |w: &str| -> Option<i64> {
        let words = [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve",
        ];
        match w.to_ascii_lowercase().as_str() {
            "a" | "an" => Some(1),
            "fifteen" => Some(15),
            "twenty" => Some(20),
            "thirty" => Some(30),
            "forty" => Some(40),
            "forty-five" => Some(45),
            "fifty" => Some(50),
            w => w
                .parse()
                .ok()
                .or_else(|| words.iter().position(|n| *n == w).map(|n| n as i64)),
        }
    };
    let c = LENGTH.captures(text)?;
    let unit = |u: &str| {
        if u.to_ascii_lowercase().starts_with("hour") {
            60
        } else {
            1
        }
    };
    let mut minutes = number(&c[1])? * unit(&c[2]);
    if let (Some(n), Some(u)) = (c.get(3), c.get(4)) {
        minutes += number(n.as_str())? * unit(u.as_str());
    }
    Some(minutes)
}

/// The end of an impact that starts at `start`, written in a sentence of its own: "By 6:30 PM
/// JST, the vast majority of affected instances had recovered", "we returned the site to
/// service at 20:23 PST", "At 16:50 CST the traffic conditions reverted to normal", "all
/// services were healthy at 2:15 AM PST, March 1st". A time
/// without a date takes the last date written before it, else the start's (the next day when
/// that would end before the start). Of the sentences that say recovery was whole ("all",
/// "fully", "normal", "the vast majority"), the last; else the last that says recovery at all;
/// within a week of the start.
fn recovery_end(text: &str, start: Timestamp, ctx: &TimeContext) -> Option<Timestamp> {
    static RECOVERED: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(
            r"(?i)\b(?:recovered|resolved|restored|returned (?:the \w+ )?to (?:normal|service|full)|reverted to (?:a )?normal|back to normal|fully mitigated|mitigated|full (?:\w+ )?operation|operating normally|(?:was|were) (?:\w+ )?healthy)\b",
        )
    });
    static WHOLE: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(
            r"(?i)\b(?:all|fully|normal|vast majority|completely|to service)\b",
        )
    });
    let mut whole = None;
    let mut last = None;
    let mut offset = 0;
    for paragraph in text.split('\n') {
        for sentence in super::text::prose_sentences(paragraph) {
            let at = offset + paragraph.find(sentence).unwrap_or(0);
            let Some(said) = RECOVERED.find(sentence) else {
                continue;
            };
            let Some(t) = sentence_time(sentence, said.start(), &text[..at], start, ctx) else {
                continue;
            };
            if t <= start || t > start + jiff::SignedDuration::from_hours(24 * 7) {
                continue;
            }
            if WHOLE.is_match(sentence) {
                whole = Some(t);
            }
            last = Some(t);
        }
        offset += paragraph.len() + 1;
    }
    whole.or(last)
}

/// The time a sentence gives nearest byte `near`, on its own date, the last date written before
/// it, or the first such clock time after `after`.
pub(super) fn sentence_time(
    sentence: &str,
    near: usize,
    before: &str,
    after: Timestamp,
    ctx: &TimeContext,
) -> Option<Timestamp> {
    let bytes = sentence.as_bytes();
    // Of the times the sentence gives, the one nearest the words that say it happened; a time
    // after them is nearer than one as far before ("engineers were alerted at 13:45", not
    // "latencies began to increase at 13:34 and engineers were alerted").
    let (_, p) = (0..bytes.len())
        .filter(|&i| {
            sentence.is_char_boundary(i)
                && bytes[i].is_ascii_alphanumeric()
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        })
        .filter_map(|i| {
            time::scan_point(&sentence[i..])
                .filter(|(p, _)| p.time.is_some())
                .map(|(p, n)| (i, n, p))
        })
        .map(|(i, n, p)| {
            let distance = if i >= near {
                i - near
            } else {
                2 * near.saturating_sub(i + n)
            };
            (distance, p)
        })
        .min_by_key(|(distance, _)| *distance)?;
    let time = p.time?;
    let zone = p.zone.unwrap_or(ctx.default_zone);
    if p.date.is_some() {
        let d = time::resolve_date(&p, None, ctx).ok()?;
        return time::to_timestamp(d, time, zone, ctx).ok();
    }
    if let Some((_, d)) = time::dates_with_offsets(before).last()
        && let Ok(date) = time::resolve_date(
            &Point {
                date: Some(*d),
                ..p
            },
            None,
            ctx,
        )
        && let Ok(t) = time::to_timestamp(date, time, zone, ctx)
        && t > after
    {
        return Some(t);
    }
    // The first time after `after` with this clock reading: on the start's day, or the next
    // (in the sentence's zone, which may be a day off UTC's).
    let day = after.to_zoned(jiff::tz::TimeZone::UTC).date();
    [day.yesterday().ok()?, day, day.tomorrow().ok()?]
        .into_iter()
        .filter_map(|d| time::to_timestamp(d, time, zone, ctx).ok())
        .find(|t| *t > after)
}

/// The window of a line that opens with "Incident began at … and ended at …", if one does and
/// it resolves with both ends.
fn header_window(sections: &[Section], ctx: &TimeContext) -> Option<time::Window> {
    sections
        .iter()
        .flat_map(|s| s.text.lines())
        .filter(|l| {
            l.trim_start()
                .to_ascii_lowercase()
                .starts_with("incident began at")
        })
        .find_map(|l| {
            let found = windows_in(l, ctx, &mut Vec::new());
            match found.as_slice() {
                [w] if w.end.is_some_and(|e| e >= w.start) => Some(*w),
                _ => None,
            }
        })
}

/// The first point in the text that has both a time and a date with a year.
fn first_dated_point(text: &str, ctx: &TimeContext) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        if !bytes[i].is_ascii_alphanumeric()
            || (i > 0 && bytes[i - 1].is_ascii_alphanumeric())
            || !text.is_char_boundary(i)
        {
            continue;
        }
        let Some((p, _)) = time::scan_point(&text[i..]) else {
            continue;
        };
        let (Some(date), Some(t)) = (p.date, p.time) else {
            continue;
        };
        let Ok(d) = time::resolve_date(&p, None, ctx) else {
            continue;
        };
        let _ = date;
        if let Ok(at) = time::to_timestamp(d, t, p.zone.unwrap_or(ctx.default_zone), ctx) {
            return Some(at);
        }
    }
    None
}

/// The window a timeline marks, as wikitech's template asks ("clearly indicate when the
/// user-visible outage began and ended"): the first step that says "OUTAGE BEGINS" (or
/// "IMPACT STARTS"), the last that says "OUTAGE ENDS". Only the capitals of the marker count:
/// "the outage ended" in prose is a sentence, not a mark.
pub fn marked_window(timeline: &[TimelineEntry]) -> (Option<Timestamp>, Option<Timestamp>) {
    static BEGINS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:OUTAGE|IMPACT) (?:BEGINS|BEGAN|STARTS|STARTED)\b|(?i:\bthe incident (?:starts|begins)\b)")
            .expect("valid regex")
    });
    static ENDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:OUTAGE|IMPACT) (?:ENDS|ENDED)\b|(?i:\bthe incident (?:ends|is (?:solved|resolved|over))\b)")
            .expect("valid regex")
    });
    let start = timeline
        .iter()
        .find(|e| BEGINS.is_match(&e.text))
        .and_then(|e| e.at);
    let end = timeline
        .iter()
        .rev()
        .find(|e| ENDS.is_match(&e.text))
        .and_then(|e| e.at);
    match (start, end) {
        // A mark that would end the window before it starts is not read.
        (Some(s), Some(e)) if e < s => (Some(s), None),
        window => window,
    }
}

/// When the impact began, in a report that tells it as a story of clock times (GitHub's posts):
/// the time of the first sentence that says the impact began ("At 07:53 PDT the site was hit
/// with…", "At 10:52 pm Sunday UTC, multiple services were affected"), or of the sentence
/// before it when it began "nearly immediately" after that. A time without a date takes the
/// last date written before it, else the report's. "Our rollout began at 13:20" says no such
/// thing: a change that began is the trigger, not the impact.
fn onset(text: &str, ctx: &TimeContext) -> Option<(Timestamp, usize)> {
    static ONSET: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(concat!(
            r"(?i)\b(?:problems?|errors?|failures?|outages?|disruptions?|impact|issues?|timeouts?|incident)\s+(?:began|started|starts|begins|appeared|manifest\w*)",
            r"|\b(?:began|started)\s+(?:to\s+)?(?:fail|return|experienc|observ|see|time)\w*",
            r"|\b(?:was|were)\s+(?:\w+\s+)?(?:hit|affected|impacted|unavailable|inaccessible|unreachable|down|degraded)\b",
            r"|\bexperienced (?:an? |\w+ )?(?:outage|disruption|partition|failure)|\bbecame (?:unavailable|inaccessible|unreachable)",
        ))
    });
    static SOON: LazyLock<Regex> = LazyLock::new(|| {
        super::text::prose_regex(
            r"(?i)\b(?:nearly |almost )?(?:immediately|shortly (?:after|afterwards?)|soon after|moments later|within (?:a few )?(?:seconds|minutes))\b|\bat (?:this|that) (?:moment|point|time)\b",
        )
    });
    // The dates are read, and a sentence's time, only for the sentences that say the impact
    // began (and the one before such a sentence): most sentences say nothing of the kind.
    let mut dates = None;
    let mut time_of = |sentence: &str, at: usize| {
        let dates = dates.get_or_insert_with(|| time::dates_with_offsets(text));
        let before = dates.iter().rev().find(|(o, _)| *o < at).map(|(_, d)| *d);
        first_time(sentence, before, ctx).map(|t| (t, at))
    };
    let mut previous: Option<(&str, usize)> = None;
    let mut offset = 0;
    for paragraph in text.split('\n') {
        for sentence in super::text::prose_sentences(paragraph) {
            let at = offset + paragraph.find(sentence).unwrap_or(0);
            if ONSET.is_match(sentence) {
                if let Some(t) = time_of(sentence, at) {
                    return Some(t);
                }
                if SOON.is_match(sentence)
                    && let Some((before, before_at)) = previous
                    && let Some(t) = time_of(before, before_at)
                {
                    return Some(t);
                }
            }
            previous = Some((sentence, at));
        }
        offset += paragraph.len() + 1;
    }
    None
}

/// The first clock time of a sentence, on its own date, else `before`, else the report's.
fn first_time(sentence: &str, before: Option<DateParts>, ctx: &TimeContext) -> Option<Timestamp> {
    let bytes = sentence.as_bytes();
    (0..bytes.len())
        .filter(|&i| {
            sentence.is_char_boundary(i)
                && bytes[i].is_ascii_digit()
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        })
        .find_map(|i| {
            let (p, _) = time::scan_point(&sentence[i..])?;
            p.time?;
            let d = time::resolve_date(&p, before, ctx).ok()?;
            time::point_timestamp(d, &p, ctx.default_zone, ctx).ok()
        })
}

fn windows_in(text: &str, ctx: &TimeContext, warnings: &mut Vec<String>) -> Vec<time::Window> {
    let mut out = Vec::new();
    for w in time::find_windows(text) {
        match time::resolve_window(&w, text, ctx) {
            Ok(win) => out.push(win),
            Err(e) => warnings.push(format!("impact window not understood: {e}")),
        }
    }
    out
}

/// Timeline entries: lines of the response sections (or of every section, for reports whose
/// timeline has no heading of its own) that open with a time. A line without a date takes the
/// date of the step before it, then of the impact start. A step earlier than the one before it
/// keeps its place and gets a warning.
pub fn timeline(
    sections: &[Section],
    ctx: &TimeContext,
    impact_start: Option<Timestamp>,
    all_sections: bool,
    warnings: &mut Vec<String>,
) -> Vec<TimelineEntry> {
    let mut entries = Vec::new();
    let mut last_date: Option<DateParts> = impact_start.map(|t| {
        let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
        DateParts {
            year: Some(d.year()),
            month: d.month(),
            day: d.day(),
        }
    });
    let mut last_zone: Option<Zone> = None;
    let mut last_at: Option<Timestamp> = None;
    for section in sections
        .iter()
        .filter(|s| all_sections || s.kind == SectionKind::Response)
    {
        // Where the steps are bullets, a prose sentence that opens with a time is not a step.
        let bullet_steps = section
            .text
            .lines()
            .any(|l| bullet(l).is_some_and(|(_, t)| time::leading_point(t).is_some()));
        for line in section.text.lines() {
            if bullet_steps && bullet(line).is_none() {
                continue;
            }
            let content = bullet(line).map_or(line.trim(), |(_, t)| t);
            let Some((point, rest)) = time::leading_point(content) else {
                continue;
            };
            if rest.trim().len() < 3 {
                continue;
            }
            let zone = point.zone.or(last_zone).unwrap_or(ctx.default_zone);
            let at = time::resolve_date(&point, last_date, ctx)
                .and_then(|d| time::point_timestamp(d, &point, zone, ctx));
            let mut entry = TimelineEntry {
                at: None,
                text: rest.trim().to_string(),
                warning: None,
            };
            match at {
                Ok(at) => {
                    if point.date.is_some() {
                        last_date = point.date.map(|d| DateParts {
                            year: d.year.or(last_date.and_then(|l| l.year)),
                            ..d
                        });
                    }
                    if point.zone.is_some() {
                        last_zone = point.zone;
                    }
                    if let Some(prev) = last_at
                        && at < prev
                    {
                        let msg = format!(
                            "timeline step at {at} is earlier than the step before it ({prev})"
                        );
                        warnings.push(msg.clone());
                        entry.warning = Some(msg);
                    }
                    last_at = Some(at);
                    entry.at = Some(at);
                }
                // In free text a time at the start of a line is not always a timeline step.
                Err(_) if all_sections => continue,
                Err(e) => {
                    let msg = format!("timeline time not understood: {e}");
                    entry.warning = Some(msg.clone());
                    warnings.push(msg);
                }
            }
            entries.push(entry);
        }
    }
    entries
}

/// Repair items of every repair section, in order, without duplicates.
pub fn repair_items(sections: &[Section]) -> Vec<RepairItem> {
    let mut items: Vec<RepairItem> = Vec::new();
    for s in sections
        .iter()
        .filter(|s| s.kind == SectionKind::RepairItems)
    {
        for item in repair::extract(&s.text) {
            if !items.iter().any(|i| i.id == item.id) {
                items.push(item);
            }
        }
    }
    items
}

/// The changes a report without an action list commits to in its prose (see
/// `repair::commitments`), from every section but customer guidance, without duplicates.
pub fn commitments(sections: &[Section]) -> Vec<RepairItem> {
    let mut items: Vec<RepairItem> = Vec::new();
    for s in sections
        .iter()
        .filter(|s| s.kind != SectionKind::CustomerGuidance)
    {
        for item in repair::commitments(&s.text) {
            if !items.iter().any(|i| i.id == item.id) {
                items.push(item);
            }
        }
    }
    items
}

/// The public address of a review: the first link in its text under its provider's
/// `review_link` (a link relative to that site, as Google Cloud's pages give, is read on it),
/// else the provider's `review_url` made from the tracking id the review states.
pub fn source_url(provider: &str, tracking_id: Option<&str>, text: &str) -> Option<String> {
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\]\(([^)\s]+)\)|(https?://[^\s)<>"']+)"#).expect("valid regex")
    });
    let provider = crate::catalog::builtin::providers()
        .iter()
        .find(|p| p.id == provider)?;
    if let Some(link) = &provider.review_link {
        let host_end = link
            .find("://")
            .and_then(|s| link[s + 3..].find('/').map(|j| s + 3 + j))
            .unwrap_or(link.len());
        let (site, path) = link.split_at(host_end);
        for c in LINK.captures_iter(text) {
            let target = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            let target = target.trim_end_matches(['.', ',', ';', ':', '>']);
            if target.starts_with(link.as_str()) && target.len() > link.len() {
                return Some(target.to_string());
            }
            if !path.is_empty() && target.starts_with(path) && target.len() > path.len() {
                return Some(format!("{site}{target}"));
            }
        }
    }
    let (template, id) = (provider.review_url.as_ref()?, tracking_id?);
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Some(template.replace("{tracking_id}", &id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_in_a_sentence_of_its_own_is_read() {
        let ctx = TimeContext::of_text("August 23, 2019", Zone::Pacific);
        let start: Timestamp = "2019-08-23T03:36:00Z".parse().unwrap();
        let text = "Beginning at 12:36 PM JST, a small percentage of EC2 servers shut down. \
                    Some instances recovered at 1:10 PM JST. By 6:30 PM JST, the vast majority \
                    of affected instances and volumes had recovered. The rest were restored by \
                    11:00 PM JST.";
        assert_eq!(
            recovery_end(text, start, &ctx),
            Some("2019-08-23T09:30:00Z".parse().unwrap())
        );
        // Past midnight in the report's zone: the next day.
        let start: Timestamp = "2012-12-24T20:24:00Z".parse().unwrap();
        let text = "By 10:30 AM PST, almost all affected load balancers had been restored to full operation.";
        assert_eq!(
            recovery_end(text, start, &ctx),
            Some("2012-12-25T18:30:00Z".parse().unwrap())
        );
    }

    #[test]
    fn a_timeline_that_marks_the_outage_gives_the_window() {
        let step = |at: &str, text: &str| TimelineEntry {
            at: Some(at.parse().unwrap()),
            text: text.into(),
            warning: None,
        };
        let timeline = [
            step("2020-02-11T20:40:00Z", "cp1085 is depooled for maintenance"),
            step("2020-02-11T21:02:00Z", "cp1087 is depooled OUTAGE BEGINS"),
            step(
                "2020-02-11T21:10:00Z",
                "after the outage ended in codfw, eqiad",
            ),
            step("2020-02-11T21:17:00Z", "DNS TTL expires OUTAGE ENDS"),
            step("2020-02-11T21:36:00Z", "all cp servers are re-pooled"),
        ];
        let (start, end) = marked_window(&timeline);
        assert_eq!(start, Some("2020-02-11T21:02:00Z".parse().unwrap()));
        assert_eq!(end, Some("2020-02-11T21:17:00Z".parse().unwrap()));
        // Prose is no mark; an end before the start is not read.
        assert_eq!(marked_window(&timeline[2..3]), (None, None));
        let backwards = [
            step("2020-02-11T21:17:00Z", "OUTAGE BEGINS"),
            step("2020-02-11T21:02:00Z", "OUTAGE ENDS"),
        ];
        assert_eq!(
            marked_window(&backwards),
            (Some("2020-02-11T21:17:00Z".parse().unwrap()), None)
        );
    }

    #[test]
    fn the_impact_starts_at_the_first_sentence_that_says_it_began() {
        let mut ctx = TimeContext::of_text("", Zone::Pacific);
        ctx.reference = Some(jiff::civil::date(2014, 1, 8));
        let at = |text: &str| onset(text, &ctx).map(|(t, _)| t.to_string());
        // The rollout began first: a change, not the impact.
        assert_eq!(
            at(
                "Our rollout began at 13:20 PM PST. We deployed to the second name server at \
                13:29 PM PST. However, problems began manifesting nearly immediately."
            )
            .as_deref(),
            Some("2014-01-08T21:29:00Z")
        );
        assert_eq!(
            at("At 07:53 PDT on June 2nd the site was hit with an abnormal number of SSH connections.")
                .as_deref(),
            Some("2014-06-02T14:53:00Z")
        );
        // A date written before it dates a time without one.
        assert_eq!(
            at("On January 9th we changed a switch.\nAt 10:52 pm Sunday UTC, multiple services were affected.")
                .as_deref(),
            Some("2014-01-09T22:52:00Z")
        );
        // Problems without a time, and nothing "immediately" before them: none.
        assert_eq!(
            at("We deployed at 13:29 PM PST. Later, problems began."),
            None
        );
        // "At this moment" is the time of the step it follows, to the second.
        let mut utc = TimeContext::of_text("", Zone::Utc);
        utc.reference = Some(jiff::civil::date(2016, 6, 1));
        assert_eq!(
            onset(
                "• 23:49:49 A config change is synchronized. At this moment, the incident starts.",
                &utc
            )
            .map(|(t, _)| t.to_string())
            .as_deref(),
            Some("2016-06-01T23:49:49Z")
        );
    }

    #[test]
    fn an_impact_of_a_stated_length_ends_after_it() {
        assert_eq!(
            stated_length("Last week GitHub was unavailable for two hours and six minutes."),
            Some(126)
        );
        assert_eq!(
            stated_length("The outage lasted about 45 minutes."),
            Some(45)
        );
        assert_eq!(
            stated_length(
                "ranged from 6:48 - 10:00 for a total duration of 3 hours and 12 minutes"
            ),
            Some(192)
        );
        // A length of something else is none.
        assert_eq!(stated_length("The rollback took two hours."), None);
        let sections = [Section {
            kind: SectionKind::WhatHappened,
            heading: "Summary".into(),
            text: "Last week GitHub was unavailable for two hours and six minutes. At 00:23am UTC \
                   on Thursday, January 28th, 2016 our primary data center experienced a brief \
                   disruption in its power."
                .into(),
        }];
        let ctx = TimeContext::of_text(&sections[0].text, Zone::Utc);
        let (start, end) = impact_window(&sections, &ctx, &mut Vec::new());
        assert_eq!(start, Some("2016-01-28T00:23:00Z".parse().unwrap()));
        assert_eq!(end, Some("2016-01-28T02:29:00Z".parse().unwrap()));
    }

    #[test]
    fn a_timeline_that_says_when_the_incident_starts_and_is_solved_marks_it() {
        let step = |at: &str, text: &str| TimelineEntry {
            at: Some(at.parse().unwrap()),
            text: text.into(),
            warning: None,
        };
        let timeline = [
            step("2016-06-01T23:00:00Z", "The SWAT window starts."),
            step(
                "2016-06-01T23:49:49Z",
                "Synchronized. At this moment, the incident starts.",
            ),
            step(
                "2016-06-01T23:51:30Z",
                "Revert synchronized. At this moment, the incident is solved.",
            ),
        ];
        assert_eq!(
            marked_window(&timeline),
            (
                Some("2016-06-01T23:49:49Z".parse().unwrap()),
                Some("2016-06-01T23:51:30Z".parse().unwrap())
            )
        );
    }

    #[test]
    fn the_original_is_the_providers_link_or_made_from_the_tracking_id() {
        let gcp = "* [Incidents](/summary)\n  * [Google App Engine](/incident/appengine/15020)\n";
        assert_eq!(
            source_url("gcp", None, gcp).as_deref(),
            Some("https://status.cloud.google.com/incident/appengine/15020")
        );
        assert_eq!(
            source_url(
                "gcp",
                None,
                "see <https://status.cloud.google.com/incident/compute/19011>."
            )
            .as_deref(),
            Some("https://status.cloud.google.com/incident/compute/19011")
        );
        assert_eq!(source_url("gcp", None, "[Incidents](/summary)"), None);
        assert_eq!(
            source_url("azure", Some("4_6S-NC8"), "survey https://aka.ms/x").as_deref(),
            Some("https://azure.status.microsoft/en-us/status/history/?trackingId=4_6S-NC8")
        );
        assert_eq!(source_url("azure", None, "https://aka.ms/x"), None);
        assert_eq!(
            source_url("aws", None, "https://aws.amazon.com/message/65648/"),
            None
        );
    }

    #[test]
    fn a_header_window_is_the_impact_window_the_narrative_does_not_widen_it() {
        let text = "Incident began at 2015-12-07 22:00 and ended at 2015-12-08 13:25 (all times are US/Pacific).\n\nBetween Monday 7 December 2015 20:09 PST and Tuesday 8 December 2015 23:50 PST, some calls failed.";
        let sections = [Section {
            kind: SectionKind::WhatHappened,
            heading: "Summary".into(),
            text: text.into(),
        }];
        let ctx = TimeContext::of_text(text, Zone::Pacific);
        let (start, end) = impact_window(&sections, &ctx, &mut Vec::new());
        assert_eq!(start, Some("2015-12-08T06:00:00Z".parse().unwrap()));
        assert_eq!(end, Some("2015-12-08T21:25:00Z".parse().unwrap()));
    }

    #[test]
    fn a_window_told_after_the_impact_began_is_a_part_of_it() {
        let window = |text: &str| {
            let sections = [Section {
                kind: SectionKind::WhatHappened,
                heading: "Summary".into(),
                text: text.into(),
            }];
            let mut ctx = TimeContext::of_text(text, Zone::Pacific);
            ctx.reference = Some(jiff::civil::date(2012, 10, 22));
            impact_window(&sections, &ctx, &mut Vec::new())
        };
        // The story begins before the window it tells later: the impact starts there.
        let (start, end) = window(
            "At 10:00AM PDT Monday, a small number of EBS volumes began seeing degraded \
             performance. We throttled API access between 12:06PM PDT and 2:33PM PDT.",
        );
        assert_eq!(start, Some("2012-10-22T17:00:00Z".parse().unwrap()));
        assert_eq!(end, Some("2012-10-22T21:33:00Z".parse().unwrap()));
        // … and ends where the story says recovery was whole, when that is later.
        let (_, end) = window(
            "At 10:00AM PDT Monday, a small number of EBS volumes began seeing degraded \
             performance. We throttled API access between 12:06PM PDT and 2:33PM PDT. By \
             4:15PM PDT, nearly all affected volumes were restored and performing normally.",
        );
        assert_eq!(end, Some("2012-10-22T23:15:00Z".parse().unwrap()));
        // A window stated first is the report's own: a later "were affected" does not move it.
        let (start, _) = window(
            "Queries were slow between 14:21 and 14:36 PDT. The edit rate was not highly \
             affected at 14:20 and editors were affected less.",
        );
        assert_eq!(start, Some("2012-10-22T21:21:00Z".parse().unwrap()));
    }
}
