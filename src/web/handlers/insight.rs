//! Pages across incidents: `/patterns` (the service and region pairs with a cause that recur
//! most) and `/services/NAME`, `/regions/NAME` (one service's or region's incidents over time,
//! causes, response figures, repair items and recurring patterns).

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
        let counts = |f: Facet| -> Vec<(String, u64)> {
            results
                .facets
                .iter()
                .filter(|(x, _)| *x == f)
                .flat_map(|(_, v)| v.iter().map(|c| (c.value.clone(), c.count)))
                .collect()
        };
        let mut years = counts(Facet::Year);
        years.sort();
        let minutes = s.index.response_minutes(&base)?;
        let patterns = crate::insight::patterns(&s.index, &s.catalogue, &base, 5)?;
        let today = today();
        let (open_items, overdue_items) = s.with_repair_facts(|facts| {
            let items = crate::insight::figures::repair_items(&s.index, facts, &base)?;
            Ok::<_, crate::index::IndexError>((
                items.iter().filter(|f| !f.status.is_closed()).count(),
                items
                    .iter()
                    .filter(|f| f.status.is_overdue(&f.due, today))
                    .count(),
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

/// The colours of the cause series, by place (`c0` … in the style sheet).
const SERIES: usize = 7;

/// A rectangle of a chart, with its tooltip.
pub struct RectView {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub class: String,
    pub title: String,
}

/// A labelled row of a table beside a chart.
pub struct RowView {
    pub label: String,
    pub cells: Vec<String>,
}

/// A chart: SVG shapes in a 720 by 220 box, and the same figures as a table.
pub struct ChartView {
    pub id: &'static str,
    pub title: String,
    pub rects: Vec<RectView>,
    /// Polylines: (points, class, title).
    pub lines: Vec<(String, String, String)>,
    pub labels: Vec<(String, String, String)>,
    pub legend: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub rows: Vec<RowView>,
    pub empty: bool,
}

const W: f64 = 700.0;
const H: f64 = 180.0;

fn quarters_chart(i: &crate::insight::Insights) -> ChartView {
    let n = i.quarters.len().max(1);
    let step = W / n as f64;
    let totals: Vec<u64> = (0..i.quarters.len())
        .map(|q| i.by_cause.iter().map(|c| c.counts[q]).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(1).max(1) as f64;
    let mut rects = Vec::new();
    for (q, quarter) in i.quarters.iter().enumerate() {
        let mut y = H + 10.0;
        for (k, c) in i.by_cause.iter().enumerate() {
            let h = H * c.counts[q] as f64 / max;
            if c.counts[q] == 0 {
                continue;
            }
            y -= h;
            rects.push(RectView {
                x: format!("{:.1}", 10.0 + q as f64 * step),
                y: format!("{y:.1}"),
                width: format!("{:.1}", (step - 1.0).max(1.0)),
                height: format!("{h:.1}"),
                class: format!("c{}", k.min(SERIES - 1)),
                title: format!("{quarter}, {}: {}", c.label, c.counts[q]),
            });
        }
    }
    let every = n.div_ceil(8);
    let labels = i
        .quarters
        .iter()
        .enumerate()
        .filter(|(q, _)| q % every == 0)
        .map(|(q, label)| {
            (
                format!("{:.1}", 10.0 + q as f64 * step),
                "212".to_string(),
                label.clone(),
            )
        })
        .collect();
    ChartView {
        id: "per-quarter",
        title: "Incidents per quarter by cause".into(),
        rects,
        lines: Vec::new(),
        labels,
        legend: i
            .by_cause
            .iter()
            .enumerate()
            .map(|(k, c)| (format!("c{}", k.min(SERIES - 1)), c.label.clone()))
            .collect(),
        columns: std::iter::once("Quarter".to_string())
            .chain(i.by_cause.iter().map(|c| c.label.clone()))
            .collect(),
        rows: i
            .quarters
            .iter()
            .enumerate()
            .map(|(q, label)| RowView {
                label: label.clone(),
                cells: i.by_cause.iter().map(|c| c.counts[q].to_string()).collect(),
            })
            .collect(),
        empty: i.quarters.is_empty(),
    }
}

fn mitigate_chart(i: &crate::insight::Insights) -> ChartView {
    let rows = &i.mitigate_by_service;
    let max = rows.iter().map(|r| r.mitigate.p75).fold(1.0_f64, f64::max);
    let band = H / rows.len().max(1) as f64;
    let x = |v: f64| 250.0 + 460.0 * v / max;
    let mut rects = Vec::new();
    let mut labels = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let y = 10.0 + k as f64 * band;
        let m = |v: f64| format_minutes(v.round() as i64);
        rects.push(RectView {
            x: format!("{:.1}", x(r.mitigate.p25)),
            y: format!("{:.1}", y + band * 0.2),
            width: format!("{:.1}", (x(r.mitigate.p75) - x(r.mitigate.p25)).max(2.0)),
            height: format!("{:.1}", band * 0.6),
            class: "c0".into(),
            title: format!(
                "{}: median {}, middle half {} – {} ({} reviews)",
                r.service,
                m(r.mitigate.median),
                m(r.mitigate.p25),
                m(r.mitigate.p75),
                r.mitigate.count
            ),
        });
        rects.push(RectView {
            x: format!("{:.1}", x(r.mitigate.median) - 1.0),
            y: format!("{:.1}", y + band * 0.1),
            width: "2".into(),
            height: format!("{:.1}", band * 0.8),
            class: "median".into(),
            title: format!("{}: median {}", r.service, m(r.mitigate.median)),
        });
        labels.push((
            "10".to_string(),
            format!("{:.1}", y + band * 0.65),
            r.service.chars().take(38).collect(),
        ));
    }
    ChartView {
        id: "time-to-mitigate",
        title: "Time to mitigate by service (median and middle half)".into(),
        rects,
        lines: Vec::new(),
        labels,
        legend: Vec::new(),
        columns: [
            "Service",
            "Median",
            "Middle half",
            "Reviews that date it",
            "Incidents",
        ]
        .map(str::to_string)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                let m = |v: f64| format_minutes(v.round() as i64);
                RowView {
                    label: r.service.clone(),
                    cells: vec![
                        m(r.mitigate.median),
                        format!("{} – {}", m(r.mitigate.p25), m(r.mitigate.p75)),
                        r.mitigate.count.to_string(),
                        r.incidents.to_string(),
                    ],
                }
            })
            .collect(),
        empty: rows.is_empty(),
    }
}

fn burn_down_chart(i: &crate::insight::Insights) -> ChartView {
    let months = &i.burn_down;
    let max = months
        .iter()
        .map(|m| m.open.max(m.closed))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let step = W / (months.len().max(2) - 1) as f64;
    let line = |f: &dyn Fn(&crate::insight::figures::BurnMonth) -> u64| {
        months
            .iter()
            .enumerate()
            .map(|(k, m)| {
                format!(
                    "{:.1},{:.1}",
                    10.0 + k as f64 * step,
                    H + 10.0 - H * f(m) as f64 / max
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let every = months.len().div_ceil(8).max(1);
    ChartView {
        id: "burn-down",
        title: "Repair items open and closed, month by month".into(),
        rects: Vec::new(),
        lines: vec![
            (line(&|m| m.open), "c1".into(), "Open".into()),
            (line(&|m| m.closed), "c0".into(), "Closed".into()),
        ],
        labels: months
            .iter()
            .enumerate()
            .filter(|(k, _)| k % every == 0)
            .map(|(k, m)| {
                (
                    format!("{:.1}", 10.0 + k as f64 * step),
                    "212".to_string(),
                    m.month.clone(),
                )
            })
            .collect(),
        legend: vec![("c1".into(), "Open".into()), ("c0".into(), "Closed".into())],
        columns: ["Month", "Open", "Closed"].map(str::to_string).to_vec(),
        rows: months
            .iter()
            .rev()
            .map(|m| RowView {
                label: m.month.clone(),
                cells: vec![m.open.to_string(), m.closed.to_string()],
            })
            .collect(),
        empty: months.is_empty(),
    }
}

fn overdue_chart(i: &crate::insight::Insights) -> ChartView {
    let buckets = &i.overdue_by_age;
    let max = buckets.iter().map(|b| b.items).max().unwrap_or(1).max(1) as f64;
    let step = W / buckets.len().max(1) as f64;
    ChartView {
        id: "overdue-by-age",
        title: "Overdue repair items by how long they are overdue".into(),
        rects: buckets
            .iter()
            .enumerate()
            .map(|(k, b)| {
                let h = H * b.items as f64 / max;
                RectView {
                    x: format!("{:.1}", 10.0 + k as f64 * step + step * 0.15),
                    y: format!("{:.1}", H + 10.0 - h),
                    width: format!("{:.1}", step * 0.7),
                    height: format!("{h:.1}"),
                    class: "c1".into(),
                    title: format!("{}: {}", b.label, b.items),
                }
            })
            .collect(),
        lines: Vec::new(),
        labels: buckets
            .iter()
            .enumerate()
            .map(|(k, b)| {
                (
                    format!("{:.1}", 10.0 + k as f64 * step + step * 0.15),
                    "212".to_string(),
                    b.label.to_string(),
                )
            })
            .collect(),
        legend: Vec::new(),
        columns: ["Overdue for", "Items"].map(str::to_string).to_vec(),
        rows: buckets
            .iter()
            .map(|b| RowView {
                label: b.label.to_string(),
                cells: vec![b.items.to_string()],
            })
            .collect(),
        empty: buckets.iter().all(|b| b.items == 0),
    }
}

#[derive(Template)]
#[template(path = "insights.html")]
pub struct InsightsPage {
    pub layout: Layout,
    pub incidents: usize,
    pub dated: usize,
    /// The filters' values, for the form: (name, label, value).
    pub fields: Vec<(&'static str, &'static str, String)>,
    pub json_url: String,
    pub charts: Vec<ChartView>,
}

/// The filters `/insights` takes: those of search that select incidents.
const INSIGHT_FILTERS: [Facet; 5] = [
    Facet::Service,
    Facet::Region,
    Facet::Cause,
    Facet::Year,
    Facet::Provider,
];

fn insights_request(
    params: &crate::web::params::Params,
    catalogue: &crate::catalog::Catalogue,
) -> Result<SearchRequest, WebError> {
    let (mut req, _) = crate::web::common::search_request(params, catalogue)?;
    req.filters.retain(|(f, _)| INSIGHT_FILTERS.contains(f));
    Ok(req)
}

async fn compute(
    state: &web::Data<AppState>,
    req: SearchRequest,
) -> Result<crate::insight::Insights, WebError> {
    let s = state.clone();
    blocking(move || {
        s.with_repair_facts(|facts| crate::insight::insights(&s.index, facts, &s.catalogue, &req))?
            .map_err(WebError::from)
    })
    .await
}

pub async fn insights_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = crate::web::params::Params::parse(req.query_string());
    let request = insights_request(&params, &state.catalogue)?;
    let fields = INSIGHT_FILTERS
        .iter()
        .map(|f| {
            let value = request
                .filters
                .iter()
                .filter(|(x, _)| x == f)
                .flat_map(|(_, v)| v.iter().cloned())
                .collect::<Vec<_>>()
                .join(", ");
            (f.name(), f.label(), value)
        })
        .collect();
    let filters: Vec<(Facet, String)> = request
        .filters
        .iter()
        .flat_map(|(f, v)| v.iter().map(|v| (*f, v.clone())))
        .collect();
    let json_url = search_url(&filters).replacen("/search", "/api/v1/insights", 1);
    let figures = compute(&state, request).await?;
    html(&InsightsPage {
        layout,
        incidents: figures.incidents,
        dated: figures.dated,
        fields,
        json_url,
        charts: vec![
            quarters_chart(&figures),
            mitigate_chart(&figures),
            burn_down_chart(&figures),
            overdue_chart(&figures),
        ],
    })
}

pub async fn insights_api(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, crate::web::error::ApiError> {
    layout(&req, &state)?;
    let params = crate::web::params::Params::parse(req.query_string());
    let request = insights_request(&params, &state.catalogue)?;
    Ok(HttpResponse::Ok().json(compute(&state, request).await?))
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
