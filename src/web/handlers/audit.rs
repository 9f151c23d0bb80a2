//! The audit page (`/audit`): every change across repair items, who made it and when, with
//! filters, pages and a CSV export of everything the filters select.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::tracking::audit::{self, AuditFilter};
use crate::web::common::{Pager, all_records, html, layout};
use crate::web::error::WebError;
use crate::web::params::Params;
use crate::web::{AppState, Layout};

/// Changes per page.
pub const CHANGES_PER_PAGE: usize = 100;

pub struct ChangeView {
    pub at: String,
    pub who: String,
    pub what: String,
    pub item_url: String,
    pub item_text: String,
    pub incident_url: String,
    pub incident_title: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub changes: Vec<ChangeView>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub prev_url: String,
    pub next_url: String,
    pub csv_url: String,
    pub who: String,
    pub fields: Vec<(&'static str, bool)>,
    pub since: String,
    pub until: String,
    pub incident: String,
    pub filtered: bool,
}

fn filter_of(params: &Params) -> Result<AuditFilter, WebError> {
    AuditFilter::parse(params.pairs()).map_err(WebError::BadParameter)
}

fn url(path: &str, qs: &str) -> String {
    if qs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{qs}")
    }
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let filter = filter_of(&params)?;
    let records = all_records(&state).await?;
    let entries = audit::entries(&records, &filter);
    let total = entries.len();
    let pager = Pager::new("/audit", &params, total, CHANGES_PER_PAGE);
    let changes = entries
        .iter()
        .skip((pager.page - 1) * CHANGES_PER_PAGE)
        .take(CHANGES_PER_PAGE)
        .map(|e| ChangeView {
            at: crate::web::common::utc(e.event.at),
            who: e.event.who.clone(),
            what: e.event.describe(),
            item_url: format!("/repairs/{}", e.record.id),
            item_text: e.record.text.chars().take(140).collect(),
            incident_url: format!("/incidents/{}", e.record.incident_id),
            incident_title: e.record.incident_title.clone(),
        })
        .collect();
    let text = |key: &str| params.get(key).unwrap_or("").to_string();
    html(&AuditPage {
        layout,
        changes,
        total,
        page: pager.page,
        pages: pager.pages,
        prev_url: pager.prev_url,
        next_url: pager.next_url,
        csv_url: url("/audit.csv", &params.without("page")),
        who: text("who"),
        fields: audit::FIELDS
            .into_iter()
            .map(|f| (f, params.get("field") == Some(f)))
            .collect(),
        since: text("since"),
        until: text("until"),
        incident: text("incident"),
        filtered: !params.without("page").is_empty(),
    })
}

pub async fn export_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    layout(&req, &state)?;
    let filter = filter_of(&Params::parse(req.query_string()))?;
    let records = all_records(&state).await?;
    let mut out = String::from("at,who,item_id,incident_id,field,from,to,what\n");
    for e in audit::entries(&records, &filter) {
        let cells = [
            e.event.at.to_string(),
            e.event.who.clone(),
            e.record.id.clone(),
            e.record.incident_id.clone(),
            e.event.field.clone(),
            e.event.from.clone().unwrap_or_default(),
            e.event.to.clone().unwrap_or_default(),
            e.event.describe(),
        ];
        out.push_str(&cells.map(|c| super::exports::csv_cell(&c)).join(","));
        out.push('\n');
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"audit.csv\""))
        .body(out))
}
