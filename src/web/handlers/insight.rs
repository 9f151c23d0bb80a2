//! Pages across incidents: `/patterns` (the service and region pairs with a cause that recur
//! most), `/services/NAME` and `/regions/NAME` (one service's or region's incidents over time,
//! causes, response figures, repair items and recurring patterns), `/promises` (repeated
//! promises), and the parts of incident and item pages that look across incidents.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::incident::format_minutes;
use crate::index::{Facet, SearchRequest};
use crate::insight::{IncidentRef, Pattern, Recurrence, Spread};
use crate::tracking::today;
use crate::web::common::{blocking, html, layout};
use crate::web::error::{Missing, WebError};
use crate::web::{AppState, Layout};

/// An incident in a list: its page, title and date.
pub struct IncidentLink {
    pub url: String,
    pub title: String,
    pub date: String,
}

impl IncidentLink {
    fn of(i: &IncidentRef) -> IncidentLink {
        IncidentLink {
            url: format!("/incidents/{}", i.id),
            title: i.title.clone(),
            date: i.date.clone(),
        }
    }
}

/// The search for some facet values.
pub fn search_url(filters: &[(Facet, String)]) -> String {
    let mut qs = form_urlencoded::Serializer::new(String::new());
    for (facet, value) in filters {
        qs.append_pair(facet.name(), value);
    }
    format!("/search?{}", qs.finish())
}

/// The page of a service or region.
pub fn profile_url(facet: Facet, value: &str) -> String {
    let kind = if facet == Facet::Region {
        "regions"
    } else {
        "services"
    };
    let mut path = String::new();
    for part in form_urlencoded::byte_serialize(value.as_bytes()) {
        path.push_str(part);
    }
    format!("/{kind}/{}", path.replace('+', "%20"))
}

/// A recurrence as the incident page lists it.
pub struct RecurrenceView {
    pub sentence: String,
    pub url: String,
    pub incidents: Vec<IncidentLink>,
    /// Earlier incidents not listed.
    pub more: usize,
}

pub fn recurrence_views(recurrences: &[Recurrence]) -> Vec<RecurrenceView> {
    recurrences
        .iter()
        .map(|r| RecurrenceView {
            sentence: r.sentence(),
            url: search_url(&r.filters()),
            incidents: r.incidents.iter().map(IncidentLink::of).collect(),
            more: r.earlier.saturating_sub(r.incidents.len()),
        })
        .collect()
}

pub struct PatternView {
    pub scope: &'static str,
    /// "in" a region, "of" a service.
    pub at: &'static str,
    pub value: String,
    pub value_url: String,
    pub cause: String,
    pub count: usize,
    pub url: String,
    pub since: String,
    /// "2019: 2, 2021: 1".
    pub years: String,
    pub newest: Vec<IncidentLink>,
}

fn pattern_views(patterns: &[Pattern]) -> Vec<PatternView> {
    patterns
        .iter()
        .map(|p| PatternView {
            scope: p.facet.label(),
            at: if p.facet == Facet::Region { "in" } else { "of" },
            value: p.value.clone(),
            value_url: profile_url(p.facet, &p.value),
            cause: p.cause_label.clone(),
            count: p.count,
            url: search_url(&[(p.facet, p.value.clone()), (Facet::Cause, p.cause.clone())]),
            since: p.since.map(|y| y.to_string()).unwrap_or_default(),
            years: p
                .years
                .iter()
                .map(|(y, n)| format!("{y}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            newest: p.newest.iter().map(IncidentLink::of).collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "patterns.html")]
pub struct PatternsPage {
    pub layout: Layout,
    pub patterns: Vec<PatternView>,
}

/// How many pairs of each kind `/patterns` lists.
const PATTERNS_LISTED: usize = 20;

pub async fn patterns_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let s = state.clone();
    let patterns = blocking(move || {
        Ok(crate::insight::patterns(
            &s.index,
            &s.catalogue,
            &SearchRequest::default(),
            PATTERNS_LISTED,
        )?)
    })
    .await?;
    html(&PatternsPage {
        layout,
        patterns: pattern_views(&patterns),
    })
}

/// A bar of the incidents-per-year chart.
pub struct YearBar {
    pub year: String,
    pub count: u64,
    pub x: String,
    pub y: String,
    pub height: String,
}

pub struct SpreadView {
    pub label: &'static str,
    pub median: String,
    pub quartiles: String,
    /// "12 of 40 incidents".
    pub of: String,
}

fn spread_view(label: &'static str, values: &[i64], incidents: usize) -> Option<SpreadView> {
    let s = Spread::of_sorted(values)?;
    let m = |v: f64| format_minutes(v.round() as i64);
    Some(SpreadView {
        label,
        median: m(s.median),
        quartiles: format!("{} – {}", m(s.p25), m(s.p75)),
        of: format!("{} of {incidents} incidents", s.count),
    })
}

pub struct CountView {
    pub label: String,
    pub count: u64,
    pub url: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    /// "Service" or "Region".
    pub kind: &'static str,
    pub name: String,
    pub incidents: usize,
    pub search_url: String,
    pub years: Vec<YearBar>,
    pub chart_width: String,
    pub causes: Vec<CountView>,
    pub response: Vec<SpreadView>,
    pub open_items: usize,
    pub overdue_items: usize,
    pub open_url: String,
    pub overdue_url: String,
    pub patterns: Vec<PatternView>,
    pub newest: Vec<IncidentLink>,
}

fn year_bars(years: &[(String, u64)]) -> (Vec<YearBar>, String) {
    let max = years.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    let bars = years
        .iter()
        .enumerate()
        .map(|(i, (year, n))| {
            let h = 100.0 * *n as f64 / max;
            YearBar {
                year: year.clone(),
                count: *n,
                x: format!("{}", 10 + i * 34),
                y: format!("{:.1}", 110.0 - h),
                height: format!("{h:.1}"),
            }
        })
        .collect();
    (bars, format!("{}", 20 + years.len().max(1) * 34))
}

async fn profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    facet: Facet,
    name: String,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let canonical = match facet {
        Facet::Region => state.catalogue.canonical_region(&name),
        _ => state.catalogue.canonical_service(&name),
    };
    if canonical != name {
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header(("Location", profile_url(facet, &canonical)))
            .finish());
    }
    let s = state.clone();
    let value = canonical.clone();
    let page = blocking(move || {
        let base = SearchRequest {
            filters: vec![(facet, vec![value.clone()])],
            limit: 10,
            sort: crate::index::request::Sort::Newest,
            ..SearchRequest::default()
        };
        let results = s.index.search(&base)?;
        if results.total == 0 {
            return Err(WebError::NotFound(Missing::Page(profile_url(
                facet, &value,
            ))));
        }
        let counts = |f: Facet| crate::insight::figures::facet_values(&results, f);
        let mut years = counts(Facet::Year);
        years.sort();
        let minutes = s.index.response_minutes(&base)?;
        let patterns = crate::insight::patterns(&s.index, &s.catalogue, &base, 5)?;
        let today = today();
        let (open_items, overdue_items) = s.with_repair_facts(|facts| {
            let items = crate::insight::figures::repair_items(&s.index, facts, &base)?;
            Ok::<_, crate::index::IndexError>((
                items.iter().filter(|f| !f.status.is_closed()).count(),
                items.iter().filter(|f| f.overdue(today)).count(),
            ))
        })??;
        let (bars, chart_width) = year_bars(&years);
        let repairs_url = |status: &str| {
            let mut qs = form_urlencoded::Serializer::new(String::new());
            qs.append_pair(facet.name(), &value);
            qs.append_pair("status", status);
            format!("/repairs?{}", qs.finish())
        };
        Ok(ProfilePage {
            layout,
            kind: facet.label(),
            name: value.clone(),
            incidents: results.total,
            search_url: search_url(&[(facet, value.clone())]),
            years: bars,
            chart_width,
            causes: counts(Facet::Cause)
                .into_iter()
                .map(|(c, n)| CountView {
                    label: s.catalogue.cause_label(&c).to_string(),
                    count: n,
                    url: search_url(&[(facet, value.clone()), (Facet::Cause, c)]),
                })
                .collect(),
            response: [
                spread_view("Time to detect", &minutes.detect, minutes.incidents),
                spread_view("Time to mitigate", &minutes.mitigate, minutes.incidents),
            ]
            .into_iter()
            .flatten()
            .collect(),
            open_items,
            overdue_items,
            open_url: repairs_url("open"),
            overdue_url: repairs_url("overdue"),
            patterns: pattern_views(&patterns),
            newest: results
                .hits
                .iter()
                .map(|h| IncidentLink::of(&IncidentRef::of(h)))
                .collect(),
        })
    })
    .await?;
    html(&page)
}

pub async fn service_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    profile(req, state, Facet::Service, name.into_inner()).await
}

pub async fn region_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    profile(req, state, Facet::Region, name.into_inner()).await
}

/// An earlier promise of the same thing, as item and incident pages say it: "promised before
/// in X (2023, reported completed)".
pub struct PromisedBefore {
    pub url: String,
    pub item_url: String,
    pub title: String,
    pub year: String,
    pub reported: &'static str,
}

pub fn promised_before(
    promises: &crate::insight::promise::Promises,
    item: &str,
) -> Vec<PromisedBefore> {
    promises
        .before(item)
        .into_iter()
        .map(|i| PromisedBefore {
            url: format!("/incidents/{}", i.incident),
            item_url: format!("/repairs/{}", i.item),
            title: i.incident_title.clone(),
            year: i.date.get(..4).unwrap_or("").to_string(),
            reported: match i.reported {
                crate::incident::ReportedStatus::Completed => "reported completed",
                crate::incident::ReportedStatus::Estimated => "reported with a due date",
                crate::incident::ReportedStatus::Tbd => "reported to be decided",
                crate::incident::ReportedStatus::None => "no status reported",
            },
        })
        .collect()
}

pub struct PromiseItemView {
    pub url: String,
    pub item_url: String,
    pub title: String,
    pub date: String,
    pub text: String,
    pub reported: &'static str,
}

pub struct PromiseGroupView {
    pub repeated_after_completion: bool,
    pub items: Vec<PromiseItemView>,
}

#[derive(Template)]
#[template(path = "promises.html")]
pub struct PromisesPage {
    pub layout: Layout,
    pub groups: Vec<PromiseGroupView>,
    pub after_completion: usize,
}

pub async fn promises_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let s = state.clone();
    let promises = blocking(move || s.promises()).await?;
    let groups: Vec<PromiseGroupView> = promises
        .groups
        .iter()
        .map(|g| PromiseGroupView {
            repeated_after_completion: g.repeated_after_completion,
            items: g
                .items
                .iter()
                .map(|i| PromiseItemView {
                    url: format!("/incidents/{}", i.incident),
                    item_url: format!("/repairs/{}", i.item),
                    title: i.incident_title.clone(),
                    date: i.date.clone(),
                    text: i.text.clone(),
                    reported: i.reported.as_str(),
                })
                .collect(),
        })
        .collect();
    html(&PromisesPage {
        layout,
        after_completion: groups
            .iter()
            .filter(|g| g.repeated_after_completion)
            .count(),
        groups,
    })
}
