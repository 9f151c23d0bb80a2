//! Several servers on one PostgreSQL tracking store, as real `ikb serve` processes on a
//! throwaway cluster: a change through one shows on the other within a second, a server
//! killed mid-burst loses no acknowledged write, and PostgreSQL going away and coming back
//! keeps reads working, answers writes with 503, then takes them again.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::postgres::Cluster;
use common::server::{Proc, free_port, http_get, http_post_json, prepare, spawn_serve_with};

const TOKEN: &str = "servers-test-token-0123456789";

fn start(dir: &Path, port: u16, store: &str) -> Proc {
    spawn_serve_with(
        dir,
        port,
        &dir.join("serve.log"),
        "info",
        &["--store", store],
    )
}

fn healthy(port: u16) -> bool {
    http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
}

fn json(port: u16, path: &str) -> serde_json::Value {
    let (status, body) = http_get(port, path).unwrap_or_else(|| panic!("GET {path} answers"));
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

fn set(port: u16, id: &str, body: &str) -> Option<(u16, String)> {
    http_post_json(port, &format!("/api/v1/repairs/{id}"), TOKEN, body)
}

/// Poll `ready` every 10 ms for at most `within`; how long it took, or `None`.
fn within(within: Duration, mut ready: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if ready() {
            return Some(started.elapsed());
        }
        if started.elapsed() > within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn notes(port: u16, id: &str) -> Vec<String> {
    let r = json(port, &format!("/api/v1/repairs/{id}"));
    r["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "note")
        .filter_map(|e| e["to"].as_str().map(str::to_string))
        .collect()
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
}

#[test]
fn two_servers_share_one_postgres_store() {
    let cluster = Cluster::start();
    let url = cluster.database();
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a_dir, &b_dir] {
        std::fs::create_dir_all(d).unwrap();
        prepare(d, "pw", TOKEN);
    }
    let (pa, pb) = (free_port(), free_port());
    // Both start at once: each builds its own index; their syncs of the store take turns.
    let mut a = start(&a_dir, pa, &url);
    let _b = start(&b_dir, pb, &url);
    common::server::wait_until("server A", || healthy(pa));
    common::server::wait_until("server B", || healthy(pb));
    let health = json(pb, "/healthz");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["store"]["reachable"], true);

    // The same records through both, once each.
    let items_a = json(pa, "/api/v1/repairs");
    let items_b = json(pb, "/api/v1/repairs");
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = ids(&items_b);
    assert!(all.len() > 20, "{} items", all.len());
    assert_eq!(ids(&items_a), all);
    let rows = cluster.psql(&url, "SELECT count(*) FROM repair_items");
    assert_eq!(rows, all.len().to_string(), "no item twice");

    // A status change through A: on B's item page, and in B's repair facets, within a second.
    let open: Vec<&serde_json::Value> = items_b
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] != "completed")
        .collect();
    let incident = open[0]["incident_id"].as_str().unwrap().to_string();
    let of_incident: Vec<String> = items_b
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["incident_id"] == incident.as_str())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let completed_incidents = |port: u16| -> Vec<String> {
        let found = json(port, "/api/v1/search?q=&status=completed&limit=100");
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!completed_incidents(pb).contains(&incident));
    for id in &of_incident {
        let (status, body) = set(pa, id, r#"{"status":"completed"}"#).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let last = of_incident.last().unwrap();
    let page = within(Duration::from_secs(1), || {
        http_get(pb, &format!("/repairs/{last}"))
            .is_some_and(|(s, body)| s == 200 && body.contains("status-completed\" id=\"status\""))
    });
    let facets = within(Duration::from_secs(1), || {
        completed_incidents(pb).contains(&incident)
    });
    println!(
        "a change through A showed on B's item page after {page:?}, in B's facets after {facets:?}"
    );
    assert!(
        page.is_some(),
        "B's item page shows A's change within a second\n{}",
        log(&b_dir)
    );
    assert!(
        facets.is_some(),
        "B's repair facets follow A's change within a second\n{}",
        log(&b_dir)
    );

    // A burst of writes through A, A killed with SIGKILL in the middle of it: every write A
    // acknowledged is there through B.
    let burst: Vec<String> = all.iter().take(8).cloned().collect();
    let acknowledged = std::sync::Mutex::new(Vec::<(String, String)>::new());
    std::thread::scope(|scope| {
        for (w, id) in burst.iter().enumerate() {
            let acknowledged = &acknowledged;
            scope.spawn(move || {
                for n in 0.. {
                    let text = format!("burst {w}.{n}");
                    match set(pa, id, &format!(r#"{{"note":"{text}"}}"#)) {
                        Some((200, _)) => acknowledged.lock().unwrap().push((id.clone(), text)),
                        _ => return,
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        a.0.kill().expect("SIGKILL to A");
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() >= 8,
        "A acknowledged writes before it was killed ({})",
        acknowledged.len()
    );
    for id in &burst {
        let found = notes(pb, id);
        for (_, text) in acknowledged.iter().filter(|(i, _)| i == id) {
            assert!(found.contains(text), "{id}: acknowledged `{text}` is lost");
        }
    }
    println!(
        "{} writes acknowledged by A before SIGKILL, all found through B",
        acknowledged.len()
    );

    // PostgreSQL away: B keeps serving reads, answers writes with 503 and a clear message,
    // says so on /healthz, and takes writes again once it is back.
    let item = &all[1];
    cluster.stop();
    let health = json(pb, "/healthz");
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["store"]["reachable"], false);
    let (s, body) = http_get(pb, "/search?q=outage").unwrap();
    assert_eq!(s, 200, "search works without the store");
    assert!(body.contains("/incidents/"));
    let (s, body) = http_get(pb, &format!("/incidents/{incident}")).unwrap();
    assert_eq!(
        s,
        200,
        "incident pages work without the store: {body}\n{}",
        log(&b_dir)
    );
    let (s, body) = http_get(pb, &format!("/repairs/{item}")).unwrap();
    assert_eq!(s, 200, "an item page shows the kept copy: {body}");
    assert!(body.contains("id=\"store-away\""), "and says why");
    let (s, body) = set(pb, item, r#"{"note":"while away"}"#).unwrap();
    assert_eq!(s, 503, "{body}");
    assert!(body.contains("cannot be reached"), "{body}");
    cluster.start_again();
    let back = within(Duration::from_secs(20), || {
        set(pb, item, r#"{"note":"after the restart"}"#).is_some_and(|(s, _)| s == 200)
    });
    assert!(back.is_some(), "B takes writes again\n{}", log(&b_dir));
    let found = notes(pb, item);
    assert!(found.contains(&"after the restart".to_string()));
    assert!(
        !found.contains(&"while away".to_string()),
        "a 503 saved nothing"
    );
    for (id, text) in &acknowledged {
        assert!(
            notes(pb, id).contains(text),
            "{id}: `{text}` survived the restart"
        );
    }
    assert_eq!(json(pb, "/healthz")["status"], "ok");
}
