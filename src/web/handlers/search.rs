//! The search page (`/`, `/search`), related incidents for an alert (`/related`) and the
//! OpenSearch description.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::incident::format_minutes;
use crate::index::request::{Facet, MAX_PAGE, Sort};
use crate::index::search::{SearchResults, Snippet};
use crate::web::common::{PAGE_SIZE, html, layout, search_guarded, search_request, utc};
use crate::web::error::WebError;
use crate::web::params::Params;
use crate::web::{AppState, Layout};

pub struct HitView {
    pub url: String,
    pub section_url: String,
    pub title: String,
    pub date: String,
    pub duration: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub services: String,
    pub regions: String,
    pub section_label: &'static str,
    /// "detected in 5 min by monitoring · mitigated in 8 h 35 min", or empty.
    pub response: String,
    /// The snippet: the template renders its pieces, marked or not, and escapes them.
    pub snippet: Snippet,
}

pub struct FacetValueView {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
    /// The value's own page (a service's or region's), if it has one.
    pub page: Option<String>,
}

pub struct FacetGroupView {
    pub label: &'static str,
    pub values: Vec<FacetValueView>,
    /// When the group shows only its most frequent values: "All 57 services…" and the page
    /// of every value.
    pub all: Option<LinkView>,
}

/// How many values a facet shows beside the results; the rest are a link away.
fn shown_values(facet: Facet) -> usize {
    if facet == Facet::Year { 30 } else { 12 }
}

/// A facet's name in the plural, for "All 57 services…".
fn plural(facet: Facet) -> &'static str {
    match facet {
        Facet::Service => "services",
        Facet::Region => "regions",
        Facet::Cause => "causes",
        Facet::RepairStatus => "repair statuses",
        Facet::Year => "years",
        Facet::Stage => "stages",
        Facet::Provider => "providers",
        Facet::Detected => "ways of detection",
    }
}

pub struct SuggestionView {
    pub words: Vec<(String, bool)>,
    pub url: String,
}

pub struct LinkView {
    pub label: String,
    pub url: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub total: usize,
    pub took_ms: String,
    pub hint: Option<String>,
    pub partial_note: Option<String>,
    /// "Did you mean": the corrected query's words (each marked when changed) and its link.
    pub suggestion: Option<SuggestionView>,
    pub hits: Vec<HitView>,
    /// The second block: incidents with most of the words, under its heading.
    pub more_note: Option<String>,
    pub more: Vec<HitView>,
    pub facets: Vec<FacetGroupView>,
    pub active_filters: Vec<LinkView>,
    pub sorts: Vec<LinkView>,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
    pub page: usize,
    pub pages: usize,
    pub from: String,
    pub to: String,
}

/// How a provider's id reads on a page.
pub fn provider_label(id: &str) -> &str {
    match id {
        "azure" => "Azure",
        "aws" => "AWS",
        "gcp" => "Google Cloud",
        "github" => "GitHub",
        "wikimedia" => "Wikimedia",
        "internal" => "Internal",
        other => other,
    }
}

fn value_label(state: &AppState, facet: Facet, value: &str) -> String {
    match facet {
        Facet::Cause => state.catalogue.cause_label(value).to_string(),
        Facet::Stage => crate::incident::Stage::parse(value)
            .map_or(value.to_string(), |s| s.label().to_string()),
        Facet::RepairStatus => crate::incident::RepairFacet::parse(value)
            .map_or(value.to_string(), |f| f.label().to_string()),
        Facet::Detected => crate::incident::DetectedBy::parse(value)
            .map_or(value.to_string(), |d| d.label().to_string()),
        Facet::Provider => provider_label(value).to_string(),
        _ => value.to_string(),
    }
}

pub fn hit_views(results: &SearchResults) -> Vec<HitView> {
    results.hits.iter().map(hit_view).collect()
}

/// How fast the response was, as a hit's line says it: the minutes to detect and to mitigate
/// from the impact start, and who noticed.
pub fn response_summary(r: &crate::incident::Review) -> String {
    use crate::incident::MilestoneKind;
    let m = &r.milestones;
    let mut parts = Vec::new();
    if let Some(n) = m.minutes_after(r.impact_start, MilestoneKind::Detected) {
        let by = m
            .detected_by
            .map(|d| format!(" {}", d.label()))
            .unwrap_or_default();
        parts.push(format!("detected in {}{by}", format_minutes(n)));
    }
    if let Some(n) = m.minutes_after(r.impact_start, MilestoneKind::Mitigated) {
        parts.push(format!("mitigated in {}", format_minutes(n)));
    }
    parts.join(" · ")
}

/// One hit as the result lists show it.
pub fn hit_view(h: &crate::index::search::Hit) -> HitView {
    {
        {
            let r = h.incident.current();
            HitView {
                url: format!("/incidents/{}", h.incident.id),
                section_url: format!("/incidents/{}#{}", h.incident.id, h.section.anchor()),
                title: r.title.clone(),
                date: r
                    .impact_start
                    .map(utc)
                    .unwrap_or_else(|| "date unknown".into()),
                duration: r.impact_minutes().map(format_minutes).unwrap_or_default(),
                stage: r.stage.as_str(),
                stage_label: r.stage.label(),
                services: r
                    .services
                    .iter()
                    .take(4)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                regions: match r.regions.len() {
                    0 => String::new(),
                    1..=3 => r.regions.join(", "),
                    n => format!("{} and {} more", r.regions[..2].join(", "), n - 2),
                },
                section_label: h.section.label(),
                response: response_summary(r),
                snippet: h.snippet.clone(),
            }
        }
    }
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let mut layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let (request, page) = search_request(&params, &state.catalogue)?;
    let results = search_guarded(&state, &request)?;
    let base = |qs: String| {
        if qs.is_empty() {
            "/search".to_string()
        } else {
            format!("/search?{qs}")
        }
    };
    let facets = results
        .facets
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(facet, values)| FacetGroupView {
            label: facet.label(),
            values: values
                .iter()
                .take(shown_values(*facet))
                .map(|v| FacetValueView {
                    label: value_label(&state, *facet, &v.value),
                    count: v.count,
                    url: base(params.toggled(facet.name(), &v.value)),
                    active: params.has(facet.name(), &v.value),
                    page: matches!(facet, Facet::Service | Facet::Region)
                        .then(|| super::insight::profile_url(*facet, &v.value)),
                })
                .collect(),
            all: (values.len() > shown_values(*facet)).then(|| LinkView {
                label: format!("All {} {}…", values.len(), plural(*facet)),
                url: format!("/search/facets/{}?{}", facet.name(), params.without("page")),
                active: false,
            }),
        })
        .collect();
    let active_filters = Facet::ALL
        .into_iter()
        .flat_map(|facet| {
            params
                .all(facet.name())
                .into_iter()
                .map(move |v| (facet, v))
        })
        .map(|(facet, v)| LinkView {
            label: format!("{}: {}", facet.label(), value_label(&state, facet, &v)),
            url: base(params.toggled(facet.name(), &v)),
            active: true,
        })
        .collect();
    let sorts = Sort::ALL
        .into_iter()
        .map(|s| LinkView {
            label: s.as_str().to_string(),
            url: base(params.with("sort", s.as_str())),
            active: request.sort == s,
        })
        .collect();
    let pages = results.total.div_ceil(PAGE_SIZE).clamp(1, MAX_PAGE);
    let q = request.query.clone();
    layout.query = q.clone();
    let page_view = SearchPage {
        layout,
        q,
        total: results.total,
        took_ms: format!("{:.1}", results.took.as_secs_f64() * 1000.0),
        hint: results.hint.clone(),
        partial_note: results.partial_note(),
        suggestion: results.suggestion.as_ref().map(|s| SuggestionView {
            words: s
                .query
                .split(' ')
                .map(|w| (w.to_string(), s.changes.iter().any(|(_, to)| to == w)))
                .collect(),
            url: base(Params::parse(&params.without("page")).with("q", &s.query)),
        }),
        hits: hit_views(&results),
        more_note: results.more_note(),
        more: results.more.iter().map(hit_view).collect(),
        facets,
        active_filters,
        sorts,
        prev_url: (page > 1).then(|| base(params.with("page", &(page - 1).to_string()))),
        next_url: (page < pages).then(|| base(params.with("page", &(page + 1).to_string()))),
        page,
        pages,
        from: params.get("from").unwrap_or("").to_string(),
        to: params.get("to").unwrap_or("").to_string(),
    };
    html(&page_view)
}

#[derive(Template)]
#[template(path = "facet_values.html")]
pub struct FacetValuesPage {
    pub layout: Layout,
    pub heading: String,
    pub facet_name: &'static str,
    pub contains: String,
    /// The search's own parameters, kept as hidden fields of the filter form.
    pub hidden: Vec<(String, String)>,
    pub values: Vec<FacetValueView>,
    pub back_url: String,
}

/// `/search/facets/NAME?…`: every value of one facet for a search (its parameters as
/// `/search` reads them), with counts, filtered by `contains` without JavaScript.
pub async fn facet_values(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let facet = Facet::parse(&name).ok_or_else(|| {
        WebError::NotFound(crate::web::error::Missing::Page(format!(
            "/search/facets/{name}"
        )))
    })?;
    let given = Params::parse(req.query_string());
    let contains = given.get("contains").unwrap_or("").trim().to_string();
    let kept: Vec<(&str, &str)> = given
        .pairs()
        .iter()
        .filter(|(k, v)| k != "contains" && k != "page" && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let params = Params::parse(&crate::web::params::encode(&kept));
    let (request, _) = search_request(&params, &state.catalogue)?;
    let results = search_guarded(&state, &request)?;
    let needle = contains.to_lowercase();
    let all = results.counts(facet);
    let values: Vec<FacetValueView> = all
        .iter()
        .map(|v| (value_label(&state, facet, &v.value), v))
        .filter(|(label, v)| {
            needle.is_empty()
                || label.to_lowercase().contains(&needle)
                || v.value.to_lowercase().contains(&needle)
        })
        .map(|(label, v)| FacetValueView {
            label,
            count: v.count,
            url: format!("/search?{}", params.toggled(facet.name(), &v.value)),
            active: params.has(facet.name(), &v.value),
            page: matches!(facet, Facet::Service | Facet::Region)
                .then(|| super::insight::profile_url(facet, &v.value)),
        })
        .collect();
    let heading = if needle.is_empty() {
        format!("All {} {}", all.len(), plural(facet))
    } else {
        format!(
            "{} of {} {} contain “{contains}”",
            values.len(),
            all.len(),
            plural(facet)
        )
    };
    html(&FacetValuesPage {
        layout,
        heading,
        facet_name: facet.name(),
        contains,
        hidden: kept
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        values,
        back_url: format!("/search?{}", crate::web::params::encode(&kept)),
    })
}

#[derive(Template)]
#[template(path = "related.html")]
pub struct RelatedPage {
    pub layout: Layout,
    pub text: String,
    pub service: String,
    pub region: String,
    pub hits: Vec<RelatedView>,
}

/// A past incident like the alert, and why it matched.
pub struct RelatedView {
    pub hit: HitView,
    pub why: String,
}

/// Related incidents as the pages list them.
pub fn related_views(related: &[crate::index::Related]) -> Vec<RelatedView> {
    related
        .iter()
        .map(|r| RelatedView {
            hit: hit_view(&r.hit),
            why: r
                .reasons
                .iter()
                .map(|x| x.describe())
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect()
}

pub async fn related_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let wants_json = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    if wants_json {
        return super::api::related_get(req, state).await.map_err(|e| e.0);
    }
    let text = params.get("text").unwrap_or("").to_string();
    let service = params.get("service").unwrap_or("").to_string();
    let region = params.get("region").unwrap_or("").to_string();
    let hits = match crate::alert::plain(&text, &service, &region) {
        Ok(alert) => related_views(&crate::web::common::related_guarded(
            &state,
            &alert.query(&state.catalogue, 5),
        )?),
        Err(_) => Vec::new(),
    };
    html(&RelatedPage {
        layout,
        text,
        service,
        region,
        hits,
    })
}

#[derive(Template)]
#[template(path = "opensearch.xml")]
pub struct OpenSearch {
    pub origin: String,
}

pub async fn opensearch(req: HttpRequest) -> Result<HttpResponse, WebError> {
    let info = req.connection_info();
    let page = OpenSearch {
        origin: format!("{}://{}", info.scheme(), info.host()),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/opensearchdescription+xml")
        .body(page.render().map_err(WebError::internal)?))
}
