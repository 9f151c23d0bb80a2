//! Repeated promises on the real reports: the matcher's precision and recall on the pairs of
//! `tests/fixtures/promise-pairs.tsv` (labelled by hand), and the groups it makes of cases
//! checked by hand.

mod common;

use incident_kb::catalog::Catalogue;
use incident_kb::index::SearchIndex;
use incident_kb::ingest::{self, DataDir};
use incident_kb::insight::promise::{Matcher, SAME_PROMISE};

fn matcher() -> (tempfile::TempDir, Matcher) {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("index"));
    ingest::ingest(
        &data,
        &[common::seeds_dir(), common::shared_corpus()],
        &Catalogue::bundled(),
        |_, _, _| {},
    )
    .unwrap();
    let index = SearchIndex::open(&data.search()).unwrap();
    let store = incident_kb::tracking::open(&data.tracking()).unwrap();
    let m = Matcher::new(&index, &store.all().unwrap());
    (tmp, m)
}

#[test]
fn the_promise_matcher_is_precise_on_the_labelled_pairs_and_groups_repeats() {
    let (_tmp, m) = matcher();
    let labelled = std::fs::read_to_string(common::fixture("promise-pairs.tsv")).unwrap();
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let mut pairs = 0;
    for line in labelled
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (a, b, label) = (cols[0], cols[1], cols[2]);
        let pa = m
            .position(a)
            .unwrap_or_else(|| panic!("no repair item {a}"));
        let pb = m
            .position(b)
            .unwrap_or_else(|| panic!("no repair item {b}"));
        let (same, s) = m.same(pa, pb);
        pairs += 1;
        match (same, label == "same") {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                println!("wrongly the same ({s:.2}): {a} / {b}: {}", cols[3]);
            }
            (false, true) => {
                fn_ += 1;
                println!("missed ({s:.2}): {a} / {b}: {}", cols[3]);
            }
            (false, false) => tn += 1,
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "promise matcher at {SAME_PROMISE}: {pairs} labelled pairs, precision {:.1}% ({tp} of {}), recall {:.1}% ({tp} of {}), {tn} told apart",
        100.0 * precision,
        tp + fp,
        100.0 * recall,
        tp + fn_
    );
    assert!(pairs >= 40, "{pairs} labelled pairs");
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(tp >= 4, "{tp} pairs found");

    // Checked by hand: Azure's "we will auto-declare regional incidents" was promised before
    // ("As committed in a previous Post Incident Review (PIR), we are working towards
    // auto-declaring regional incidents"), and the two reviews form one group.
    let groups = m.groups();
    let group = groups
        .iter()
        .find(|g| g.items.iter().any(|i| i.item == "VLB8-1Z0-76a7dfc0"))
        .expect("the auto-declare promise is grouped");
    let ids: Vec<&str> = group.items.iter().map(|i| i.item.as_str()).collect();
    assert!(ids.contains(&"FVHB-188-c940b5d8"), "{ids:?}");
    assert!(
        group.items.windows(2).all(|w| w[0].date <= w[1].date),
        "oldest first"
    );
    // Every group spans at least two incidents, on two different days.
    for g in &groups {
        let days: std::collections::BTreeSet<(&str, &str)> = g
            .items
            .iter()
            .map(|i| (i.incident.as_str(), i.date.as_str()))
            .collect();
        assert!(days.len() >= 2, "{:?}", g.items);
    }
    println!(
        "{} groups of repeated promises, {} repeated after an earlier one was reported completed",
        groups.len(),
        groups
            .iter()
            .filter(|g| g.repeated_after_completion)
            .count()
    );
}
