//! Time the search work of the benchmark queries on an existing index:
//! `cargo run --release --example search_profile -- INDEX_DIR/search bench/queries.tsv`
use std::time::Instant;

use incident_kb::index::SearchIndex;
use incident_kb::index::search::SearchRequest;

fn main() {
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
    for _ in 0..3 {
        for q in &queries {
            let t = Instant::now();
            std::hint::black_box(index.search(q).unwrap());
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "p50 {:.3} ms  p99 {:.3} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}
