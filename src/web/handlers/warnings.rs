//! `/warnings` and `/api/v1/warnings`: every report the readers could not read well (its
//! warnings, and the facts not found in it), worst first, so they can be fixed at the source.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::web::common::{blocking, html, layout};
use crate::web::error::{ApiError, WebError};
use crate::web::json::warnings_json;
use crate::web::{AppState, Layout};

pub struct ReportView {
    pub title: String,
    pub url: String,
    pub source: String,
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "warnings.html")]
pub struct WarningsPage {
    pub layout: Layout,
    pub reports: Vec<ReportView>,
    pub incidents: usize,
}

/// Every incident with problems, read on the blocking pool (it reads the whole index).
async fn all(state: &web::Data<AppState>) -> Result<(Vec<ReportView>, usize), WebError> {
    let state = state.clone();
    blocking(move || {
        let incidents = state.index.all()?;
        let reports = warnings_json(&incidents)
            .into_iter()
            .map(|w| ReportView {
                title: w.title.to_string(),
                url: w.url,
                source: w.source.to_string(),
                problems: w.problems,
            })
            .collect();
        Ok((reports, incidents.len()))
    })
    .await
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let (reports, incidents) = all(&state).await?;
    html(&WarningsPage {
        layout,
        reports,
        incidents,
    })
}

pub async fn api(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    layout(&req, &state)?;
    let state2 = state.clone();
    let json = blocking(move || {
        let incidents = state2.index.all()?;
        serde_json::to_value(warnings_json(&incidents)).map_err(WebError::internal)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json))
}
