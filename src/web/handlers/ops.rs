//! Operations: health check, static assets with cache headers, and the friendly 404.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::AppState;
use crate::web::error::{Missing, WebError};

use crate::web::assets::asset_version;
use crate::web::assets::{SCRIPT, STYLE};

/// Whether this server serves, and whether its tracking store answers: `"status": "ok"`, or
/// `"degraded"` (still 200: searches and pages work, writes get 503) with the store's error.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let incidents = state.index.reader.searcher().num_docs();
    let st = state.clone();
    let checked = web::block(move || st.store.check()).await;
    let store = match checked {
        Ok(Ok(())) => serde_json::json!({ "reachable": true }),
        Ok(Err(e)) => serde_json::json!({ "reachable": false, "error": e.to_string() }),
        Err(e) => serde_json::json!({ "reachable": false, "error": e.to_string() }),
    };
    let status = if store["reachable"] == true {
        "ok"
    } else {
        "degraded"
    };
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "status": status,
            "incidents": incidents,
            "store": store,
        }))
}

/// Prometheus metrics, read from the store and index at each scrape: OpenMetrics text when
/// the scraper asks for it (Prometheus does), else the Prometheus text format.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let openmetrics = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/openmetrics-text"));
    let body = web::block(move || crate::web::metrics::render(&state))
        .await
        .map_err(|e| WebError::Internal(format!("the metrics task failed: {e}")))??;
    let (body, content_type) = if openmetrics {
        (
            body,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
    } else {
        (
            crate::web::metrics::prometheus_text(&body),
            "text/plain; version=0.0.4; charset=utf-8",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

pub async fn asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, WebError> {
    let (body, content_type) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return Err(WebError::NotFound(Missing::Asset(file.into_inner()))),
    };
    let etag = format!("\"{}\"", asset_version());
    if req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok(HttpResponse::NotModified().finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("ETag", etag))
        .body(body))
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, WebError> {
    let path: String = req.path().chars().take(200).collect();
    if path.starts_with("/api/") {
        return Ok(HttpResponse::NotFound()
            .json(serde_json::json!({"error": format!("no API route {path}"), "status": 404})));
    }
    Err(WebError::NotFound(Missing::Page(path)))
}
