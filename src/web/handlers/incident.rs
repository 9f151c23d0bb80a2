//! The incident page (`/incidents/ID`, `?revision=N`): every section with a stable anchor, the
//! timeline as a table and as an SVG, repair items with their statuses, and the revisions.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::incident::text;
use crate::incident::{Evidence, Incident, Review, SectionKind, format_minutes};
use crate::index::Facet;
use crate::tracking::today;
use crate::web::common::{html, layout, utc};
use crate::web::error::{Missing, WebError};
use crate::web::params::Params;
use crate::web::{AppState, Layout};

/// A paragraph, or a list of bullets.
pub struct Block {
    pub para: String,
    pub items: Vec<String>,
}

pub struct SectionView {
    pub anchor: String,
    pub heading: String,
    pub blocks: Vec<Block>,
}

pub struct TimelineRow {
    pub time: String,
    pub offset: String,
    pub text: String,
    pub warning: Option<String>,
}

pub struct ItemView {
    pub url: String,
    pub text: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub completed: bool,
    pub overdue: bool,
    pub due: String,
    pub reported: &'static str,
    /// The same promised in earlier incidents.
    pub before: Vec<super::insight::PromisedBefore>,
}

/// One response milestone: when, how long after the impact start, and the review's words.
pub struct MilestoneRow {
    pub label: &'static str,
    pub time: String,
    pub after: String,
    pub origin: &'static str,
    pub evidence: Option<String>,
    /// The timeline row it comes from (`#step-3`).
    pub step: Option<String>,
}

pub struct RevisionView {
    pub label: String,
    pub url: String,
    pub shown: bool,
}

pub struct Mark {
    pub x: String,
    pub label: String,
    pub warn: bool,
}

/// The impact window and response steps drawn to scale.
pub struct Svg {
    pub bar_x: String,
    pub bar_w: String,
    pub marks: Vec<Mark>,
    pub start_label: String,
    pub end_label: String,
}

#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub layout: Layout,
    pub id: String,
    pub title: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub tracking_id: Option<String>,
    pub window: String,
    pub duration: String,
    pub causes: Vec<String>,
    pub sections: Vec<SectionView>,
    pub timeline: Vec<TimelineRow>,
    pub milestones: Vec<MilestoneRow>,
    /// "by monitoring", "by a customer report", or empty.
    pub detected_by: &'static str,
    pub svg: Option<Svg>,
    pub items: Vec<ItemView>,
    pub progress: String,
    pub revisions: Vec<RevisionView>,
    pub older_revision: bool,
    pub source: String,
    pub source_url: Option<String>,
    pub warnings: Vec<String>,
    /// Past incidents like this one, with why (from the function alerts are answered by).
    pub similar: Vec<super::search::RelatedView>,
    /// Earlier incidents with the same cause in its service or a region of it.
    pub recurrences: Vec<super::insight::RecurrenceView>,
    /// The pages of its services and regions, beside their names.
    pub service_urls: Vec<(String, String)>,
    pub region_urls: Vec<(String, String)>,
}

fn blocks(text: &str) -> Vec<Block> {
    crate::incident::text::blocks(text)
        .into_iter()
        .map(|b| match b {
            text::Block::Paragraph(p) => Block {
                para: p.to_string(),
                items: Vec::new(),
            },
            text::Block::List(items) => Block {
                para: String::new(),
                items: items.into_iter().map(str::to_string).collect(),
            },
        })
        .collect()
}

fn svg(review: &Review) -> Option<Svg> {
    let start = review.impact_start?;
    let times: Vec<i64> = review
        .timeline
        .iter()
        .filter_map(|t| t.at)
        .map(|t| t.as_second())
        .collect();
    let end = review.impact_end.map(|t| t.as_second());
    let lo = times.iter().copied().chain([start.as_second()]).min()?;
    let hi = times
        .iter()
        .copied()
        .chain([start.as_second()])
        .chain(end)
        .max()?;
    let span = (hi - lo).max(60) as f64;
    let x = |t: i64| 10.0 + 700.0 * (t - lo) as f64 / span;
    let bar_x = x(start.as_second());
    let bar_end = end.map_or(bar_x + 2.0, x);
    Some(Svg {
        bar_x: format!("{bar_x:.1}"),
        bar_w: format!("{:.1}", (bar_end - bar_x).max(2.0)),
        marks: review
            .timeline
            .iter()
            .filter_map(|t| {
                let at = t.at?;
                Some(Mark {
                    x: format!("{:.1}", x(at.as_second())),
                    label: format!(
                        "{} – {}",
                        utc(at),
                        t.text.chars().take(120).collect::<String>()
                    ),
                    warn: t.warning.is_some(),
                })
            })
            .collect(),
        start_label: jiff::Timestamp::from_second(lo)
            .map(utc)
            .unwrap_or_default(),
        end_label: jiff::Timestamp::from_second(hi)
            .map(utc)
            .unwrap_or_default(),
    })
}

fn offset(start: Option<jiff::Timestamp>, at: Option<jiff::Timestamp>) -> String {
    match (start, at) {
        (Some(s), Some(a)) => {
            let minutes = (a.as_second() - s.as_second()) / 60;
            if minutes < 0 {
                format!("−{}", format_minutes(-minutes))
            } else {
                format!("+{}", format_minutes(minutes))
            }
        }
        _ => String::new(),
    }
}

fn milestone_rows(review: &Review) -> Vec<MilestoneRow> {
    let m = &review.milestones;
    m.iter()
        .map(|(kind, milestone)| MilestoneRow {
            label: kind.label(),
            time: utc(milestone.at),
            after: m
                .minutes_after(review.impact_start, kind)
                .map(format_minutes)
                .unwrap_or_default(),
            origin: milestone.evidence.origin(),
            evidence: milestone.evidence.text().map(str::to_string),
            step: match milestone.evidence {
                Evidence::Timeline { step, .. } => Some(format!("step-{}", step + 1)),
                _ => None,
            },
        })
        .collect()
}

pub fn build(
    state: &AppState,
    layout: Layout,
    incident: &Incident,
    revision: Option<usize>,
) -> Result<IncidentPage, WebError> {
    let shown = match revision {
        None => incident.reviews.len() - 1,
        Some(n) if (1..=incident.reviews.len()).contains(&n) => n - 1,
        Some(n) => {
            return Err(WebError::NotFound(Missing::Revision {
                incident: incident.id.clone(),
                revision: n,
            }));
        }
    };
    let review = &incident.reviews[shown];
    let today = today();
    let anchors = review.section_anchors();
    // The records the server keeps (in step with every write, this server's or another's):
    // no store read per item, and the page still shows them while the store is away.
    let records: Vec<Option<crate::tracking::RepairRecord>> = state.with_listing(|listing| {
        review
            .repair_items
            .iter()
            .map(|i| listing.get(&i.id).cloned())
            .collect()
    })?;
    let items: Vec<ItemView> = review
        .repair_items
        .iter()
        .zip(records)
        .map(|(i, record)| {
            let (status, overdue) = crate::tracking::item_status(i, record.as_ref(), today);
            ItemView {
                url: format!("/repairs/{}", i.id),
                text: i.text.clone(),
                status: status.as_str(),
                status_label: status.label(),
                completed: status == crate::tracking::Status::Completed,
                overdue,
                due: i
                    .due
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                reported: i.reported_status.as_str(),
                before: Vec::new(),
            }
        })
        .collect();
    let done = items.iter().filter(|i| i.completed).count();
    Ok(IncidentPage {
        layout,
        id: incident.id.clone(),
        title: review.title.clone(),
        stage: review.stage.as_str(),
        stage_label: review.stage.label(),
        tracking_id: review.tracking_id.clone(),
        window: match (review.impact_start, review.impact_end) {
            (Some(s), Some(e)) => format!("{} – {}", utc(s), utc(e)),
            (Some(s), None) => format!("from {}", utc(s)),
            _ => "not stated".into(),
        },
        duration: review
            .impact_minutes()
            .map(format_minutes)
            .unwrap_or_default(),
        causes: review
            .causes
            .iter()
            .map(|c| state.catalogue.cause_label(c).to_string())
            .collect(),
        sections: review
            .sections
            .iter()
            .zip(anchors)
            .filter(|(s, _)| s.kind != SectionKind::RepairItems || review.repair_items.is_empty())
            .map(|(s, anchor)| SectionView {
                anchor,
                heading: if s.heading.is_empty() {
                    s.kind.label().to_string()
                } else {
                    s.heading.clone()
                },
                blocks: blocks(&s.text),
            })
            .collect(),
        timeline: review
            .timeline
            .iter()
            .map(|t| TimelineRow {
                time: t.at.map(utc).unwrap_or_else(|| "?".into()),
                offset: offset(review.impact_start, t.at),
                text: t.text.clone(),
                warning: t.warning.clone(),
            })
            .collect(),
        milestones: milestone_rows(review),
        detected_by: review.milestones.detected_by.map_or("", |d| d.label()),
        svg: svg(review),
        progress: if items.is_empty() {
            String::new()
        } else {
            format!("{done} of {} completed", items.len())
        },
        items,
        revisions: incident
            .reviews
            .iter()
            .enumerate()
            .map(|(n, r)| RevisionView {
                label: format!(
                    "{} ({})",
                    r.stage.label(),
                    r.source.rsplit('/').next().unwrap_or(&r.source)
                ),
                url: if n + 1 == incident.reviews.len() {
                    format!("/incidents/{}", incident.id)
                } else {
                    format!("/incidents/{}?revision={}", incident.id, n + 1)
                },
                shown: n == shown,
            })
            .collect(),
        older_revision: shown + 1 != incident.reviews.len(),
        source: review.source.clone(),
        source_url: review.source_url.clone(),
        warnings: review.warnings.clone(),
        similar: Vec::new(),
        recurrences: Vec::new(),
        service_urls: review
            .services
            .iter()
            .map(|s| (s.clone(), super::insight::profile_url(Facet::Service, s)))
            .collect(),
        region_urls: review
            .regions
            .iter()
            .map(|r| (r.clone(), super::insight::profile_url(Facet::Region, r)))
            .collect(),
    })
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let revision = match params.get("revision") {
        None => None,
        Some(r) => Some(
            r.parse::<usize>()
                .map_err(|_| WebError::BadRequest("`revision` must be a number".into()))?,
        ),
    };
    let incident = match crate::web::common::incident_or_moved(&req, &state, &id, "/incidents")? {
        Ok(incident) => incident,
        Err(redirect) => return Ok(redirect),
    };
    let mut page = build(&state, layout, &incident, revision)?;
    let like = crate::index::RelatedQuery::like(incident.current(), 6);
    page.similar = super::search::related_views(
        &crate::web::common::related_guarded(&state, &like)?
            .into_iter()
            .filter(|r| r.hit.incident.id != incident.id)
            .take(5)
            .collect::<Vec<_>>(),
    );
    let s = state.clone();
    let promises = crate::web::common::blocking(move || s.promises()).await?;
    for (view, item) in page.items.iter_mut().zip(&incident.current().repair_items) {
        view.before = super::insight::promised_before(&promises, &item.id);
    }
    page.recurrences = super::insight::recurrence_views(&crate::insight::recurrences(
        &state.index,
        &state.catalogue,
        incident.current(),
    )?);
    html(&page)
}
