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
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::error::{ApiError, WebError};
use super::{AppState, Layout};

/// The largest form body accepted (a note is at most 4,000 characters).
pub const FORM_LIMIT: usize = 16 * 1024;
/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

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
    .route("/", web::get().to(search::page))
    .route("/search", web::get().to(search::page))
    .route("/opensearch.xml", web::get().to(search::opensearch))
    .route("/related", web::get().to(search::related_page))
    .route("/related", web::post().to(api::related_post))
    .route("/incidents/{id}", web::get().to(incident::page))
    .route("/repairs", web::get().to(repairs::list_page))
    .route("/repairs.csv", web::get().to(repairs::export_csv))
    .route("/repairs.json", web::get().to(repairs::export_json))
    .route("/repairs/{id}", web::get().to(repairs::item_page))
    .route("/repairs/{id}", web::post().to(repairs::update))
    .route("/login", web::get().to(login::page))
    .route("/login", web::post().to(login::submit))
    .route("/logout", web::post().to(login::logout))
    .route("/api/v1/search", web::get().to(api::search))
    .route("/api/v1/incidents/{id}", web::get().to(api::incident))
    .route("/api/v1/repairs", web::get().to(api::repairs))
    .route("/api/v1/repairs/{id}", web::get().to(api::repair))
    .route("/api/v1/repairs/{id}", web::post().to(api::update_repair))
    .route("/api/v1/related", web::get().to(api::related_get))
    .route("/api/v1/related", web::post().to(api::related_post))
    .route("/api/v1/ingest", web::post().to(api::ingest))
    .route("/healthz", web::get().to(ops::healthz))
    .route("/static/{file}", web::get().to(ops::asset))
    .default_service(web::to(ops::not_found));
}

/// The logged-in user of a request, with the session's CSRF token.
pub fn viewer(req: &HttpRequest, state: &AppState) -> Option<super::auth::Session> {
    let cookie = req.cookie(super::auth::SESSION_COOKIE)?;
    state.auth.session(cookie.value())
}

/// The layout of a page for this request; refuses reads when the instance is private.
pub fn layout(req: &HttpRequest, state: &AppState) -> Result<Layout, WebError> {
    let session = viewer(req, state);
    if state.auth.private && session.is_none() {
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
