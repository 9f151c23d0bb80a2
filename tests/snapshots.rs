//! Snapshot tests (`insta`): the parsed form of every seed report, and the JSON shapes of the
//! API, so that a change to a reader or a view shows its effect as a reviewed diff
//! (`cargo insta review`). Paths and clock times are redacted; scores are rounded.

mod common;

use actix_web::body::to_bytes;
use actix_web::http::StatusCode;
use actix_web::{App, web};
use incident_kb::catalog::Catalogue;
use incident_kb::ingest::DataDir;
use incident_kb::web::auth::{Auth, UsersFile};
use incident_kb::web::{AppState, ServeOptions, configure, open_state};
use insta::dynamic_redaction;

/// A path as given to ingest, reduced to its file name (the folder differs per machine).
fn file_name(value: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let path = value.as_str().unwrap_or_default().to_string();
    path.rsplit('/').next().unwrap_or_default().to_string()
}

#[test]
fn the_parsed_form_of_every_seed_report() {
    let read = common::read_seeds();
    assert_eq!(read.incidents.len(), 10);
    for incident in &read.incidents {
        insta::assert_json_snapshot!(format!("incident-{}", incident.id), incident, {
            ".reviews[].source" => dynamic_redaction(file_name),
        });
    }
}

fn state(dir: &std::path::Path) -> web::Data<AppState> {
    common::test_corpus(dir, &[]);
    let (state, _) = open_state(ServeOptions {
        addr: String::new(),
        data: DataDir::new(dir.join("index")),
        corpus: vec![dir.join("corpus")],
        catalogue: Catalogue::bundled(),
        auth: Auth::new(UsersFile::default()),
        secure_cookies: false,
    })
    .unwrap();
    web::Data::new(state)
}

#[actix_web::test]
async fn the_json_shapes_of_the_api() {
    let tmp = tempfile::tempdir().unwrap();
    let state = state(tmp.path());
    let app =
        actix_web::test::init_service(App::new().app_data(state.clone()).configure(configure))
            .await;
    let routes = [
        ("search", "/api/v1/search?q=nameservers&limit=3"),
        (
            "search-partial",
            "/api/v1/search?q=nameservers+zzzqqq&limit=2",
        ),
        (
            "search-filtered",
            "/api/v1/search?q=outage&service=VM&sort=newest&limit=2",
        ),
        ("incident", "/api/v1/incidents/8GCS-858"),
        ("incident-missing", "/api/v1/incidents/nope"),
        ("repairs", "/api/v1/repairs?incident=2024-04-22-azure-dns"),
        (
            "related",
            "/api/v1/related?text=GPT-5.2+requests+returning+HTTP+429&limit=2",
        ),
        ("bad-limit", "/api/v1/search?limit=0"),
    ];
    for (name, uri) in routes {
        let resp = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get().uri(uri).to_request(),
        )
        .await;
        let status = resp.status();
        let body = to_bytes(resp.into_body()).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("{uri}: not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        assert!(
            status == StatusCode::OK || name.contains("missing") || name.starts_with("bad"),
            "{uri}: {status}"
        );
        insta::assert_json_snapshot!(format!("api-{name}"), (status.as_u16(), json), {
            ".**.source" => dynamic_redaction(file_name),
            ".**.history[].at" => "[time]",
            ".**.score" => insta::rounded_redaction(3),
            ".**.took_ms" => "[ms]",
        });
    }
}
