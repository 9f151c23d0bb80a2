//! Time the search work of the benchmark queries on an existing index:
//! `cargo run --release --example search_profile -- INDEX_DIR/search bench/queries.tsv [--slowest]`
use std::time::Instant;

use incident_kb::index::SearchIndex;
use incident_kb::index::search::SearchRequest;

fn main() {
    // RUST_LOG=incident_kb=trace prints where each search's time goes.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args: Vec<String> = std::env::args().collect();
    let index = SearchIndex::open(std::path::Path::new(&args[1])).unwrap();
    let text = std::fs::read_to_string(&args[2]).unwrap();
    let queries: Vec<SearchRequest> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (q, f) = l.split_once('\t').unwrap_or((l, ""));
            let filters = f
                .split(';')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_string(), vec![v.to_string()])
                })
                .collect();
            SearchRequest {
                query: q.into(),
                filters,
                limit: 10,
                ..Default::default()
            }
        })
        .collect();
    let mut times = Vec::new();
    let mut per_query = vec![(0.0f64, 0usize); queries.len()];
    for _ in 0..3 {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let results = std::hint::black_box(index.search(q).unwrap());
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            per_query[i] = (per_query[i].0.max(ms), results.total);
        }
    }
    if args.iter().any(|a| a == "--slowest") {
        let mut order: Vec<usize> = (0..queries.len()).collect();
        order.sort_by(|&a, &b| per_query[b].0.total_cmp(&per_query[a].0));
        for &i in order.iter().take(25) {
            let q = &queries[i];
            println!(
                "{:8.3} ms  {:7} hits  {:?} {:?}",
                per_query[i].0, per_query[i].1, q.query, q.filters
            );
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "p50 {:.3} ms  p99 {:.3} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}
