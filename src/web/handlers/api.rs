//! The JSON API (`/api/v1`): the same shapes as the CLI's `--json`. Reads are open (unless the
//! instance is private); writes take a bearer token, or a session with its CSRF token in the
//! `X-CSRF-Token` header.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::tracking::today;
use crate::web::AppState;
use crate::web::common::{blocking, viewer};
use crate::web::error::{ApiError, Missing, WebError};
use crate::web::params::Params;

fn read_access(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    crate::web::common::layout(req, state)
        .map(|_| ())
        .map_err(ApiError)
}

/// Who is writing: a bearer token's name, or a logged-in user whose request carries the
/// session's CSRF token.
fn writer(req: &HttpRequest, state: &AppState) -> Result<String, ApiError> {
    if let Some(auth) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ").unwrap_or("");
        return state.auth.token_user(token).ok_or_else(|| {
            ApiError(WebError::Unauthorized(
                "the bearer token is not valid".into(),
            ))
        });
    }
    let Some(session) = viewer(req, state) else {
        return Err(ApiError(WebError::Unauthorized(
            "writes need `Authorization: Bearer TOKEN` or a login session".into(),
        )));
    };
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::web::auth::constant_time_eq(header, &session.csrf) {
        return Err(ApiError(WebError::Forbidden(
            "a session write needs the X-CSRF-Token header".into(),
        )));
    }
    Ok(session.user)
}

fn record_fn(state: &AppState) -> impl Fn(&str) -> Option<crate::tracking::RepairRecord> + '_ {
    move |id| state.store.get(id).ok().flatten()
}

pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read_access(&req, &state)?;
    let params = Params::parse(req.query_string());
    // The API reads `limit` (1 to 100) beside `page`, with the same parser as the page.
    let (request, _) = crate::web::common::search_request(&params, &state.catalogue)?;
    let results = crate::web::common::search_guarded(&state, &request)?;
    let record = record_fn(&state);
    Ok(HttpResponse::Ok().json(crate::web::json::search_json(
        &request.query,
        &results,
        &record,
        today(),
    )))
}

pub async fn incident(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read_access(&req, &state)?;
    let incident = state.index.get(&id).map_err(WebError::from)?;
    let record = record_fn(&state);
    Ok(HttpResponse::Ok().json(crate::web::json::incident_json(
        &incident,
        incident.current(),
        &record,
        today(),
    )))
}

pub async fn repairs(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    read_access(&req, &state)?;
    let filter =
        crate::web::common::filter_from(&Params::parse(req.query_string()), &state.catalogue)?;
    let today = today();
    let items = crate::tracking::list::list(
        crate::web::common::all_records(&state).await?,
        &filter,
        today,
    );
    let json: Vec<_> = items
        .iter()
        .map(|r| crate::web::json::repair_json(r, today))
        .collect();
    Ok(HttpResponse::Ok().json(json))
}

pub async fn repair(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    read_access(&req, &state)?;
    let record = state
        .store
        .get(&id)
        .map_err(WebError::from)?
        .ok_or_else(|| WebError::NotFound(Missing::RepairItem(id.to_string())))?;
    Ok(HttpResponse::Ok().json(crate::web::json::repair_json(&record, today())))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepairChange {
    pub status: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    /// The version the change was made against; a newer one in the store refuses it.
    pub version: Option<u64>,
}

pub async fn update_repair(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<RepairChange>,
) -> Result<HttpResponse, ApiError> {
    let who = writer(&req, &state)?;
    let body = body.into_inner();
    let change = crate::tracking::Change::validate(
        body.status.as_deref(),
        body.owner.as_deref(),
        body.note.as_deref(),
        body.link.as_deref(),
    )
    .map_err(|errors| ApiError(WebError::BadRequest(errors.join(" "))))?;
    let st = state.clone();
    let id = id.into_inner();
    let record =
        blocking(move || crate::web::common::apply_change(&st, &id, &change, &who, body.version))
            .await?;
    Ok(HttpResponse::Ok().json(crate::web::json::repair_json(&record, today())))
}

pub async fn related_json(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    text: &str,
    limit: usize,
) -> Result<HttpResponse, ApiError> {
    read_access(req, state)?;
    if text.trim().is_empty() {
        return Err(ApiError(WebError::BadRequest(
            "give the alert's text as `text`".into(),
        )));
    }
    let request = crate::index::SearchRequest::related(text, limit);
    let results = crate::web::common::search_guarded(state, &request)?;
    let record = record_fn(state);
    Ok(HttpResponse::Ok().json(crate::web::json::search_json(
        &request.query,
        &results,
        &record,
        today(),
    )))
}

pub async fn related_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string());
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(5);
    related_json(&req, &state, params.get("text").unwrap_or(""), limit).await
}

#[derive(Debug, Deserialize)]
pub struct RelatedBody {
    pub text: String,
    pub limit: Option<usize>,
}

pub async fn related_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RelatedBody>,
) -> Result<HttpResponse, ApiError> {
    related_json(&req, &state, &body.text, body.limit.unwrap_or(5)).await
}

/// Re-read the corpus (the server holds the index and store, so ingest runs here).
pub async fn ingest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let who = writer(&req, &state)?;
    let st = state.clone();
    let summary = blocking(move || st.reingest(false).map_err(WebError::internal)).await?;
    tracing::info!(user = %who, incidents = summary.incidents, "re-ingested");
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "files": summary.files,
        "incidents": summary.incidents,
        "repair_items": summary.repair_items,
        "failures": summary.failures.iter().map(|f| serde_json::json!({"file": f.path, "reason": f.reason})).collect::<Vec<_>>(),
        "index": {"added": summary.index.added, "replaced": summary.index.replaced, "removed": summary.index.removed, "unchanged": summary.index.unchanged},
    })))
}
