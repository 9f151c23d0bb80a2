//! Print the incidents parsed from report folders as JSON, to look at what the parsers make of
//! a corpus: `cargo run --release --example dump -- ../shared/corpus/azure > incidents.json`.

fn main() {
    let roots: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let cat = incident_kb::catalog::Catalogue::bundled();
    let r = incident_kb::ingest::corpus::read(&roots, &cat, |_, _, _| {}).unwrap();
    println!("{}", serde_json::to_string_pretty(&r.incidents).unwrap());
    for f in r.failures {
        eprintln!("FAIL {f}");
    }
}
