//! The readers measured against the hand-checked answer key (`../shared/key/KEY.json`, 40
//! reports of the shared corpus; conventions in `KEY.md`): per fact, the share the readers get
//! right, printed with every fact still wrong and why. The floors asserted are what the readers
//! reach today (a ratchet: raise them as the readers improve; the aim is 95% on every fact).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use incident_kb::catalog::Catalogue;
use incident_kb::incident::{Incident, ReportedStatus, Stage};
use serde::Deserialize;

#[derive(Deserialize)]
struct Key {
    reports: Vec<KeyReport>,
}

#[derive(Deserialize)]
struct KeyReport {
    file: String,
    provider: String,
    incidents: Vec<KeyIncident>,
}

#[derive(Deserialize)]
struct KeyIncident {
    impact_start: Option<jiff::Timestamp>,
    start_tolerance_min: Option<i64>,
    impact_end: Option<jiff::Timestamp>,
    end_tolerance_min: Option<i64>,
    stage: String,
    #[serde(default)]
    stage_alternatives: Vec<String>,
    primary_service: Option<String>,
    #[serde(default)]
    primary_service_aliases: Vec<String>,
    regions: Vec<String>,
    repair_items: Vec<KeyItem>,
}

#[derive(Deserialize)]
struct KeyItem {
    text_start: String,
    status: String,
}

fn key_path() -> PathBuf {
    common::shared_corpus().join("../key/KEY.json")
}

/// A service name as compared: lowercase, without parentheses or a provider's name in front.
fn service_words(name: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = out.to_lowercase();
    let mut out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for prefix in [
        "google cloud ",
        "google ",
        "amazon ",
        "aws ",
        "microsoft ",
        "azure ",
    ] {
        if let Some(rest) = out.strip_prefix(prefix) {
            out = rest.to_string();
        }
    }
    out
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One fact checked: right or not, and what was read against what the key says.
struct Check {
    fact: &'static str,
    right: bool,
    detail: String,
}

fn within(
    got: Option<jiff::Timestamp>,
    want: Option<jiff::Timestamp>,
    tolerance: Option<i64>,
) -> bool {
    match (got, want) {
        (None, None) => true,
        (Some(g), Some(w)) => (g.as_second() - w.as_second()).abs() <= tolerance.unwrap_or(0) * 60,
        _ => false,
    }
}

fn check(
    report: &KeyReport,
    key: &KeyIncident,
    got: &Incident,
    catalogue: &Catalogue,
) -> Vec<Check> {
    let r = got.current();
    let mut out = Vec::new();
    let mut push = |fact, right, detail: String| {
        out.push(Check {
            fact,
            right,
            detail,
        })
    };
    push(
        "impact start",
        within(r.impact_start, key.impact_start, key.start_tolerance_min),
        format!(
            "{:?} vs key {:?} ±{:?} min",
            r.impact_start, key.impact_start, key.start_tolerance_min
        ),
    );
    push(
        "impact end",
        within(r.impact_end, key.impact_end, key.end_tolerance_min),
        format!(
            "{:?} vs key {:?} ±{:?} min",
            r.impact_end, key.impact_end, key.end_tolerance_min
        ),
    );
    let stage_ok = Stage::parse(&key.stage) == Some(r.stage)
        || key
            .stage_alternatives
            .iter()
            .any(|s| Stage::parse(s) == Some(r.stage));
    push(
        "stage",
        stage_ok,
        format!("{} vs key {}", r.stage.as_str(), key.stage),
    );
    let wanted: Vec<String> = key
        .primary_service
        .iter()
        .chain(&key.primary_service_aliases)
        .flat_map(|n| {
            [
                service_words(n),
                service_words(&catalogue.canonical_service(n)),
            ]
        })
        .collect();
    let primary = r.primary_service().unwrap_or("");
    push(
        "primary service",
        wanted.contains(&service_words(primary)),
        format!("{primary:?} vs key {:?}", key.primary_service),
    );
    let mut ours: Vec<String> = r.regions.iter().map(|x| x.to_lowercase()).collect();
    let mut theirs: Vec<String> = key
        .regions
        .iter()
        .map(|x| catalogue.canonical_region(x).to_lowercase())
        .collect();
    ours.sort();
    ours.dedup();
    theirs.sort();
    theirs.dedup();
    push(
        "regions",
        ours == theirs,
        format!("{:?} vs key {:?}", r.regions, key.regions),
    );
    let items = &r.repair_items;
    push(
        "repair item count",
        items.len() == key.repair_items.len(),
        format!(
            "{} vs key {} ({})",
            items.len(),
            key.repair_items.len(),
            report.file
        ),
    );
    let completed = items
        .iter()
        .filter(|i| i.reported_status == ReportedStatus::Completed)
        .count();
    let key_completed = key
        .repair_items
        .iter()
        .filter(|i| i.status == "completed")
        .count();
    push(
        "completed count",
        completed == key_completed,
        format!("{completed} vs key {key_completed}"),
    );
    out
}

#[test]
fn the_readers_against_the_hand_checked_key() {
    let key: Key = serde_json::from_slice(&std::fs::read(key_path()).expect("KEY.json"))
        .expect("KEY.json reads");
    assert_eq!(key.reports.len(), 40);
    let catalogue = Catalogue::bundled();
    let corpus = common::shared_corpus();
    let mut per_fact: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut per_provider: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let (mut items_keyed, mut items_found) = (0, 0);
    for report in &key.reports {
        let path = corpus.join(&report.file);
        let read = incident_kb::ingest::corpus::read(&[path], &catalogue, |_, _, _| {})
            .unwrap_or_else(|f| panic!("{}: {f}", report.file));
        let key_incident = &report.incidents[0];
        let Some(got) = read.incidents.first() else {
            for fact in [
                "impact start",
                "impact end",
                "stage",
                "primary service",
                "regions",
                "repair item count",
                "completed count",
            ] {
                per_fact.entry(fact).or_default().1 += 1;
            }
            wrong.push(format!(
                "{}: no incident read ({:?})",
                report.file, read.failures
            ));
            continue;
        };
        for c in check(report, key_incident, got, &catalogue) {
            let e = per_fact.entry(c.fact).or_default();
            e.1 += 1;
            let p = per_provider.entry(report.provider.clone()).or_default();
            p.1 += 1;
            if c.right {
                e.0 += 1;
                p.0 += 1;
            } else {
                wrong.push(format!("{} — {}: {}", report.file, c.fact, c.detail));
            }
        }
        // How many of the keyed items are read at all (an item of ours that starts as the key's).
        let ours: Vec<String> = got
            .current()
            .repair_items
            .iter()
            .map(|i| squash(&i.text))
            .collect();
        for item in &key_incident.repair_items {
            items_keyed += 1;
            let start = squash(&item.text_start);
            let start: String = start.chars().take(40).collect();
            if ours.iter().any(|o| o.contains(&start)) {
                items_found += 1;
            }
        }
    }
    let pct = |(right, of): (usize, usize)| 100.0 * right as f64 / of.max(1) as f64;
    println!(
        "\naccuracy against the key ({} reports):",
        key.reports.len()
    );
    for (fact, counts) in &per_fact {
        println!(
            "  {fact:<18} {:5.1}%  ({} of {})",
            pct(*counts),
            counts.0,
            counts.1
        );
    }
    let all = per_fact
        .values()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!(
        "  {:<18} {:5.1}%  ({} of {})",
        "all facts",
        pct(all),
        all.0,
        all.1
    );
    for (provider, counts) in &per_provider {
        println!("  {provider:<18} {:5.1}% of its facts", pct(*counts));
    }
    println!(
        "  keyed repair items read: {:.1}% ({items_found} of {items_keyed})",
        pct((items_found, items_keyed))
    );
    println!("\nfacts still wrong ({}):", wrong.len());
    for w in &wrong {
        println!("  {w}");
    }
    // Floors: what the readers reach today, so that no change makes them worse unnoticed.
    let floors = [
        ("impact start", 100.0),
        ("impact end", 90.0),
        ("stage", 100.0),
        ("primary service", 90.0),
        ("regions", 97.5),
        ("repair item count", 95.0),
        ("completed count", 100.0),
    ];
    for (fact, floor) in floors {
        let got = pct(per_fact[fact]);
        assert!(
            got >= floor,
            "{fact}: {got:.1}% is under its floor of {floor}%"
        );
    }
}
