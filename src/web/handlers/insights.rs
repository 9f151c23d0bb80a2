//! `/insights` and `/api/v1/insights`: the figures across the incidents a search's filters
//! select, each chart an SVG drawn here (rectangles and polylines in a 720 by 220 box) with its
//! title, legend and its figures as a table.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::insight::search_url;
use crate::incident::format_minutes;
use crate::index::{Facet, SearchRequest};
use crate::web::common::{blocking, html, layout};
use crate::web::error::WebError;
use crate::web::{AppState, Layout};

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
