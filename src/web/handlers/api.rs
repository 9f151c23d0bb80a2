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
    let incident =
        match crate::web::common::incident_or_moved(&req, &state, &id, "/api/v1/incidents")
            .map_err(WebError::from)?
        {
            Ok(incident) => incident,
            Err(redirect) => return Ok(redirect),
        };
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
    let filter = crate::web::common::filter_from(&req, &state, &Params::parse(req.query_string()))?;
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
    /// One of the server's users, or "" to unassign.
    pub assignee: Option<String>,
    /// A day (2024-09-30), or "" to clear.
    pub due_date: Option<String>,
    /// Why it won't be done (required with that status).
    pub reason: Option<String>,
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
    let input = crate::tracking::ChangeInput {
        status: body.status.as_deref(),
        owner: body.owner.as_deref(),
        note: body.note.as_deref(),
        link: body.link.as_deref(),
        assignee: body.assignee.as_deref(),
        due_date: body.due_date.as_deref(),
        reason: body.reason.as_deref(),
    };
    let change = crate::tracking::Change::validate(&input, &|name| state.auth.is_user(name))
        .map_err(|errors| ApiError(WebError::BadRequest(errors.join(" "))))?;
    let st = state.clone();
    let id = id.into_inner();
    let record =
        blocking(move || crate::web::common::apply_change(&st, &id, &change, &who, body.version))
            .await?;
    Ok(HttpResponse::Ok().json(crate::web::json::repair_json(&record, today())))
}

/// Past incidents like an alert given as text (and a service and region, optional): the
/// answer `POST /api/v1/alerts` gives for one alert.
pub async fn related_json(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &RelatedBody,
) -> Result<HttpResponse, ApiError> {
    read_access(req, state)?;
    let alert = crate::alert::plain(
        &body.text,
        body.service.as_deref().unwrap_or(""),
        body.region.as_deref().unwrap_or(""),
    )
    .map_err(|e| ApiError(WebError::BadRequest(e.to_string())))?;
    let query = alert.query(&state.catalogue, body.limit.unwrap_or(5));
    let related = crate::web::common::related_guarded(state, &query)?;
    let info = req.connection_info().clone();
    let origin = format!("{}://{}", info.scheme(), info.host());
    Ok(HttpResponse::Ok().json(crate::web::json::alert_json(
        &alert, &query, &related, &origin,
    )))
}

pub async fn related_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(req.query_string());
    let body = RelatedBody {
        text: params.get("text").unwrap_or("").to_string(),
        service: params.get("service").map(str::to_string),
        region: params.get("region").map(str::to_string),
        limit: params.get("limit").and_then(|l| l.parse().ok()),
    };
    related_json(&req, &state, &body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelatedBody {
    pub text: String,
    pub service: Option<String>,
    pub region: Option<String>,
    pub limit: Option<usize>,
}

pub async fn related_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RelatedBody>,
) -> Result<HttpResponse, ApiError> {
    related_json(&req, &state, &body).await
}

/// `POST /api/v1/alerts`: an alerting system's webhook (Alertmanager, Grafana, PagerDuty, or
/// plain `{"text", "service", "region"}`); for each alert, the past incidents like it with why
/// they match, and a Markdown text with links that a relay can post to chat. Token-authenticated
/// like the other writes (it is what a webhook sender can hold); nothing is stored.
pub async fn alerts(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    writer(&req, &state)?;
    let payload: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError(WebError::BadRequest(format!(
            "the body is not JSON ({e}); send the alerting system's webhook payload"
        )))
    })?;
    let alerts =
        crate::alert::read(&payload).map_err(|e| ApiError(WebError::BadRequest(e.to_string())))?;
    let info = req.connection_info().clone();
    let origin = format!("{}://{}", info.scheme(), info.host());
    let st = state.clone();
    let answers = blocking(move || {
        alerts
            .iter()
            .map(|alert| {
                let query = alert.query(&st.catalogue, 5);
                let related = crate::web::common::related_guarded(&st, &query)?;
                Ok(crate::web::json::alert_json(
                    alert, &query, &related, &origin,
                ))
            })
            .collect::<Result<Vec<_>, WebError>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "alerts": answers })))
}

/// `POST /api/v1/backup`: the tracking state as `ikb backup` writes it (the same bytes), read
/// from the running server's store; for tokens, as every write is.
pub async fn backup(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let who = writer(&req, &state)?;
    let st = state.clone();
    let json = blocking(move || {
        let backup = st.store.backup().map_err(WebError::from)?;
        serde_json::to_vec_pretty(&backup).map_err(WebError::internal)
    })
    .await?;
    tracing::info!(user = %who, bytes = json.len(), "online backup");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json))
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
