//! Follow-up status pages: repair items across incidents (`/repairs`, a page at a time from
//! the records the server keeps, with a bulk change, and CSV and JSON exports of every
//! filtered item), one item with its notes and history (`/repairs/ID`), and the tracking form
//! that changes it.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::tracking::list::{RepairFilter, StatusFilter, list_first};
use crate::tracking::today;
use crate::tracking::{Change, ChangeInput, RepairRecord, Status};
use crate::web::common::{Pager, apply_change, blocking, filter_from, html, layout, viewer};
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
    pub assignee: String,
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

/// A choice of a select in the filter form.
pub struct ChoiceView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Items per page of `/repairs`.
pub const ITEMS_PER_PAGE: usize = 50;
/// Incidents the sidebar lists (the least complete first).
const SIDEBAR_INCIDENTS: usize = 12;

#[derive(Template)]
#[template(path = "repairs.html")]
pub struct RepairsPage {
    pub layout: Layout,
    pub counts: Vec<CountView>,
    pub rows: Vec<RowView>,
    pub progress: Vec<ProgressView>,
    /// Incidents with items that the sidebar leaves out.
    pub progress_more: usize,
    pub total: usize,
    /// Which items this page shows (1-based, inclusive), and the pages' links.
    pub first: usize,
    pub last: usize,
    pub page: usize,
    pub pages: usize,
    pub prev_url: String,
    pub next_url: String,
    pub csv_url: String,
    pub json_url: String,
    pub service: String,
    pub region: String,
    pub incident: String,
    pub due: String,
    pub due_from: String,
    pub due_to: String,
    pub owner: String,
    pub assignees: Vec<ChoiceView>,
    pub sorts: Vec<ChoiceView>,
    /// The filters as hidden fields, for the bulk form's way back.
    pub back: String,
    pub filtered: bool,
    /// The status filters, kept when the form is sent.
    pub kept_statuses: Vec<String>,
    /// How many items a bulk change just changed, and skipped (gone meanwhile).
    pub changed: usize,
    pub skipped: usize,
    pub can_edit: bool,
    pub statuses: Vec<OptionView>,
}

fn row(r: &RepairRecord, today: jiff::civil::Date) -> RowView {
    RowView {
        id: r.id.clone(),
        url: format!("/repairs/{}", r.id),
        text: r.text.clone(),
        status: r.status().as_str(),
        status_label: r.status().label(),
        overdue: r.overdue(today),
        // The day a person set, else the months the review reported.
        due: match r.tracking.due_date {
            Some(day) => day.to_string(),
            None => r
                .due
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        },
        incident_url: format!("/incidents/{}", r.incident_id),
        incident_title: r.incident_title.clone(),
        owner: r.tracking.owner.clone().unwrap_or_default(),
        assignee: r.tracking.assignee.clone().unwrap_or_default(),
    }
}

/// One page of the listing, as computed from the kept records.
struct Listed {
    overdue: usize,
    per_status: [usize; 4],
    progress: Vec<ProgressView>,
    more: usize,
    total: usize,
    pages: usize,
    page: usize,
    rows: Vec<RowView>,
}

/// A `/repairs` URL with these parameters.
fn repairs_url(qs: &str) -> String {
    if qs.is_empty() {
        "/repairs".to_string()
    } else {
        format!("/repairs?{qs}")
    }
}

/// Per incident, how many of the listed items are completed: the least complete first (then
/// the most items), at most `limit`, and how many incidents are left out.
fn progress_of(items: &[&RepairRecord], limit: usize) -> (Vec<ProgressView>, usize) {
    let mut per_incident: BTreeMap<&str, (&str, usize, usize)> = BTreeMap::new();
    for r in items {
        let e =
            per_incident
                .entry(r.incident_id.as_str())
                .or_insert((r.incident_title.as_str(), 0, 0));
        e.2 += 1;
        if r.status() == Status::Completed {
            e.1 += 1;
        }
    }
    let mut progress: Vec<ProgressView> = per_incident
        .into_iter()
        .map(|(id, (title, done, total))| ProgressView {
            url: repairs_url(&crate::web::params::encode(&[("incident", id)])),
            title: title.to_string(),
            done,
            total,
            percent: done * 100 / total.max(1),
        })
        .collect();
    // The least complete first, then the most items; only the first `limit` are sorted.
    let order = |a: &ProgressView, b: &ProgressView| {
        a.percent
            .cmp(&b.percent)
            .then(b.total.cmp(&a.total))
            .then_with(|| a.url.cmp(&b.url))
    };
    let more = progress.len().saturating_sub(limit);
    if more > 0 {
        progress.select_nth_unstable_by(limit, order);
        progress.truncate(limit);
    }
    progress.sort_by(order);
    (progress, more)
}

pub async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let layout = layout(&req, &state)?;
    let params = Params::parse(req.query_string());
    let filter = filter_from(&req, &state, &params)?;
    let today = today();
    let asked = Pager::asked(&params);
    let order = filter.order;
    // From the records the server keeps (not a read of the whole store), on the blocking pool.
    let st = state.clone();
    let listed = blocking(move || {
        st.with_listing(|kept| {
            // Counts per status for everything else the filter asks.
            let without_status = RepairFilter {
                statuses: Vec::new(),
                ..filter.clone()
            };
            let scope: Vec<&RepairRecord> = kept
                .values()
                .filter(|r| without_status.matches(r, today))
                .collect();
            let overdue = scope.iter().filter(|r| r.overdue(today)).count();
            let per_status = Status::ALL.map(|s| scope.iter().filter(|r| r.status() == s).count());
            let filtered: Vec<&RepairRecord> = scope
                .into_iter()
                .filter(|r| filter.matches(r, today))
                .collect();
            let (progress, more) = progress_of(&filtered, SIDEBAR_INCIDENTS);
            let total = filtered.len();
            let pages = total.div_ceil(ITEMS_PER_PAGE).max(1);
            let page = asked.clamp(1, pages);
            // Only the items up to this page's last are sorted.
            let (_, items) = list_first(filtered, &filter, today, page * ITEMS_PER_PAGE);
            let rows: Vec<RowView> = items
                .iter()
                .skip((page - 1) * ITEMS_PER_PAGE)
                .map(|r| row(r, today))
                .collect();
            Listed {
                overdue,
                per_status,
                progress,
                more,
                total,
                pages,
                page,
                rows,
            }
        })
    })
    .await?;
    let Listed {
        overdue,
        per_status,
        progress,
        more: progress_more,
        total,
        pages,
        page,
        rows,
    } = listed;
    let mut counts: Vec<CountView> = vec![CountView {
        label: "Overdue",
        count: overdue,
        url: repairs_url(&params.toggled("status", StatusFilter::Overdue.as_str())),
        active: params.has("status", StatusFilter::Overdue.as_str()),
    }];
    for (s, count) in Status::ALL.into_iter().zip(per_status) {
        counts.push(CountView {
            label: s.label(),
            count,
            url: repairs_url(&params.toggled("status", s.as_str())),
            active: params.has("status", s.as_str()),
        });
    }
    let from = (page - 1) * ITEMS_PER_PAGE;
    let pager = Pager::new("/repairs", &params, total, ITEMS_PER_PAGE);
    let export = |path: &str| {
        let qs = params.without("page");
        if qs.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{qs}")
        }
    };
    let me = layout.user.clone();
    let picked = params.all("assignee");
    let mut assignees = vec![ChoiceView {
        value: String::new(),
        label: "anyone".into(),
        selected: picked.is_empty(),
    }];
    if me.is_some() {
        assignees.push(ChoiceView {
            value: "me".into(),
            label: "me".into(),
            selected: picked.iter().any(|p| p == "me"),
        });
    }
    assignees.push(ChoiceView {
        value: "none".into(),
        label: "nobody".into(),
        selected: picked.iter().any(|p| p == "none"),
    });
    for user in state.auth.user_names() {
        assignees.push(ChoiceView {
            selected: picked.contains(&user),
            label: user.clone(),
            value: user,
        });
    }
    let sorts = crate::tracking::list::RepairOrder::ALL
        .into_iter()
        .map(|o| ChoiceView {
            value: o.as_str().to_string(),
            label: o.label().to_string(),
            selected: o == order,
        })
        .collect();
    let text = |key: &str| params.get(key).unwrap_or("").to_string();
    html(&RepairsPage {
        can_edit: layout.user.is_some(),
        layout,
        counts,
        total,
        first: if total == 0 { 0 } else { from + 1 },
        last: from + rows.len(),
        rows,
        page,
        pages,
        prev_url: pager.prev_url,
        next_url: pager.next_url,
        progress,
        progress_more,
        csv_url: export("/repairs.csv"),
        json_url: export("/repairs.json"),
        service: text("service"),
        region: text("region"),
        incident: text("incident"),
        due: text("due"),
        due_from: text("due_from"),
        due_to: text("due_to"),
        owner: text("owner"),
        assignees,
        sorts,
        back: repairs_url(&params.without_any(&["changed", "skipped"])),
        filtered: !params.without("page").is_empty(),
        kept_statuses: params.all("status"),
        changed: params
            .get("changed")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        skipped: params
            .get("skipped")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        statuses: Status::ALL
            .into_iter()
            .map(|s| OptionView {
                value: s.as_str(),
                label: s.label(),
                selected: false,
            })
            .collect(),
    })
}

pub struct EventView {
    pub at: String,
    pub who: String,
    /// What it did, in words.
    pub what: String,
}

/// One note of an item's thread, its Markdown rendered and sanitized.
pub struct NoteView {
    pub at: String,
    pub who: String,
    pub html: String,
}

/// A ticket named on an item, as a chip.
pub struct TicketView {
    pub tracker: &'static str,
    pub label: String,
    pub url: String,
}

impl TicketView {
    fn of(t: crate::tracking::ticket::Ticket) -> TicketView {
        TicketView {
            tracker: t.tracker.label(),
            label: t.label,
            url: t.url.unwrap_or_default(),
        }
    }
}

/// The tickets of an item: its link's, then its notes', each once.
fn ticket_views(r: &RepairRecord) -> Vec<TicketView> {
    let mut text = r.tracking.link.clone().unwrap_or_default();
    for n in r.notes() {
        text.push('\n');
        text.push_str(n.text);
    }
    crate::tracking::ticket::tickets(&text)
        .into_iter()
        .map(TicketView::of)
        .collect()
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
    /// The months the review reported it due in.
    pub reported_due: String,
    pub retired: bool,
    pub link: String,
    pub version: u64,
    pub history: Vec<EventView>,
    pub notes: Vec<NoteView>,
    pub tickets: Vec<TicketView>,
    pub assignee: String,
    /// The users an item can be assigned to, the current one selected.
    pub assignees: Vec<(String, bool)>,
    pub due_date: String,
    pub reason: String,
    pub options: Vec<OptionView>,
    pub errors: Vec<String>,
    pub can_edit: bool,
    pub writes_enabled: bool,
    pub saved: bool,
    /// The same promised in earlier incidents.
    pub before: Vec<super::insight::PromisedBefore>,
    /// When the page was made (the form sends it back).
    pub loaded: String,
    /// On a conflict: what others changed since the form was loaded.
    pub conflict: Vec<EventView>,
    /// The store cannot answer: the page shows the kept copy, and says so.
    pub away: Option<String>,
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
        reported_due: r
            .due
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        retired: r.retired,
        link: r.tracking.link.clone().unwrap_or_default(),
        version: r.version,
        history: r
            .history
            .iter()
            .rev()
            .map(|e| EventView {
                at: crate::web::common::utc(e.at),
                who: e.who.clone(),
                what: e.describe(),
            })
            .collect(),
        notes: r
            .notes()
            .map(|n| NoteView {
                at: crate::web::common::utc(n.at),
                who: n.who.to_string(),
                html: crate::web::markdown::to_safe_html(n.text),
            })
            .collect(),
        tickets: ticket_views(r),
        assignee: r.tracking.assignee.clone().unwrap_or_default(),
        assignees: state
            .auth
            .user_names()
            .into_iter()
            .map(|u| {
                let current = r.tracking.assignee.as_deref() == Some(u.as_str());
                (u, current)
            })
            .collect(),
        due_date: r
            .tracking
            .due_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        reason: r.tracking.reason.clone().unwrap_or_default(),
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
        loaded: jiff::Timestamp::now().to_string(),
        conflict: Vec::new(),
        away: None,
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
    let (record, away) = state.record_for_page(&id)?;
    let saved = Params::parse(req.query_string()).get("saved").is_some();
    let mut page = item_page_for(layout, &state, &record, Vec::new(), saved);
    page.away = away;
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
    /// When the form was loaded: what others changed since is shown on a conflict.
    pub loaded: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    pub assignee: Option<String>,
    pub due_date: Option<String>,
    pub reason: Option<String>,
}

impl UpdateForm {
    fn input(&self) -> ChangeInput<'_> {
        ChangeInput {
            status: self.status.as_deref(),
            owner: self.owner.as_deref(),
            note: self.note.as_deref(),
            link: self.link.as_deref(),
            assignee: self.assignee.as_deref(),
            due_date: self.due_date.as_deref(),
            reason: self.reason.as_deref(),
        }
    }
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
    let change = match Change::validate(&form.input(), &|name| state.auth.is_user(name)) {
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
    let user = session.user.clone();
    match blocking(move || apply_change(&st, &item, &change, &user, version)).await {
        Err(WebError::Conflict { .. }) => {
            // Someone saved first: show what they changed since this form was loaded, and
            // the item as it is now (the form, at the new version, keeps nothing typed).
            let now = get_record(&state, &id)?;
            let loaded = form
                .loaded
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok());
            let mut page = item_page_for(
                layout,
                &state,
                &now,
                vec!["Someone saved this item after you opened it, so your change was not saved. Their change is below; make yours again on the item as it is now.".into()],
                false,
            );
            page.conflict = now
                .history
                .iter()
                .filter(|e| {
                    loaded.is_none_or(|t| e.at > t) && !crate::tracking::audit::by_review(e)
                })
                .rev()
                .take(20)
                .map(|e| EventView {
                    at: crate::web::common::utc(e.at),
                    who: e.who.clone(),
                    what: e.describe(),
                })
                .collect();
            let body = page.render().map_err(WebError::internal)?;
            return Ok(HttpResponse::Conflict()
                .content_type("text/html; charset=utf-8")
                .body(body));
        }
        other => {
            other?;
        }
    }
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/repairs/{id}?saved=1")))
        .finish())
}

/// The most items one bulk change may name.
pub const MAX_BULK_ITEMS: usize = 500;

/// `POST /repairs/bulk`: one status or assignee change for the selected items, each applied
/// as its own change (one history event per item and field), then back to the listing.
pub async fn bulk_update(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, WebError> {
    let Some(session) = viewer(&req, &state) else {
        return Err(WebError::Unauthorized(
            "Log in to change repair items.".into(),
        ));
    };
    crate::web::common::same_origin(&req)?;
    let form = Params::parse(&String::from_utf8_lossy(&body));
    if !crate::web::auth::constant_time_eq(form.get("csrf").unwrap_or(""), &session.csrf) {
        return Err(WebError::Forbidden("The form has expired or did not come from this site (CSRF check failed). Reload the page and try again.".into()));
    }
    let ids = form.all("id");
    if ids.is_empty() {
        return Err(WebError::BadRequest(
            "Select at least one item (the boxes in the first column).".into(),
        ));
    }
    if ids.len() > MAX_BULK_ITEMS {
        return Err(WebError::BadRequest(format!(
            "{} items were selected; one change may name at most {MAX_BULK_ITEMS}.",
            ids.len()
        )));
    }
    // "none" unassigns: the form's way to say it, as `""` means "keep".
    let assignee = form
        .get("assignee")
        .map(|a| if a == "none" { "" } else { a });
    let input = ChangeInput {
        status: form.get("status"),
        assignee,
        reason: form.get("reason"),
        ..ChangeInput::default()
    };
    let change = Change::validate(&input, &|name| state.auth.is_user(name))
        .map_err(|errors| WebError::BadRequest(errors.join(" ")))?;
    if change.status.is_none() && change.assignee.is_none() {
        return Err(WebError::BadRequest(
            "Choose a status or an assignee to set on the selected items.".into(),
        ));
    }
    let st = state.clone();
    let user = session.user.clone();
    // Items gone meanwhile are skipped; a store that fails stops the change, and the error
    // says how many items were changed before it.
    let (changed, skipped) = blocking(move || {
        let (mut changed, mut skipped) = (0, 0);
        for id in &ids {
            match apply_change(&st, id, &change, &user, None) {
                Ok(_) => changed += 1,
                Err(WebError::NotFound(_)) => skipped += 1,
                Err(e) if changed == 0 => return Err(e),
                Err(e) => {
                    return Err(WebError::Unavailable(format!(
                        "{changed} of the {} selected items were changed; then: {e}",
                        ids.len()
                    )));
                }
            }
        }
        Ok((changed, skipped))
    })
    .await?;
    // Back to the listing it came from (only a listing: never another site).
    let back = form
        .get("back")
        .filter(|b| *b == "/repairs" || b.starts_with("/repairs?"))
        .unwrap_or("/repairs");
    let sep = if back.contains('?') { '&' } else { '?' };
    let mut location = format!("{back}{sep}changed={changed}");
    if skipped > 0 {
        location.push_str(&format!("&skipped={skipped}"));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish())
}
