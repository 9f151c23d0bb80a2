//! The follow-up digest as the server posts it: to a webhook receiver on loopback, on its
//! schedule, with retries when the receiver fails, a log line per delivery, and the server
//! serving meanwhile.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::server::{free_port, http_get, http_post_json, prepare, spawn_serve_with, wait_until};

const TOKEN: &str = "digest-test-token-0123456789";

/// What a receiver keeps: the bodies it accepted, and how many posts it saw.
type Received = (Arc<Mutex<Vec<String>>>, Arc<Mutex<usize>>);

/// A webhook receiver on a free port: answers 500 to the first `failures` posts and 200
/// after.
fn receiver(failures: usize) -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::new(Mutex::new(0usize));
    let (bodies, count) = (accepted.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let n = {
                let mut c = count.lock().unwrap();
                *c += 1;
                *c
            };
            let status = if n <= failures {
                "500 Internal Server Error"
            } else {
                bodies
                    .lock()
                    .unwrap()
                    .push(String::from_utf8(body).unwrap());
                "200 OK"
            };
            assert!(request_line.starts_with("POST /hook "), "{request_line}");
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    (port, (accepted, seen))
}

#[test]
fn the_server_posts_the_digest_with_retries_and_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    prepare(dir, "digest-password", TOKEN);
    // Five failures: the first digest's four tries fail (and are logged), the next gets
    // through on its second try.
    let (hook_port, (bodies, seen)) = receiver(5);
    let port = free_port();
    let log = dir.join("serve.log");
    let hook = format!("http://127.0.0.1:{hook_port}/hook");
    let _server = spawn_serve_with(
        dir,
        port,
        &log,
        "info",
        &[
            "--digest-webhook",
            &hook,
            "--digest-every",
            "2s",
            "--digest-body",
            "json",
        ],
    );
    wait_until("ikb serve", || {
        http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
    });
    // A change for the digest to report.
    let (_, json) = http_get(port, "/api/v1/repairs?incident=2024-07-13-azure-openai").unwrap();
    let items: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let id = items[0]["id"].as_str().unwrap().to_string();
    let change = serde_json::json!({"assignee": "alice", "note": "for the digest"}).to_string();
    let (status, _) =
        http_post_json(port, &format!("/api/v1/repairs/{id}"), TOKEN, &change).unwrap();
    assert_eq!(status, 200);
    let started = Instant::now();
    while bodies.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no digest delivered in 40 s ({} posts seen)",
            seen.lock().unwrap()
        );
        // The server answers while its digest is retried.
        let (s, _) = http_get(port, "/healthz").unwrap();
        assert_eq!(s, 200);
        std::thread::sleep(Duration::from_millis(200));
    }
    let body: serde_json::Value = serde_json::from_str(&bodies.lock().unwrap()[0]).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("**Repair items, "), "{text}");
    assert!(text.contains("**alice**"), "grouped by assignee: {text}");
    assert!(
        text.contains(&format!("(http://127.0.0.1:{port}/repairs/{id})")),
        "links the item: {text}"
    );
    assert!(text.contains("assigned it to alice"), "{text}");
    assert!(body["digest"]["changed"].as_u64().unwrap() >= 1);
    // The delivery is noted in the data folder (once the receiver's answer is read): a
    // restarted server goes on from it.
    wait_until("digest.json", || dir.join("index/digest.json").exists());
    let noted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index/digest.json")).unwrap()).unwrap();
    assert!(
        noted["delivered"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.matches("digest delivery refused").count() >= 5, "{log}");
    assert!(
        log.contains("digest not delivered"),
        "the first digest gave up: {log}"
    );
    assert!(log.contains("digest delivered"), "{log}");
    assert!(!log.contains(&hook), "the webhook's address is not logged");
}
