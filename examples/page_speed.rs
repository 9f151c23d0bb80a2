//! Time the bench queries (bench/queries.tsv) through the whole app in process, page and API:
//! `cargo run --release --example page_speed -- DATA_DIR CORPUS ROUNDS` from the repository root
//! (DATA_DIR is ingested from CORPUS when empty); then 50 incident pages, ROUNDS times. For
//! old-against-new, see BENCHMARKS.md.
use actix_web::{App, test, web};
use incident_kb::web::auth::{Auth, UsersFile};
use incident_kb::web::{ServeOptions, configure, open_state};

#[actix_web::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, corpus, rounds) = (&args[1], &args[2], args[3].parse::<usize>().unwrap());
    let (state, _) = open_state(ServeOptions {
        addr: String::new(),
        data: incident_kb::ingest::DataDir::new(data),
        corpus: vec![corpus.into()],
        catalogue: incident_kb::catalog::Catalogue::bundled(),
        auth: Auth::new(UsersFile::default()),
        secure_cookies: false,
    })
    .unwrap();
    let state = web::Data::new(state);
    let app = test::init_service(App::new().app_data(state.clone()).configure(configure)).await;
    let queries: Vec<String> = std::fs::read_to_string("bench/queries.tsv")
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (q, f) = l.split_once('\t').unwrap_or((l, ""));
            let mut p = format!("q={}", q.replace(' ', "+"));
            for kv in f.split(';').filter(|s| !s.is_empty()) {
                p.push('&');
                p.push_str(&kv.replace(' ', "+"));
            }
            p
        })
        .collect();
    for prefix in ["/search", "/api/v1/search", "/search", "/api/v1/search"] {
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..rounds {
            for q in &queries {
                let resp = test::call_service(
                    &app,
                    test::TestRequest::get()
                        .uri(&format!("{prefix}?{q}"))
                        .to_request(),
                )
                .await;
                assert!(
                    resp.status().is_success(),
                    "{prefix}?{q}: {}",
                    resp.status()
                );
                let _ = actix_web::body::to_bytes(resp.into_body()).await;
                n += 1;
            }
        }
        let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("{prefix}: {n} requests, {us:.0} µs each");
    }
    // Incident pages (each also lists its similar incidents): the first hits of a broad query.
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/search?q=error&limit=50")
            .to_request(),
    )
    .await;
    let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let ids: Vec<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for id in &ids {
            let resp = test::call_service(
                &app,
                test::TestRequest::get()
                    .uri(&format!("/incidents/{id}"))
                    .to_request(),
            )
            .await;
            assert!(resp.status().is_success(), "/incidents/{id}");
            let _ = actix_web::body::to_bytes(resp.into_body()).await;
            n += 1;
        }
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("/incidents/ID: {n} requests, {us:.0} µs each");
}
