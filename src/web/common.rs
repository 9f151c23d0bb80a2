//! What every handler shares: the page layout and HTML responses, who is asking (session or
//! token) and where a form came from, the blocking pool, and the web's calls into the index
//! and the tracking store (a search guarded against panics, a change applied and its repair
//! facets queued), with their errors said for people.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::WebError;
use super::params::Params;
use super::{AppState, Layout};
use crate::catalog::Catalogue;
use crate::index::request::SearchRequest;
use crate::index::search::SearchResults;
use crate::tracking::list::RepairFilter;
use crate::tracking::{Change, RepairRecord};

/// Hits per page: ten, like the benchmark's "results page" and most search engines.
pub const PAGE_SIZE: usize = 10;

/// One page of a listing (`/repairs`, `/audit`): its number, the asked one within the pages
/// there are (a page past the end is the last), and the links to the pages around it, which
/// keep the other parameters.
pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub prev_url: String,
    pub next_url: String,
}

impl Pager {
    pub fn new(path: &str, params: &Params, total: usize, per_page: usize) -> Pager {
        let pages = total.div_ceil(per_page).max(1);
        let page = Self::asked(params).clamp(1, pages);
        let url = |n: usize| {
            let qs = if n == 1 {
                params.without("page")
            } else {
                params.with("page", &n.to_string())
            };
            if qs.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{qs}")
            }
        };
        Pager {
            page,
            pages,
            prev_url: if page > 1 {
                url(page - 1)
            } else {
                String::new()
            },
            next_url: if page < pages {
                url(page + 1)
            } else {
                String::new()
            },
        }
    }

    /// The page a request asks for (the first when it says none).
    pub fn asked(params: &Params) -> usize {
        params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1)
    }
}

/// Refuse a form posted from another origin. Browsers say where a form came from (`Origin`,
/// `Sec-Fetch-Site`); another port of the same host is another origin, though it shares the
/// cookies, so this is what stops a form there from logging a visitor in or out. Requests that
/// carry neither header (scripts, older clients) are judged by their CSRF token alone.
pub fn same_origin(req: &HttpRequest) -> Result<(), WebError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let refused = || {
        WebError::Forbidden(
            "This form was sent from another site or port. Open the page on this site and send it again."
                .into(),
        )
    };
    if let Some(site) = header("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(refused());
    }
    if let Some(origin) = header("origin") {
        let host = req.connection_info().host().to_ascii_lowercase();
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest.trim_end_matches('/').to_ascii_lowercase());
        if origin_host.as_deref() != Some(host.as_str()) {
            return Err(refused());
        }
    }
    Ok(())
}

/// The logged-in user of a request, with the session's CSRF token.
pub fn viewer(req: &HttpRequest, state: &AppState) -> Option<super::auth::Session> {
    let cookie = req.cookie(super::auth::SESSION_COOKIE)?;
    state.auth.session(cookie.value())
}

/// The name of the valid API token a request carries (`Authorization: Bearer TOKEN`).
pub fn bearer(req: &HttpRequest, state: &AppState) -> Option<String> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    state.auth.token_user(header.strip_prefix("Bearer ")?)
}

/// The layout of a page for this request; refuses reads when the instance is private.
pub fn layout(req: &HttpRequest, state: &AppState) -> Result<Layout, WebError> {
    let session = viewer(req, state);
    if state.auth.private && session.is_none() && bearer(req, state).is_none() {
        return Err(WebError::Unauthorized(
            "this knowledge base is private: log in at /login to read it".into(),
        ));
    }
    Ok(Layout {
        user: session.as_ref().map(|s| s.user.clone()),
        csrf: session.map(|s| s.csrf).unwrap_or_default(),
        query: String::new(),
        asset_version: super::assets::asset_version(),
    })
}

pub fn html<T: Template>(page: &T) -> Result<HttpResponse, WebError> {
    let body = page.render().map_err(WebError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(body))
}

/// Run blocking work (index writes, fsync) off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    web::block(f).await.map_err(WebError::internal)?
}

/// Format a timestamp for pages: "2024-07-13 00:00 UTC".
pub fn utc(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// Run a search on this worker, with a panic in it turned into a 500 for this request and a
/// check of the index's files (a damaged file is one way for a search to fail). Searches stay
/// on the async workers: they are short (p99 under 5 ms at 100k incidents), and handing them
/// to the blocking pool cost 1.4x the CPU in the soak (BENCHMARKS.md); exports and other
/// store-wide reads, which are not short, run on the blocking pool.
pub fn search_guarded(
    state: &web::Data<AppState>,
    request: &SearchRequest,
) -> Result<SearchResults, WebError> {
    guarded(
        state,
        |index| index.search(request),
        || format!("the search for {:?}", request.query),
    )
}

/// "Past incidents like this" for the pages and the API, with the index guarded as for search.
pub fn related_guarded(
    state: &web::Data<AppState>,
    query: &crate::index::RelatedQuery,
) -> Result<Vec<crate::index::Related>, WebError> {
    guarded(
        state,
        |index| index.related(query),
        || format!("related incidents for {:?}", query.text),
    )
}

/// A read of the index that cannot take the server down: a panic or an index error is a 500,
/// and either has the index's files checked soon (damage would explain it).
fn guarded<T>(
    state: &web::Data<AppState>,
    read: impl FnOnce(&crate::index::SearchIndex) -> Result<T, crate::index::IndexError>,
    what: impl FnOnce() -> String,
) -> Result<T, WebError> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&state.index)));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        failed => {
            state.clone().into_inner().check_index_soon();
            Err(match failed {
                Ok(Err(e)) => WebError::internal(e),
                _ => WebError::Internal(format!("{} panicked", what())),
            })
        }
    }
}

/// Read a search from query parameters (shared with the API): the library's one parser.
pub fn search_request(
    params: &Params,
    catalogue: &Catalogue,
) -> Result<(SearchRequest, usize), WebError> {
    SearchRequest::parse(params.pairs(), catalogue, PAGE_SIZE).map_err(WebError::BadParameter)
}

/// Read the listing filters (shared with the API): status, service, region, incident, due,
/// assignee (`me`: the logged-in user), owner, sort. Services and regions are read as in
/// search: an alias or a short form (`VM`, `VMs`, `AFD`) is the catalogue's name.
pub fn filter_from(
    req: &HttpRequest,
    state: &AppState,
    params: &Params,
) -> Result<RepairFilter, WebError> {
    let me = viewer(req, state)
        .map(|s| s.user)
        .or_else(|| bearer(req, state));
    RepairFilter::parse(params.pairs(), &state.catalogue, me.as_deref())
        .map_err(WebError::BadParameter)
}

/// Every record, read on the blocking pool (exports of thousands of items take a while).
pub async fn all_records(state: &web::Data<AppState>) -> Result<Vec<RepairRecord>, WebError> {
    let state = state.clone();
    blocking(move || state.store.all().map_err(WebError::from)).await
}

/// Write a change, then bring the incident's repair facets in the index in step. The change is
/// acknowledged once the store has committed it: an index that cannot be written just now (a
/// full disk, a lock) is retried by the next write or re-ingest, and never turns a stored
/// change into an error.
pub fn apply_change(
    state: &AppState,
    id: &str,
    change: &Change,
    who: &str,
    version: Option<u64>,
) -> Result<RepairRecord, WebError> {
    let record = crate::tracking::apply(state.store.as_ref(), id, change, who, version)
        .map_err(WebError::from)?;
    tracing::info!(item = %id, user = %who, "repair item updated");
    state.note_repair_change(&record);
    if let Err(e) = state.refresh_facets(std::slice::from_ref(&record.incident_id)) {
        tracing::warn!(item = %id, error = %e, "the change is stored; its repair facets in the search index will be rewritten by the next write or re-ingest");
    }
    Ok(record)
}

/// The incident under `id`, or (`Err`) a permanent redirect to `{base}/{new id}` when it moved
/// (see `index::moved`); any other error of the index as it is.
pub fn incident_or_moved(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    base: &str,
) -> Result<Result<crate::incident::Incident, HttpResponse>, crate::index::IndexError> {
    match state.index.get(id) {
        // (Ids are URL-safe: `assemble` makes them of letters, digits, '-', '_' and '.'.)
        Err(crate::index::IndexError::NotFound(_)) if let Some(new) = state.index.moved_to(id) => {
            Ok(Err(moved(req, &format!("{base}/{new}"))))
        }
        found => found.map(Ok),
    }
}

/// A permanent redirect to where an incident that changed its id is now, with the query kept.
fn moved(req: &HttpRequest, to: &str) -> HttpResponse {
    let query = req.query_string();
    let location = if query.is_empty() {
        to.to_string()
    } else {
        format!("{to}?{query}")
    };
    HttpResponse::MovedPermanently()
        .insert_header(("Location", location))
        .finish()
}
