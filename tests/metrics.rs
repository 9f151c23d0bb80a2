//! `/metrics` of a running `ikb serve`: Debian's `promtool check metrics` accepts it, a scraper
//! that asks for OpenMetrics gets it, and a status change moves the repair-item gauges.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::server::{free_port, http_get, http_post_json, http_raw, prepare, serve};

const TOKEN: &str = "tok-metrics-123456789";

/// The value of the sample whose name and labels are `series`, if it is there.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn promtool_check(metrics: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "promtool runs (Debian's `prometheus` package; scripts/test installs it when missing)",
        );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn metrics_pass_promtool_and_follow_a_status_change() {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path(), "pw-metrics-1", TOKEN);
    let port = free_port();
    let _server = serve(dir.path(), port);
    for path in [
        "/search?q=dns",
        "/incidents/2024-04-22-azure-dns",
        "/no/such/page",
    ] {
        http_get(port, path).expect("the server answers");
    }
    let (status, before) = http_get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    let (ok, said) = promtool_check(&before);
    assert!(ok, "promtool check metrics: {said}\n{before}");

    // Requests are counted per route pattern, a path no route serves as "unmatched".
    assert_eq!(
        sample(
            &before,
            r#"ikb_http_requests_total{method="GET",route="/incidents/{id}",status="200"}"#
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &before,
            r#"ikb_http_requests_total{method="GET",route="unmatched",status="404"}"#
        )
        .is_some(),
        "{before}"
    );
    assert!(!before.contains("/no/such/page"));
    assert!(
        sample(
            &before,
            r#"ikb_http_request_duration_seconds_count{method="GET",route="/search"}"#
        )
        .is_some_and(|n| n >= 1.0)
    );
    // The seeds: ten Azure incidents; this server ingested them (its first start).
    assert_eq!(
        sample(&before, r#"ikb_incidents{provider="azure"}"#),
        Some(10.0)
    );
    assert_eq!(sample(&before, "ikb_index_documents"), Some(10.0));
    assert_eq!(
        sample(&before, r#"ikb_ingests_total{outcome="ok"}"#),
        Some(1.0)
    );
    assert_eq!(sample(&before, "ikb_last_ingest_failed_reports"), Some(0.0));

    // Complete one open, overdue Azure DNS item through the API.
    let (_, incident) = http_get(port, "/api/v1/incidents/2024-04-22-azure-dns").unwrap();
    let incident: serde_json::Value = serde_json::from_str(&incident).unwrap();
    let item = incident["repair_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "open" && i["overdue"] == true)
        .expect("an open, overdue item");
    let open = r#"ikb_repair_items{status="open",service="Azure DNS"}"#;
    let completed = r#"ikb_repair_items{status="completed",service="Azure DNS"}"#;
    let overdue = r#"ikb_repair_items_overdue{service="Azure DNS"}"#;
    let (open0, done0, late0) = (
        sample(&before, open).unwrap(),
        sample(&before, completed).unwrap_or(0.0),
        sample(&before, overdue).unwrap(),
    );
    let (status, _) = http_post_json(
        port,
        &format!("/api/v1/repairs/{}", item["id"].as_str().unwrap()),
        TOKEN,
        r#"{"status": "completed"}"#,
    )
    .unwrap();
    assert_eq!(status, 200);
    let (_, after) = http_get(port, "/metrics").unwrap();
    assert_eq!(sample(&after, open), Some(open0 - 1.0), "{after}");
    assert_eq!(sample(&after, completed), Some(done0 + 1.0));
    assert_eq!(sample(&after, overdue), Some(late0 - 1.0));

    // A scraper that asks for OpenMetrics gets it, ending in its EOF line.
    let (status, om) = http_raw(
        port,
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(om.trim_end().ends_with("# EOF"), "{om}");
    assert!(om.contains("# TYPE ikb_http_requests counter"));
}
