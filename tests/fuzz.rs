//! Property-based fuzzing of the parsers and the search request path: arbitrary bytes and
//! report-shaped text never panic, and well-formed time phrases read back exactly. The test
//! command runs a bounded number of cases; `scripts/fuzz` runs many more.

mod common;

use std::path::Path;

use actix_web::{App, test as atest};
use incident_kb::report::{self, time};
use proptest::prelude::*;

/// Cases per target: 256 in the test command, `IKB_FUZZ_CASES` in `scripts/fuzz`.
fn cases() -> u32 {
    std::env::var("IKB_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256)
}

/// Fragments that real reports are made of, to build report-shaped text.
const FRAGMENTS: &[&str] = &[
    "What happened?\n",
    "What went wrong and why?\n",
    "How did we respond?\n",
    "How are we making incidents like this less likely or less impactful?\n",
    "Summary of impact: ",
    "Root cause: ",
    "Mitigation: ",
    "Next steps: ",
    "Preliminary root cause: ",
    "• ",
    "- ",
    "  • ",
    "Between ",
    " and ",
    " on ",
    "23:20 UTC",
    "09:00",
    "4:00PM PST",
    "03:45 CST",
    "25:99 UTC",
    "9 March",
    "31 February 2024",
    "10 March 2026",
    "February 28th",
    "2015-08-12 11:05",
    "12/31/2024",
    " @ ",
    "(Completed)",
    "(Estimated completion: August 2024)",
    "(Estimated completion: TBD)",
    "Tracking ID: ABCD-123",
    "https://aka.ms/air/8GCS-858",
    "juli 2024\n",
    "13\n",
    "\n",
    "\n\n",
    "+++\n",
    "---\n",
    "title = \"x\"\n",
    "stage: final\n",
    "## Timeline\n",
    "# Title\n",
    "[x] ",
    "<script>",
    "**",
    "| a | b |\n",
    "(all times are US/Pacific)",
    "Azure China",
    "East US 2",
    "AOAI",
    "HTTP 429",
    "~",
    "–",
    "\u{a0}",
    "\r\n",
    "é",
    "🔥",
];

/// A parameter value: real words, facet values and dates (so searches find documents and take
/// the snippet path), or any text.
fn value() -> impl Strategy<Value = String> {
    const WORDS: &[&str] = &[
        "HTTP 429",
        "VMs restarted",
        "nameservers",
        "leap day",
        "retry storm",
        "deleted resources",
        "Azure OpenAI",
        "East US 2",
        "configuration-change",
        "overdue",
        "open",
        "2024",
        "2024-07-13",
        "newest",
        "1",
        "2",
        "title:OpenAI",
        "\"config rollout\"",
        "root_cause:certificate",
        "GPT-5.2",
    ];
    prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_string),
        "\\PC{0,30}"
    ]
}

fn report_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_plain_text_and_azure_readers_never_panic(text in report_text()) {
        let _ = report::parse_file("fuzz.txt", Path::new("fuzz.txt"), text.as_bytes());
    }

    #[test]
    fn the_markdown_reader_never_panics(text in report_text()) {
        let _ = report::parse_file("fuzz.md", Path::new("fuzz.md"), text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = report::parse_file("bytes.txt", Path::new("bytes.txt"), &bytes);
        let _ = report::parse_file("bytes.md", Path::new("bytes.md"), &bytes);
    }

    #[test]
    fn the_time_parser_never_panics(text in "\\PC{0,200}") {
        let ctx = time::TimeContext::of_text(&text, time::Zone::Utc);
        for w in time::find_windows(&text) {
            let _ = time::resolve_window(&w, &text, &ctx);
        }
        let _ = time::leading_point(&text);
    }

    #[test]
    fn well_formed_windows_read_back_exactly(
        y in 2000i16..2030, m in 1i8..=12, d in 1i8..=28, h1 in 0i8..24, m1 in 0i8..60, h2 in 0i8..24, m2 in 0i8..60,
    ) {
        const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        let text = format!("Between {h1:02}:{m1:02} UTC on {d} {} {y} and {h2:02}:{m2:02} UTC on {d} {} {y}, things broke.", MONTHS[m as usize - 1], MONTHS[m as usize - 1]);
        let ctx = time::TimeContext::of_text(&text, time::Zone::Utc);
        let w = time::find_windows(&text);
        prop_assert_eq!(w.len(), 1);
        let win = time::resolve_window(&w[0], &text, &ctx).unwrap();
        let expected = jiff::civil::date(y, m, d).at(h1, m1, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
        prop_assert_eq!(win.start, expected);
    }
}

#[test]
fn the_search_request_path_never_answers_5xx() {
    let tmp = tempfile::tempdir().unwrap();
    common::server::prepare(tmp.path(), "fuzz-password", "fuzz-token");
    let auth = incident_kb::web::Auth::load(&tmp.path().join("users.toml")).unwrap();
    let (state, _) = incident_kb::web::open_state(incident_kb::web::ServeOptions {
        addr: String::new(),
        data: incident_kb::ingest::DataDir::new(tmp.path().join("index")),
        corpus: vec![tmp.path().join("corpus")],
        catalogue: incident_kb::catalog::Catalogue::bundled(),
        auth,
        secure_cookies: false,
    })
    .unwrap();
    let state = actix_web::web::Data::new(state);
    let rt = actix_web::rt::System::new();
    let app = rt.block_on(atest::init_service(
        App::new()
            .app_data(state.clone())
            .configure(incident_kb::web::configure),
    ));
    const KEYS: [&str; 14] = [
        "q", "service", "region", "cause", "status", "year", "stage", "from", "to", "sort", "page",
        "limit", "text", "contains",
    ];
    let query = (
        prop::collection::vec((prop::sample::select(&KEYS[..]), value()), 0..6),
        prop::sample::select(
            &[
                "/search",
                "/api/v1/search",
                "/repairs",
                "/api/v1/repairs",
                "/related",
                "/api/v1/related",
                "/repairs.csv",
                "/search/facets/service",
            ][..],
        ),
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&query, |(pairs, path)| {
            let mut qs = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                qs.append_pair(k, v);
            }
            let qs = qs.finish();
            let req = atest::TestRequest::get()
                .uri(&format!("{path}?{qs}"))
                .to_request();
            let status = rt.block_on(atest::call_service(&app, req)).status();
            prop_assert!(!status.is_server_error(), "{} for {}?{}", status, path, qs);
            Ok(())
        })
        .unwrap();
}
