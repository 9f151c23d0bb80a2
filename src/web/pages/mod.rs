//! Handlers, one file per page, and the routing table. Handlers are thin: they read the request,
//! call the index or store, and fill a page struct that a template renders.

mod api;
mod incident;
mod login;
mod ops;
mod repairs;
mod search;

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, guard, web};
use askama::Template;

use super::error::{ApiError, WebError};
use super::{AppState, Layout};

/// The largest form body accepted (a note is at most 4,000 characters).
pub const FORM_LIMIT: usize = 16 * 1024;
/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A route for reading: GET, and HEAD (the same answer without its body, as HTTP asks; link
/// checkers and monitors send it).
fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(FORM_LIMIT)
            .error_handler(|e, _| {
                match e {
                    UrlencodedError::Overflow { .. } => WebError::PayloadTooLarge(format!(
                        "the form is over the {FORM_LIMIT}-byte limit"
                    )),
                    e => WebError::BadRequest(format!("the form could not be read: {e}")),
                }
                .into()
            }),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT)
            .error_handler(|e, _| {
                let e = match e {
                    JsonPayloadError::Overflow { .. }
                    | JsonPayloadError::OverflowKnownLength { .. } => WebError::PayloadTooLarge(
                        format!("the JSON body is over the {JSON_LIMIT}-byte limit"),
                    ),
                    e => WebError::BadRequest(format!("the JSON body could not be read: {e}")),
                };
                ApiError(e).into()
            }),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|e, _| WebError::NotFound(format!("no such page: {e}")).into()),
    )
    .route("/", read().to(search::page))
    .route("/search", read().to(search::page))
    .route("/opensearch.xml", read().to(search::opensearch))
    .route("/related", read().to(search::related_page))
    .route("/related", web::post().to(api::related_post))
    .route("/incidents/{id}", read().to(incident::page))
    .route("/repairs", read().to(repairs::list_page))
    .route("/repairs.csv", read().to(repairs::export_csv))
    .route("/repairs.json", read().to(repairs::export_json))
    .route("/repairs/{id}", read().to(repairs::item_page))
    .route("/repairs/{id}", web::post().to(repairs::update))
    .route("/login", read().to(login::page))
    .route("/login", web::post().to(login::submit))
    .route("/logout", web::post().to(login::logout))
    .route("/api/v1/search", read().to(api::search))
    .route("/api/v1/incidents/{id}", read().to(api::incident))
    .route("/api/v1/repairs", read().to(api::repairs))
    .route("/api/v1/repairs/{id}", read().to(api::repair))
    .route("/api/v1/repairs/{id}", web::post().to(api::update_repair))
    .route("/api/v1/related", read().to(api::related_get))
    .route("/api/v1/related", web::post().to(api::related_post))
    .route("/api/v1/ingest", web::post().to(api::ingest))
    .route("/healthz", read().to(ops::healthz))
    .route("/static/{file}", read().to(ops::asset))
    .default_service(web::to(ops::not_found));
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
        asset_version: ops::asset_version(),
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
