//! Handler tests for every route, against a real index and store built from the seeds.

mod common;

use actix_web::body::to_bytes;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{App, test, web};
use incident_kb::catalog::Catalogue;
use incident_kb::ingest::DataDir;
use incident_kb::web::auth::{Auth, TokenEntry, UserEntry, UsersFile, hash_password, sha256_hex};
use incident_kb::web::{AppState, ServeOptions, configure, open_state, security_headers};

const PASSWORD: &str = "correct horse battery";
const TOKEN: &str = "test-token-0123456789";

fn state(extra: &[(&str, &str)]) -> (tempfile::TempDir, web::Data<AppState>) {
    state_with(extra, false)
}

fn state_with(extra: &[(&str, &str)], private: bool) -> (tempfile::TempDir, web::Data<AppState>) {
    let tmp = tempfile::tempdir().unwrap();
    common::test_corpus(tmp.path(), extra);
    let state = open_at(tmp.path(), private);
    (tmp, state)
}

/// The app state of the data and corpus under `dir`, as a server opens it.
fn open_at(dir: &std::path::Path, private: bool) -> web::Data<AppState> {
    open_with(dir, vec![dir.join("corpus")], private)
}

/// The app state of the data under `dir` and these corpus folders, as a server opens it.
fn open_with(
    dir: &std::path::Path,
    corpus: Vec<std::path::PathBuf>,
    private: bool,
) -> web::Data<AppState> {
    let auth = Auth::new(UsersFile {
        user: vec![
            UserEntry {
                name: "alice".into(),
                password_hash: hash_password(PASSWORD),
            },
            UserEntry {
                name: "bob".into(),
                password_hash: hash_password(PASSWORD),
            },
        ],
        token: vec![TokenEntry {
            name: "bot".into(),
            token_sha256: sha256_hex(TOKEN),
        }],
        private,
    });
    let (state, _) = open_state(ServeOptions {
        addr: String::new(),
        data: DataDir::new(dir.join("index")),
        corpus,
        catalogue: Catalogue::bundled(),
        auth,
        secure_cookies: false,
    })
    .unwrap();
    web::Data::new(state)
}

macro_rules! app {
    ($state:expr) => {
        test::init_service(
            App::new()
                .app_data($state.clone())
                .wrap(security_headers())
                .configure(configure),
        )
        .await
    };
}

async fn body(resp: ServiceResponse) -> String {
    String::from_utf8_lossy(&to_bytes(resp.into_body()).await.unwrap()).into_owned()
}

async fn get(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    uri: &str,
) -> (StatusCode, String) {
    let resp = test::call_service(app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = resp.status();
    (status, body(resp).await)
}

fn cookie_value(resp: &ServiceResponse, name: &str) -> Option<String> {
    resp.response()
        .cookies()
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Log in as alice: (session cookie, session CSRF token).
async fn login(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
) -> (String, String) {
    login_as(app, "alice").await
}

/// Log in as one of the test users: (session cookie, session CSRF token).
async fn login_as(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    user: &str,
) -> (String, String) {
    let resp = test::call_service(app, test::TestRequest::get().uri("/login").to_request()).await;
    let csrf = cookie_value(&resp, "ikb_login_csrf").unwrap();
    let req = test::TestRequest::post()
        .uri("/login")
        .cookie(actix_web::cookie::Cookie::new(
            "ikb_login_csrf",
            csrf.clone(),
        ))
        .set_form([
            ("user", user),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/repairs"),
        ])
        .to_request();
    let resp = test::call_service(app, req).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers().get("location").unwrap(), "/repairs");
    let c = resp
        .response()
        .cookies()
        .find(|c| c.name() == "ikb_session")
        .unwrap();
    assert_eq!(c.http_only(), Some(true));
    assert_eq!(c.same_site(), Some(actix_web::cookie::SameSite::Strict));
    let session = c.value().to_string();
    // The session's CSRF token is in every page's logout form.
    let req = test::TestRequest::get()
        .uri("/")
        .cookie(actix_web::cookie::Cookie::new(
            "ikb_session",
            session.clone(),
        ))
        .to_request();
    let page = body(test::call_service(app, req).await).await;
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    (session, page[at..at + 64].to_string())
}

fn first_item(state: &AppState, incident: &str) -> incident_kb::tracking::RepairRecord {
    state
        .store
        .all()
        .unwrap()
        .into_iter()
        .find(|r| r.incident_id == incident)
        .unwrap()
}

#[actix_web::test]
async fn search_pages() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, page) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("<span id=\"hit-count\">10 incidents</span>"),
        "an empty query lists all"
    );
    let (s, page) = get(&app, "/search?q=HTTP+429").await;
    assert_eq!(s, StatusCode::OK);
    let first = page.find("<li class=\"hit\">").unwrap();
    assert!(page[first..].contains("href=\"/incidents/8GCS-858\""));
    assert!(page.contains("<mark>429</mark>"));
    assert!(page.contains("href=\"/incidents/8GCS-858#what-happened\""));
    // Facet sidebar: a click adds a filter, another removes it.
    assert!(
        page.contains("href=\"/search?q=HTTP+429&#38;service=Azure+OpenAI\""),
        "facet link"
    );
    let (_, filtered) = get(
        &app,
        "/search?q=deleted&service=Azure+OpenAI&service=Azure+DNS",
    )
    .await;
    assert!(filtered.contains("aria-current=\"true\""));
    assert!(filtered.contains("Service: Azure OpenAI ✕"));
    let (_, by_year) = get(&app, "/search?year=2026&sort=oldest").await;
    assert!(by_year.contains("<span id=\"hit-count\">3 incidents</span>"));
    let (_, range) = get(&app, "/search?from=2024-07-01&to=2024-07-31").await;
    assert!(range.contains("<span id=\"hit-count\">3 incidents</span>"));
    let (_, none) = get(&app, "/search?q=zzzqqq").await;
    assert!(none.contains("No incidents match"));
    assert!(!none.contains("id=\"partial\""));
    let (_, most) = get(&app, "/search?q=nameservers+zzzqqq").await;
    assert!(
        most.contains("No incident has all 2 words of the query; showing the ones with 1 of them."),
        "a query no incident fully matches says so"
    );
    assert!(most.contains("href=\"/incidents/2024-04-22-azure-dns\""));
    let (_, unknown_facet) = get(&app, "/search?service=Nonexistent+Service").await;
    assert!(unknown_facet.contains("<span id=\"hit-count\">0 incidents</span>"));
}

#[actix_web::test]
async fn bad_search_parameters_get_a_hint_or_a_400_never_a_500() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, page) = get(&app, "/search?q=title%3A%28unclosed").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("class=\"hint\""));
    let long = "a".repeat(10 * 1024);
    let (s, page) = get(&app, &format!("/search?q={long}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("cut to its first"));
    for (uri, msg) in [
        ("/search?page=-1", "`page` must be a whole number"),
        (
            "/search?page=99999999999999999999",
            "`page` must be a whole number",
        ),
        ("/search?page=abc", "`page` must be a whole number"),
        ("/search?sort=sideways", "`sort` must be"),
        ("/search?from=2024-02-31", "`from` must be a date"),
        (
            "/search?status=finished",
            "`status` must be open, completed",
        ),
        (
            "/search?stage=draftish",
            "`stage` must be initial_statement",
        ),
        ("/search?year=24", "`year` must be a year"),
        (
            "/api/v1/search?status=finished",
            "`status` must be open, completed",
        ),
    ] {
        let (s, page) = get(&app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert!(page.contains(msg), "{uri}: {page}");
    }
    // A parameter search does not know, and a cause outside the taxonomy, are said with the
    // results rather than dropped in silence.
    let (s, page) = get(&app, "/search?q=dns&servce=VM&cause=gremlins").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("`servce` is not a search parameter"),
        "{page}"
    );
    assert!(
        page.contains("`gremlins` is no cause of the taxonomy"),
        "{page}"
    );
    let (_, json) = get(&app, "/api/v1/search?q=dns&servce=VM").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["hint"].as_str().unwrap().contains("`servce`"), "{json}");
    let (s, _) = get(&app, "/search?q=%FF%FE").await;
    assert_eq!(s, StatusCode::OK, "bytes that are not UTF-8 are replaced");
    let (s, page) = get(&app, "/search?page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Page 2 of 1") || page.contains("No incidents match"));
}

#[actix_web::test]
async fn incident_pages() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, page) = get(&app, "/incidents/2024-07-13-azure-openai").await;
    assert_eq!(s, StatusCode::OK);
    for anchor in [
        "what-happened",
        "root-cause",
        "response",
        "timeline",
        "repair-items",
    ] {
        assert!(
            page.contains(&format!("id=\"{anchor}\"")),
            "anchor {anchor}"
        );
    }
    assert!(page.contains("2024-07-13 00:00 UTC – 2024-07-15 16:54 UTC"));
    assert!(page.contains("4 of 9 completed"));
    assert!(page.contains("<svg viewBox"));
    assert!(
        page.contains("?revision=1"),
        "the preliminary review is linked"
    );
    let (s, prelim) = get(&app, "/incidents/2024-07-13-azure-openai?revision=1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(prelim.contains("You are reading an earlier revision"));
    assert!(prelim.contains("What do we know so far?"));
    let (s, _) = get(&app, "/incidents/2024-07-13-azure-openai?revision=7").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&app, "/incidents/2024-07-13-azure-openai?revision=x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, cus) = get(&app, "/incidents/2024-07-18-virtual-machines").await;
    assert!(
        cus.contains("class=\"warn\""),
        "the backwards timeline step is marked"
    );
    assert!(cus.contains("−"), "negative offset from impact start");
    let (s, page) = get(&app, "/incidents/no-such-thing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("There is no incident"));
    let (s, _) = get(&app, "/incidents/..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn response_milestones_show_with_their_evidence_on_pages_and_hits() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (_, page) = get(&app, "/incidents/2024-07-13-azure-openai").await;
    let table = page
        .split("id=\"response-milestones\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the response section");
    assert!(table.contains("detected by monitoring"), "{table}");
    let detected = table
        .split("<tr>")
        .find(|row| row.contains(">Detected<"))
        .expect("a detected row");
    assert!(detected.contains("2024-07-13 00:05 UTC"), "{detected}");
    assert!(detected.contains("5 min"), "{detected}");
    assert!(
        detected.contains("Service monitoring detected failure rates"),
        "the step's words are the evidence: {detected}"
    );
    // The evidence links to its timeline row, and that row exists.
    let link = detected
        .split("href=\"#")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a link to the step");
    assert!(page.contains(&format!("<tr id=\"{link}\"")), "{link}");
    let step_row = page.split(&format!("<tr id=\"{link}\"")).nth(1).unwrap();
    assert!(step_row.split("</tr>").next().unwrap().contains("00:05"));
    // A review that dates nothing but its impact says where the end comes from.
    let (_, plain) = get(&app, "/incidents/8GCS-858").await;
    assert!(plain.contains("(impact window)"));
    // Search hits carry the time to detect and to mitigate.
    let (_, hits) = get(&app, "/search?q=openai+cleanup+deleted").await;
    assert!(
        hits.contains("detected in 5 min by monitoring · mitigated in 8 h 35 min"),
        "{hits}"
    );
}

#[actix_web::test]
async fn an_incident_page_says_what_happened_before_with_the_same_cause() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    // Checked by hand: both Azure OpenAI reviews name a configuration change as the cause
    // ("a change was made to the global configuration file", 2024; "introduced a
    // configuration change that was not compatible", 2026).
    let (_, later) = get(&app, "/incidents/8GCS-858").await;
    let before = later
        .split("id=\"happened-before\"")
        .nth(1)
        .and_then(|r| r.split("</section>").next())
        .expect("a happened-before section");
    let line = before
        .split("<li>")
        .find(|l| l.contains("incident of Azure OpenAI"))
        .unwrap_or_else(|| panic!("{before}"));
    assert!(
        line.contains("2nd configuration change incident of Azure OpenAI since 2024"),
        "{line}"
    );
    assert!(
        line.contains("href=\"/incidents/2024-07-13-azure-openai\""),
        "{line}"
    );
    assert!(
        line.contains("/search?service=Azure+OpenAI&#38;cause=configuration-change"),
        "{line}"
    );
    // The earlier incident does not count the later one.
    let (_, earlier) = get(&app, "/incidents/2024-07-13-azure-openai").await;
    let earlier_before = earlier.split("id=\"happened-before\"").nth(1).unwrap_or("");
    assert!(!earlier_before.contains("8GCS-858"));
    // A region: the ARM incident of January 2024 ("made a configuration change", in Central
    // US among others) came before the Central US one of July 2024.
    let (_, cus) = get(&app, "/incidents/2024-07-18-virtual-machines").await;
    assert!(
        cus.contains("2nd configuration change incident in Central US since 2024"),
        "{cus}"
    );
}

#[actix_web::test]
async fn patterns_and_the_pages_of_services_and_regions() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, patterns) = get(&app, "/patterns").await;
    assert_eq!(s, StatusCode::OK);
    let row = patterns
        .split("<tr>")
        .find(|r| r.contains(">Azure OpenAI<") && r.contains("Configuration change"))
        .unwrap_or_else(|| panic!("{patterns}"));
    assert!(
        row.contains(">2</a>"),
        "two incidents share the pair: {row}"
    );
    assert!(row.contains("2024: 1, 2026: 1"), "{row}");
    assert!(row.contains("href=\"/services/Azure%20OpenAI\""), "{row}");

    // An alias is sent to the service's own page, which stays stable for runbooks.
    let req = test::TestRequest::get().uri("/services/AOAI").to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        resp.headers().get("location").unwrap(),
        "/services/Azure%20OpenAI"
    );
    let (s, page) = get(&app, "/services/Azure%20OpenAI").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("2 incidents</a>"), "{page}");
    // Detected 5 minutes after the start (2024), the 2026 review dates no detection.
    let detect = page
        .split("<tr>")
        .find(|r| r.contains("Time to detect"))
        .expect("time to detect");
    assert!(
        detect.contains("5 min") && detect.contains("1 of 2 incidents"),
        "{detect}"
    );
    assert!(page.contains("<svg"), "the chart");
    assert!(
        page.contains("<td>2024</td><td>1</td>"),
        "the chart's table"
    );
    assert!(page.contains("/repairs?service=Azure+OpenAI&#38;status=overdue"));

    let (s, region) = get(&app, "/regions/Central%20US").await;
    assert_eq!(s, StatusCode::OK);
    assert!(region.contains("Configuration change"), "{region}");
    let (s, _) = get(&app, "/regions/Atlantis").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Every service and region of an incident links its page.
    let (_, incident) = get(&app, "/incidents/2024-07-13-azure-openai").await;
    assert!(incident.contains("href=\"/services/Azure%20OpenAI\""));
    assert!(incident.contains("href=\"/regions/Sweden%20Central\""));
    // So does every service and region value of the search page and of the all-values page.
    let (_, search) = get(&app, "/search?q=openai").await;
    assert!(
        search.contains("href=\"/services/Azure%20OpenAI\""),
        "{search}"
    );
    assert!(search.contains("href=\"/regions/Sweden%20Central\""));
    let (_, values) = get(&app, "/search/facets/region").await;
    assert!(
        values.contains("href=\"/regions/Central%20US\""),
        "{values}"
    );
    let (_, causes) = get(&app, "/search/facets/cause").await;
    assert!(!causes.contains("href=\"/services/"), "a cause has no page");
}

#[actix_web::test]
async fn insights_agree_with_the_repair_listing_and_take_the_search_filters() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let json_of = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let (s, json) = get(&app, "/api/v1/insights").await;
    assert_eq!(s, StatusCode::OK);
    let v = json_of(&json);
    assert_eq!(
        (v["incidents"].as_u64(), v["dated"].as_u64()),
        (Some(10), Some(10))
    );
    // Every dated incident is in the quarter series: each counts once in "no cause" or in
    // each of its causes, so the series of a quarter sum to at least its incidents.
    let quarters = v["quarters"].as_array().unwrap();
    assert_eq!(quarters.first().unwrap(), "2012 Q1");
    assert_eq!(quarters.last().unwrap(), "2026 Q1");
    let sum: u64 = v["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["counts"].as_array().unwrap().iter())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(sum >= 10, "{sum}");
    // The burn-down's last month holds every item; its closed ones are the listing's
    // completed and won't-do ones.
    let listed = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            let (_, json) = get(app, &format!("/api/v1/repairs{q}")).await;
            serde_json::from_str::<Vec<serde_json::Value>>(&json)
                .unwrap()
                .len() as u64
        }
    };
    let last = v["burn_down"].as_array().unwrap().last().unwrap().clone();
    let last_all = last.clone();
    let all = listed("").await;
    let closed = listed("?status=completed").await + listed("?status=wont_do").await;
    assert_eq!(
        last["open"].as_u64().unwrap() + last["closed"].as_u64().unwrap(),
        all
    );
    assert_eq!(last["closed"].as_u64().unwrap(), closed);
    let overdue: u64 = v["overdue_by_age"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["items"].as_u64().unwrap())
        .sum();
    assert_eq!(overdue, listed("?status=overdue").await);
    // Time to mitigate of Azure OpenAI: 8 h 35 min (2024) and 20 h 12 min (2026).
    let aoai = v["mitigate_by_service"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "Azure OpenAI")
        .expect("Azure OpenAI");
    assert_eq!(
        aoai["mitigate"]["median"].as_f64(),
        Some((515.0 + 1212.0) / 2.0)
    );

    // A cause filter (which the store does not know) narrows the repair figures to the
    // items of the incidents with that cause.
    let (_, json) = get(&app, "/api/v1/insights?cause=configuration-change").await;
    let by_cause = json_of(&json);
    let (_, hits) = get(&app, "/api/v1/search?cause=configuration-change&limit=50").await;
    let items: u64 = json_of(&hits)["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["repair_items"].as_array().unwrap().len() as u64)
        .sum();
    let last = by_cause["burn_down"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(items > 0 && items < all, "{items} of {all}");
    assert_eq!(
        last["open"].as_u64().unwrap() + last["closed"].as_u64().unwrap(),
        items
    );

    // A status change moves the figures at once (the server keeps them in step with writes).
    let (_, open) = get(&app, "/api/v1/repairs?status=open").await;
    let open: Vec<serde_json::Value> = serde_json::from_str(&open).unwrap();
    let item = open[0]["id"].as_str().unwrap();
    let req = test::TestRequest::post()
        .uri(&format!("/api/v1/repairs/{item}"))
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .set_json(serde_json::json!({"status": "completed"}))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    let (_, json) = get(&app, "/api/v1/insights").await;
    let now = json_of(&json)["burn_down"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        now["closed"].as_u64(),
        Some(last_all["closed"].as_u64().unwrap() + 1)
    );
    assert_eq!(
        now["open"].as_u64(),
        Some(last_all["open"].as_u64().unwrap() - 1)
    );

    // The page: four charts, each with its table; a filter by alias narrows it.
    let (s, page) = get(&app, "/insights?service=AOAI").await;
    assert_eq!(s, StatusCode::OK);
    for id in [
        "per-quarter",
        "time-to-mitigate",
        "burn-down",
        "overdue-by-age",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        page.contains("2 incidents, 2 with a stated impact start"),
        "{page}"
    );
    assert!(page.contains("value=\"Azure OpenAI\""));
    assert!(page.contains("<caption>Incidents per quarter by cause</caption>"));
    assert!(page.contains("<th scope=\"row\">2024 Q3</th>"));
    let (s, _) = get(&app, "/insights?year=24").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_promise_made_again_links_where_it_was_promised_before() {
    let review = |id: &str, date: &str, title: &str, item: &str, other: &str| {
        format!(
            "+++\nid = \"{id}\"\ntitle = \"{title}\"\nimpact_start = \"{date}T09:00:00Z\"\nimpact_end = \"{date}T10:00:00Z\"\nservices = [\"Payments API\"]\n+++\n\n## Summary\nCheckout failed.\n\n## Action items\n\n{item}\n- {other}\n"
        )
    };
    let first = review(
        "2023-03-04-payments",
        "2023-03-04",
        "Payments API 503s after a config rollout",
        "- [x] Canary configuration changes per region before the global rollout",
        "Rotate the on-call schedule weekly",
    );
    let second = review(
        "2025-06-01-payments",
        "2025-06-01",
        "Payments API errors after another config rollout",
        "- [ ] Canary every configuration change per region before its global rollout",
        "Alert on replication lag of the ledger database",
    );
    let (_tmp, state) = state(&[("team/a.md", &first), ("team/b.md", &second)]);
    let app = app!(state);
    let (_, page) = get(&app, "/incidents/2025-06-01-payments").await;
    let line = page
        .split("<li>")
        .find(|l| l.contains("Canary every configuration change"))
        .expect("the item");
    assert!(line.contains("Promised before in"), "{line}");
    assert!(
        line.contains("href=\"/incidents/2023-03-04-payments\""),
        "{line}"
    );
    assert!(line.contains("2023, reported completed"), "{line}");
    // The earlier incident was first: nothing before it; the other item is no repeat.
    let (_, earlier) = get(&app, "/incidents/2023-03-04-payments").await;
    assert!(!earlier.contains("Promised before"), "{earlier}");
    assert_eq!(page.matches("Promised before in").count(), 1);
    // The item's own page says it too.
    let items: Vec<serde_json::Value> = serde_json::from_str(
        &get(&app, "/api/v1/repairs?incident=2025-06-01-payments")
            .await
            .1,
    )
    .unwrap();
    let canary = items
        .iter()
        .find(|i| i["text"].as_str().unwrap().starts_with("Canary"))
        .unwrap();
    let (_, item) = get(
        &app,
        &format!("/repairs/{}", canary["id"].as_str().unwrap()),
    )
    .await;
    assert!(item.contains("Promised before"), "{item}");
    // /promises lists the pair first: promised again after it was reported completed.
    let (s, promises) = get(&app, "/promises").await;
    assert_eq!(s, StatusCode::OK);
    let first_group = promises
        .split("class=\"promise-group\"")
        .nth(1)
        .expect("a group");
    assert!(
        first_group.contains("Again after completed"),
        "{first_group}"
    );
    assert!(first_group.contains("Canary configuration changes per region"));
    assert!(
        !promises.contains("Rotate the on-call schedule"),
        "an item promised once is no group"
    );
}

#[actix_web::test]
async fn incident_pages_link_the_original_and_name_the_report_by_its_corpus_path() {
    let pm = "+++\ntitle = \"Queue backlog\"\ndate = \"2025-05-02T10:00:00Z\"\n\
              source_url = \"https://wiki.example/pm?id=7&v=2\"\n+++\n## Impact\nJobs waited.\n";
    let (tmp, state) = state(&[("team/queue.md", pm)]);
    let app = app!(state);
    let (_, page) = get(&app, "/incidents/2025-05-02-queue-backlog").await;
    assert!(
        page.contains(r#"<a href="https://wiki.example/pm?id=7&#38;v=2" rel="noopener noreferrer nofollow">The original</a>"#),
        "the original is linked, escaped: {page}"
    );
    assert!(page.contains("<code>team/queue.md</code>"), "{page}");
    let root = tmp.path().display().to_string();
    assert!(!page.contains(&root), "the server's path is not shown");
    let (_, json) = get(&app, "/api/v1/incidents/2025-05-02-queue-backlog").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["source_url"], "https://wiki.example/pm?id=7&v=2");
    assert_eq!(v["source"], "team/queue.md");
    // A provider's review: the address its tracking id implies.
    let (_, json) = get(&app, "/api/v1/incidents/8GCS-858").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["source_url"], "https://azure.status.microsoft/en-us/status/history/?trackingId=8GCS-858",
        "{json}"
    );
}

#[actix_web::test]
async fn markup_in_reports_is_escaped() {
    let evil = std::fs::read_to_string(common::fixture("markup-in-front-matter.md")).unwrap();
    let (_tmp, state) = state(&[("evil.md", &evil)]);
    let app = app!(state);
    let (_, page) = get(&app, "/search?q=outage").await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&#60;script&#62;alert("), "{page}");
    let id = state
        .index
        .search(&incident_kb::index::SearchRequest {
            query: "outage".into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap()
        .hits[0]
        .incident
        .id
        .clone();
    let (_, page) = get(&app, &format!("/incidents/{id}")).await;
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("<b onclick"));
    assert!(!page.contains("<script>steal"));
}

#[actix_web::test]
async fn repair_pages_and_exports() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, page) = get(&app, "/repairs").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"item-count\">41 items"), "every item");
    assert!(page.contains("4 of 9 completed"), "per-incident progress");
    let (_, overdue) = get(&app, "/repairs?status=overdue").await;
    let first_row = overdue.find("<tbody>").unwrap();
    assert!(overdue[first_row..].contains("badge overdue"));
    let (_, by_incident) = get(
        &app,
        "/repairs?incident=2024-07-12-managed-identities-for-azure-resources",
    )
    .await;
    assert!(by_incident.contains("id=\"item-count\">7 items"));
    let (_, due) = get(&app, "/repairs?due=2024-09").await;
    assert!(
        due.contains("id=\"item-count\">3 items"),
        "AOAI final: three items due September 2024"
    );
    let (s, page) = get(&app, "/repairs?status=bogus").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("unknown status"));
    let (s, _) = get(&app, "/repairs?due=September").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/repairs.csv?status=completed")
            .to_request(),
    )
    .await;
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = body(resp).await;
    // The header, and the seeds' 11 completed items (AOAI 4, MI 2, ARM 4, DNS 1).
    assert_eq!(csv.lines().count(), 1 + 11);
    let (_, json) = get(&app, "/repairs.json?status=completed").await;
    let v: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(v.len(), 11);
    let item = first_item(&state, "2024-07-13-azure-openai");
    let (s, page) = get(&app, &format!("/repairs/{}", item.id)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("History"));
    assert!(page.contains("review (final)") || page.contains("review (preliminary)"));
    assert!(page.contains("Log in</a> to change this item"));
    let (s, _) = get(&app, "/repairs/not-an-item").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn tracking_needs_login_and_csrf_and_validates_input() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let item = first_item(&state, "2024-01-21-azure-resource-manager");
    let uri = format!("/repairs/{}", item.id);
    let post = |session: Option<&str>, form: Vec<(&'static str, String)>| {
        let mut req = test::TestRequest::post().uri(&uri).set_form(form);
        if let Some(s) = session {
            req = req.cookie(actix_web::cookie::Cookie::new("ikb_session", s.to_string()));
        }
        req.to_request()
    };
    let resp = test::call_service(
        &app,
        post(
            None,
            vec![("csrf", "x".into()), ("status", "completed".into())],
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (session, csrf) = login(&app).await;
    let resp = test::call_service(
        &app,
        post(
            Some(&session),
            vec![("csrf", "wrong".into()), ("status", "completed".into())],
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "wrong CSRF token");
    let resp = test::call_service(
        &app,
        post(Some(&session), vec![("status", "completed".into())]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "missing CSRF token");
    for (field, value, msg) in [
        ("status", "finished".to_string(), "Unknown status"),
        (
            "link",
            "javascript:alert(1)".to_string(),
            "http:// or https://",
        ),
        ("note", "n".repeat(5000), "the limit is 4000"),
    ] {
        let resp = test::call_service(
            &app,
            post(Some(&session), vec![("csrf", csrf.clone()), (field, value)]),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(body(resp).await.contains(msg), "{field}");
    }
    let form = vec![
        ("csrf", csrf.clone()),
        ("version", item.version.to_string()),
        ("status", "in_progress".into()),
        ("owner", "arm-team".into()),
        ("link", "https://tracker.example/ARM-1".into()),
        (
            "note",
            "<b onclick=\"steal()\">started</b> <script>steal()</script>".into(),
        ),
    ];
    let resp = test::call_service(&app, post(Some(&session), form.clone())).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let saved = state.store.get(&item.id).unwrap().unwrap();
    assert_eq!(saved.status().as_str(), "in_progress");
    assert_eq!(saved.tracking.owner.as_deref(), Some("arm-team"));
    assert_eq!(saved.history.iter().filter(|e| e.who == "alice").count(), 4);
    let (_, page) = get(&app, &uri).await;
    assert!(page.contains("started"), "the note is shown");
    assert!(
        !page.contains("onclick") && !page.contains("<script>steal"),
        "notes are sanitized"
    );
    // The same form again, made against the old version, is refused.
    let resp = test::call_service(&app, post(Some(&session), form)).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // The search index follows: the incident now has an item in progress, still open.
    let (_, page) = get(&app, "/search?status=open&q=retry+storm").await;
    assert!(page.contains("/incidents/2024-01-21-azure-resource-manager"));
}

#[actix_web::test]
async fn login_failures_are_limited_and_logout_ends_the_session() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let resp = test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
    let csrf = cookie_value(&resp, "ikb_login_csrf").unwrap();
    let attempt = |password: &'static str, csrf_form: String| {
        test::TestRequest::post()
            .uri("/login")
            .cookie(actix_web::cookie::Cookie::new(
                "ikb_login_csrf",
                csrf.clone(),
            ))
            .set_form([
                ("user", "alice"),
                ("password", password),
                ("csrf", &csrf_form),
            ])
            .to_request()
    };
    let resp = test::call_service(&app, attempt(PASSWORD, "forged".into())).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "login CSRF");
    for _ in 0..5 {
        let resp = test::call_service(&app, attempt("guess", csrf.clone())).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(body(resp).await.contains("Wrong user name or password"));
    }
    let resp = test::call_service(&app, attempt(PASSWORD, csrf.clone())).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // Open redirects are refused.
    let (s, _) = get(&app, "/login?next=//evil.example").await;
    assert_eq!(s, StatusCode::OK);
}

#[actix_web::test]
async fn login_redirects_stay_on_this_site_and_forms_from_other_origins_are_refused() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let fresh_csrf = || async {
        let resp =
            test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
        cookie_value(&resp, "ikb_login_csrf").unwrap()
    };
    let submit = |csrf: String, next: &str, headers: Vec<(&'static str, &'static str)>| {
        let mut req = test::TestRequest::post()
            .uri("/login")
            .cookie(actix_web::cookie::Cookie::new(
                "ikb_login_csrf",
                csrf.clone(),
            ))
            .set_form([
                ("user", "alice"),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", next),
            ]);
        for h in headers {
            req = req.insert_header(h);
        }
        req.to_request()
    };
    // The attack run's redirects: a tab, a newline, a NUL, a backslash, a second slash.
    for next in [
        "/\t/evil.com",
        "/\n/evil.com",
        "/\r\nX: y",
        "/\0",
        "/\\evil.com",
        "//evil.com",
        "https://evil.com",
        "/ok\\..",
        "/a b",
    ] {
        let resp = test::call_service(&app, submit(fresh_csrf().await, next, vec![])).await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(resp.headers().get("location").unwrap(), "/", "{next:?}");
        let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let (s, page) = get(&app, &format!("/login?next={encoded}")).await;
        assert_eq!(s, StatusCode::OK, "{next:?}");
        assert!(
            page.contains("name=\"next\" value=\"/\""),
            "{next:?}: {page}"
        );
    }
    let resp = test::call_service(
        &app,
        submit(fresh_csrf().await, "/repairs?status=open", vec![]),
    )
    .await;
    assert_eq!(
        resp.headers().get("location").unwrap(),
        "/repairs?status=open"
    );
    // A form from another port of this host (it shares the cookies) or another site.
    for headers in [
        vec![("origin", "http://localhost:9999")],
        vec![("sec-fetch-site", "same-site")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "null")],
    ] {
        let resp = test::call_service(&app, submit(fresh_csrf().await, "/", headers.clone())).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    let resp = test::call_service(
        &app,
        submit(
            fresh_csrf().await,
            "/",
            vec![
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080"),
                ("sec-fetch-site", "same-origin"),
            ],
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "this site's own form");
    // A CSRF cookie the server never issued (planted from elsewhere) is refused.
    let planted = format!("{}.{}", "a".repeat(64), "b".repeat(64));
    let resp = test::call_service(&app, submit(planted, "/", vec![])).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_json_api() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let (s, json) = get(&app, "/api/v1/search?q=nameservers&limit=3").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["hits"][0]["id"], "2024-04-22-azure-dns");
    assert_eq!(v["hits"][0]["section"], "root_cause");
    assert!(v["partial"].is_null());
    let (_, json) = get(&app, "/api/v1/search?q=nameservers+zzzqqq").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["partial"]["words_matched"], 1);
    assert_eq!(v["partial"]["words"], 2);
    let (s, json) = get(&app, "/api/v1/incidents/8GCS-858").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["tracking_id"],
        "8GCS-858"
    );
    let (s, json) = get(&app, "/api/v1/incidents/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(json.contains("\"error\""));
    let (_, json) = get(&app, "/api/v1/repairs?status=completed").await;
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&json)
            .unwrap()
            .len(),
        11
    );
    let (s, _) = get(&app, "/api/v1/search?limit=0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Related incidents for an alert, GET and POST.
    let (_, json) = get(
        &app,
        "/api/v1/related?text=GPT-5.2+requests+returning+HTTP+400+and+429+in+Sweden+Central",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["related"][0]["id"], "8GCS-858");
    assert_eq!(
        v["read_as"]["regions"][0], "Sweden Central",
        "the text names a region"
    );
    let req = test::TestRequest::post()
        .uri("/related")
        .set_json(serde_json::json!({"text": "VMs restarted unexpectedly in Central US"}))
        .to_request();
    let v: serde_json::Value =
        serde_json::from_str(&body(test::call_service(&app, req).await).await).unwrap();
    assert_eq!(v["related"][0]["id"], "2024-07-18-virtual-machines");
    let req = test::TestRequest::post()
        .uri("/api/v1/related")
        .set_json(serde_json::json!({"text": "x", "servce": "typo"}))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::BAD_REQUEST,
        "unknown fields are named, not ignored"
    );
    let (s, page) = get(
        &app,
        "/related?text=model+requests+rejected&service=azure-openai&region=swedencentral",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("/incidents/8GCS-858"));
    assert!(
        page.contains("Why: same service: Azure OpenAI; same region: Sweden Central"),
        "the page says why: {page}"
    );
    // Every incident page lists incidents like it, with why, and never itself.
    let (_, page) = get(&app, "/incidents/2024-07-13-azure-openai").await;
    let similar = page
        .split("id=\"similar\"")
        .nth(1)
        .expect("a similar-incidents panel");
    let similar = similar.split("</section>").next().unwrap();
    assert!(similar.contains("/incidents/8GCS-858"), "{similar}");
    assert!(similar.contains("same service: Azure OpenAI"), "{similar}");
    assert!(
        !similar.contains("/incidents/2024-07-13-azure-openai\""),
        "{similar}"
    );
    // Writes: a bearer token, or nothing.
    let item = first_item(
        &state,
        "8GCS-858"
            .replace("8GCS-858", "2024-04-22-azure-dns")
            .as_str(),
    );
    let uri = format!("/api/v1/repairs/{}", item.id);
    let req = test::TestRequest::post()
        .uri(&uri)
        .set_json(serde_json::json!({"status": "completed"}))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let req = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("Authorization", "Bearer nope"))
        .set_json(serde_json::json!({"status": "completed"}))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let req = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .set_json(serde_json::json!({"status": "completed", "note": "done in v2"}))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(
        v["history"].as_array().unwrap().last().unwrap()["who"],
        "token:bot"
    );
    let req = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .set_json(serde_json::json!({"status": "completed", "surprise": 1}))
        .to_request();
    assert_eq!(
        test::call_service(&app, req).await.status(),
        StatusCode::BAD_REQUEST,
        "unknown fields"
    );
    let big = "x".repeat(100 * 1024);
    let req = test::TestRequest::post()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(format!("{{\"note\": \"{big}\"}}"))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert!(
        resp.status().is_client_error(),
        "oversized body: {}",
        resp.status()
    );
    // Re-ingest through the server.
    let req = test::TestRequest::post()
        .uri("/api/v1/ingest")
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .to_request();
    let resp = test::call_service(&app, req).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
    assert_eq!(v["incidents"], 10);
    assert_eq!(
        state
            .store
            .get(&item.id)
            .unwrap()
            .unwrap()
            .status()
            .as_str(),
        "completed",
        "re-ingest keeps it"
    );
}

#[actix_web::test]
async fn operations_routes_and_headers() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let resp =
        test::call_service(&app, test::TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    for header in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        assert!(resp.headers().contains_key(header), "{header}");
    }
    assert!(
        resp.headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body(resp).await).unwrap()["incidents"],
        10
    );
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/static/style.css")
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let etag = resp.headers().get("etag").unwrap().clone();
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/static/style.css")
            .insert_header(("If-None-Match", etag))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    let (s, _) = get(&app, "/static/../../Cargo.toml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, xml) = get(&app, "/opensearch.xml").await;
    assert_eq!(s, StatusCode::OK);
    assert!(xml.contains("/search?q={searchTerms}"));
    let (s, page) = get(&app, "/no/such/page").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("There is no page at /no/such/page"));
    let (s, json) = get(&app, "/api/v1/nothing").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(json.contains("\"error\""));
}

#[actix_web::test]
async fn a_status_change_waiting_on_a_re_ingest_does_not_undo_it() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let item = first_item(&state, "2024-04-22-azure-dns");
    let before = state.index.get("2024-04-22-azure-dns").unwrap();
    // A re-ingest holds the writer lock and, meanwhile, replaces the incident (a new review).
    let ingest = {
        let state = state.clone();
        let before = before.clone();
        std::thread::spawn(move || {
            let _guard = state.index_writer.lock().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            let mut newer = before;
            newer.reviews[0].title = "Azure DNS, as the final review tells it".into();
            let facets = incident_kb::index::write::RepairFacets {
                values: ["open"].into_iter().collect(),
            };
            state.index.refresh(&[(newer, facets)]).unwrap();
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let req = test::TestRequest::post()
        .uri(&format!("/api/v1/repairs/{}", item.id))
        .insert_header(("Authorization", format!("Bearer {TOKEN}")))
        .set_json(serde_json::json!({"owner": "dns-team"}))
        .to_request();
    assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
    ingest.join().unwrap();
    let after = state.index.get("2024-04-22-azure-dns").unwrap();
    assert_eq!(
        after.current().title,
        "Azure DNS, as the final review tells it",
        "the change rewrote the incident as it was before the re-ingest"
    );
}

#[actix_web::test]
async fn a_write_is_acknowledged_once_stored_even_when_the_index_cannot_be_written() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let dns = first_item(&state, "2024-04-22-azure-dns");
    let arm = first_item(&state, "2024-01-21-azure-resource-manager");
    let write = |item: &str, body: serde_json::Value| {
        test::TestRequest::post()
            .uri(&format!("/api/v1/repairs/{item}"))
            .insert_header(("Authorization", format!("Bearer {TOKEN}")))
            .set_json(body)
            .to_request()
    };
    {
        // Another writer holds the index (as a commit that cannot finish would): the change is
        // stored and acknowledged; only the index's facets wait.
        let _held = state
            .index
            .index
            .writer::<tantivy::TantivyDocument>(15_000_000)
            .unwrap();
        let resp = test::call_service(
            &app,
            write(
                &dns.id,
                serde_json::json!({"status": "wont_do", "reason": "moved to DNS v2"}),
            ),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK, "{}", body(resp).await);
        assert_eq!(
            state.store.get(&dns.id).unwrap().unwrap().status().as_str(),
            "wont_do"
        );
        assert_eq!(state.facet_refresh.pending(), 1, "the refresh waits");
    }
    // The next write (of another incident) brings both incidents' facets in step.
    let resp = test::call_service(&app, write(&arm.id, serde_json::json!({"owner": "arm"}))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(state.facet_refresh.pending(), 0);
    let dns_items: Vec<_> = state
        .store
        .all()
        .unwrap()
        .into_iter()
        .filter(|r| r.incident_id == "2024-04-22-azure-dns")
        .collect();
    for r in &dns_items {
        let resp = test::call_service(
            &app,
            write(&r.id, serde_json::json!({"status": "completed"})),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let (_, page) = get(&app, "/api/v1/search?q=nameservers&status=completed").await;
    assert!(page.contains("2024-04-22-azure-dns"), "{page}");
}

#[actix_web::test]
async fn head_requests_and_private_reads_with_a_token() {
    let (_tmp, state) = state_with(&[], true);
    let app = app!(state);
    let head = |uri: &str, token: Option<&str>| {
        let mut req = test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri(uri);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        req.to_request()
    };
    let resp = test::call_service(&app, head("/healthz", None)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = test::call_service(&app, head("/incidents/8GCS-858", Some(TOKEN))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = test::call_service(&app, head("/search?q=dns", None)).await;
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "private without a login"
    );
    let read = |uri: &str, token: &str| {
        test::TestRequest::get()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    let resp = test::call_service(&app, read("/api/v1/search?q=nameservers", TOKEN)).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "a token reads a private instance"
    );
    let resp = test::call_service(&app, read("/api/v1/search?q=nameservers", "wrong")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = test::call_service(&app, read("/repairs", TOKEN)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_web::test]
async fn changes_whose_index_refresh_never_ran_are_brought_in_step_at_the_next_start() {
    let (tmp, state) = state(&[]);
    let incident = "2024-04-22-azure-dns";
    {
        let app = app!(state);
        let _held = state
            .index
            .index
            .writer::<tantivy::TantivyDocument>(15_000_000)
            .unwrap();
        for r in state.store.all().unwrap() {
            if r.incident_id == incident {
                let req = test::TestRequest::post()
                    .uri(&format!("/api/v1/repairs/{}", r.id))
                    .insert_header(("Authorization", format!("Bearer {TOKEN}")))
                    .set_json(serde_json::json!({"status": "completed"}))
                    .to_request();
                assert_eq!(test::call_service(&app, req).await.status(), StatusCode::OK);
            }
        }
        assert_eq!(
            state.store.stale_facets().unwrap(),
            vec![incident.to_string()]
        );
    }
    // The process stops before any other write retried the refresh.
    drop(state);
    let state = open_at(tmp.path(), false);
    let app = app!(state);
    let (_, json) = get(&app, "/api/v1/search?q=nameservers&status=completed").await;
    assert!(
        !json.contains(incident),
        "stale before the catch-up: {json}"
    );
    state.catch_up();
    let (_, json) = get(&app, "/api/v1/search?q=nameservers&status=completed").await;
    assert!(json.contains(incident), "{json}");
    assert!(state.store.stale_facets().unwrap().is_empty());
}

#[actix_web::test]
async fn repair_lists_read_service_and_region_aliases_as_search_does() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let count = |json: String| {
        serde_json::from_str::<Vec<serde_json::Value>>(&json)
            .unwrap()
            .len()
    };
    let (_, named) = get(&app, "/api/v1/repairs?service=Virtual+Machines").await;
    let named = count(named);
    assert!(named > 0);
    for alias in ["VM", "VMs", "azure+virtual+machines"] {
        let (_, json) = get(&app, &format!("/api/v1/repairs?service={alias}")).await;
        assert_eq!(count(json), named, "service={alias}");
        let (_, csv) = get(&app, &format!("/repairs.csv?service={alias}")).await;
        assert_eq!(csv.lines().count() - 1, named, "CSV service={alias}");
    }
    let (_, page) = get(&app, "/repairs?service=VMSS").await;
    assert!(
        page.contains(&format!("id=\"item-count\">{named} items")),
        "{named}"
    );
}

#[actix_web::test]
async fn the_warnings_page_and_api_list_what_reports_lack() {
    let (_tmp, state) = state(&[("bare.txt", "A short note\n\nSomething broke for a while.\n")]);
    let app = app!(state);
    let (s, page) = get(&app, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("A short note"), "{page}");
    assert!(page.contains("No impact start was found."));
    let (s, json) = get(&app, "/api/v1/warnings").await;
    assert_eq!(s, StatusCode::OK);
    let v: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["title"], "A short note");
    assert_eq!(
        v[0]["url"],
        format!("/incidents/{}", v[0]["id"].as_str().unwrap())
    );
}

#[actix_web::test]
async fn alert_webhooks_of_each_kind_answer_the_incident_they_describe_first() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let post = |body: Vec<u8>, token: Option<&str>| {
        let mut req = test::TestRequest::post()
            .uri("/api/v1/alerts")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        req.to_request()
    };
    for kind in ["alertmanager", "grafana", "pagerduty", "plain"] {
        let payload = std::fs::read(common::fixture(&format!("alerts/{kind}.json"))).unwrap();
        let resp = test::call_service(&app, post(payload.clone(), None)).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "{kind}: writes need a token"
        );
        let resp = test::call_service(&app, post(payload, Some(TOKEN))).await;
        assert_eq!(resp.status(), StatusCode::OK, "{kind}");
        let v: serde_json::Value = serde_json::from_str(&body(resp).await).unwrap();
        let answer = &v["alerts"][0];
        assert_eq!(answer["kind"], kind);
        let first = &answer["related"][0];
        assert_eq!(first["id"], "8GCS-858", "{kind}: {answer:#}");
        let why = first["why"].as_str().unwrap();
        assert!(why.contains("same service: Azure OpenAI"), "{kind}: {why}");
        if kind != "pagerduty" {
            assert!(why.contains("same region: Sweden Central"), "{kind}: {why}");
        }
        let markdown = answer["markdown"].as_str().unwrap();
        assert!(
            markdown.contains("/incidents/8GCS-858)"),
            "{kind}: a link a relay can post: {markdown}"
        );
    }
    // Bad payloads: a 400 that names the field, or the kinds that are read.
    for (payload, says) in [
        (&b"not json"[..], "the body is not JSON"),
        (br#"{"alerts": {"a": 1}}"#, "`alerts` must be a list"),
        (
            br#"{"version": "4", "alerts": [{"labels": {"alertname": 3}}]}"#,
            "`alerts[0].labels.alertname` must be a string",
        ),
        (
            br#"{"event": {"data": {"title": ""}}}"#,
            "`event.data.title`",
        ),
        (br#"{"hello": "world"}"#, "Alertmanager's webhook"),
    ] {
        let resp = test::call_service(&app, post(payload.to_vec(), Some(TOKEN))).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let text = body(resp).await;
        assert!(text.contains(says), "{text}");
    }
}

#[actix_web::test]
async fn a_short_first_page_goes_on_with_the_incidents_that_have_most_of_the_words() {
    let a = "+++\ntitle = \"Orders piled up\"\ndate = \"2025-01-10T10:00:00Z\"\n+++\n## Impact\nThe billing queue backlog grew and consumers were stuck for an hour.\n";
    let b = "+++\ntitle = \"Slow invoices\"\ndate = \"2025-02-10T10:00:00Z\"\n+++\n## Impact\nThe billing queue backlog grew while consumers restarted.\n";
    let (_tmp, state) = state(&[("a.md", a), ("b.md", b)]);
    let app = app!(state);
    let (s, page) = get(&app, "/search?q=billing+queue+backlog+stuck+consumers").await;
    assert_eq!(s, StatusCode::OK);
    let (first, more) = page.split_once("id=\"more-hits\"").expect("a second block");
    assert!(
        first.contains("/incidents/2025-01-10-orders-piled-up"),
        "{first}"
    );
    assert!(
        more.contains("More incidents with at least 3 of your 5 words"),
        "down to the fewest words that fill the block: {more}"
    );
    assert!(
        more.contains("/incidents/2025-02-10-slow-invoices"),
        "{more}"
    );
    let (_, json) = get(
        &app,
        "/api/v1/search?q=billing+queue+backlog+stuck+consumers",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["total"], 1, "the second block is not counted");
    assert_eq!(v["more"][0]["id"], "2025-02-10-slow-invoices");
    assert_eq!(v["more_words"]["words_matched"], 3);
    assert_eq!(v["more_words"]["words"], 5);
    // A full first page has no second block.
    let (_, page) = get(&app, "/search?q=azure").await;
    assert!(!page.contains("id=\"more-hits\""));
}

#[actix_web::test]
async fn a_misspelled_query_is_offered_the_reports_spelling_with_its_filters_kept() {
    let a = "+++\ntitle = \"Certificate expired\"\ndate = \"2025-01-10T10:00:00Z\"\nservices = [\"Azure Front Door\"]\n+++\n## Impact\nThe certificate expired and clients failed TLS handshakes.\n";
    let b = "+++\ntitle = \"Expired certificate on the edge\"\ndate = \"2025-02-10T10:00:00Z\"\n+++\n## Impact\nAn expired certificate broke the certificate chain.\n";
    let (_tmp, state) = state(&[("a.md", a), ("b.md", b)]);
    let app = app!(state);
    let (s, page) = get(&app, "/search?q=certficate+expird&stage=final&page=2").await;
    assert_eq!(s, StatusCode::OK);
    let offer = page
        .split_once("id=\"suggestion\"")
        .map(|(_, rest)| rest.split_once("</p>").unwrap().0)
        .expect("a suggestion");
    assert!(
        offer.contains("Did you mean: <a href=\"/search?stage=final&#38;q=certificate+expired\"><b>certificate</b> <b>expired</b></a>"),
        "the corrected query, its filters kept, on its first page: {offer}"
    );
    let (_, json) = get(&app, "/api/v1/search?q=certficate+expird").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["suggestion"]["query"], "certificate expired");
    assert_eq!(v["suggestion"]["changes"][0]["typed"], "certficate");
    assert_eq!(v["suggestion"]["changes"][0]["suggested"], "certificate");
    // A word one report has, alone and far from others, is left as it is; so is a
    // rightly spelled query.
    for q in ["handshakes", "certificate+expired"] {
        let (_, page) = get(&app, &format!("/search?q={q}")).await;
        assert!(!page.contains("id=\"suggestion\""), "{q}");
        let (_, json) = get(&app, &format!("/api/v1/search?q={q}")).await;
        assert!(!json.contains("\"suggestion\""), "{q}: {json}");
    }
}

#[actix_web::test]
async fn every_facet_value_is_a_link_away_and_can_be_filtered_without_javascript() {
    // More services than the twelve shown beside the results.
    let extra: Vec<(String, String)> = (0..14)
        .map(|i| {
            (
                format!("svc{i}.md"),
                format!(
                    "+++\ntitle = \"Outage {i}\"\nservices = [\"Widget Service {i:02}\"]\n+++\n## Impact\nThe widget queue stalled.\n"
                ),
            )
        })
        .collect();
    let extra: Vec<(&str, &str)> = extra
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (_tmp, state) = state(&extra);
    let app = app!(state);
    let (s, page) = get(&app, "/search?q=widget+queue").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(r#"<a class="all-values" href="/search/facets/service?q=widget+queue">All 14 services…</a>"#),
        "{page}"
    );
    let (s, all) = get(&app, "/search/facets/service?q=widget+queue").await;
    assert_eq!(s, StatusCode::OK);
    assert!(all.contains("All 14 services"), "{all}");
    assert!(
        all.contains("Widget Service 13"),
        "the values past the twelfth: {all}"
    );
    assert!(
        all.contains(r#"href="/search?q=widget+queue&#38;service=Widget+Service+13""#),
        "each value adds its filter to the search: {all}"
    );
    assert!(
        all.contains(r#"<input type="hidden" name="q" value="widget queue">"#),
        "{all}"
    );
    let (_, some) = get(
        &app,
        "/search/facets/service?q=widget+queue&contains=service+1",
    )
    .await;
    assert!(
        some.contains("4 of 14 services contain “service 1”"),
        "{some}"
    );
    assert!(
        some.contains("Widget Service 12") && !some.contains("Widget Service 02"),
        "{some}"
    );
    let (s, _) = get(&app, "/search/facets/colour?q=widget").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&app, "/search/facets/year?year=24").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the search's own rules apply");
}

/// A POST of a form to `uri` as the session's user.
fn form_post(uri: &str, session: &str, form: Vec<(&str, String)>) -> actix_http::Request {
    test::TestRequest::post()
        .uri(uri)
        .cookie(actix_web::cookie::Cookie::new(
            "ikb_session",
            session.to_string(),
        ))
        .set_form(form)
        .to_request()
}

/// A GET as the session's user.
async fn get_as(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    uri: &str,
    session: &str,
) -> (StatusCode, String) {
    let req = test::TestRequest::get()
        .uri(uri)
        .cookie(actix_web::cookie::Cookie::new(
            "ikb_session",
            session.to_string(),
        ))
        .to_request();
    let resp = test::call_service(app, req).await;
    let status = resp.status();
    (status, body(resp).await)
}

#[actix_web::test]
async fn items_are_assigned_dated_and_noted_in_a_thread_and_their_history_is_in_words() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let item = first_item(&state, "2024-01-21-azure-resource-manager");
    let uri = format!("/repairs/{}", item.id);
    let (alice, csrf) = login(&app).await;
    let send = |form: Vec<(&'static str, String)>| {
        let mut form = form;
        form.push(("csrf", csrf.clone()));
        form_post(&uri, &alice, form)
    };
    // Only the server's users can be assigned; a team goes in Owner.
    let resp = test::call_service(&app, send(vec![("assignee", "mallory".into())])).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(resp).await.contains("is not a user of this server"));
    // Won't do needs a reason; a day that is not one is named.
    let resp = test::call_service(&app, send(vec![("status", "wont_do".into())])).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(resp).await.contains("needs a reason"));
    let resp = test::call_service(&app, send(vec![("due_date", "2024-02-30".into())])).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(resp).await.contains("is not a day like"));
    let resp = test::call_service(
        &app,
        send(vec![
            ("assignee", "bob".into()),
            ("due_date", "2020-01-31".into()),
            ("note", "First **check** in OPS-12".into()),
        ]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = test::call_service(
        &app,
        send(vec![(
            "note",
            "Then https://github.com/acme/arm/issues/7".into(),
        )]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let saved = state.store.get(&item.id).unwrap().unwrap();
    assert_eq!(saved.tracking.assignee.as_deref(), Some("bob"));
    assert_eq!(
        saved.notes().map(|n| n.text).collect::<Vec<_>>(),
        [
            "First **check** in OPS-12",
            "Then https://github.com/acme/arm/issues/7"
        ],
        "a note is added, not written over"
    );
    assert!(saved.overdue(incident_kb::tracking::today()), "due in 2020");
    let (_, page) = get(&app, &uri).await;
    assert!(page.contains("<strong>check</strong>"), "Markdown rendered");
    assert!(page.contains(">OPS-12</span>"), "a Jira key as a chip");
    assert!(
        page.contains(r#"href="https://github.com/acme/arm/issues/7" title="GitHub""#),
        "a GitHub issue as a chip"
    );
    for words in [
        "assigned it to bob",
        "set the due date to 2020-01-31",
        "added a note",
    ] {
        assert!(page.contains(words), "history says {words:?}");
    }
    assert!(page.contains("badge overdue"), "overdue by the day set");
    // Listings: by assignee, "mine", unassigned, and the due window.
    let (_, bobs) = get(&app, "/repairs?assignee=bob").await;
    assert!(bobs.contains("id=\"item-count\">1 item<"), "bob has one");
    let (bob, _) = login_as(&app, "bob").await;
    let (_, mine) = get_as(&app, "/repairs?assignee=me", &bob).await;
    assert!(mine.contains("id=\"item-count\">1 item<"), "mine, for bob");
    let (_, mine) = get_as(&app, "/repairs?assignee=me", &alice).await;
    assert!(
        mine.contains("id=\"item-count\">0 items<"),
        "none for alice"
    );
    let (s, page) = get(&app, "/repairs?assignee=me").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "`me` needs a login");
    assert!(page.contains("logged-in user"));
    let (_, window) = get(&app, "/repairs?due_from=2020-01&due_to=2020-01").await;
    assert!(
        window.contains("id=\"item-count\">1 item<"),
        "the due window"
    );
    let (_, overdue) = get(&app, "/repairs?status=overdue&assignee=bob").await;
    assert!(overdue.contains("id=\"item-count\">1 item<"));
    // The incident's repair facet follows the day set.
    let (_, search) = get(&app, "/search?status=overdue&q=retry+storm").await;
    assert!(search.contains("/incidents/2024-01-21-azure-resource-manager"));
    // Won't do, with its reason; the reason is an event.
    let resp = test::call_service(
        &app,
        send(vec![
            ("status", "wont_do".into()),
            ("reason", "Superseded by the new retry policy".into()),
        ]),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&app, &uri).await;
    assert!(page.contains("gave the reason: Superseded by the new retry policy"));
    assert!(
        page.contains("to Won&#39;t do"),
        "the status change in words"
    );
}

#[actix_web::test]
async fn a_conflict_shows_what_the_other_person_changed_and_the_way_back() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let item = first_item(&state, "2024-01-21-azure-resource-manager");
    let uri = format!("/repairs/{}", item.id);
    let (alice, csrf) = login(&app).await;
    let (_, page) = get_as(&app, &uri, &alice).await;
    let field = |name: &str| {
        let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        page[at..].split('"').next().unwrap().to_string()
    };
    let (version, loaded) = (field("version"), field("loaded"));
    // Someone else saves first, through the API.
    let resp = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/api/v1/repairs/{}", item.id))
            .insert_header(("Authorization", format!("Bearer {TOKEN}")))
            .set_json(serde_json::json!({"owner": "storage-team"}))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = test::call_service(
        &app,
        form_post(
            &uri,
            &alice,
            vec![
                ("csrf", csrf),
                ("version", version),
                ("loaded", loaded),
                ("owner", "arm-team".into()),
            ],
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = body(resp).await;
    assert!(page.contains("Changed meanwhile"));
    let conflict = &page[page.find("id=\"conflict\"").unwrap()..];
    assert!(
        conflict[..conflict.find("</ul>").unwrap()].contains("set the owner to storage-team"),
        "{}",
        &conflict[..300.min(conflict.len())]
    );
    assert!(page.contains(&format!(
        "<a href=\"/repairs/{}\">Back to the item</a>",
        item.id
    )));
    let saved = state.store.get(&item.id).unwrap().unwrap();
    assert_eq!(saved.tracking.owner.as_deref(), Some("storage-team"));
}

#[actix_web::test]
async fn a_bulk_change_applies_to_each_selected_item_with_its_own_event() {
    let (_tmp, state) = state(&[]);
    let app = app!(state);
    let ids: Vec<String> = state
        .store
        .all()
        .unwrap()
        .into_iter()
        .filter(|r| r.status().as_str() == "open")
        .take(3)
        .map(|r| r.id)
        .collect();
    let (alice, csrf) = login(&app).await;
    let mut form: Vec<(&str, String)> = ids.iter().map(|id| ("id", id.clone())).collect();
    form.push(("status", "in_progress".into()));
    form.push(("assignee", "bob".into()));
    form.push(("back", "/repairs?status=open".into()));
    let resp = test::call_service(&app, form_post("/repairs/bulk", &alice, form.clone())).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let resp = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/repairs/bulk")
            .set_form(form.clone())
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let mut wont: Vec<(&str, String)> = form.clone();
    wont.retain(|(k, _)| *k != "status");
    wont.push(("status", "wont_do".into()));
    wont.push(("csrf", csrf.clone()));
    let resp = test::call_service(&app, form_post("/repairs/bulk", &alice, wont)).await;
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "won't do needs a reason"
    );
    form.push(("csrf", csrf));
    let resp = test::call_service(&app, form_post("/repairs/bulk", &alice, form)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers().get("location").unwrap(),
        "/repairs?status=open&changed=3"
    );
    for id in &ids {
        let r = state.store.get(id).unwrap().unwrap();
        assert_eq!(r.status().as_str(), "in_progress");
        assert_eq!(r.tracking.assignee.as_deref(), Some("bob"));
        let by_alice: Vec<&str> = r
            .history
            .iter()
            .filter(|e| e.who == "alice")
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(by_alice, ["status", "assignee"], "one event per field");
    }
    let (_, page) = get_as(&app, "/repairs?status=open&changed=3", &alice).await;
    assert!(page.contains("Changed 3 items."));
    // The audit page lists the changes, filtered by who and what, and exports them.
    let (_, audit) = get(&app, "/audit?who=alice").await;
    assert!(
        audit.contains("id=\"change-count\">6 changes<"),
        "3 items × 2 fields"
    );
    assert!(audit.contains("assigned it to bob"));
    let (_, audit) = get(&app, "/audit?who=alice&field=assignee").await;
    assert!(audit.contains("id=\"change-count\">3 changes<"));
    let (_, reviews) = get(&app, "/audit?who=reviews").await;
    assert!(
        !reviews.contains("id=\"change-count\">0 changes<"),
        "what reviews reported"
    );
    let (s, _) = get(&app, "/audit?field=colour").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, csv) = get(&app, "/audit.csv?who=people").await;
    assert_eq!(csv.lines().count(), 1 + 6);
    assert!(csv.starts_with("at,who,item_id,incident_id,field,from,to,what\n"));
}

#[actix_web::test]
async fn the_repair_listing_pages_sorts_and_exports_every_item_of_the_shared_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let state = open_with(
        tmp.path(),
        vec![common::seeds_dir(), common::shared_corpus()],
        false,
    );
    let app = app!(state);
    let all = state.store.all().unwrap();
    let listed = all.iter().filter(|r| !r.retired).count();
    assert!(listed > 1000, "{listed} items");
    let (s, first) = get(&app, "/repairs").await;
    assert_eq!(s, StatusCode::OK);
    println!(
        "/repairs over {listed} items: first page {} bytes",
        first.len()
    );
    assert!(first.len() < 100_000, "first page {} bytes", first.len());
    assert!(first.contains(&format!("id=\"item-count\">{listed} items · showing 1–50<")));
    assert!(first.contains("href=\"/repairs?page=2\" rel=\"next\""));
    assert_eq!(
        first.matches("name=\"id\"").count(),
        0,
        "no selection without a login"
    );
    assert_eq!(
        first.matches("<tr>").count(),
        1 + 50,
        "a head row and 50 items"
    );
    let (_, second) = get(&app, "/repairs?page=2&sort=due").await;
    assert!(second.contains("showing 51–100"));
    // A page sorts only what it shows; its items are those of the whole list, in order.
    let (_, json) = get(&app, "/repairs.json?sort=due").await;
    let all_due: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let table = &second[second.find("<tbody>").unwrap()..second.find("</tbody>").unwrap()];
    let shown: Vec<&str> = table
        .split("<a href=\"/repairs/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    let expected: Vec<&str> = all_due[50..100]
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown, expected,
        "page 2 is items 51 to 100 of the sorted list"
    );
    let (_, past) = get(&app, "/repairs?page=100000").await;
    assert!(
        past.contains("rel=\"prev\""),
        "a page past the end is the last"
    );
    // The exports hold every filtered item, not a page.
    let (_, csv) = get(&app, "/repairs.csv").await;
    // Records, not lines: a quoted cell may hold a line break.
    let mut quoted = false;
    let records = csv
        .chars()
        .filter(|&c| {
            if c == '"' {
                quoted = !quoted;
            }
            c == '\n' && !quoted
        })
        .count();
    assert_eq!(records, 1 + listed);
    assert!(csv.starts_with(
        "id,incident_id,incident_title,incident_date,services,regions,text,status,overdue,reported_status,due_months,due_date,assignee,owner,link,note\n"
    ));
    let (_, json) = get(&app, "/repairs.json?page=3").await;
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(items.len(), listed);
    // Sorted by due day: soonest first, undated last.
    let (_, json) = get(&app, "/repairs.json?sort=due").await;
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let due: Vec<Option<String>> = items
        .iter()
        .map(|i| {
            i["due"]
                .as_array()
                .and_then(|d| d.iter().filter_map(|m| m.as_str()).max())
                .map(str::to_string)
        })
        .collect();
    let dated = due.iter().take_while(|d| d.is_some()).count();
    assert!(dated > 10, "{dated} dated items");
    assert!(
        due[..dated].windows(2).all(|w| w[0] <= w[1]),
        "soonest first"
    );
    assert!(due[dated..].iter().all(Option::is_none), "undated last");
    // Oldest incident first.
    let (_, json) = get(&app, "/repairs.json?sort=age").await;
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let starts: Vec<&str> = items
        .iter()
        .filter_map(|i| i["incident_start"].as_str())
        .collect();
    assert!(
        starts.len() > 100 && starts.windows(2).all(|w| w[0] <= w[1]),
        "oldest first"
    );
    let (s, page) = get(&app, "/repairs?sort=colour").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("follow-up, due, age, service, incident"));
    // The sidebar follows every filter, the status too.
    let (_, done) = get(&app, "/repairs?status=completed").await;
    let sidebar = &done[done.find("Per incident").unwrap()..];
    let lines: Vec<&str> = sidebar.split("<li>").skip(1).collect();
    assert!(!lines.is_empty());
    for l in lines {
        let counts = l.split("</meter> ").nth(1).unwrap();
        let (done, rest) = counts.split_once(" of ").unwrap();
        assert_eq!(
            done,
            rest.split(' ').next().unwrap(),
            "only completed items: {l}"
        );
    }
    // Services read through aliases, as in search.
    let (_, afd) = get(&app, "/repairs?service=AFD").await;
    assert!(
        !afd.contains("id=\"item-count\">0 items<"),
        "AFD is Azure Front Door"
    );
}

#[actix_web::test]
async fn an_incident_whose_id_changed_is_found_at_its_old_address() {
    let report = |id: &str| {
        format!(
            "+++\nid = \"{id}\"\ntitle = \"Payments API 503s\"\nimpact_start = \"2023-03-04T09:00:00Z\"\n+++\n\n## Summary\nCheckout failed.\n"
        )
    };
    let (tmp, state) = state(&[("team/a.md", &report("payments-503"))]);
    drop(state);
    std::fs::write(
        tmp.path().join("corpus/team/a.md"),
        report("2023-03-04-payments"),
    )
    .unwrap();
    let state = open_at(tmp.path(), false);
    assert_eq!(state.reingest(false).unwrap().index.moved, 1);
    let app = app!(state);
    for (old, new) in [
        (
            "/incidents/payments-503?revision=0",
            "/incidents/2023-03-04-payments?revision=0",
        ),
        (
            "/api/v1/incidents/payments-503",
            "/api/v1/incidents/2023-03-04-payments",
        ),
    ] {
        let resp = test::call_service(&app, test::TestRequest::get().uri(old).to_request()).await;
        assert_eq!(resp.status(), StatusCode::MOVED_PERMANENTLY, "{old}");
        let location = resp.headers().get("location").map(|v| v.to_str().unwrap());
        assert_eq!(location, Some(new));
    }
    let (status, page) = get(&app, "/incidents/2023-03-04-payments").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Payments API 503s"));
    // An id that never was stays a 404.
    let (status, _) = get(&app, "/incidents/payments-504").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
