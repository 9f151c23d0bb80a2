//! The repair listing's exports (`/repairs.csv`, `/repairs.json`): every item the filters
//! select, not a page, streamed in chunks as it is written; and the CSV cell rule every CSV
//! of the app uses.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::tracking::RepairRecord;
use crate::tracking::list::list;
use crate::tracking::today;
use crate::web::AppState;
use crate::web::common::{all_records, filter_from, layout};
use crate::web::error::WebError;
use crate::web::params::Params;

/// A CSV cell: quoted, and never read as a formula by a spreadsheet.
pub(super) fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The CSV export's columns.
const CSV_HEADER: &str = "id,incident_id,incident_title,incident_date,services,regions,text,status,overdue,reported_status,due_months,due_date,assignee,owner,link,note\n";

fn csv_row(r: &RepairRecord, today: jiff::civil::Date) -> String {
    let join = |v: &[String]| v.join("; ");
    let due = r
        .due
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let date = r
        .incident_start
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let due_date = r
        .tracking
        .due_date
        .map(|d| d.to_string())
        .unwrap_or_default();
    let t = &r.tracking;
    let cells = [
        r.id.as_str(),
        &r.incident_id,
        &r.incident_title,
        &date,
        &join(&r.services),
        &join(&r.regions),
        &r.text,
        r.status().as_str(),
        if r.overdue(today) { "true" } else { "false" },
        r.reported_status.as_str(),
        &due,
        &due_date,
        t.assignee.as_deref().unwrap_or(""),
        t.owner.as_deref().unwrap_or(""),
        t.link.as_deref().unwrap_or(""),
        t.note.as_deref().unwrap_or(""),
    ];
    let mut line = cells.map(csv_cell).join(",");
    line.push('\n');
    line
}

/// Rows per chunk of a streamed export.
const EXPORT_CHUNK: usize = 500;

/// An export body sent in chunks as it is written (every filtered item, no page).
fn streamed(
    items: Vec<RepairRecord>,
    head: &'static str,
    tail: &'static str,
    each: impl Fn(usize, &RepairRecord) -> String + 'static,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::convert::Infallible>> {
    let n = items.len().div_ceil(EXPORT_CHUNK);
    let items = std::rc::Rc::new(items);
    let body = (0..n).map(move |c| {
        let mut out = String::new();
        for (i, r) in items
            .iter()
            .enumerate()
            .skip(c * EXPORT_CHUNK)
            .take(EXPORT_CHUNK)
        {
            out.push_str(&each(i, r));
        }
        Ok(web::Bytes::from(out))
    });
    futures_util::stream::iter(
        std::iter::once(Ok(web::Bytes::from_static(head.as_bytes())))
            .chain(body)
            .chain(std::iter::once(Ok(web::Bytes::from_static(
                tail.as_bytes(),
            )))),
    )
}

/// Every record the request's filters select, in the listing's order (read from the store:
/// an export holds histories), and the day it was judged against.
async fn filtered(
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> Result<(Vec<RepairRecord>, jiff::civil::Date), WebError> {
    layout(req, state)?;
    let filter = filter_from(req, state, &Params::parse(req.query_string()))?;
    let today = today();
    Ok((list(all_records(state).await?, &filter, today), today))
}

pub async fn export_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (items, today) = filtered(&req, &state).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"repair-items.csv\"",
        ))
        .streaming(streamed(items, CSV_HEADER, "", move |_, r| {
            csv_row(r, today)
        })))
}

/// The JSON export: an array of every filtered item, streamed.
pub async fn export_json(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let (items, today) = filtered(&req, &state).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(streamed(items, "[", "]", move |i, r| {
            let json = serde_json::to_string(&crate::web::json::repair_json(r, today))
                .unwrap_or_else(|_| "null".into());
            if i == 0 { json } else { format!(",{json}") }
        })))
}
