//! The route table: every URL of the app, the handler that answers it, and the body limits.
//! URLs go into alert runbooks: they stay stable.

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{guard, web};

use super::error::{ApiError, Missing, WebError};
use super::handlers::{
    api, audit, exports, incident, insight, insights, login, ops, repairs, search, warnings,
};

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
                    UrlencodedError::Overflow { .. } => WebError::TooLarge {
                        what: "form",
                        limit: FORM_LIMIT,
                    },
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
                    | JsonPayloadError::OverflowKnownLength { .. } => WebError::TooLarge {
                        what: "JSON body",
                        limit: JSON_LIMIT,
                    },
                    e => WebError::BadRequest(format!("the JSON body could not be read: {e}")),
                };
                ApiError(e).into()
            }),
    )
    .app_data(web::PathConfig::default().error_handler(|_, req| {
        WebError::NotFound(Missing::Page(req.path().chars().take(200).collect())).into()
    }))
    .route("/", read().to(search::page))
    .route("/search", read().to(search::page))
    .route("/search/facets/{name}", read().to(search::facet_values))
    .route("/opensearch.xml", read().to(search::opensearch))
    .route("/related", read().to(search::related_page))
    .route("/related", web::post().to(api::related_post))
    .route("/incidents/{id}", read().to(incident::page))
    .route("/repairs", read().to(repairs::list_page))
    .route("/repairs.csv", read().to(exports::export_csv))
    .route("/repairs.json", read().to(exports::export_json))
    .route("/repairs/bulk", web::post().to(repairs::bulk_update))
    .route("/audit", read().to(audit::page))
    .route("/audit.csv", read().to(audit::export_csv))
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
    .route("/api/v1/backup", web::post().to(api::backup))
    .route("/api/v1/alerts", web::post().to(api::alerts))
    .route("/insights", read().to(insights::insights_page))
    .route("/api/v1/insights", read().to(insights::insights_api))
    .route("/patterns", read().to(insight::patterns_page))
    .route("/promises", read().to(insight::promises_page))
    .route("/services/{name}", read().to(insight::service_page))
    .route("/regions/{name}", read().to(insight::region_page))
    .route("/warnings", read().to(warnings::page))
    .route("/api/v1/warnings", read().to(warnings::api))
    .route("/healthz", read().to(ops::healthz))
    .route("/metrics", read().to(ops::metrics))
    .route("/static/{file}", read().to(ops::asset))
    .default_service(web::to(ops::not_found));
}
