//! The bad-input catalogue: reports and requests that are broken, huge or hostile. Each gets a
//! clear error (a message naming the file and reason, a 4xx page or JSON error); the server
//! keeps serving and nothing else is lost. Handler-level cases (CSRF, credentials, page numbers,
//! unknown facets, syntax errors) live in tests/web.rs; this file covers reports and raw HTTP.

mod common;

use std::path::Path;
use std::time::Instant;

use common::server::{free_port, http_get, http_post_json, http_raw, prepare, serve};
use incident_kb::catalog::Catalogue;
use incident_kb::report::{self, ReportError};

fn parse(name: &str, bytes: &[u8]) -> Result<Vec<incident_kb::report::Draft>, ReportError> {
    report::parse_file(name, Path::new(name), bytes)
}

#[test]
fn broken_and_huge_reports_are_refused_or_read_without_a_panic() {
    let started = Instant::now();
    // A 50 MB report: refused by size, with the limit in the message.
    let huge = vec![b'x'; 50 * 1024 * 1024];
    let e = parse("huge.txt", &huge).unwrap_err();
    assert!(matches!(e, ReportError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("split it"));

    // 100k lines of plain text.
    let lines: String = (0..100_000)
        .map(|i| {
            format!(
                "Line {i}: the service returned errors at 10:{:02} UTC\n",
                i % 60
            )
        })
        .collect();
    let d = parse("lines.txt", lines.as_bytes()).unwrap();
    assert_eq!(d.len(), 1);

    // 10k Markdown headings.
    let headings: String = (0..10_000)
        .map(|i| format!("## Heading {i}\ntext {i}\n"))
        .collect();
    let d = parse("headings.md", headings.as_bytes()).unwrap();
    assert_eq!(d[0].sections.len(), 10_000);

    // Deeply nested lists (2,000 levels) stay linear in size.
    let nested: String = (0..2_000)
        .map(|i| format!("{}- level {i}\n", "  ".repeat(i)))
        .collect();
    let d = parse("nested.md", format!("## Action items\n{nested}").as_bytes()).unwrap();
    let text_len: usize = d[0].sections.iter().map(|s| s.text.len()).sum();
    assert!(text_len < 2_000_000, "{text_len}");

    // 10k Azure-style reviews in one page.
    let page: String = (0..2_000).map(|i| format!("What happened?\n\nBetween 10:00 and 11:{:02} UTC on 1 March 2024, thing {i} broke.\n\nHow are we making incidents like this less likely or less impactful?\n\n• Fix {i} (Completed)\n\n", i % 60)).collect();
    let d = parse("many.txt", page.as_bytes()).unwrap();
    assert_eq!(d.len(), 2_000);

    // Impossible dates and times become warnings, not panics or wrong times.
    let text = "What happened?\n\nBetween 10:00 UTC on 31 February 2024 and 25:99 UTC on 1 March 2024, things broke.\n\nHow did we respond?\n\n• 25:99 UTC on 1 March 2024 – impossible step\n• 10:00 UTC on 30 February 2024 – impossible day\n";
    let d = parse("dates.txt", text.as_bytes()).unwrap();
    assert_eq!(d[0].impact_start, None);
    assert!(
        d[0].warnings.iter().any(|w| w.contains("no such date")),
        "{:?}",
        d[0].warnings
    );
    assert!(
        d[0].timeline
            .iter()
            .all(|t| t.at.is_none() && t.warning.is_some()),
        "{:?}",
        d[0].timeline
    );

    // Front matter of the wrong types, unclosed, or not a table.
    for fm in [
        "+++\nstage = [1]\n+++\nx",
        "---\ntitle: [a, b]\n---\nx",
        "+++\nservices = 3\n+++\nx",
        "---\n- just\n- a list\n---\nx",
        "+++\n= broken\n+++\n",
    ] {
        let e = parse("fm.md", fm.as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("front matter:"), "{fm}: {e}");
    }

    // Bytes that are not text.
    assert!(matches!(
        parse("bin.txt", b"\x7fELF\x02\x01\x01\x00\x00"),
        Err(ReportError::Binary { offset: 7 })
    ));
    assert!(matches!(
        parse("latin1.txt", b"Caf\xe9 down"),
        Err(ReportError::InvalidUtf8 { offset: 3 })
    ));
    assert!(matches!(parse("empty.txt", b""), Err(ReportError::Empty)));
    assert!(matches!(
        parse("blank.txt", b"\n \n\t\n"),
        Err(ReportError::Empty)
    ));
    println!(
        "bad reports tried: 13 kinds in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn markup_in_plain_text_reports_stays_text() {
    let catalogue = Catalogue::bundled();
    let path = common::fixture("markup-in-plain-text.txt");
    let r = &incident_kb::ingest::corpus::read_report(&path, &catalogue).unwrap()[0];
    // The text is kept as written; pages escape it (tests/web.rs checks the HTML).
    assert_eq!(r.title, "<script>alert(1)</script> outage");
}

#[test]
fn hostile_requests_to_the_real_server_get_4xx_and_it_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    prepare(tmp.path(), "pw-123456789", "tok-123456789");
    let port = free_port();
    let _server = serve(tmp.path(), port);
    let mut tried = 0;
    let mut check = |what: &str, resp: Option<(u16, String)>, ok: &dyn Fn(u16) -> bool| {
        tried += 1;
        let (status, _) = resp.unwrap_or((0, String::new()));
        // Status 0: the server closed the connection, which a client sees as an error too.
        assert!(status == 0 || ok(status), "{what}: got {status}");
        let (health, _) = http_get(port, "/healthz").expect("still serving");
        assert_eq!(health, 200, "after {what}");
    };
    let long_url = format!("/search?q={}", "a".repeat(100_000));
    check("an over-long URL", http_get(port, &long_url), &|s| {
        (400..500).contains(&s)
    });
    check(
        "bytes that are not UTF-8 in the path and query",
        http_raw(
            port,
            b"GET /incidents/\xff\xfe?q=\xc3\x28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ),
        &|s| s == 404 || s == 400 || s == 200,
    );
    check(
        "path traversal",
        http_get(port, "/incidents/..%2F..%2F..%2Fetc%2Fpasswd"),
        &|s| s == 404,
    );
    check(
        "static traversal",
        http_get(port, "/static/..%2f..%2fCargo.toml"),
        &|s| s == 404,
    );
    check(
        "a 10 KB query",
        http_get(port, &format!("/search?q={}", "b".repeat(10_000))),
        &|s| s == 200,
    );
    check(
        "a broken request line",
        http_raw(port, b"NOT HTTP AT ALL\r\n\r\n"),
        &|s| (400..500).contains(&s),
    );
    let big = format!("{{\"note\": \"{}\"}}", "x".repeat(2_000_000));
    check(
        "a 2 MB JSON body",
        http_post_json(port, "/api/v1/repairs/x", "tok-123456789", &big),
        &|s| s == 413,
    );
    let form = format!("csrf=x&note={}", "y".repeat(100_000));
    let req = format!(
        "POST /repairs/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    check(
        "a 100 KB form without a session",
        http_raw(port, req.as_bytes()),
        &|s| s == 401 || s == 413,
    );
    check(
        "a wrong token",
        http_post_json(port, "/api/v1/repairs/x", "wrong", "{}"),
        &|s| s == 401,
    );
    check(
        "an unknown repair item",
        http_post_json(
            port,
            "/api/v1/repairs/nope",
            "tok-123456789",
            "{\"status\":\"completed\"}",
        ),
        &|s| s == 404,
    );
    check(
        "a bad JSON body",
        http_post_json(
            port,
            "/api/v1/repairs/nope",
            "tok-123456789",
            "{\"status\":",
        ),
        &|s| s == 400,
    );
    check(
        "an unknown status",
        http_post_json(
            port,
            "/api/v1/repairs/nope",
            "tok-123456789",
            "{\"status\":\"done-ish\"}",
        ),
        &|s| s == 400,
    );
    println!("hostile requests tried: {tried}, server healthy after each");
}

#[test]
fn a_file_that_cannot_be_read_says_so_not_front_matter() {
    let missing = std::env::temp_dir().join("ikb-no-such-report.md");
    let e = incident_kb::ingest::corpus::read_report(&missing, &Catalogue::bundled()).unwrap_err();
    assert!(matches!(e, ReportError::Unreadable(_)), "{e}");
    assert!(e.to_string().starts_with("cannot read the file:"), "{e}");
}
