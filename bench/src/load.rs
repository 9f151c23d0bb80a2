//! A small HTTP/1.1 load generator over keep-alive connections on loopback: closed-loop for the
//! maximum rate, and open-loop at a fixed rate with latency measured from each request's
//! intended send time (so a slow response delays no measurement: coordinated omission is
//! corrected). Bounded in requests and time; it only talks to 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// One GET; returns the status code.
    pub fn get(&mut self, path: &str) -> std::io::Result<u16> {
        write!(
            self.writer,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )?;
        self.read_response()
    }

    fn read_response(&mut self) -> std::io::Result<u16> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut buf = vec![0; size + 2];
                self.reader.read_exact(&mut buf)?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut buf = vec![0; length];
            self.reader.read_exact(&mut buf)?;
        }
        Ok(status)
    }
}

/// Latencies of one run and what it achieved.
#[derive(Debug, Default, Clone)]
pub struct Run {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub server_errors: usize,
    pub elapsed: Duration,
}

impl Run {
    /// Send one request and record its latency counted from `since`; on a transport error,
    /// count it and reconnect. False when the server cannot be reached any more.
    fn request(&mut self, conn: &mut Conn, port: u16, path: &str, since: Instant) -> bool {
        match conn.get(path) {
            Ok(status) => {
                self.latencies.push(since.elapsed());
                self.server_errors += usize::from(status >= 500);
                true
            }
            Err(_) => {
                self.errors += 1;
                match Conn::open(port) {
                    Ok(c) => {
                        *conn = c;
                        true
                    }
                    Err(_) => false,
                }
            }
        }
    }

    pub fn qps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// As many requests as `connections` keep-alive connections can make in `duration`.
pub fn closed_loop(port: u16, paths: &[String], connections: usize, duration: Duration) -> Run {
    let started = Instant::now();
    let deadline = started + duration;
    on_connections(port, connections, started, |w, conn, run| {
        let mut n = w;
        while Instant::now() < deadline {
            if !run.request(conn, port, &paths[n % paths.len()], Instant::now()) {
                break;
            }
            n += connections;
        }
    })
}

/// `rate` requests per second for `duration`, spread over `connections`; each latency counts
/// from when the request was due, not from when it could be sent.
pub fn open_loop(
    port: u16,
    paths: &[String],
    rate: f64,
    connections: usize,
    duration: Duration,
) -> Run {
    let started = Instant::now();
    let total = (rate * duration.as_secs_f64()) as usize;
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    on_connections(port, connections, started, |w, conn, run| {
        let offset = interval.mul_f64(w as f64 / connections as f64);
        let mut k = 0usize;
        loop {
            let n = k * connections + w;
            if n >= total {
                break;
            }
            let due = started + offset + interval * k as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if !run.request(conn, port, &paths[n % paths.len()], due) {
                break;
            }
            k += 1;
        }
    })
}

/// Run `work(worker, connection, run)` on `connections` threads, each with its own keep-alive
/// connection, and merge what they measured.
fn on_connections(
    port: u16,
    connections: usize,
    started: Instant,
    work: impl Fn(usize, &mut Conn, &mut Run) + Sync,
) -> Run {
    let parts: Vec<Run> = std::thread::scope(|scope| {
        let work = &work;
        let workers: Vec<_> = (0..connections)
            .map(|w| {
                scope.spawn(move || {
                    let mut run = Run::default();
                    match Conn::open(port) {
                        Ok(mut conn) => work(w, &mut conn, &mut run),
                        Err(_) => run.errors += 1,
                    }
                    run
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("load worker"))
            .collect()
    });
    merge(parts, started.elapsed())
}

fn merge(parts: Vec<Run>, elapsed: Duration) -> Run {
    let mut run = Run {
        elapsed,
        ..Run::default()
    };
    for p in parts {
        run.latencies.extend(p.latencies);
        run.errors += p.errors;
        run.server_errors += p.server_errors;
    }
    run
}
