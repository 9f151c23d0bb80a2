//! `/warnings` and `/api/v1/warnings`: every report the readers could not read well (its
//! warnings, and the facts not found in it), worst first, so they can be fixed at the source.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::incident::Incident;
use crate::web::common::{blocking, html, layout};
use crate::web::error::{ApiError, WebError};
use crate::web::json::{WarningsJson, warnings_json};
use crate::web::{AppState, Layout};

#[derive(Template)]
#[template(path = "warnings.html")]
pub struct WarningsPage<'a> {
    pub layout: Layout,
    pub reports: Vec<WarningsJson<'a>>,
    pub incidents: usize,
}

/// Every incident, read on the blocking pool (it reads the whole index).
async fn incidents(state: &web::Data<AppState>) -> Result<Vec<Incident>, WebError> {
    let state = state.clone();
    blocking(move || Ok(state.index.all()?)).await
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let all = incidents(&state).await?;
    html(&WarningsPage {
        layout,
        reports: warnings_json(&all),
        incidents: all.len(),
    })
}

pub async fn api(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    layout(&req, &state)?;
    let all = incidents(&state).await?;
    Ok(HttpResponse::Ok().json(warnings_json(&all)))
}
