//! `ikb-bench`: incident-kb measured at several corpus sizes, side by side with SQLite FTS5.
//! `ikb-bench run` does it all and prints BENCHMARKS.md's tables; `ingest` and `serve` are the
//! child processes it measures (the same library calls as `ikb ingest` and `ikb serve`).

mod fts;
mod load;
mod soak;

/// The same allocator as `ikb` (see its main.rs), so that figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use incident_kb::catalog::Catalogue;
use incident_kb::index::SearchIndex;
use incident_kb::index::SearchRequest;
use incident_kb::ingest::DataDir;
use incident_kb::tracking::Change;

#[derive(Parser)]
#[command(
    name = "ikb-bench",
    about = "Benchmarks of incident-kb against SQLite FTS5"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate corpora, ingest, search, load the server, write; print the figures.
    Run {
        /// Corpus sizes, comma-separated.
        #[arg(long, default_value = "1000,10000,100000", value_delimiter = ',')]
        sizes: Vec<usize>,
        /// Work folder (corpora, indexes, databases). Default: a temporary folder.
        #[arg(long)]
        work: Option<PathBuf>,
        /// Real reports to recombine.
        #[arg(long = "from", default_values = ["corpus", "../shared/corpus"])]
        from: Vec<PathBuf>,
        #[arg(long, default_value = QUERIES)]
        queries: PathBuf,
        /// Passes over the query file (interleaved: incident-kb, then FTS5, per query).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Seconds per load run against the server.
        #[arg(long, default_value_t = 8)]
        load_seconds: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Flushed repair-item writes (a note each, acknowledged when durable) on the tracking
    /// store of a data folder, against an fsync floor in `--floor`: medians of `--rounds`.
    Writes {
        /// The data folder (ingested first).
        index: PathBuf,
        /// The tracking store (default: the folder's sled).
        #[arg(long)]
        store: Option<String>,
        /// Folder for the fsync floor's file (on the store's disk).
        #[arg(long)]
        floor: PathBuf,
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
    /// A bounded soak of `ikb serve` on loopback: many requests, 10% malformed, concurrent writes.
    Soak {
        #[arg(long, default_value_t = 200_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// The reports to serve (the bundled seeds: the soak's requests name their incidents).
        #[arg(long, default_value = "corpus")]
        corpus: PathBuf,
        /// Concurrent writers changing one repair item during the soak.
        #[arg(long, default_value_t = 4)]
        writers: usize,
        /// The `ikb-bench` binary whose `serve` is soaked (default: this one), to measure
        /// another build's server with the same client in one run.
        #[arg(long)]
        server: Option<PathBuf>,
    },
    /// Time the search work of the query file on an existing index, alone (no FTS5, no
    /// server). `RUST_LOG=incident_kb=trace` also prints where each search's time goes.
    Profile {
        /// The search index folder (`WORK/SIZE/index/search` after `run --work WORK`).
        index: PathBuf,
        #[arg(long, default_value = QUERIES)]
        queries: PathBuf,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Also list the 25 slowest queries.
        #[arg(long)]
        slowest: bool,
        /// Also print every query's median time over the rounds, in the file's order (to
        /// compare two builds query by query).
        #[arg(long)]
        each: bool,
        /// Then run the queries on every core for this many seconds and print the QPS.
        #[arg(long, default_value_t = 0)]
        qps_seconds: u64,
    },
    /// Child process: ingest a corpus (what `ikb ingest` does).
    Ingest { index: PathBuf, corpus: PathBuf },
    /// Child process: serve an index (what `ikb serve` does).
    Serve {
        index: PathBuf,
        corpus: PathBuf,
        addr: String,
        /// Users and tokens allowed to write.
        #[arg(long)]
        users: Option<PathBuf>,
    },
}

fn main() {
    match Cli::parse().command {
        Cmd::Ingest { index, corpus } => {
            let s = incident_kb::ingest::ingest(
                &DataDir::new(index),
                &[corpus],
                &Catalogue::bundled(),
                |_, _, _| {},
            )
            .expect("ingest");
            assert!(s.failures.is_empty(), "{:?}", s.failures);
        }
        Cmd::Serve {
            index,
            corpus,
            addr,
            users,
        } => {
            let auth = match users {
                Some(path) => incident_kb::web::Auth::load(&path).expect("users file"),
                None => incident_kb::web::Auth::new(Default::default()),
            };
            incident_kb::web::serve(
                incident_kb::web::ServeOptions {
                    addr,
                    data: DataDir::new(index),
                    corpus: vec![corpus],
                    catalogue: Catalogue::bundled(),
                    auth,
                    secure_cookies: false,
                },
                None,
            )
            .expect("serve");
        }
        Cmd::Writes {
            index,
            store,
            floor,
            count,
        } => {
            let data = DataDir::new(index).with_store(store);
            let store = incident_kb::tracking::open(&data.tracking()).expect("store");
            let (p50, p99, floor_p50) = flushed_writes(store.as_ref(), &floor, count);
            println!(
                "{{\"store\": \"{}\", \"writes\": {count}, \"write_p50_ms\": {p50:.3}, \"write_p99_ms\": {p99:.3}, \"fsync_floor_p50_ms\": {floor_p50:.3}, \"ratio\": {:.2}}}",
                store.location(),
                p50 / floor_p50
            );
        }
        Cmd::Profile {
            index,
            queries,
            rounds,
            slowest,
            each,
            qps_seconds,
        } => profile(
            &index,
            &read_queries(&queries),
            rounds,
            (slowest, each),
            Duration::from_secs(qps_seconds),
        ),
        Cmd::Soak {
            requests,
            connections,
            corpus,
            server,
            writers,
        } => {
            let tmp = tempfile::tempdir().expect("temp dir");
            let token = "soak-token-0123456789";
            let users = tmp.path().join("users.toml");
            let sha = incident_kb::web::auth::sha256_hex(token);
            std::fs::write(
                &users,
                format!("[[token]]\nname = \"soak\"\ntoken_sha256 = \"{sha}\"\n"),
            )
            .expect("users file");
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .expect("port")
                .local_addr()
                .expect("addr")
                .port();
            let mut server = Command::new(server.unwrap_or_else(me))
                .arg("serve")
                .arg(tmp.path().join("index"))
                .arg(&corpus)
                .arg(format!("127.0.0.1:{port}"))
                .arg("--users")
                .arg(&users)
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("server starts");
            let started = Instant::now();
            while !load::Conn::open(port)
                .and_then(|mut c| c.get("/healthz"))
                .is_ok_and(|s| s == 200)
            {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "server did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            let item = {
                let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
                write!(
                    s,
                    "GET /api/v1/repairs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                .expect("request");
                let mut out = String::new();
                std::io::Read::read_to_string(&mut s, &mut out).expect("response");
                let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("[]");
                let items: Vec<serde_json::Value> =
                    serde_json::from_str(body).expect("repairs JSON");
                items[0]["id"].as_str().expect("an item").to_string()
            };
            let result = soak::run(
                port,
                server.id(),
                token,
                &item,
                requests,
                connections,
                writers,
            );
            let alive = server.try_wait().expect("server status").is_none();
            soak::print(&result);
            println!(
                "| server still running at the end | {} |",
                if alive { "yes" } else { "no" }
            );
            let _ = server.kill();
            let _ = server.wait();
            let first = result.rss_quarters_mb.first().copied().unwrap_or(1.0);
            let last = result.rss_quarters_mb.last().copied().unwrap_or(1.0);
            let ok = alive
                && result.server_errors == 0
                && result.writes_acknowledged == result.writes_in_history
                && last < first * 1.10;
            std::process::exit(if ok { 0 } else { 1 });
        }
        Cmd::Run {
            sizes,
            work,
            from,
            queries,
            rounds,
            load_seconds,
            seed,
            json,
        } => {
            let tmp;
            let work = match work {
                Some(w) => w,
                None => {
                    tmp = tempfile::tempdir().expect("temp dir");
                    tmp.path().to_path_buf()
                }
            };
            let queries = read_queries(&queries);
            let from: Vec<PathBuf> = from.into_iter().filter(|p| p.exists()).collect();
            let read =
                incident_kb::ingest::corpus::read(&from, &Catalogue::bundled(), |_, _, _| {})
                    .expect("source reports");
            let pools = incident_kb::ingest::synthetic::Pools::from_incidents(&read.incidents);
            let mut all = Vec::new();
            print_machine();
            for n in sizes {
                let r = run_size(
                    &work.join(n.to_string()),
                    n,
                    seed,
                    &pools,
                    &queries,
                    rounds,
                    Duration::from_secs(load_seconds),
                );
                print_size(&r);
                all.push(r);
            }
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_vec_pretty(&all).expect("json"))
                    .expect("write json");
            }
        }
    }
}

type Query = (String, Vec<(String, Vec<String>)>);

/// The query file beside this crate's manifest, wherever the harness is run from.
const QUERIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/queries.tsv");

fn read_queries(path: &Path) -> Vec<Query> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (q, f) = l.split_once('\t').unwrap_or((l, ""));
            let mut filters: Vec<(String, Vec<String>)> = Vec::new();
            for pair in f.split(';').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').expect("name=value");
                filters.push((k.to_string(), vec![v.to_string()]));
            }
            (q.to_string(), filters)
        })
        .collect()
}

fn search_request(q: &Query) -> SearchRequest {
    SearchRequest {
        query: q.0.clone(),
        filters: q
            .1
            .iter()
            .map(|(name, values)| {
                let facet = incident_kb::index::Facet::parse(name)
                    .unwrap_or_else(|| panic!("bench/queries.tsv: no facet `{name}`"));
                (facet, values.clone())
            })
            .collect(),
        limit: 10,
        ..Default::default()
    }
}

fn profile(
    index: &Path,
    queries: &[Query],
    rounds: usize,
    (slowest, each): (bool, bool),
    qps_for: Duration,
) {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let index = incident_kb::index::SearchIndex::open(index).expect("search index");
    for q in queries {
        index.search(&search_request(q)).expect("warm-up");
    }
    let mut times = Vec::new();
    let mut worst = vec![(Duration::ZERO, 0usize); queries.len()];
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    for _ in 0..rounds {
        for ((q, worst), mine) in queries.iter().zip(&mut worst).zip(&mut per_query) {
            let started = Instant::now();
            let results = std::hint::black_box(index.search(&search_request(q)).expect("search"));
            let took = started.elapsed();
            times.push(took);
            mine.push(took);
            *worst = (worst.0.max(took), results.total);
        }
    }
    if each {
        for (q, mine) in queries.iter().zip(&mut per_query) {
            println!("each\t{:.3}\t{:?}\t{:?}", percentile(mine, 0.5), q.0, q.1);
        }
    }
    if slowest {
        let mut order: Vec<usize> = (0..queries.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(worst[i].0));
        for &i in order.iter().take(25) {
            let (took, total) = worst[i];
            println!(
                "{:8.3} ms  {total:7} hits  {:?} {:?}",
                took.as_secs_f64() * 1000.0,
                queries[i].0,
                queries[i].1
            );
        }
    }
    println!(
        "p50 {:.3} ms  p99 {:.3} ms",
        percentile(&mut times, 0.5),
        percentile(&mut times, 0.99)
    );
    if !qps_for.is_zero() {
        println!(
            "{:.0} QPS on every core",
            search_qps(&index, queries, qps_for)
        );
    }
}

/// Searches per second with the queries run on every core, closed loop, for `load`.
fn search_qps(index: &SearchIndex, queries: &[Query], load: Duration) -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let t = Instant::now();
    let done: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..cores)
            .map(|c| {
                s.spawn(move || {
                    let mut k = 0;
                    while t.elapsed() < load {
                        let q = &queries[(k * cores + c) % queries.len()];
                        std::hint::black_box(index.search(&search_request(q)).expect("search"));
                        k += 1;
                    }
                    k
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("search worker"))
            .sum()
    });
    done as f64 / t.elapsed().as_secs_f64()
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort();
    let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let m = e.metadata().expect("metadata");
                    if m.is_dir() {
                        dir_size(&e.path())
                    } else {
                        m.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Run a child to its end; returns (seconds, its peak RSS in MB, success).
#[allow(clippy::zombie_processes)] // reaped by wait4 below
fn run_measured(cmd: &mut Command) -> (f64, f64, bool) {
    let started = Instant::now();
    let child = cmd.spawn().expect("child starts");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid fills `status` and `usage`; the child is not waited
    // for anywhere else.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (
        started.elapsed().as_secs_f64(),
        usage.ru_maxrss as f64 / 1024.0,
        ok,
    )
}

pub(crate) fn proc_status_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn me() -> PathBuf {
    std::env::current_exe().expect("own path")
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "machine: {cores} cores, {cpu}; {}",
        jiff::Timestamp::now().strftime("%Y-%m-%d")
    );
}

#[derive(Debug, Default, serde::Serialize)]
struct SizeResult {
    incidents: usize,
    raw_text_mb: f64,
    ingest_s: f64,
    ingest_per_s: f64,
    reingest_s: f64,
    ingest_peak_rss_mb: f64,
    index_mb: f64,
    fts_build_s: f64,
    fts_mb: f64,
    ikb_p50_ms: f64,
    ikb_p99_ms: f64,
    fts_p50_ms: f64,
    fts_p99_ms: f64,
    search_work_qps: f64,
    write_p50_ms: f64,
    write_p99_ms: f64,
    fsync_p50_ms: f64,
    start_to_first_result_ms: f64,
    max_qps_search_page: f64,
    max_qps_api_search: f64,
    max_qps_trivial: f64,
    fixed_rate: Vec<(f64, f64, f64, f64)>,
    serving_rss_mb: f64,
    server_errors: usize,
}

#[allow(clippy::too_many_arguments)]
fn run_size(
    dir: &Path,
    n: usize,
    seed: u64,
    pools: &incident_kb::ingest::synthetic::Pools,
    queries: &[Query],
    rounds: usize,
    load: Duration,
) -> SizeResult {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("work dir");
    let corpus = dir.join("corpus");
    let index_dir = dir.join("index");
    let bytes =
        incident_kb::ingest::synthetic::write_corpus(pools, seed, n, &corpus).expect("generate");
    // The generated reports go to disk now, not while ingest is timed (its commits wait on
    // every dirty page of the file system).
    let _ = Command::new("sync").status();
    let mut r = SizeResult {
        incidents: n,
        raw_text_mb: bytes as f64 / 1e6,
        ..SizeResult::default()
    };
    eprintln!("[{n}] generated {:.1} MB", r.raw_text_mb);

    // Ingest and re-ingest, each in its own process.
    let ingest = || {
        let (seconds, rss, ok) = run_measured(
            Command::new(me())
                .arg("ingest")
                .arg(&index_dir)
                .arg(&corpus),
        );
        assert!(ok, "ingest failed");
        (seconds, rss)
    };
    (r.ingest_s, r.ingest_peak_rss_mb) = ingest();
    r.ingest_per_s = n as f64 / r.ingest_s;
    r.reingest_s = ingest().0;
    r.index_mb = dir_size(&index_dir.join("search")) as f64 / 1e6;
    eprintln!(
        "[{n}] ingest {:.2} s, re-ingest {:.2} s",
        r.ingest_s, r.reingest_s
    );

    // The same documents in FTS5.
    let data = DataDir::new(&index_dir);
    let index = SearchIndex::open(&data.search()).expect("index opens");
    let incidents = index.all().expect("incidents");
    let t = Instant::now();
    let db = fts::Fts::build(&dir.join("fts.db"), &incidents).expect("fts build");
    r.fts_build_s = t.elapsed().as_secs_f64();
    r.fts_mb = (dir_size(dir) - dir_size(&corpus) - dir_size(&index_dir)) as f64 / 1e6;
    drop(incidents);

    // Search latency, interleaved per query.
    let request = search_request;
    for q in queries {
        index.search(&request(q)).expect("warm-up");
        db.search(&q.0, &q.1).expect("warm-up");
    }
    let (mut ikb, mut sql) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for q in queries {
            let req = request(q);
            let t = Instant::now();
            std::hint::black_box(index.search(&req).expect("search"));
            ikb.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(db.search(&q.0, &q.1).expect("fts search"));
            sql.push(t.elapsed());
        }
    }
    r.ikb_p50_ms = percentile(&mut ikb, 0.5);
    r.ikb_p99_ms = percentile(&mut ikb, 0.99);
    r.fts_p50_ms = percentile(&mut sql, 0.5);
    r.fts_p99_ms = percentile(&mut sql, 0.99);
    // What the search work alone allows, on every core.
    r.search_work_qps = search_qps(&index, queries, load);
    drop(index);
    drop(db);
    eprintln!(
        "[{n}] search p50 {:.3} ms vs FTS5 {:.3} ms",
        r.ikb_p50_ms, r.fts_p50_ms
    );

    // Flushed repair-status writes against an fsync floor on the same disk.
    {
        let store = incident_kb::tracking::open(&data.tracking()).expect("store");
        (r.write_p50_ms, r.write_p99_ms, r.fsync_p50_ms) = flushed_writes(store.as_ref(), dir, 200);
    }

    // The server: start to first result, then load.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let started = Instant::now();
    let mut server = Command::new(me())
        .args(["serve"])
        .arg(&index_dir)
        .arg(&corpus)
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    loop {
        if let Ok(mut c) = load::Conn::open(port)
            && c.get("/search?q=latency").is_ok_and(|s| s == 200)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "server did not answer"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    r.start_to_first_result_ms = started.elapsed().as_secs_f64() * 1000.0;
    let enc = |q: &str| {
        q.replace('%', "%25")
            .replace(' ', "+")
            .replace('&', "%26")
            .replace('#', "%23")
    };
    let path_of = |prefix: &str, q: &Query| {
        let mut p = format!("{prefix}?q={}", enc(&q.0));
        for (k, vs) in &q.1 {
            for v in vs {
                p.push_str(&format!("&{k}={}", enc(v)));
            }
        }
        p
    };
    let pages: Vec<String> = queries.iter().map(|q| path_of("/search", q)).collect();
    let api: Vec<String> = queries
        .iter()
        .map(|q| path_of("/api/v1/search", q))
        .collect();
    let trivial = vec!["/healthz".to_string()];
    let conns = 16;
    let page_run = load::closed_loop(port, &pages, conns, load);
    let api_run = load::closed_loop(port, &api, conns, load);
    let trivial_run = load::closed_loop(port, &trivial, conns, load);
    r.max_qps_search_page = page_run.qps();
    r.max_qps_api_search = api_run.qps();
    r.max_qps_trivial = trivial_run.qps();
    r.server_errors = page_run.server_errors + api_run.server_errors + trivial_run.server_errors;
    for share in [0.25, 0.5, 0.75] {
        let rate = (r.max_qps_search_page * share).max(1.0);
        let mut run = load::open_loop(port, &pages, rate, conns.min(rate as usize).max(1), load);
        r.server_errors += run.server_errors;
        let achieved = run.qps();
        r.fixed_rate.push((
            share,
            achieved,
            percentile(&mut run.latencies, 0.5),
            percentile(&mut run.latencies, 0.99),
        ));
    }
    r.serving_rss_mb = proc_status_mb(server.id(), "VmHWM:");
    let _ = server.kill();
    let _ = server.wait();
    eprintln!("[{n}] /search max {:.0} QPS", r.max_qps_search_page);
    r
}

fn print_size(r: &SizeResult) {
    println!(
        "\n### {} incidents ({:.1} MB of report text)\n",
        r.incidents, r.raw_text_mb
    );
    println!("| measure | incident-kb | SQLite FTS5 | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| search p50, full results page (ms) | {:.3} | {:.3} | {:.1}× faster |",
        r.ikb_p50_ms,
        r.fts_p50_ms,
        r.fts_p50_ms / r.ikb_p50_ms
    );
    println!(
        "| search p99 (ms) | {:.3} | {:.3} | {:.1}× faster |",
        r.ikb_p99_ms,
        r.fts_p99_ms,
        r.fts_p99_ms / r.ikb_p99_ms
    );
    println!(
        "| build (s) | {:.2} (ingest) | {:.2} (insert) | |",
        r.ingest_s, r.fts_build_s
    );
    println!(
        "| size on disk (MB) | {:.1} ({:.2}× text) | {:.1} ({:.2}× text) | |",
        r.index_mb,
        r.index_mb / r.raw_text_mb,
        r.fts_mb,
        r.fts_mb / r.raw_text_mb
    );
    println!();
    println!("| measure | value |");
    println!("|---|---:|");
    println!(
        "| ingest | {:.2} s, {:.0} incidents/s |",
        r.ingest_s, r.ingest_per_s
    );
    println!(
        "| re-ingest, unchanged corpus | {:.3} s ({:.1}% of a full ingest) |",
        r.reingest_s,
        100.0 * r.reingest_s / r.ingest_s
    );
    println!(
        "| peak RSS while ingesting | {:.0} MB |",
        r.ingest_peak_rss_mb
    );
    println!(
        "| search work alone, all cores | {:.0} QPS |",
        r.search_work_qps
    );
    println!(
        "| `/search` page, max | {:.0} QPS ({:.0}% of the search work alone) |",
        r.max_qps_search_page,
        100.0 * r.max_qps_search_page / r.search_work_qps
    );
    println!(
        "| `/api/v1/search`, max | {:.0} QPS |",
        r.max_qps_api_search
    );
    println!(
        "| `/healthz` (trivial route), max | {:.0} QPS (search page at {:.1}% of it) |",
        r.max_qps_trivial,
        100.0 * r.max_qps_search_page / r.max_qps_trivial
    );
    for (share, qps, p50, p99) in &r.fixed_rate {
        println!(
            "| `/search` at {:.0}% of max ({qps:.0} QPS) p50 / p99 | {p50:.2} / {p99:.2} ms |",
            share * 100.0
        );
    }
    println!("| 5xx answers during load | {} |", r.server_errors);
    println!("| serving peak RSS | {:.0} MB |", r.serving_rss_mb);
    println!(
        "| start to first search result (existing index) | {:.0} ms |",
        r.start_to_first_result_ms
    );
    println!(
        "| flushed repair write p50 / p99 | {:.2} / {:.2} ms ({:.1}× the fsync floor of {:.2} ms) |",
        r.write_p50_ms,
        r.write_p99_ms,
        r.write_p50_ms / r.fsync_p50_ms,
        r.fsync_p50_ms
    );
}

/// `count` flushed writes (a note each, on up to 200 items in turn), then as many 4-byte
/// writes with `fdatasync` in `floor`: (write p50, write p99, floor p50) in ms.
fn flushed_writes(
    store: &dyn incident_kb::tracking::TrackingStore,
    floor: &Path,
    count: usize,
) -> (f64, f64, f64) {
    let ids: Vec<String> = store
        .all()
        .expect("records")
        .into_iter()
        .take(200)
        .map(|x| x.id)
        .collect();
    assert!(
        !ids.is_empty(),
        "the store holds no repair item: ingest first"
    );
    let mut writes = Vec::new();
    for (k, id) in ids.iter().cycle().take(count).enumerate() {
        let change = Change {
            note: Some(format!("bench note {k}")),
            ..Default::default()
        };
        let t = Instant::now();
        store
            .update(id, &change, "bench", None, jiff::Timestamp::now())
            .expect("write");
        writes.push(t.elapsed());
    }
    let mut fsyncs = Vec::new();
    let path = floor.join("fsync-floor");
    let mut f = std::fs::File::create(&path).expect("floor file");
    for k in 0..count as u32 {
        let t = Instant::now();
        f.write_all(&k.to_le_bytes()).expect("write");
        f.sync_data().expect("fsync");
        fsyncs.push(t.elapsed());
    }
    let _ = std::fs::remove_file(&path);
    (
        percentile(&mut writes, 0.5),
        percentile(&mut writes, 0.99),
        percentile(&mut fsyncs, 0.5),
    )
}
