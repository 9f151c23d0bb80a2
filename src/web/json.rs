//! JSON views of incidents, search hits and repair items: one shape for the CLI's `--json` and
//! the web API.

use jiff::Timestamp;
use serde::Serialize;

use crate::incident::{
    DueMonth, Evidence, Incident, MilestoneKind, Review, Section, TimelineEntry,
};
use crate::index::Facet;
use crate::index::search::{Hit, SearchResults};
use crate::tracking::{Event, RepairRecord, Tracking};

#[derive(Debug, Serialize)]
pub struct RepairItemJson<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub reported_status: &'static str,
    pub due: &'a [DueMonth],
    pub status: &'static str,
    pub overdue: bool,
}

#[derive(Debug, Serialize)]
pub struct RevisionJson<'a> {
    pub revision: usize,
    pub stage: &'static str,
    pub source: &'a str,
    pub title: &'a str,
    pub repair_items: usize,
}

/// When the response detected, engaged, mitigated and resolved, the minutes from the impact
/// start, and where the review says each (`sources.detected = {from: "timeline", step, text}`).
#[derive(Debug, Serialize)]
pub struct MilestonesJson<'a> {
    pub detected_at: Option<Timestamp>,
    pub engaged_at: Option<Timestamp>,
    pub mitigated_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub detected_by: Option<&'static str>,
    pub time_to_detect_minutes: Option<i64>,
    pub time_to_engage_minutes: Option<i64>,
    pub time_to_mitigate_minutes: Option<i64>,
    pub sources: std::collections::BTreeMap<&'static str, &'a Evidence>,
}

pub fn milestones_json(review: &Review) -> MilestonesJson<'_> {
    let m = &review.milestones;
    let at = |k| m.get(k).map(|x| x.at);
    let after = |k| m.minutes_after(review.impact_start, k);
    MilestonesJson {
        detected_at: at(MilestoneKind::Detected),
        engaged_at: at(MilestoneKind::Engaged),
        mitigated_at: at(MilestoneKind::Mitigated),
        resolved_at: at(MilestoneKind::Resolved),
        detected_by: m.detected_by.map(|d| d.as_str()),
        time_to_detect_minutes: after(MilestoneKind::Detected),
        time_to_engage_minutes: after(MilestoneKind::Engaged),
        time_to_mitigate_minutes: after(MilestoneKind::Mitigated),
        sources: m.iter().map(|(k, x)| (k.as_str(), &x.evidence)).collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct IncidentJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub url: String,
    pub source: &'a str,
    pub source_url: Option<&'a str>,
    pub provider: &'a str,
    pub stage: &'static str,
    pub tracking_id: Option<&'a str>,
    pub impact_start: Option<Timestamp>,
    pub impact_end: Option<Timestamp>,
    pub services: &'a [String],
    pub regions: &'a [String],
    pub causes: &'a [String],
    pub sections: &'a [Section],
    pub timeline: &'a [TimelineEntry],
    pub milestones: MilestonesJson<'a>,
    pub repair_items: Vec<RepairItemJson<'a>>,
    pub revisions: Vec<RevisionJson<'a>>,
    pub warnings: Vec<&'a str>,
}

pub fn incident_json<'a>(
    incident: &'a Incident,
    review: &'a Review,
    record: &dyn Fn(&str) -> Option<RepairRecord>,
    today: jiff::civil::Date,
) -> IncidentJson<'a> {
    IncidentJson {
        id: &incident.id,
        title: &review.title,
        url: format!("/incidents/{}", incident.id),
        source: &review.source,
        source_url: review.source_url.as_deref(),
        provider: &review.provider,
        stage: review.stage.as_str(),
        tracking_id: review.tracking_id.as_deref(),
        impact_start: review.impact_start,
        impact_end: review.impact_end,
        services: &review.services,
        regions: &review.regions,
        causes: &review.causes,
        sections: &review.sections,
        timeline: &review.timeline,
        milestones: milestones_json(review),
        repair_items: review
            .repair_items
            .iter()
            .map(|i| {
                let (status, overdue) =
                    crate::tracking::item_status(i, record(&i.id).as_ref(), today);
                RepairItemJson {
                    id: &i.id,
                    text: &i.text,
                    reported_status: i.reported_status.as_str(),
                    due: &i.due,
                    status: status.as_str(),
                    overdue,
                }
            })
            .collect(),
        revisions: incident
            .reviews
            .iter()
            .enumerate()
            .map(|(n, r)| RevisionJson {
                revision: n + 1,
                stage: r.stage.as_str(),
                source: &r.source,
                title: &r.title,
                repair_items: r.repair_items.len(),
            })
            .collect(),
        warnings: incident
            .reviews
            .iter()
            .flat_map(|r| r.warnings.iter().map(String::as_str))
            .collect(),
    }
}

#[derive(Debug, Serialize)]
pub struct HitJson<'a> {
    #[serde(flatten)]
    pub incident: IncidentJson<'a>,
    pub score: f32,
    pub section: &'static str,
    pub snippet: String,
}

#[derive(Debug, Serialize)]
pub struct FacetsJson<'a> {
    pub service: &'a [crate::index::search::FacetCount],
    pub region: &'a [crate::index::search::FacetCount],
    pub cause: &'a [crate::index::search::FacetCount],
    pub repair_status: &'a [crate::index::search::FacetCount],
    pub year: &'a [crate::index::search::FacetCount],
    pub stage: &'a [crate::index::search::FacetCount],
    pub provider: &'a [crate::index::search::FacetCount],
    pub detected: &'a [crate::index::search::FacetCount],
}

#[derive(Debug, Serialize)]
pub struct SearchJson<'a> {
    pub query: &'a str,
    pub total: usize,
    pub took_ms: f64,
    pub hint: Option<&'a str>,
    /// Set when no incident has every word: the matches have `words_matched` of `words`.
    pub partial: Option<PartialJson>,
    pub hits: Vec<HitJson<'a>>,
    /// The second block of a short first page: incidents with most of the words, after `hits`
    /// and not counted in `total` (`more_words` says how many words they have).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<HitJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_words: Option<PartialJson>,
    pub facets: FacetsJson<'a>,
    /// "Did you mean": the query with its unknown or rare words spelled as the reports do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestionJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SuggestionJson<'a> {
    pub query: &'a str,
    pub changes: Vec<SpellingJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct SpellingJson<'a> {
    pub typed: &'a str,
    pub suggested: &'a str,
}

#[derive(Debug, Serialize)]
pub struct PartialJson {
    pub words_matched: usize,
    pub words: usize,
}

fn hit_json<'a>(
    h: &'a Hit,
    record: &dyn Fn(&str) -> Option<RepairRecord>,
    today: jiff::civil::Date,
) -> HitJson<'a> {
    HitJson {
        incident: incident_json(&h.incident, h.incident.current(), record, today),
        score: h.score,
        section: h.section.as_str(),
        snippet: h.snippet.marked_text(),
    }
}

pub fn search_json<'a>(
    query: &'a str,
    results: &'a SearchResults,
    record: &dyn Fn(&str) -> Option<RepairRecord>,
    today: jiff::civil::Date,
) -> SearchJson<'a> {
    SearchJson {
        query,
        total: results.total,
        took_ms: results.took.as_secs_f64() * 1000.0,
        hint: results.hint.as_deref(),
        partial: results.partial.map(|(words_matched, words)| PartialJson {
            words_matched,
            words,
        }),
        hits: results
            .hits
            .iter()
            .map(|h| hit_json(h, record, today))
            .collect(),
        more: results
            .more
            .iter()
            .map(|h| hit_json(h, record, today))
            .collect(),
        more_words: results
            .more_words
            .map(|(words_matched, words)| PartialJson {
                words_matched,
                words,
            }),
        facets: FacetsJson {
            service: results.counts(Facet::Service),
            region: results.counts(Facet::Region),
            cause: results.counts(Facet::Cause),
            repair_status: results.counts(Facet::RepairStatus),
            year: results.counts(Facet::Year),
            stage: results.counts(Facet::Stage),
            provider: results.counts(Facet::Provider),
            detected: results.counts(Facet::Detected),
        },
        suggestion: results.suggestion.as_ref().map(|s| SuggestionJson {
            query: &s.query,
            changes: s
                .changes
                .iter()
                .map(|(typed, suggested)| SpellingJson { typed, suggested })
                .collect(),
        }),
    }
}

#[derive(Debug, Serialize)]
pub struct RepairJson<'a> {
    pub id: &'a str,
    pub incident_id: &'a str,
    pub incident_title: &'a str,
    pub incident_url: String,
    pub incident_start: Option<jiff::Timestamp>,
    pub text: &'a str,
    pub reported_status: &'static str,
    pub due: &'a [DueMonth],
    /// The day it is due by: the day a person set, else the end of the reported month.
    pub due_by: Option<jiff::civil::Date>,
    pub status: &'static str,
    pub overdue: bool,
    pub retired: bool,
    pub services: &'a [String],
    pub regions: &'a [String],
    pub tracking: &'a Tracking,
    pub version: u64,
    pub history: &'a [Event],
}

pub fn repair_json(r: &RepairRecord, today: jiff::civil::Date) -> RepairJson<'_> {
    RepairJson {
        id: &r.id,
        incident_id: &r.incident_id,
        incident_title: &r.incident_title,
        incident_url: format!("/incidents/{}", r.incident_id),
        incident_start: r.incident_start,
        text: &r.text,
        reported_status: r.reported_status.as_str(),
        due: &r.due,
        due_by: r.due_by(),
        status: r.status().as_str(),
        overdue: r.overdue(today),
        retired: r.retired,
        services: &r.services,
        regions: &r.regions,
        tracking: &r.tracking,
        version: r.version,
        history: &r.history,
    }
}

/// One incident's reading problems, for `ikb warnings` and `/warnings`.
#[derive(Debug, Serialize)]
pub struct WarningsJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub url: String,
    pub source: &'a str,
    pub provider: &'a str,
    pub problems: Vec<String>,
}

/// Every incident with something to look at in how its current review was read, the most
/// problems first (then by id).
pub fn warnings_json(incidents: &[Incident]) -> Vec<WarningsJson<'_>> {
    let mut out: Vec<WarningsJson<'_>> = incidents
        .iter()
        .map(|i| {
            let r = i.current();
            WarningsJson {
                id: &i.id,
                title: &r.title,
                url: format!("/incidents/{}", i.id),
                source: &r.source,
                provider: &r.provider,
                problems: r.problems(),
            }
        })
        .filter(|w| !w.problems.is_empty())
        .collect();
    out.sort_by(|a, b| b.problems.len().cmp(&a.problems.len()).then(a.id.cmp(b.id)));
    out
}

/// One alert answered: what was read from it, the incidents like it with why, and the same as
/// Markdown with absolute links (for a relay to post to chat).
pub fn alert_json(
    alert: &crate::alert::Alert,
    query: &crate::index::RelatedQuery,
    related: &[crate::index::Related],
    origin: &str,
) -> serde_json::Value {
    let items: Vec<serde_json::Value> = related
        .iter()
        .map(|r| {
            let review = r.hit.incident.current();
            let why: Vec<String> = r.reasons.iter().map(|x| x.describe()).collect();
            serde_json::json!({
                "id": r.hit.incident.id,
                "title": review.title,
                "url": format!("{origin}/incidents/{}", r.hit.incident.id),
                "impact_start": review.impact_start,
                "services": review.services,
                "regions": review.regions,
                "score": r.score,
                "reasons": r.reasons,
                "why": why.join("; "),
            })
        })
        .collect();
    let mut markdown = format!(
        "**Past incidents like \"{}\"**\n",
        markdown_text(&alert.title)
    );
    if related.is_empty() {
        markdown.push_str("None found.\n");
    }
    for (n, r) in related.iter().enumerate() {
        let review = r.hit.incident.current();
        let day = review
            .impact_start
            .map(|t| format!(" ({})", t.strftime("%Y-%m-%d")))
            .unwrap_or_default();
        let why: Vec<String> = r.reasons.iter().map(|x| x.describe()).collect();
        markdown.push_str(&format!(
            "{}. [{}]({origin}/incidents/{}){day}: {}\n",
            n + 1,
            markdown_text(&review.title),
            r.hit.incident.id,
            markdown_text(&why.join("; ")),
        ));
    }
    serde_json::json!({
        "kind": alert.kind,
        "title": alert.title,
        "service": alert.service,
        "region": alert.region,
        "read_as": {"services": query.services, "regions": query.regions},
        "related": items,
        "markdown": markdown,
    })
}

/// Text safe inside Markdown link text and emphasis: its markup characters escaped, one line.
pub(crate) fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '[' | ']' | '(' | ')' | '*' | '_' | '`' | '<' | '>' | '#' | '|' | '"' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
