//! Crash safety: `ikb ingest` and `ikb serve` are killed with SIGKILL at random moments (20
//! times each, `IKB_CRASH_KILLS` to change it, with a fixed seed) while they ingest and while repair statuses are written.
//! After each restart the index opens, every acknowledged write is in the store, and a
//! re-ingest completes.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::server::{Proc, free_port, http_get, http_post_json, prepare, spawn_serve, wait_until};
use rand::{Rng, SeedableRng};

/// Kills per test: 20 in the test command; `IKB_CRASH_KILLS=N` for a longer run.
fn kills() -> usize {
    std::env::var("IKB_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}
const TOKEN: &str = "crash-test-token";

fn ingest(dir: &Path, corpus: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ikb"))
        .arg("--index")
        .arg(dir.join("index"))
        .arg("ingest")
        .arg("--corpus")
        .arg(corpus)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn ingest_to_the_end(dir: &Path, corpus: &Path) {
    let out = ingest(dir, corpus).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "re-ingest after a kill: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn killing_ingest_at_random_moments_never_breaks_the_index_or_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let corpus = common::shared_corpus().join("gcp");
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // How long each kind of ingest the loop kills takes here, to aim the kills inside it:
    // one that reads every report again (no manifest) and one that also rebuilds the search
    // index. Timed after a first ingest, so that a cold start does not stretch the aim.
    ingest_to_the_end(dir, &corpus);
    let timed = |rebuild: bool| {
        let _ = std::fs::remove_file(dir.join("index/search/ikb-manifest.json"));
        if rebuild {
            let _ = std::fs::remove_dir_all(dir.join("index/search"));
        }
        let started = Instant::now();
        ingest_to_the_end(dir, &corpus);
        started.elapsed()
    };
    let (reread, full) = (timed(false), timed(true));
    std::fs::remove_dir_all(dir.join("index")).unwrap();
    let mut killed_while_running = 0;
    let kills = kills();
    for _ in 0..kills {
        // Make the ingest do real work: without the manifest it reads every report again, and
        // without the search index it rebuilds it.
        let _ = std::fs::remove_file(dir.join("index/search/ikb-manifest.json"));
        let rebuild = rng.random_bool(0.5);
        if rebuild {
            let _ = std::fs::remove_dir_all(dir.join("index/search"));
        }
        let aim = if rebuild { full } else { reread };
        let mut child = ingest(dir, &corpus);
        std::thread::sleep(aim.mul_f64(rng.random_range(0.0..1.0)));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Sometimes the index is lost as well; the store must not care.
        if rng.random_bool(0.2) {
            let _ = std::fs::remove_dir_all(dir.join("index/search"));
        }
        ingest_to_the_end(dir, &corpus);
        let out = Command::new(env!("CARGO_BIN_EXE_ikb"))
            .arg("--index")
            .arg(dir.join("index"))
            .args(["search", "--json", "latency"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["total"].as_u64().unwrap() > 0);
    }
    println!(
        "ingest: {kills} kills, {killed_while_running} while it was running (ingest {:.2} s, re-read {:.2} s)",
        full.as_secs_f64(),
        reread.as_secs_f64()
    );
    assert!(
        killed_while_running >= kills / 2,
        "the kills landed while ingest ran"
    );
}

#[test]
fn killing_serve_while_statuses_are_written_loses_no_acknowledged_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    prepare(dir, "crash-password", TOKEN);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let port = free_port();
    // First start builds the index; list the items to write to.
    let server = spawn_serve(dir, port);
    wait_until("ikb serve", || {
        http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
    });
    let (_, json) = http_get(port, "/api/v1/repairs").unwrap();
    let items: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&json)
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(items.len(), 41);
    drop(server);

    let mut acknowledged: Vec<(String, String)> = Vec::new();
    // Per item, every write sent in order: (note, assignee, due day, acknowledged).
    let mut sent_to: HashMap<String, Vec<(String, String, String, bool)>> = HashMap::new();
    let mut sent = 0usize;
    let kills = kills();
    for round in 0..kills {
        let mut server: Proc = spawn_serve(dir, port);
        wait_until("ikb serve after a kill", || {
            http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
        });
        let stop = AtomicBool::new(false);
        let kill_after = Duration::from_millis(rng.random_range(50..600));
        let picks: Vec<usize> = (0..1000)
            .map(|_| rng.random_range(0..items.len()))
            .collect();
        let acked_this_round = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let mut acked = Vec::new();
                let mut writes = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && n < picks.len() {
                    let item = &items[picks[n]];
                    let note = format!("round {round} write {n}");
                    let status = ["open", "in_progress", "completed", "wont_do"][n % 4];
                    let assignee = ["alice", "bob"][n % 2];
                    let due = format!("2025-{:02}-{:02}", 1 + n % 12, 1 + n % 28);
                    let body = serde_json::json!({
                        "note": note, "status": status, "reason": "crash test",
                        "assignee": assignee, "due_date": due,
                    })
                    .to_string();
                    n += 1;
                    let reply =
                        http_post_json(port, &format!("/api/v1/repairs/{item}"), TOKEN, &body);
                    let ok = matches!(reply, Some((200, _)));
                    writes.push((item.clone(), (note.clone(), assignee.to_string(), due, ok)));
                    match reply {
                        Some((200, _)) => acked.push((item.clone(), note)),
                        Some((status, body)) => panic!("a write was refused: {status} {body}"),
                        None => break,
                    }
                }
                (acked, n, writes)
            });
            std::thread::sleep(kill_after);
            server.0.kill().unwrap();
            server.0.wait().unwrap();
            stop.store(true, Ordering::Relaxed);
            writer.join().unwrap()
        });
        sent += acked_this_round.1;
        acknowledged.extend(acked_this_round.0);
        for (item, write) in acked_this_round.2 {
            sent_to.entry(item).or_default().push(write);
        }
        drop(server);
    }
    // Restart once more and check every acknowledged write through the API.
    let _server = spawn_serve(dir, port);
    wait_until("ikb serve at the end", || {
        http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
    });
    let (_, json) = http_get(port, "/api/v1/repairs").unwrap();
    let records: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let mut notes: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &records {
        let history = r["history"].as_array().unwrap();
        let ns: Vec<&str> = history
            .iter()
            .filter(|e| e["field"] == "note")
            .filter_map(|e| e["to"].as_str())
            .collect();
        notes.insert(r["id"].as_str().unwrap(), ns);
    }
    for (item, note) in &acknowledged {
        assert!(
            notes[item.as_str()].contains(&note.as_str()),
            "acknowledged write lost: {item} {note}"
        );
    }
    // The assignee and due day an item has are those of its last acknowledged write, or of
    // a later one that was stored but not acknowledged before the kill.
    for r in &records {
        let Some(writes) = sent_to.get(r["id"].as_str().unwrap()) else {
            continue;
        };
        let last_acked = writes.iter().rposition(|w| w.3).unwrap_or(0);
        let now = (
            r["tracking"]["assignee"].as_str().unwrap_or(""),
            r["tracking"]["due_date"].as_str().unwrap_or(""),
        );
        assert!(
            writes[last_acked..]
                .iter()
                .any(|w| (w.1.as_str(), w.2.as_str()) == now),
            "{}: {now:?} is not from its last acknowledged write or after",
            r["id"]
        );
    }
    println!(
        "serve: {kills} kills, {sent} writes sent, {} acknowledged, all {} found after restart",
        acknowledged.len(),
        acknowledged.len()
    );
    assert!(
        acknowledged.len() >= kills,
        "writes were acknowledged between the kills"
    );
    drop(_server);
    // And a re-ingest completes on what the kills left.
    ingest_to_the_end(dir, &dir.join("corpus"));
}
