//! A bounded soak on loopback: many requests over many keep-alive connections, a share of them
//! malformed, with concurrent repair-status writes to one item. It counts 5xx answers and
//! transport errors, samples the server's memory per quarter of the run, and checks that every
//! acknowledged write landed in the item's history.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::load::Conn;

/// Requests that are wrong on purpose: bad parameters, syntax errors, unknown routes and ids.
const MALFORMED: &[&str] = &[
    "/search?page=-1",
    "/search?page=99999999999999999999999",
    "/search?sort=sideways",
    "/search?from=2024-02-31",
    "/search?q=title%3A%28unclosed",
    "/search?q=%22unterminated",
    "/search?q=%FF%FE%00",
    "/incidents/..%2F..%2Fetc%2Fpasswd",
    "/incidents/no-such-incident",
    "/repairs?status=bogus",
    "/repairs?due=someday",
    "/repairs/not-an-item",
    "/api/v1/search?limit=0",
    "/api/v1/incidents/nope",
    "/static/..%2fCargo.toml",
    "/no/such/route",
];

const GOOD: &[&str] = &[
    "/search?q=HTTP+429",
    "/search?q=VMs+restarted&service=Virtual+Machines",
    "/search?q=nameservers",
    "/search",
    "/search?year=2024&sort=newest",
    "/api/v1/search?q=retry+storm",
    "/incidents/8GCS-858",
    "/incidents/2024-07-13-azure-openai",
    "/repairs",
    "/repairs?status=overdue",
    "/related?text=GPT-5.2+requests+returning+HTTP+429",
    "/healthz",
];

pub struct SoakResult {
    pub requests: usize,
    pub malformed: usize,
    pub server_errors: usize,
    pub transport_errors: usize,
    pub elapsed: Duration,
    pub rss_quarters_mb: Vec<f64>,
    pub writes_acknowledged: usize,
    pub writes_in_history: usize,
    /// How long each acknowledged write took, in milliseconds, and over how long they ran.
    pub write_ms: Vec<f64>,
    pub writes_elapsed: Duration,
}

fn post_json(port: u16, path: &str, token: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let mut rest = String::new();
    reader.read_to_string(&mut rest)?;
    let body = rest
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    Ok((status, body))
}

fn get_body(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string()))
}

/// Run the soak against a server on `port` (process `pid`), writing to repair item `item`.
pub fn run(
    port: u16,
    pid: u32,
    token: &str,
    item: &str,
    requests: usize,
    connections: usize,
    writers: usize,
) -> SoakResult {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let server_errors = AtomicUsize::new(0);
    let transport_errors = AtomicUsize::new(0);
    let malformed = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let quarters = Mutex::new(Vec::new());
    let acked = AtomicUsize::new(0);
    let write_ms = Mutex::new(Vec::new());
    let writes_done = Mutex::new(Duration::ZERO);
    let history_before = history_len(port, item);
    std::thread::scope(|scope| {
        for _ in 0..connections {
            scope.spawn(|| {
                let mut conn = Conn::open(port).ok();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        break;
                    }
                    if n > 0 && n.is_multiple_of((requests / 4).max(1)) {
                        quarters
                            .lock()
                            .expect("quarters")
                            .push(crate::proc_status_mb(pid, "VmRSS:"));
                    }
                    let path = if n % 10 == 9 {
                        malformed.fetch_add(1, Ordering::Relaxed);
                        MALFORMED[n / 10 % MALFORMED.len()]
                    } else {
                        GOOD[n % GOOD.len()]
                    };
                    let result = match conn.as_mut() {
                        Some(c) => c.get(path),
                        None => Err(std::io::Error::other("no connection")),
                    };
                    match result {
                        Ok(status) => {
                            if status >= 500 {
                                server_errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => {
                            transport_errors.fetch_add(1, Ordering::Relaxed);
                            conn = Conn::open(port).ok();
                        }
                    }
                }
            });
        }
        // Concurrent status writes, `writers` of them on one item.
        for w in 0..writers {
            let (done, acked, write_ms, writes_done) = (&done, &acked, &write_ms, &writes_done);
            scope.spawn(move || {
                let mut k = 0;
                while !done.load(Ordering::Relaxed) && k < 200 {
                    let status = ["open", "in_progress", "completed", "wont_do"][k % 4];
                    let body = format!(
                        "{{\"status\": \"{status}\", \"note\": \"soak writer {w} write {k}\"}}"
                    );
                    let t = Instant::now();
                    if let Ok((200, _)) =
                        post_json(port, &format!("/api/v1/repairs/{item}"), token, &body)
                    {
                        acked.fetch_add(1, Ordering::Relaxed);
                        write_ms
                            .lock()
                            .expect("write times")
                            .push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    k += 1;
                }
                let mut last = writes_done.lock().expect("writes done");
                *last = (*last).max(started.elapsed());
            });
        }
        // The writers stop when the readers are done.
        scope.spawn(|| {
            while next.load(Ordering::Relaxed) < requests {
                std::thread::sleep(Duration::from_millis(20));
            }
            done.store(true, Ordering::Relaxed);
        });
    });
    let elapsed = started.elapsed();
    let mut rss = quarters.into_inner().expect("quarters");
    rss.push(crate::proc_status_mb(pid, "VmRSS:"));
    let note_events = history_len(port, item);
    SoakResult {
        requests,
        malformed: malformed.into_inner(),
        server_errors: server_errors.into_inner(),
        transport_errors: transport_errors.into_inner(),
        elapsed,
        rss_quarters_mb: rss,
        writes_acknowledged: acked.into_inner(),
        writes_in_history: note_events.saturating_sub(history_before),
        write_ms: write_ms.into_inner().expect("write times"),
        writes_elapsed: writes_done.into_inner().expect("writes done"),
    }
}

fn history(port: u16, item: &str) -> Vec<serde_json::Value> {
    let body = get_body(port, &format!("/api/v1/repairs/{item}")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["history"].as_array().cloned())
        .unwrap_or_default()
}

fn history_len(port: u16, item: &str) -> usize {
    history(port, item)
        .iter()
        .filter(|e| e["field"] == "note")
        .count()
}

/// Print the soak's figures.
pub fn print(r: &SoakResult) {
    let first = r.rss_quarters_mb.first().copied().unwrap_or(f64::NAN);
    let last = r.rss_quarters_mb.last().copied().unwrap_or(f64::NAN);
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| requests | {} over {:.1} s ({:.0} per second) |",
        r.requests,
        r.elapsed.as_secs_f64(),
        r.requests as f64 / r.elapsed.as_secs_f64()
    );
    println!("| malformed among them | {} |", r.malformed);
    println!("| 5xx answers | {} |", r.server_errors);
    println!("| transport errors | {} |", r.transport_errors);
    println!(
        "| server RSS per quarter (MB) | {} |",
        r.rss_quarters_mb
            .iter()
            .map(|m| format!("{m:.0}"))
            .collect::<Vec<_>>()
            .join(" → ")
    );
    println!(
        "| memory growth, first to last quarter | {:.1}% |",
        100.0 * (last - first) / first
    );
    println!(
        "| concurrent writes to one item: acknowledged / in its history | {} / {} |",
        r.writes_acknowledged, r.writes_in_history
    );
    let mut ms = r.write_ms.clone();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms.get(((ms.len() as f64 * q) as usize).min(ms.len().saturating_sub(1)));
    if let (Some(p50), Some(p99)) = (at(0.5), at(0.99)) {
        println!(
            "| tracking writes under the read load | {:.1} per second, p50 {p50:.1} ms, p99 {p99:.1} ms |",
            ms.len() as f64 / r.writes_elapsed.as_secs_f64().max(1e-9)
        );
    }
}
