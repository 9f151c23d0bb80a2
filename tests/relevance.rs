//! The relevance set (`tests/fixtures/relevance.toml`): symptom queries and alerts over
//! corpus/ plus ../shared/corpus, each with the incident that must come first or in the top
//! three. Prints MRR, hit@1, hit@3 and hit@10 for search and for related incidents, every case
//! that misses its mark, and asserts the floors below.

mod common;

use incident_kb::catalog::Catalogue;
use incident_kb::index::{SearchIndex, SearchRequest};
use incident_kb::ingest::{self, DataDir};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Set {
    search: Vec<SearchCase>,
    alert: Vec<AlertCase>,
    spelling: Vec<SpellingCase>,
}

#[derive(Deserialize)]
struct SpellingCase {
    typed: String,
    want: String,
}

#[derive(Deserialize)]
struct SearchCase {
    q: String,
    expect: String,
    /// Other reports of the same event: as right as `expect`.
    #[serde(default)]
    also: Vec<String>,
    top: usize,
}

#[derive(Deserialize)]
struct AlertCase {
    kind: String,
    #[serde(default)]
    name: String,
    text: String,
    service: Option<String>,
    region: Option<String>,
    expect: String,
    /// Other reports of the same event: as right as `expect`.
    #[serde(default)]
    also: Vec<String>,
    top: usize,
}

impl AlertCase {
    /// The payload the sender would post, in its own shape.
    fn payload(&self) -> serde_json::Value {
        match self.kind.as_str() {
            "alertmanager" => json!({"version": "4", "status": "firing", "alerts": [{
                "status": "firing",
                "labels": {"alertname": self.name, "severity": "critical",
                           "service": self.service, "region": self.region},
                "annotations": {"summary": self.text}}]}),
            "grafana" => json!({"orgId": 1, "status": "firing", "alerts": [{
                "status": "firing",
                "labels": {"alertname": self.name, "app": self.service, "zone": self.region},
                "annotations": {"description": self.text}}]}),
            "pagerduty" => json!({"event": {"event_type": "incident.triggered", "data": {
                "type": "incident", "title": self.text,
                "service": {"summary": self.service, "type": "service_reference"}}}}),
            _ => json!({"text": self.text, "service": self.service, "region": self.region}),
        }
    }
}

/// Labels with no value are left out, as senders do.
fn without_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(without_nulls).collect())
        }
        v => v,
    }
}

#[derive(Default)]
struct Figures {
    cases: usize,
    reciprocal: f64,
    at1: usize,
    at3: usize,
    at10: usize,
    missed: Vec<String>,
    /// Cases within their mark but not first.
    below_first: Vec<String>,
}

impl Figures {
    fn add(&mut self, what: &str, rank: Option<usize>, top: usize, got: &[String]) {
        self.cases += 1;
        if let Some(r) = rank {
            self.reciprocal += 1.0 / r as f64;
            self.at1 += (r == 1) as usize;
            self.at3 += (r <= 3) as usize;
            self.at10 += (r <= 10) as usize;
        }
        if let Some(r) = rank.filter(|&r| r > 1 && r <= top) {
            let first: Vec<&str> = got.iter().take(r - 1).map(String::as_str).collect();
            self.below_first
                .push(format!("{what}: rank {r}, after {first:?}"));
        }
        if rank.is_none_or(|r| r > top) {
            let first: Vec<&str> = got.iter().take(3).map(String::as_str).collect();
            self.missed.push(format!(
                "{what}: rank {} (wanted top {top}); first {first:?}",
                rank.map_or("none".to_string(), |r| r.to_string())
            ));
        }
    }

    fn mrr(&self) -> f64 {
        self.reciprocal / self.cases as f64
    }

    fn print(&self, name: &str) {
        let pct = |n: usize| 100.0 * n as f64 / self.cases as f64;
        println!(
            "{name:<8} {} cases  MRR {:.3}  hit@1 {:.1}%  hit@3 {:.1}%  hit@10 {:.1}%",
            self.cases,
            self.mrr(),
            pct(self.at1),
            pct(self.at3),
            pct(self.at10)
        );
        for m in &self.missed {
            println!("  missed {m}");
        }
        for m in &self.below_first {
            println!("  not first: {m}");
        }
    }
}

#[test]
fn symptom_queries_and_alerts_find_the_incident_they_describe() {
    let set: Set = toml::from_str(
        &std::fs::read_to_string(common::fixture("relevance.toml")).expect("relevance.toml"),
    )
    .expect("relevance.toml reads");
    assert!(set.search.len() >= 40 && set.alert.len() >= 20);
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("index"));
    let catalogue = Catalogue::bundled();
    ingest::ingest(
        &data,
        &[common::seeds_dir(), common::shared_corpus()],
        &catalogue,
        |_, _, _| {},
    )
    .unwrap();
    let index = SearchIndex::open(&data.search()).unwrap();
    let rank = |ids: &[String], want: &str, also: &[String]| {
        ids.iter()
            .position(|i| i == want || also.contains(i))
            .map(|p| p + 1)
    };

    let mut search = Figures::default();
    // A symptom query whose page lists fewer than three incidents (with the second block).
    let mut short_pages = Vec::new();
    // A rightly spelled query offered a spelling.
    let mut needless = Vec::new();
    for case in &set.search {
        let params = [("q".to_string(), case.q.clone())];
        let (request, _) = SearchRequest::parse(&params, &catalogue, 10).unwrap();
        // The page as a reader sees it: the incidents with every word, then the marked block
        // of those with most of them.
        let results = index.search(&request).unwrap();
        let ids: Vec<String> = results
            .hits
            .into_iter()
            .chain(results.more)
            .map(|h| h.incident.id)
            .collect();
        // The expected incident must exist: a case about an id the readers no longer give is
        // a broken case, not a miss.
        assert!(
            index.get(&case.expect).is_ok(),
            "no incident {}",
            case.expect
        );
        search.add(
            &case.q,
            rank(&ids, &case.expect, &case.also),
            case.top,
            &ids,
        );
        if ids.len() < 3 {
            short_pages.push(format!("{:?}: {} incidents", case.q, ids.len()));
        }
        if let Some(s) = results.suggestion {
            needless.push(format!("{:?} -> {:?}", case.q, s.query));
        }
    }
    // "Did you mean", as the search page offers it.
    let mut spelled = 0;
    let mut misspelled = Vec::new();
    for case in &set.spelling {
        let params = [("q".to_string(), case.typed.clone())];
        let (request, _) = SearchRequest::parse(&params, &catalogue, 10).unwrap();
        let offered = index.search(&request).unwrap().suggestion.map(|s| s.query);
        if offered.as_deref() == Some(case.want.as_str()) {
            spelled += 1;
        } else {
            misspelled.push(format!(
                "{:?} -> {offered:?}, not {:?}",
                case.typed, case.want
            ));
        }
    }
    let mut related = Figures::default();
    for case in &set.alert {
        assert!(
            index.get(&case.expect).is_ok(),
            "no incident {}",
            case.expect
        );
        let alerts = incident_kb::alert::read(&without_nulls(case.payload()))
            .unwrap_or_else(|e| panic!("{}: {e}", case.text));
        let query = alerts[0].query(&catalogue, 10);
        let ids: Vec<String> = index
            .related(&query)
            .unwrap()
            .into_iter()
            .map(|r| r.hit.incident.id)
            .collect();
        let what = format!("{} alert {:?}", case.kind, case.text);
        related.add(&what, rank(&ids, &case.expect, &case.also), case.top, &ids);
    }
    println!("relevance over corpus/ and ../shared/corpus:");
    println!("search pages with fewer than three incidents: {short_pages:?}");
    search.print("search");
    related.print("related");
    println!(
        "spelling {} cases  right {:.1}%  (wrong: {misspelled:?}); suggestions for rightly spelled queries: {needless:?}",
        set.spelling.len(),
        100.0 * spelled as f64 / set.spelling.len() as f64
    );
    // Floors: today's figures, so that no change makes them worse unnoticed.
    assert!(search.mrr() >= SEARCH_MRR, "search MRR {:.3}", search.mrr());
    assert!(
        related.mrr() >= RELATED_MRR,
        "related MRR {:.3}",
        related.mrr()
    );
    assert!(search.missed.len() <= SEARCH_MISSES, "{:?}", search.missed);
    // One today, rightly: "GPT-5.2 429s" (only one incident of the corpus says 429 or GPT).
    assert!(short_pages.len() <= 1, "{short_pages:?}");
    assert!(related.missed.is_empty(), "{:?}", related.missed);
    // The issue's own example, then the set.
    assert!(
        !misspelled
            .iter()
            .any(|m| m.starts_with("\"certficate expird\"")),
        "{misspelled:?}"
    );
    assert!(set.spelling.len() >= 20);
    assert!(misspelled.len() <= SPELLING_WRONG, "{misspelled:?}");
    assert!(needless.is_empty(), "{needless:?}");
}

// Measured when the set was written: search MRR 0.849, related 0.840. Now, with query words
// read as word families ("failing" finds "failures"), the services and regions a query names
// weighing in, an alert's service label read whole ("elb") and filters adding nothing to a
// score: search MRR 0.911 (hit@1 87.5%, hit@3 95%, hit@10 97.5%), related 0.917 (hit@1 85%,
// hit@3 100%, so no alert misses its mark). The aim, 0.9 for both, is the floor.
const SEARCH_MRR: f64 = 0.9;
const RELATED_MRR: f64 = 0.9;
const SEARCH_MISSES: usize = 2;
// Measured when the spelling set was written: 19 of 20 right ("bgp route leek" is offered
// "bgp route week": "leek" is in a report, and "leak" in too few).
const SPELLING_WRONG: usize = 1;
