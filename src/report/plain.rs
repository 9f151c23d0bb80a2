//! Plain-text reports without a fixed layout: AWS post-event summaries, Google Cloud incident
//! pages, GitHub and Wikimedia posts, blog posts. Headings are guessed from the text's shape;
//! the whole text stays searchable. Pure.

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::text::{bullet, is_chrome, prose_sentences, squash};
use super::time::{self, TimeContext, Zone};
use super::{Draft, ReportError, extract, heading, milestone};
use crate::catalog::builtin::FileDate;
use crate::incident::{Section, SectionKind, Stage};

static GCP_INCIDENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^#\s*([A-Z][^\n#\[\]]*?)\s+Incident #(\d+)\s*$").expect("valid regex")
});
static CAPS_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9 ,&/'()-]{2,80}:$").expect("valid regex"));
static MARKDOWN_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"!?\[([^\]]*)\]\([^)]*\)").expect("valid regex"));

/// Who published a plain-text report, from the folder it sits in or else from its words.
pub fn provider_of(path: &Path, text: &str) -> &'static str {
    if let Some(found) = folder_provider(path) {
        return found;
    }
    let providers = crate::catalog::builtin::providers();
    let head: String = text.chars().take(4000).collect();
    // The phrases per provider, in order: `catalog/providers.toml`.
    providers
        .iter()
        .find(|pr| pr.phrases.iter().any(|w| head.contains(w.as_str())))
        .map_or("other", |pr| pr.id.as_str())
}

/// The provider a folder the report sits in is named after (`aws/`, `gcp/`, ...), if any.
pub fn folder_provider(path: &Path) -> Option<&'static str> {
    let providers = crate::catalog::builtin::providers();
    path.components().rev().skip(1).find_map(|part| {
        let p = part.as_os_str().to_string_lossy().to_ascii_lowercase();
        providers
            .iter()
            .find(|pr| pr.id == p)
            .map(|pr| pr.id.as_str())
    })
}

/// The zone of a time a provider's report writes without one.
fn default_zone(provider: &str) -> Zone {
    let providers = crate::catalog::builtin::providers();
    match providers.iter().find(|p| p.id == provider) {
        Some(p) if p.time_zone == "pacific" => Zone::Pacific,
        _ => Zone::Utc,
    }
}

/// A bullet that opens with a time or a date is a timeline step, not an action.
static STARTS_WITH_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d)")
        .expect("valid regex")
});

/// What marks an action item in a task tracker: a Phabricator task ("T172489", "phab:T183999"),
/// a status word written after the item ("… In progress", "… Done, fixed for s5.") or a
/// status label before it ("Status: Done - …").
static TRACKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:phab:)?T\d{5,7}\b|[a-z,)] (?:Done|In progress|TODO|Resolved|Declined)\b|^(?i:status:\s*\w+)")
        .expect("valid regex")
});

/// A report whose action-items heading was lost may still announce its action list in a line
/// of its own ("Explicit next steps to prevent this from happening again, with Phabricator
/// tasks linked for every step.", "What we're doing to prevent it from happening again:"):
/// when no section is about repairs, the bullets right after such a line become the action
/// items, and the text after them stays where it was.
fn announced_list_as_actions(sections: &mut Vec<Section>) {
    static ANNOUNCES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:next steps|action ?items|actionables|follow[- ]?ups?|to prevent (?:this|it|that|a recurrence|similar|such)|preventive (?:actions|measures)|remediation (?:items|steps|actions))\b")
            .expect("valid regex")
    });
    // "Over the next week we will be doing several things:", "Here is what we intend to do to
    // prevent this from happening in the future:" closing a paragraph.
    static COMMITS_TO_LIST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bwe(?:\s+will|'ll|\s+are\s+going\s+to|\s+plan\s+to|\s+intend\s+to|\s+are\s+taking)\b[^.]*:$")
            .expect("valid regex")
    });
    let announces = |l: &str| {
        let last = if l.ends_with(':') {
            prose_sentences(l).pop().unwrap_or(l)
        } else {
            l
        };
        last.len() <= 300 && (ANNOUNCES.is_match(last) || COMMITS_TO_LIST.is_match(last))
    };
    // The last such line whose bullets are not timeline steps: action lists close a report.
    let mut found = None;
    for (at, section) in sections.iter().enumerate() {
        let lines: Vec<&str> = section.text.lines().collect();
        for i in 0..lines.len() {
            let l = lines[i].trim();
            if bullet(l).is_some() || l.is_empty() || !announces(l) {
                continue;
            }
            let mut end = i + 1;
            while end < lines.len() && bullet(lines[end]).is_some() {
                end += 1;
            }
            let steps = lines[i + 1..end]
                .iter()
                .any(|b| bullet(b).is_some_and(|(_, t)| STARTS_WITH_TIME.is_match(t)));
            if end > i + 1 && !steps {
                found = Some((at, i, end));
            }
        }
    }
    if let Some((at, i, end)) = found {
        let lines: Vec<&str> = sections[at].text.lines().collect();
        // A paragraph whose last sentence announces the list keeps its other sentences.
        let line = lines[i].trim();
        let announcing = prose_sentences(line).pop().unwrap_or(line);
        let kept = line[..line.len() - announcing.len()].trim();
        let heading = squash(announcing.trim_end_matches([':', '.']));
        let actions = Section {
            kind: SectionKind::RepairItems,
            heading: heading.chars().take(120).collect(),
            text: lines[i + 1..end].join("\n"),
        };
        let mut before = lines[..i].to_vec();
        before.push(kept);
        let before = before.join("\n").trim().to_string();
        let after = lines[end..].join("\n").trim().to_string();
        let kind = sections[at].kind;
        let heading = sections[at].heading.clone();
        let mut replacement = Vec::new();
        if !before.is_empty() {
            replacement.push(Section {
                kind,
                heading: heading.clone(),
                text: before,
            });
        }
        replacement.push(actions);
        if !after.is_empty() {
            replacement.push(Section {
                kind,
                heading,
                text: after,
            });
        }
        sections.splice(at..=at, replacement);
    }
}

/// A report whose action-items heading was lost (saved Wikimedia pages keep their lists but
/// not their headings) still ends with its action list: when no section is about repairs, the
/// last run of two or more bullets at the very end of the report (at most one short line after
/// it, such as "All these action items have been captured in ...") becomes the action items,
/// unless its bullets are timeline steps (they start with a time).
fn closing_list_as_actions(sections: &mut Vec<Section>) {
    let Some(last) = sections.last_mut() else {
        return;
    };
    let lines: Vec<&str> = last.text.lines().collect();
    let mut end = lines.len();
    while end > 0 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    // At most one short closing line after the list.
    if end > 0 && bullet(lines[end - 1]).is_none() && lines[end - 1].len() < 200 {
        end -= 1;
        while end > 0 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
    }
    let mut start = end;
    while start > 0 && bullet(lines[start - 1]).is_some() {
        start -= 1;
    }
    let is_tracked = |l: &str| bullet(l).is_some_and(|(_, t)| TRACKED.is_match(t));
    let steps = lines[start..end]
        .iter()
        .any(|l| bullet(l).is_some_and(|(_, t)| STARTS_WITH_TIME.is_match(t)));
    let mut tracked = end;
    while tracked > start && is_tracked(lines[tracked - 1]) {
        tracked -= 1;
    }
    // One run of timeline, findings and actions: its tail of bullets that each carry a task or
    // a status ("… make it page Task T172489 In progress", "Status: Done - There's a real bug
    // …") is the action list, when no bullet before that tail carries one.
    let findings_first = end - tracked >= 2 && !lines[start..tracked].iter().any(|l| is_tracked(l));
    if steps || findings_first {
        start = tracked;
    }
    if end - start < 2 {
        return;
    }
    let actions = Section {
        kind: SectionKind::RepairItems,
        heading: "Action items".into(),
        text: lines[start..].join("\n").trim().to_string(),
    };
    last.text = lines[..start].join("\n").trim().to_string();
    if last.text.is_empty() {
        sections.pop();
    }
    sections.push(actions);
}

/// A repair section that ends announcing what follows ("… to single-zone outages, including
/// the following:") is continued by the sections under headings of no known kind after it
/// ("App Engine", "Cloud Dataflow"): they are repair items too.
fn subsections_of_repairs(sections: &mut [Section]) {
    let mut announced = false;
    for s in sections.iter_mut() {
        // A dated heading ("Aug 22, 2016 | 12:01") opens the page's update log instead.
        let named = !s.heading.contains(|c: char| c.is_ascii_digit());
        if announced && s.kind == SectionKind::Other && named {
            s.kind = SectionKind::RepairItems;
            continue;
        }
        announced = s.kind == SectionKind::RepairItems && s.text.trim_end().ends_with(':');
    }
}

/// Whether a report is a statement made while the incident goes on ("We will continue to
/// provide updates and an estimated time to resolution via our status page"), not a review:
/// it says so, and has no section on the root cause or on repairs.
fn is_ongoing(sections: &[Section]) -> bool {
    static ONGOING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bwe will (?:continue to )?provide (?:further |more |regular )?updates\b|\bestimated (?:time|timeframe) (?:to|of|for) (?:full )?(?:resolution|recovery)\b|\bour next update\b")
            .expect("valid regex")
    });
    let reviewed = sections
        .iter()
        .any(|s| matches!(s.kind, SectionKind::RootCause | SectionKind::RepairItems));
    !reviewed && sections.iter().any(|s| ONGOING.is_match(&s.text))
}

/// Google Cloud pages: keep the report from the "# Google X Incident #N" heading on, without
/// dashboard chrome, link targets and table pipes.
fn gcp_body(text: &str) -> Option<(String, String, String)> {
    let c = GCP_INCIDENT.captures(text)?;
    let product = c[1].to_string();
    // Most products are "Google …"; "# Identity and Access Management Incident #18001" is one
    // on the status dashboard's own page.
    if !product.starts_with("Google ") && !text.contains("Google Cloud Status Dashboard") {
        return None;
    }
    let number = c[2].to_string();
    let rest = &text[c.get(0)?.end()..];
    let mut out = String::new();
    for line in rest.lines() {
        let l = line.trim();
        if l.starts_with("---|") || l.starts_with("| Date |") {
            continue;
        }
        let l = MARKDOWN_LINK.replace_all(l, "$1");
        let l = l.trim_matches('|').trim().replace("**", "");
        out.push_str(&l);
        out.push('\n');
    }
    Some((product, number, out))
}

fn is_heading(lines: &[&str], i: usize) -> bool {
    let l = lines[i].trim();
    if l.is_empty() || bullet(l).is_some() || l.len() > 80 {
        return false;
    }
    if l.starts_with("# ") || l.starts_with("## ") || l.starts_with("### ") {
        return true;
    }
    if CAPS_HEADING.is_match(l) {
        return true;
    }
    let blank_before = i == 0 || lines[i - 1].trim().is_empty();
    let blank_after = lines.get(i + 1).is_none_or(|n| n.trim().is_empty());
    // A question that names the repair section heads the list right under it: "Where do we go
    // from here?" / "• We worked closely with our network vendor …".
    let heads_a_list = l.ends_with('?')
        && lines.get(i + 1).is_some_and(|n| bullet(n).is_some())
        && super::heading::kind_of(l) == Some(SectionKind::RepairItems);
    let words = l.split_whitespace().count();
    let first_upper = l.chars().next().is_some_and(char::is_uppercase);
    blank_before
        && (blank_after || heads_a_list)
        && first_upper
        && words <= 9
        && !l.ends_with(['.', ',', ';', ':', '!', ')'])
        // A question is a heading where it names the repair section: "Where do we go from here?".
        && (!l.ends_with('?') || super::heading::kind_of(l) == Some(SectionKind::RepairItems))
        && !l.starts_with("Figure ")
        && !l.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Parse one plain-text report into one review.
pub fn parse(source: &str, path: &Path, text: &str) -> Result<Draft, ReportError> {
    let provider = provider_of(path, text);
    let (mut title, tracking_id, body) = match gcp_body(text) {
        Some((product, number, body)) => {
            let slug = super::text::slug(product.trim_start_matches("Google "), 30);
            // The page's own heading, "Google Cloud Networking Incident #18012": it names the
            // product the review is about (the primary service comes from the title first).
            (
                format!("{} Incident #{number}", product.trim()),
                Some(format!("GCP-{}-{number}", slug.to_ascii_uppercase())),
                body,
            )
        }
        None => (String::new(), None, text.to_string()),
    };
    let mut lines: Vec<&str> = body.lines().collect();
    // Drop chrome, and paragraphs that repeat one seen before (Google pages print the report twice).
    let mut seen = HashSet::new();
    lines.retain(|l| {
        let t = l.trim();
        if t.is_empty() {
            return true;
        }
        if is_chrome(t) {
            return false;
        }
        let repeatable = t.len() < 40 && !CAPS_HEADING.is_match(t);
        repeatable || seen.insert(t.to_string())
    });
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .ok_or(ReportError::NoReview)?;
    let first_line = lines[first].trim();
    let mut start = first;
    let looks_like_title =
        first_line.len() < 160 && !first_line.ends_with(['.', ':']) && bullet(first_line).is_none();
    if looks_like_title {
        title = squash(first_line.trim_start_matches('#').trim());
        start = first + 1;
    }
    let mut sections: Vec<Section> = Vec::new();
    let mut current = Section {
        kind: SectionKind::WhatHappened,
        heading: "Summary".into(),
        text: String::new(),
    };
    for i in start..lines.len() {
        let l = lines[i].trim_end();
        if is_heading(&lines, i) {
            if !current.text.trim().is_empty() {
                sections.push(current);
            }
            let h = squash(l.trim_start_matches('#').trim().trim_end_matches(':'));
            let kind = heading::kind_of(&h).unwrap_or(SectionKind::Other);
            current = Section {
                kind,
                heading: h,
                text: String::new(),
            };
            continue;
        }
        if l.trim().is_empty() {
            if !current.text.is_empty() && !current.text.ends_with("\n\n") {
                current.text.push('\n');
            }
            continue;
        }
        current.text.push_str(l);
        current.text.push('\n');
    }
    if !current.text.trim().is_empty() {
        sections.push(current);
    }
    for s in &mut sections {
        s.text = s.text.trim().to_string();
    }
    if sections.is_empty() && title.is_empty() {
        return Err(ReportError::NoReview);
    }
    subsections_of_repairs(&mut sections);
    if !sections.iter().any(|s| s.kind == SectionKind::RepairItems) {
        announced_list_as_actions(&mut sections);
    }
    if !sections.iter().any(|s| s.kind == SectionKind::RepairItems) {
        closing_list_as_actions(&mut sections);
    }
    let mut ctx = TimeContext::of_text(text, default_zone(provider));
    let mut warnings = Vec::new();
    let file_date = crate::catalog::builtin::providers()
        .iter()
        .find(|p| p.id == provider)
        .and_then(|p| p.file_date);
    let file_day = time::date_of_file_name(path);
    if let (Some(FileDate::Event), Some(day), Some(stated)) = (file_date, file_day, ctx.reference)
        && stated != day
    {
        // A page named by the incident's day: a date the text gives first is as often one it
        // quotes ("retrieve featured image data for April 29, 2016" in a log line).
        ctx.reference = Some(day);
        warnings.push(format!(
            "times without a date are read on {day}, the date its file name gives, not on {stated}, the first date of its text"
        ));
    }
    if ctx.reference.is_none()
        && let Some(kind) = file_date
        && let Some(date) = file_day
    {
        // The text gives no full date: Wikimedia's pages are named by the incident's date,
        // GitHub's posts by the day they were published.
        let (reference, words) = match kind {
            FileDate::Event => (date, None),
            FileDate::Post => time::reference_from_file_date(text, date),
        };
        ctx.reference = Some(reference);
        warnings.push(match words {
            Some(words) => format!(
                "the report states no year; \"{words}\" is read as {reference}, the year that puts it on or before the date its file name gives ({date})"
            ),
            None => format!(
                "the report states no date; times without one are read on {date}, the date its file name gives"
            ),
        });
    }
    let (impact_start, impact_end) = extract::impact_window(&sections, &ctx, &mut warnings);
    let timeline = extract::timeline(&sections, &ctx, impact_start, true, &mut warnings);
    // A timeline that marks the user-visible window says what the report means by it.
    let (marked_start, marked_end) = extract::marked_window(&timeline);
    let impact_start = marked_start.or(impact_start);
    let impact_end = marked_end.or(impact_end);
    let milestones = milestone::read(&sections, &timeline, &ctx, (impact_start, impact_end));
    let mut repair_items = extract::repair_items(&sections);
    if repair_items.is_empty() {
        repair_items = extract::commitments(&sections);
    }
    let stage = if impact_end.is_none() && is_ongoing(&sections) {
        Stage::InitialStatement
    } else {
        Stage::Final
    };
    Ok(Draft {
        source: source.to_string(),
        provider: provider.to_string(),
        title,
        stage,
        source_url: extract::source_url(provider, tracking_id.as_deref(), text),
        tracking_id,
        reference_date: ctx.reference,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::ReportedStatus;

    fn items(text: &str) -> Vec<String> {
        parse("w.txt", Path::new("wikimedia/w.txt"), text)
            .unwrap()
            .repair_items
            .into_iter()
            .map(|i| i.text)
            .collect()
    }

    #[test]
    fn a_list_announced_by_a_line_of_its_own_is_the_action_list() {
        let report = "All wikis served errors from 23:49 to 23:51 UTC.\n\
            • 23:49 A patch is synchronized.\n\
            • 23:51 The patch is reverted.\n\n\
            Explicit next steps to prevent this from happening again, with tasks linked.\n\
            • Status: Unresolved Automate checks before syncing. ( )\n\
            • Status: Declined Catch exceptions in wfLoadExtension. ( )\n\n\
            Thanks to everyone who took part in the discussion.\n";
        assert_eq!(
            items(report),
            [
                "Automate checks before syncing.",
                "Catch exceptions in wfLoadExtension."
            ]
        );
        // Timeline steps after such a line are no action list.
        let steps =
            "Next steps were taken quickly.\n• 23:49 A patch.\n• 23:51 A revert.\n\nThe end.\n";
        assert!(items(steps).is_empty());
    }

    #[test]
    fn a_list_a_paragraph_commits_to_is_the_action_list() {
        let report = "We had an outage this morning from 06:32 to 07:42 PDT. A file server was \
            overloaded. Here is what we intend to do to prevent this from happening in the future:\n\
            • We will have a maintenance window tonight to ready the standby servers.\n\
            • We are testing a change to the Nginx configuration.\n\n\
            We apologize for the downtime.\n";
        let draft = parse("g.txt", Path::new("github/2009-10-13-a-note.txt"), report).unwrap();
        let items: Vec<&str> = draft.repair_items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            items,
            [
                "We will have a maintenance window tonight to ready the standby servers.",
                "We are testing a change to the Nginx configuration."
            ]
        );
        // The paragraph's other sentences still tell what happened.
        assert!(draft.impact_start.is_some() && draft.impact_end.is_some());
        assert!(
            draft.sections[0]
                .text
                .contains("A file server was overloaded.")
        );
    }

    #[test]
    fn tracked_bullets_after_the_timeline_are_the_action_list() {
        let report = "Wikidata was read-only from 5:48 to 7:04 on 2017-07-28.\n\
            • 05:48:07: db1063 runs out of memory.\n\
            • 07:04 The server is put back into read-write.\n\
            • The main issue was not to detect the read only mode quickly.\n\
            • Monitor read_only on masters, make it page Task T172489 In progress\n\
            • Substitute pt-kill for events to avoid leaks Done, fixed for s5.\n\
            • Change pt-heartbeat model to not use super-user Task T172497\n";
        let draft = parse("w.txt", Path::new("wikimedia/w.txt"), report).unwrap();
        let items: Vec<(&str, ReportedStatus)> = draft
            .repair_items
            .iter()
            .map(|i| (i.text.as_str(), i.reported_status))
            .collect();
        assert_eq!(
            items,
            [
                (
                    "Monitor read_only on masters, make it page Task T172489 In progress",
                    ReportedStatus::None
                ),
                (
                    "Substitute pt-kill for events to avoid leaks",
                    ReportedStatus::Completed
                ),
                (
                    "Change pt-heartbeat model to not use super-user Task T172497",
                    ReportedStatus::None
                ),
            ]
        );
    }

    #[test]
    fn subsections_a_repair_section_announces_are_repair_items() {
        let report = "Networking issue with Compute Engine\n\n\
            REMEDIATION AND PREVENTION\n\n\
            We will change the configuration of these devices so that power loss does not disable them.\n\
            We will also be taking actions to improve resilience, including the following:\n\n\
            Cloud Dataflow\n\n\
            We will improve resilience of Dataflow to single-zone outages.\n\n\
            Aug 22, 2016 | 12:01\n\n\
            We are investigating an issue with network connectivity.\n";
        let items: Vec<String> = parse("c.txt", Path::new("gcp/c.txt"), report)
            .unwrap()
            .repair_items
            .into_iter()
            .map(|i| i.text)
            .collect();
        assert_eq!(
            items,
            [
                "We will change the configuration of these devices so that power loss does not disable them.",
                "We will improve resilience of Dataflow to single-zone outages."
            ]
        );
    }

    #[test]
    fn a_page_named_by_its_day_dates_its_times_by_it() {
        let report = "From 15:18 to 15:52 UTC the Zookeeper cluster was down.\n\n\
            Background: a rule was merged on 2017-07-19.\n";
        let draft = parse(
            "z.txt",
            Path::new("wikimedia/20170831-Zookeeper.txt"),
            report,
        )
        .unwrap();
        assert_eq!(
            draft.impact_start,
            Some("2017-08-31T15:18:00Z".parse().unwrap())
        );
        assert!(
            draft
                .warnings
                .iter()
                .any(|w| w.contains("2017-08-31, the date its file name gives, not on 2017-07-19")),
            "{:?}",
            draft.warnings
        );
        // Where the text and the name agree there is nothing to say.
        let draft = parse(
            "z.txt",
            Path::new("wikimedia/20170719-Zookeeper.txt"),
            report,
        )
        .unwrap();
        assert!(draft.warnings.is_empty(), "{:?}", draft.warnings);
    }

    #[test]
    fn findings_before_a_tracked_action_list_are_no_items() {
        let report = "Some caches kept an NXDOMAIN for hours on 2014-07-16.\n\n\
            We can only speak in approximations:\n\
            • The vast majority of users were unaffected.\n\
            • Up to ~0.08% of caches received an NXDOMAIN.\n\
            • Status: on-going - The core issue was a faulty change that should not have passed review.\n\
            • Status: Declined - We should simplify the structure of our DNS data.\n\
            • Status: Done - There's a real bug in our authserver implementation.\n";
        let got: Vec<String> = items(report);
        assert_eq!(
            got,
            [
                "The core issue was a faulty change that should not have passed review.",
                "We should simplify the structure of our DNS data.",
                "There's a real bug in our authserver implementation."
            ]
        );
        // Where tracked and untracked actions mix, the whole list is the action list.
        let mixed = "Errors on 2014-07-16.\n\n\
            • Add an alert for the cache size T100920\n\
            • Improve the runbook\n\
            • Monitor link bandwidth T100573\n";
        assert_eq!(items(mixed).len(), 3);
    }

    #[test]
    fn a_statement_while_the_incident_goes_on_is_no_review() {
        let report = "At 10:52 pm Sunday UTC, multiple services on GitHub.com were affected by a network partition.\n\n\
            We are actively working to establish an estimated timeframe for full recovery.\n\n\
            We will continue to provide updates and an estimated time to resolution via our status page.\n";
        let draft = parse("g.txt", Path::new("github/2018-10-21-incident.txt"), report).unwrap();
        assert_eq!(draft.stage, Stage::InitialStatement);
        // Once it states an end, or a root cause, it is a review.
        let ended = report.replace(
            "partition.",
            "partition. Service was fully restored at 11:30 pm UTC.",
        );
        let draft = parse("g.txt", Path::new("github/2018-10-21-incident.txt"), &ended).unwrap();
        assert_eq!(draft.stage, Stage::Final);
    }

    #[test]
    fn a_question_that_names_the_repair_section_heads_its_list() {
        let report = "On Saturday the site was down from 12:15 to 14:23 PST.\n\n\
            Fortunately, we have built our network with redundant switches.\n\n\
            Where do we go from here?\n\
            • We worked closely with our network vendor to understand the failure.\n\
            • We are reviewing all of our high availability configurations.\n\n\
            We are sorry for the downtime and its impact on our customers.\n";
        assert_eq!(
            items(report),
            [
                "We worked closely with our network vendor to understand the failure.",
                "We are reviewing all of our high availability configurations."
            ]
        );
    }

    #[test]
    fn a_closing_list_without_its_heading_is_the_action_list() {
        let report = "All wikis served errors from 19:39 to 19:47 UTC.\n\
            • 19:37 UTC - A deploy was attempted.\n\
            • 19:47 UTC - Recovery.\n\n\
            The deploy order was not clear from the patch.\n\
            • Scap: compare canary errors with the right baseline phab:T183999.\n\
            • Monitoring: page when all wikis fail. phab:T186069\n\n\
            All these action items have been captured in the task tracker.\n";
        assert_eq!(
            items(report),
            [
                "Scap: compare canary errors with the right baseline phab:T183999.",
                "Monitoring: page when all wikis fail. phab:T186069"
            ]
        );
        // A report that ends with its timeline has no action list.
        let timeline =
            "All wikis served errors.\n\n• 19:37 UTC - A deploy.\n• 19:47 UTC - Recovery.\n";
        assert!(items(timeline).is_empty());
    }
}
