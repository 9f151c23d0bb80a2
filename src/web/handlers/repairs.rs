//! Follow-up status pages: every repair item across incidents (`/repairs`, with CSV and JSON
//! export), one item with its history (`/repairs/ID`), and the tracking form that changes it.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::tracking::list::{RepairFilter, StatusFilter, list};
use crate::tracking::today;
use crate::tracking::{Change, RepairRecord, Status};
use crate::web::common::{all_records, apply_change, blocking, filter_from, html, layout, viewer};
use crate::web::error::{Missing, WebError};
use crate::web::params::Params;
use crate::web::{AppState, Layout};

pub struct RowView {
    pub id: String,
    pub url: String,
    pub text: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub overdue: bool,
    pub due: String,
    pub incident_url: String,
    pub incident_title: String,
    pub owner: String,
}

pub struct CountView {
    pub label: &'static str,
    pub count: usize,
    pub url: String,
    pub active: bool,
}

pub struct ProgressView {
    pub url: String,
    pub title: String,
    pub done: usize,
    pub total: usize,
    pub percent: usize,
}

#[derive(Template)]
#[template(path = "repairs.html")]
pub struct RepairsPage {
    pub layout: Layout,
    pub counts: Vec<CountView>,
    pub rows: Vec<RowView>,
    pub progress: Vec<ProgressView>,
    pub total: usize,
    pub csv_url: String,
    pub json_url: String,
    pub service: String,
    pub region: String,
    pub incident: String,
    pub due: String,
    pub filtered: bool,
}

fn row(r: &RepairRecord, today: jiff::civil::Date) -> RowView {
    RowView {
        id: r.id.clone(),
        url: format!("/repairs/{}", r.id),
        text: r.text.clone(),
        status: r.status().as_str(),
        status_label: r.status().label(),
        overdue: r.overdue(today),
        due: r
            .due
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        incident_url: format!("/incidents/{}", r.incident_id),
        incident_title: r.incident_title.clone(),
        owner: r.tracking.owner.clone().unwrap_or_default(),
    }
}

pub async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let filter = filter_from(&params, &state.catalogue)?;
    let today = today();
    let records = all_records(&state).await?;
    // Counts per status for everything else the filter asks.
    let without_status = RepairFilter {
        statuses: Vec::new(),
        ..filter.clone()
    };
    let scope: Vec<&RepairRecord> = records
        .iter()
        .filter(|r| without_status.matches(r, today))
        .collect();
    let base = |qs: String| {
        if qs.is_empty() {
            "/repairs".to_string()
        } else {
            format!("/repairs?{qs}")
        }
    };
    let mut counts: Vec<CountView> = vec![CountView {
        label: "Overdue",
        count: scope.iter().filter(|r| r.overdue(today)).count(),
        url: base(params.toggled("status", StatusFilter::Overdue.as_str())),
        active: params.has("status", StatusFilter::Overdue.as_str()),
    }];
    for s in Status::ALL {
        counts.push(CountView {
            label: s.label(),
            count: scope.iter().filter(|r| r.status() == s).count(),
            url: base(params.toggled("status", s.as_str())),
            active: params.has("status", s.as_str()),
        });
    }
    let mut per_incident: BTreeMap<String, (String, usize, usize)> = BTreeMap::new();
    for r in &scope {
        let e =
            per_incident
                .entry(r.incident_id.clone())
                .or_insert((r.incident_title.clone(), 0, 0));
        e.2 += 1;
        if r.status() == Status::Completed {
            e.1 += 1;
        }
    }
    let mut progress: Vec<ProgressView> = per_incident
        .into_iter()
        .map(|(id, (title, done, total))| ProgressView {
            url: format!(
                "/repairs?incident={}",
                crate::web::params::encode(&[("", &id)]).trim_start_matches('=')
            ),
            title,
            done,
            total,
            percent: done * 100 / total.max(1),
        })
        .collect();
    progress.sort_by(|a, b| a.percent.cmp(&b.percent).then(b.total.cmp(&a.total)));
    let items = list(records, &filter, today);
    let qs = req.query_string();
    html(&RepairsPage {
        layout,
        counts,
        total: items.len(),
        rows: items.iter().map(|r| row(r, today)).collect(),
        progress,
        csv_url: if qs.is_empty() {
            "/repairs.csv".into()
        } else {
            format!("/repairs.csv?{qs}")
        },
        json_url: if qs.is_empty() {
            "/repairs.json".into()
        } else {
            format!("/repairs.json?{qs}")
        },
        service: params.get("service").unwrap_or("").into(),
        region: params.get("region").unwrap_or("").into(),
        incident: params.get("incident").unwrap_or("").into(),
        due: params.get("due").unwrap_or("").into(),
        filtered: !params.pairs().is_empty(),
    })
}

/// A CSV cell: quoted, and never read as a formula by a spreadsheet.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub async fn export_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    layout(&req, &state)?;
    let filter = filter_from(&Params::parse(req.query_string()), &state.catalogue)?;
    let today = today();
    let mut out = String::from(
        "id,incident_id,incident_title,text,status,overdue,reported_status,due,owner,link,note\n",
    );
    for r in list(all_records(&state).await?, &filter, today) {
        let due = r
            .due
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let cells = [
            r.id.as_str(),
            &r.incident_id,
            &r.incident_title,
            &r.text,
            r.status().as_str(),
            if r.overdue(today) { "true" } else { "false" },
            r.reported_status.as_str(),
            &due,
            r.tracking.owner.as_deref().unwrap_or(""),
            r.tracking.link.as_deref().unwrap_or(""),
            r.tracking.note.as_deref().unwrap_or(""),
        ];
        out.push_str(&cells.map(csv_cell).join(","));
        out.push('\n');
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"repair-items.csv\"",
        ))
        .body(out))
}

pub async fn export_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    layout(&req, &state)?;
    let filter = filter_from(&Params::parse(req.query_string()), &state.catalogue)?;
    let today = today();
    let items = list(all_records(&state).await?, &filter, today);
    let json: Vec<_> = items
        .iter()
        .map(|r| crate::web::json::repair_json(r, today))
        .collect();
    Ok(HttpResponse::Ok().json(json))
}

pub struct EventView {
    pub at: String,
    pub who: String,
    pub field: String,
    pub from: String,
    pub to: String,
}

pub struct OptionView {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "repair.html")]
pub struct RepairPage {
    pub layout: Layout,
    pub item: RowView,
    pub reported: &'static str,
    pub retired: bool,
    pub link: String,
    pub note: String,
    pub version: u64,
    pub history: Vec<EventView>,
    pub options: Vec<OptionView>,
    pub errors: Vec<String>,
    pub can_edit: bool,
    pub writes_enabled: bool,
    pub saved: bool,
    /// The same promised in earlier incidents.
    pub before: Vec<super::insight::PromisedBefore>,
}

fn item_page_for(
    layout: Layout,
    state: &AppState,
    r: &RepairRecord,
    errors: Vec<String>,
    saved: bool,
) -> RepairPage {
    let today = today();
    RepairPage {
        can_edit: layout.user.is_some(),
        writes_enabled: state.auth.has_writers(),
        layout,
        item: row(r, today),
        reported: r.reported_status.as_str(),
        retired: r.retired,
        link: r.tracking.link.clone().unwrap_or_default(),
        note: r.tracking.note.clone().unwrap_or_default(),
        version: r.version,
        history: r
            .history
            .iter()
            .rev()
            .map(|e| EventView {
                at: crate::web::common::utc(e.at),
                who: e.who.clone(),
                field: e.field.replace('_', " "),
                from: e.from.clone().unwrap_or_else(|| "—".into()),
                to: e.to.clone().unwrap_or_else(|| "—".into()),
            })
            .collect(),
        options: Status::ALL
            .into_iter()
            .map(|s| OptionView {
                value: s.as_str(),
                label: s.label(),
                selected: s == r.status(),
            })
            .collect(),
        errors,
        saved,
        before: Vec::new(),
    }
}

fn get_record(state: &AppState, id: &str) -> Result<RepairRecord, WebError> {
    state
        .store
        .get(id)?
        .ok_or_else(|| WebError::NotFound(Missing::RepairItem(id.to_string())))
}

pub async fn item_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let record = get_record(&state, &id)?;
    let saved = Params::parse(req.query_string()).get("saved").is_some();
    let mut page = item_page_for(layout, &state, &record, Vec::new(), saved);
    let s = state.clone();
    let promises = crate::web::common::blocking(move || s.promises()).await?;
    page.before = super::insight::promised_before(&promises, &record.id);
    html(&page)
}

/// The tracking form.
#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    pub csrf: String,
    pub version: Option<u64>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, WebError> {
    let Some(session) = viewer(&req, &state) else {
        return Err(WebError::Unauthorized(
            "Log in to change repair items.".into(),
        ));
    };
    crate::web::common::same_origin(&req)?;
    if !crate::web::auth::constant_time_eq(&form.csrf, &session.csrf) {
        return Err(WebError::Forbidden("The form has expired or did not come from this site (CSRF check failed). Reload the page and try again.".into()));
    }
    let record = get_record(&state, &id)?;
    let layout = layout(&req, &state)?;
    let change = match Change::validate(
        form.status.as_deref(),
        form.owner.as_deref(),
        form.note.as_deref(),
        form.link.as_deref(),
    ) {
        Ok(c) => c,
        Err(errors) => {
            let page = item_page_for(layout, &state, &record, errors, false);
            let body = page.render().map_err(WebError::internal)?;
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .body(body));
        }
    };
    let id = id.into_inner();
    let st = state.clone();
    let version = form.version;
    let item = id.clone();
    blocking(move || apply_change(&st, &item, &change, &session.user, version)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/repairs/{id}?saved=1")))
        .finish())
}
