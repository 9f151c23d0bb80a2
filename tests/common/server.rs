//! Running the real `ikb` binary as a server for tests, and talking raw HTTP/1.1 to it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, pass or fail.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Send raw bytes as one request on a new connection: (status code, body).
pub fn http_raw(port: u16, request: &[u8]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(request).ok()?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    let body = out
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    Some((status, body))
}

pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http_raw(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

pub fn http_post_json(port: u16, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    http_raw(port, req.as_bytes())
}

pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not come up within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Copy the seeds into `dir/corpus` and write `dir/users.toml` with one user and one token.
pub fn prepare(dir: &Path, password: &str, token: &str) {
    super::test_corpus(dir, &[]);
    let hash = incident_kb::web::auth::hash_password(password);
    let sha = incident_kb::web::auth::sha256_hex(token);
    std::fs::write(
        dir.join("users.toml"),
        format!("[[user]]\nname = \"alice\"\npassword_hash = \"{hash}\"\n\n[[user]]\nname = \"bob\"\npassword_hash = \"{hash}\"\n\n[[token]]\nname = \"bot\"\ntoken_sha256 = \"{sha}\"\n"),
    )
    .unwrap();
}

/// Start `ikb serve` on `dir/index` with `dir/corpus` and `dir/users.toml`, without waiting.
pub fn spawn_serve(dir: &Path, port: u16) -> Proc {
    spawn_serve_logging(dir, port, &dir.join("serve.log"), "warn")
}

/// The same, logging to `log` at level `rust_log` (a log outside a filesystem a test fills).
pub fn spawn_serve_logging(dir: &Path, port: u16, log: &Path, rust_log: &str) -> Proc {
    spawn_serve_with(dir, port, log, rust_log, &[])
}

/// The same, with more `ikb serve` arguments.
pub fn spawn_serve_with(dir: &Path, port: u16, log: &Path, rust_log: &str, extra: &[&str]) -> Proc {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ikb"))
        .arg("--index")
        .arg(dir.join("index"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--corpus"])
        .arg(dir.join("corpus"))
        .arg("--users")
        .arg(dir.join("users.toml"))
        .args(extra)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("ikb serve starts");
    Proc(child)
}

/// Start `ikb serve` and wait until it answers /healthz.
pub fn serve(dir: &Path, port: u16) -> Proc {
    let proc = spawn_serve(dir, port);
    wait_until("ikb serve", || {
        http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
    });
    proc
}
