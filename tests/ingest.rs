//! Ingest into a real tantivy index and sled store: idempotent re-ingest, changed and deleted
//! reports, tracking state that survives re-ingests and index rebuilds, and symptom searches.

mod common;

use std::ops::Bound;
use std::path::{Path, PathBuf};

use incident_kb::catalog::Catalogue;
use incident_kb::index::SearchIndex;
use incident_kb::index::request::{Facet as IkbFacet, SearchRequest, Sort};
use incident_kb::ingest::{self, DataDir, IngestSummary};
use incident_kb::tracking::{Change, SledStore, Status, TrackingStore};

struct Env {
    _tmp: tempfile::TempDir,
    corpus: PathBuf,
    data: DataDir,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = common::test_corpus(tmp.path(), &[]);
    let data = DataDir::new(tmp.path().join("index"));
    Env {
        corpus,
        data,
        _tmp: tmp,
    }
}

fn run(e: &Env) -> IngestSummary {
    ingest::ingest(
        &e.data,
        std::slice::from_ref(&e.corpus),
        &Catalogue::bundled(),
        |_, _, _| {},
    )
    .unwrap()
}

fn search(e: &Env, q: &str) -> Vec<String> {
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let r = index
        .search(&SearchRequest {
            query: q.into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    r.hits.into_iter().map(|h| h.incident.id).collect()
}

#[test]
fn re_ingest_is_idempotent() {
    let e = env();
    let first = run(&e);
    assert_eq!(
        (
            first.files,
            first.reviews,
            first.incidents,
            first.repair_items
        ),
        (5, 11, 10, 41)
    );
    assert_eq!((first.index.added, first.store.added), (10, 41));
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let ids_before: Vec<String> = index.all().unwrap().into_iter().map(|i| i.id).collect();
    drop(index);
    let second = run(&e);
    assert_eq!((second.incidents, second.repair_items), (10, 41));
    assert_eq!(
        (
            second.index.added,
            second.index.replaced,
            second.index.removed,
            second.index.unchanged
        ),
        (0, 0, 0, 10)
    );
    assert_eq!(
        (
            second.store.added,
            second.store.updated,
            second.store.retired
        ),
        (0, 0, 0)
    );
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let ids_after: Vec<String> = index.all().unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids_before, ids_after);
    assert_eq!(index.reader.searcher().num_docs(), 10, "no duplicates");
}

#[test]
fn a_changed_report_replaces_its_incidents_and_a_deleted_one_removes_them() {
    let e = env();
    run(&e);
    let file = e.corpus.join("azure-2026-03-status-history.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("HTTP 429", "HTTP 429 and quota exhaustion"),
    )
    .unwrap();
    let changed = run(&e);
    assert_eq!((changed.index.replaced, changed.index.unchanged), (1, 9));
    assert_eq!(
        search(&e, "quota exhaustion").first().map(String::as_str),
        Some("8GCS-858")
    );
    std::fs::remove_file(&file).unwrap();
    let removed = run(&e);
    assert_eq!((removed.incidents, removed.index.removed), (7, 3));
    assert!(!search(&e, "HTTP 429").iter().any(|id| id == "8GCS-858"));
}

#[test]
fn a_status_a_person_set_survives_re_ingest_and_a_full_index_rebuild() {
    let e = env();
    run(&e);
    let item = "2024-07-13-azure-openai";
    let with_status = |status: &str| {
        let index = SearchIndex::open(&e.data.search()).unwrap();
        let r = index
            .search(&SearchRequest {
                filters: vec![(IkbFacet::RepairStatus, vec![status.into()])],
                limit: 100,
                ..Default::default()
            })
            .unwrap();
        r.hits.into_iter().any(|h| h.incident.id == item)
    };
    assert!(with_status("open") && !with_status("completed"));
    let open: Vec<String> = {
        let store = SledStore::open(&e.data.tracking()).unwrap();
        let open: Vec<String> = store
            .all()
            .unwrap()
            .into_iter()
            .filter(|r| r.incident_id == item && r.status() == Status::Open)
            .map(|r| r.id)
            .collect();
        let change = Change {
            status: Some(Status::WontDo),
            owner: Some("sre-team".into()),
            ..Default::default()
        };
        for id in &open {
            let r = store
                .update(id, &change, "alice", None, jiff::Timestamp::now())
                .unwrap();
            assert_eq!(r.status(), Status::WontDo);
        }
        // What the web app does after a change: rewrite the incident's document.
        let index = SearchIndex::open(&e.data.search()).unwrap();
        let incident = index.get(item).unwrap();
        let set = |id: &str| store.get(id).unwrap().and_then(|r| r.tracking.status);
        let facets =
            incident_kb::tracking::repair_facets(&incident, &set, incident_kb::tracking::today());
        index.refresh(&[(incident, facets)]).unwrap();
        open
    };
    assert!(!open.is_empty());
    assert!(with_status("completed") && !with_status("open"));
    // A re-ingest after a report changed keeps the facets people's statuses give.
    let report = std::fs::read_dir(&e.corpus)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "txt"))
        .unwrap();
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, text + "\n").unwrap();
    run(&e);
    assert!(with_status("completed") && !with_status("open"));
    run(&e);
    std::fs::remove_dir_all(e.data.search()).unwrap();
    let rebuilt = run(&e);
    assert!(rebuilt.rebuilt && rebuilt.index.added == 10);
    // The rebuilt index counts what people set: every item is closed now.
    assert!(with_status("completed") && !with_status("open"));
    let store = SledStore::open(&e.data.tracking()).unwrap();
    let kept: Vec<_> = store
        .all()
        .unwrap()
        .into_iter()
        .filter(|r| r.tracking.status == Some(Status::WontDo))
        .collect();
    assert_eq!(kept.len(), open.len());
    assert_eq!(kept[0].tracking.owner.as_deref(), Some("sre-team"));
    let events: Vec<_> = kept[0]
        .history
        .iter()
        .filter(|h| h.who == "alice")
        .collect();
    assert_eq!(events.len(), 2, "status and owner: {:?}", kept[0].history);
}

#[test]
fn a_final_review_that_completes_an_item_adds_an_event_and_keeps_the_person_set_state() {
    let e = env();
    // First only the preliminary review of Azure OpenAI exists.
    let final_file = e.corpus.join("azure-2024-07-13-openai-final.txt");
    let final_text = std::fs::read_to_string(&final_file).unwrap();
    std::fs::remove_file(&final_file).unwrap();
    run(&e);
    let store = SledStore::open(&e.data.tracking()).unwrap();
    let tbd: Vec<_> = store
        .all()
        .unwrap()
        .into_iter()
        .filter(|r| r.incident_id == "2024-07-13-azure-openai")
        .collect();
    assert_eq!(tbd.len(), 8);
    let target = tbd
        .iter()
        .find(|r| r.text.starts_with("We will increase the parallelization"))
        .unwrap()
        .id
        .clone();
    store
        .update(
            &target,
            &Change {
                note: Some("tracked in OPS-12".into()),
                ..Default::default()
            },
            "bob",
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
    drop(store);
    // Then the final review arrives.
    std::fs::write(&final_file, final_text).unwrap();
    run(&e);
    let store = SledStore::open(&e.data.tracking()).unwrap();
    let r = store.get(&target).unwrap().unwrap();
    assert_eq!(
        r.tracking.note.as_deref(),
        Some("tracked in OPS-12"),
        "what a person set is kept"
    );
    assert_eq!(
        r.due.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        ["2024-12"]
    );
    let changes: Vec<_> = r
        .history
        .iter()
        .filter(|h| h.field == "reported_status")
        .collect();
    assert_eq!(changes.len(), 2, "{:?}", r.history);
    assert_eq!(
        (changes[1].from.as_deref(), changes[1].to.as_deref()),
        (Some("tbd"), Some("estimated"))
    );
    assert_eq!(changes[1].who, "review (final)");
}

#[test]
fn symptom_searches_rank_the_right_incident_first() {
    let e = env();
    run(&e);
    for (q, want) in [
        ("HTTP 429", "8GCS-858"),
        ("429s after a config rollout", "8GCS-858"),
        ("nameservers", "2024-04-22-azure-dns"),
        ("VMs restarted", "2024-07-18-virtual-machines"),
        ("retry storm", "2024-01-21-azure-resource-manager"),
        ("resources deleted by a cleanup", "2024-07-13-azure-openai"),
    ] {
        assert_eq!(
            search(&e, q).first().map(String::as_str),
            Some(want),
            "query {q}"
        );
    }
    let leap = search(&e, "leap day");
    let index = SearchIndex::open(&e.data.search()).unwrap();
    assert!(
        index
            .get(&leap[0])
            .unwrap()
            .current()
            .title
            .contains("2012")
    );
}

#[test]
fn short_forms_find_the_spelled_out_name_and_mark_it() {
    let e = env();
    run(&e);
    let index = SearchIndex::open(&e.data.search()).unwrap();
    // No seed writes "AFD"; one writes "Front Door".
    let r = index
        .search(&SearchRequest {
            query: "AFD".into(),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<&str> = r.hits.iter().map(|h| h.incident.id.as_str()).collect();
    assert_eq!(ids, ["2024-01-21-azure-resource-manager"]);
    assert!(
        r.hits[0].snippet_html.contains("<mark>Front Door</mark>"),
        "{}",
        r.hits[0].snippet_html
    );
    // "VMs" is one term: it finds incidents that write "VM", "VMs" or "virtual machines".
    let vms = search(&e, "VMs");
    let vm = search(&e, "vm");
    assert_eq!(vms, vm);
    assert!(vms.contains(&"2024-07-18-virtual-machines".to_string()));
    // No seed writes "config": it is read as "configuration", and the snippet marks that.
    let config = search(&e, "config");
    assert!(!config.is_empty());
    assert_eq!(config, search(&e, "configuration"));
    let r = index
        .search(&SearchRequest {
            query: "config".into(),
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert!(
        r.hits[0]
            .snippet_html
            .to_lowercase()
            .contains("<mark>configuration</mark>"),
        "{}",
        r.hits[0].snippet_html
    );
}

#[test]
fn an_alert_sentence_finds_its_past_incident() {
    let e = env();
    run(&e);
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let req = SearchRequest {
        query: "GPT-5.2 requests returning HTTP 400 and 429 in Sweden Central".into(),
        limit: 3,
        ..Default::default()
    };
    let r = index.search(&req).unwrap();
    assert_eq!(r.hits[0].incident.id, "8GCS-858");
}

/// The shared corpus ingested into a fresh folder (kept while the first value lives).
fn shared_corpus_index() -> (tempfile::TempDir, SearchIndex) {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new(tmp.path().join("index"));
    ingest::ingest(
        &data,
        &[common::shared_corpus()],
        &Catalogue::bundled(),
        |_, _, _| {},
    )
    .unwrap();
    let index = SearchIndex::open(&data.search()).unwrap();
    (tmp, index)
}

/// The plain-query path (match sets from posting-list bitmaps, top hits scored within them)
/// on the shared corpus: every word, else the most words any incident has; stop words do not
/// block a match; and totals and scores agree with tantivy running the same query itself.
#[test]
fn every_word_else_the_most_words_and_the_same_answers_as_tantivy() {
    use incident_kb::index::request::Words;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
    use tantivy::schema::{Facet, IndexRecordOption};

    let (_tmp, index) = shared_corpus_index();
    let find = |q: &str, words: Words, filters: &[(&str, &str)]| {
        index
            .search(&SearchRequest {
                query: q.into(),
                words,
                filters: filters
                    .iter()
                    .map(|(n, v)| (IkbFacet::parse(n).unwrap(), vec![v.to_string()]))
                    .collect(),
                limit: 10,
                ..Default::default()
            })
            .unwrap()
    };
    let ids = |r: &incident_kb::index::search::SearchResults| -> Vec<String> {
        r.hits.iter().map(|h| h.incident.id.clone()).collect()
    };

    let both = find("VMs restarted", Words::Every, &[]);
    assert!(both.total > 3 && both.partial.is_none(), "{}", both.total);
    // A stop word used to leave the every-word query nothing to match.
    let with_stop_words = find("VMs that are restarted and the", Words::Every, &[]);
    assert_eq!(with_stop_words.total, both.total);
    assert_eq!(ids(&with_stop_words), ids(&both));
    assert!(with_stop_words.partial.is_none());

    let most = find("VMs restarted kumquat", Words::Every, &[]);
    assert_eq!(most.partial, Some((2, 3)));
    assert_eq!(most.total, both.total, "the incidents with both real words");
    assert_eq!(ids(&most), ids(&both));
    assert!(most.partial_note().unwrap().contains("2 of them"));
    let any = find("VMs restarted kumquat", Words::Any, &[]);
    assert!(any.total > both.total && any.partial.is_none());
    let one = find("dns kumquat marmalade", Words::Every, &[]);
    assert_eq!(one.partial, Some((1, 3)));
    assert_eq!(one.total, find("dns", Words::Every, &[]).total);
    let none = find("kumquat marmalade", Words::Every, &[]);
    assert_eq!((none.total, none.partial), (0, None));
    let common_only = find("the of a", Words::Every, &[]);
    assert_eq!(common_only.total, 0);
    assert!(common_only.hint.unwrap().contains("common words"));
    let too_long = find(&"x".repeat(41), Words::Every, &[]);
    assert_eq!(too_long.total, 0);
    assert!(too_long.hint.unwrap().contains("over 40 letters"));

    // Plain words skip the query parser; with a comma the parser reads them: the same answer.
    for q in [
        "VMs restarted",
        "the VMs that are restarted",
        "VMs restarted kumquat",
        "429s after a config rollout",
        "dns",
        "the of a",
    ] {
        let (plain, parsed) = (
            find(q, Words::Every, &[]),
            find(&format!("{q},"), Words::Every, &[]),
        );
        assert_eq!(
            (plain.total, ids(&plain), plain.partial, plain.hint),
            (parsed.total, ids(&parsed), parsed.partial, parsed.hint),
            "{q}"
        );
    }

    // Totals and scores as tantivy gives them for the same words and filters.
    let searcher = index.reader.searcher();
    let mut analyzer = index.index.tokenizer_for_field(index.fields.text).unwrap();
    // The words of a query as tantivy term clauses on the `text` field.
    let mut word_clauses = |q: &str, occur: Occur| {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut stream = analyzer.token_stream(q);
        while stream.advance() {
            let term = tantivy::Term::from_field_text(index.fields.text, &stream.token().text);
            clauses.push((
                occur,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            ));
        }
        clauses
    };
    let (mut checked, mut partial) = (0, 0);
    // Each query alone, then within the most common value of each facet it matched (and
    // of two facets at once).
    let mut cases: Vec<(&str, Vec<(&str, String)>)> = Vec::new();
    for q in [
        "network latency",
        "certificate expired",
        "storage",
        "restarted",
        "dns",
    ] {
        let alone = find(q, Words::Every, &[]);
        let top = |name: &'static str| {
            let facet = IkbFacet::parse(name).unwrap();
            let values = &alone.facets.iter().find(|(n, _)| *n == facet).unwrap().1;
            values.first().map(|v| (name, v.value.clone()))
        };
        cases.push((q, vec![]));
        for name in ["service", "region", "cause", "status", "year", "stage"] {
            cases.extend(top(name).map(|f| (q, vec![f])));
        }
        cases.push((
            q,
            [top("year"), top("status")].into_iter().flatten().collect(),
        ));
    }
    for (q, filters) in &cases {
        let filters: Vec<(&str, &str)> = filters.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let ours = find(q, Words::Every, &filters);
        // The words as should-clauses, at least as many as the matches have (all of them
        // unless no incident within the filters has them all), the filters unscored.
        let mut clauses = word_clauses(q, Occur::Should);
        let words = clauses.len();
        let (have, of) = ours.partial.unwrap_or((words, words));
        assert_eq!(of, words, "{q}");
        partial += usize::from(have < words);
        for (name, value) in &filters {
            let term = tantivy::Term::from_facet(
                index.fields.facet(IkbFacet::parse(name).unwrap()),
                &Facet::from_path([*value]),
            );
            let facet = TermQuery::new(term, IndexRecordOption::Basic);
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(facet), 0.0)),
            ));
        }
        let query = BooleanQuery::with_minimum_required_clauses(clauses, have);
        let (top, count) = searcher
            .search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))
            .unwrap();
        assert_eq!(ours.total, count, "{q} {filters:?}");
        let theirs: Vec<f32> = top.iter().map(|(s, _)| *s).collect();
        let ours_scores: Vec<f32> = ours.hits.iter().map(|h| h.score).collect();
        assert_eq!(ours_scores.len(), theirs.len(), "{q} {filters:?}");
        for (a, b) in ours_scores.iter().zip(&theirs) {
            assert!(
                (a - b).abs() < 1e-4,
                "{q} {filters:?}: {ours_scores:?} {theirs:?}"
            );
        }
        checked += usize::from(count > 0);
    }
    println!(
        "{} cases agree with tantivy; {checked} matched something, {partial} by the most words",
        cases.len()
    );
    assert!(
        checked * 10 >= cases.len() * 9,
        "most cases match something"
    );
    assert!(partial > 0, "no case fell back to the most words");

    // Date ranges: the match set takes them from the facet index's date order; tantivy's range
    // query over the impact start is the reference (no impact start is outside any range).
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let range = |from: Option<&str>, to: Option<&str>| {
        let field = index.fields.impact_start;
        let bound = |t: &str| tantivy::Term::from_field_i64(field, at(t).as_second());
        tantivy::query::RangeQuery::new(
            from.map_or(
                Bound::Excluded(tantivy::Term::from_field_i64(field, 0)),
                |t| Bound::Included(bound(t)),
            ),
            to.map_or(Bound::Unbounded, |t| Bound::Excluded(bound(t))),
        )
    };
    for (q, from, to) in [
        (
            "network",
            Some("2020-01-01T00:00:00Z"),
            Some("2024-01-01T00:00:00Z"),
        ),
        ("", Some("2023-06-01T00:00:00Z"), None),
        ("storage latency", None, Some("2022-01-01T00:00:00Z")),
    ] {
        let ours = index
            .search(&SearchRequest {
                query: q.into(),
                from: from.map(at),
                to: to.map(at),
                ..Default::default()
            })
            .unwrap();
        let mut clauses = word_clauses(q, Occur::Must);
        clauses.push((Occur::Must, Box::new(range(from, to))));
        let count = searcher
            .search(&BooleanQuery::new(clauses), &Count)
            .unwrap();
        assert!(count > 0, "{q} {from:?} {to:?} matches something");
        assert_eq!(ours.total, count, "{q} {from:?} {to:?}");
    }
    // A `field:` query takes the general path; its range is tantivy's range query itself.
    let (from, to) = (Some("2020-01-01T00:00:00Z"), Some("2024-01-01T00:00:00Z"));
    let ours = index
        .search(&SearchRequest {
            query: "what_happened:network".into(),
            from: from.map(at),
            to: to.map(at),
            ..Default::default()
        })
        .unwrap();
    let field = index
        .fields
        .section(incident_kb::incident::SectionKind::WhatHappened);
    let word = TermQuery::new(
        tantivy::Term::from_field_text(field, "network"),
        IndexRecordOption::Basic,
    );
    let clauses: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Must, Box::new(word)),
        (Occur::Must, Box::new(range(from, to))),
    ];
    let count = searcher
        .search(&BooleanQuery::new(clauses), &Count)
        .unwrap();
    assert!(count > 0 && ours.partial.is_none());
    assert_eq!(ours.total, count, "what_happened:network within a range");
}

#[test]
fn facets_filters_sorting_and_hints() {
    let e = env();
    run(&e);
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let all = index
        .search(&SearchRequest {
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.total, 10);
    let starts: Vec<_> = all
        .hits
        .iter()
        .map(|h| h.incident.current().impact_start)
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "an empty query lists newest first"
    );
    let services = &all
        .facets
        .iter()
        .find(|(n, _)| *n == IkbFacet::Service)
        .unwrap()
        .1;
    let aoai = services.iter().find(|c| c.value == "Azure OpenAI").unwrap();
    assert_eq!(aoai.count, 2);
    let filtered = index
        .search(&SearchRequest {
            filters: vec![
                (IkbFacet::Service, vec!["Azure OpenAI".into()]),
                (IkbFacet::Region, vec!["Sweden Central".into()]),
            ],
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(filtered.total, 2);
    let either = index
        .search(&SearchRequest {
            filters: vec![(IkbFacet::Year, vec!["2012".into(), "2026".into()])],
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(either.total, 4, "several values of one facet: any of them");
    let oldest = index
        .search(&SearchRequest {
            sort: Sort::Oldest,
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert!(oldest.hits[0].incident.current().title.contains("2012"));
    let from = "2024-07-01T00:00:00Z".parse().ok();
    let to = "2024-08-01T00:00:00Z".parse().ok();
    let july = index
        .search(&SearchRequest {
            from,
            to,
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(july.total, 3);
    let open = index
        .search(&SearchRequest {
            filters: vec![(IkbFacet::RepairStatus, vec!["overdue".into()])],
            limit: 20,
            ..Default::default()
        })
        .unwrap();
    assert!(open.total >= 3, "the 2024 due months have passed");
    for bad in [
        "title:(unclosed",
        "nosuchfield:x",
        "impact_start:[1 TO",
        "\"unterminated phrase",
    ] {
        let r = index
            .search(&SearchRequest {
                query: bad.into(),
                limit: 5,
                ..Default::default()
            })
            .unwrap();
        println!("{bad}: {} hits, hint {:?}", r.total, r.hint);
        assert!(r.hint.is_some(), "a syntax error becomes a hint: {bad}");
    }
    let long = "x".repeat(10_000);
    let r = index
        .search(&SearchRequest {
            query: long,
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert!(r.hint.unwrap().contains("cut"));
}

#[test]
fn a_new_schema_version_rebuilds_the_index_and_keeps_the_store() {
    let e = env();
    run(&e);
    std::fs::write(e.data.search().join("ikb-schema-version"), "0").unwrap();
    // Reading an index of another version says so and leaves it for the ingest to rebuild.
    let err = SearchIndex::open(&e.data.search()).err().unwrap();
    assert!(err.to_string().contains("another version"), "{err}");
    assert!(e.data.search().join("meta.json").exists());
    let again = run(&e);
    assert!(again.rebuilt);
    assert_eq!(again.index.added, 10);
    assert_eq!(again.store.added, 0, "the store was not touched");
}

#[test]
fn unreadable_reports_are_named_and_the_rest_ingest() {
    let e = env();
    std::fs::write(e.corpus.join("binary.txt"), b"\x00\x01\x02garbage").unwrap();
    std::fs::write(e.corpus.join("latin1.txt"), b"caf\xe9 outage").unwrap();
    std::fs::write(e.corpus.join("empty.md"), b"").unwrap();
    std::fs::write(
        e.corpus.join("bad-front-matter.md"),
        "+++\ntitle = 5\n+++\n# x\n",
    )
    .unwrap();
    let s = run(&e);
    assert_eq!(s.incidents, 10);
    let mut named: Vec<(String, String)> = s
        .failures
        .iter()
        .map(|f| {
            (
                Path::new(&f.path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f.reason.clone(),
            )
        })
        .collect();
    named.sort();
    assert_eq!(named.len(), 4, "{named:?}");
    assert!(named[0].0 == "bad-front-matter.md" && named[0].1.contains("`title` must be a string"));
    assert!(named[1].0 == "binary.txt" && named[1].1.contains("binary"));
    assert!(named[2].0 == "empty.md" && named[2].1.contains("empty"));
    assert!(named[3].0 == "latin1.txt" && named[3].1.contains("not UTF-8"));
}

#[test]
fn an_unchanged_corpus_is_not_read_again_but_a_lost_store_is_refilled() {
    let e = env();
    run(&e);
    let again = run(&e);
    assert_eq!((again.index.unchanged, again.store.added), (10, 0));
    // The tracking store is gone: the next ingest notices and fills it again.
    std::fs::remove_dir_all(e.data.tracking()).unwrap();
    let refilled = run(&e);
    assert_eq!(refilled.store.added, 41);
    // A touched file is read again.
    let f = e.corpus.join("azure-2012-02-29-leap-day.txt");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, format!("{text}\n")).unwrap();
    let touched = run(&e);
    assert_eq!(touched.incidents, 10);
    assert_eq!(
        touched.index.added + touched.index.replaced + touched.index.unchanged,
        10
    );
}

#[test]
fn every_incident_is_found_by_its_own_words_with_a_snippet() {
    // Regression: choosing the matching section from the postings once panicked when a term's
    // first document came after the hit.
    let e = env();
    run(&e);
    let index = SearchIndex::open(&e.data.search()).unwrap();
    for incident in index.all().unwrap() {
        let r = incident.current();
        for section in &r.sections {
            let words: Vec<&str> = section
                .text
                .split_whitespace()
                .filter(|w| w.len() > 6)
                .take(3)
                .collect();
            if words.is_empty() {
                continue;
            }
            let found = index
                .search(&SearchRequest {
                    query: words.join(" "),
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            assert!(
                found.hits.iter().any(|h| h.incident.id == incident.id),
                "{} by {words:?}",
                incident.id
            );
            assert!(found.hits.iter().all(|h| !h.snippet_text.is_empty()));
        }
    }
}

/// Facet counts come from our own per-segment facet index (src/index/facet_count.rs); tantivy's
/// `FacetCollector` is the reference. Over the shared corpus, after rewrites that leave deleted
/// documents and new segments behind, both must agree for every facet of several queries.
#[test]
fn facet_counts_agree_with_tantivys_facet_collector() {
    use incident_kb::index::write::RepairFacets;
    use tantivy::collector::FacetCollector;
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::{Facet, IndexRecordOption};

    let (_tmp, index) = shared_corpus_index();
    // Rewrite every 25th incident with other repair facets: deletions, and new segments.
    let all = index.all().unwrap();
    assert!(
        all.len() > 400,
        "the shared corpus gave {} incidents",
        all.len()
    );
    let completed = RepairFacets {
        values: ["completed"].into_iter().collect(),
    };
    for incident in all.iter().step_by(25) {
        index
            .refresh(&[(incident.clone(), completed.clone())])
            .unwrap();
    }
    let searcher = index.reader.searcher();
    assert!(searcher.segment_readers().len() > 1);
    assert!(
        searcher
            .segment_readers()
            .iter()
            .any(|s| s.num_deleted_docs() > 0)
    );

    let mut analyzer = index.index.tokenizer_for_field(index.fields.text).unwrap();
    let mut stem = |word: &str| {
        let mut stream = analyzer.token_stream(word);
        assert!(stream.advance(), "{word} has a stem");
        stream.token().text.clone()
    };
    let mut checked = 0;
    // Rare and common words: counting walks the matches when they are under half a segment,
    // and the rest of the segment when they are over.
    let mut most_but_not_all = false;
    for word in [
        "",
        "network",
        "dns",
        "certificate",
        "latency",
        "restarted",
        "impact",
        "service",
    ] {
        let query: Box<dyn Query> = if word.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(TermQuery::new(
                tantivy::Term::from_field_text(index.fields.text, &stem(word)),
                IndexRecordOption::Basic,
            ))
        };
        let ours = index
            .search(&SearchRequest {
                query: word.into(),
                ..Default::default()
            })
            .unwrap();
        assert!(ours.total > 0, "{word:?} matches");
        most_but_not_all |= ours.total * 3 > all.len() * 2 && ours.total < all.len();
        for (name, counts) in &ours.facets {
            let mut collector = FacetCollector::for_field(name.name());
            collector.add_facet(Facet::root());
            let theirs = searcher.search(&query, &collector).unwrap();
            let mut expected: Vec<(String, u64)> = theirs
                .get(Facet::root())
                .map(|(f, n)| (f.to_path()[0].to_string(), n))
                .collect();
            let mut got: Vec<(String, u64)> =
                counts.iter().map(|c| (c.value.clone(), c.count)).collect();
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "facet {name} of {word:?}");
            checked += got.len();
        }
    }
    assert!(checked > 100, "only {checked} facet values compared");
    assert!(
        most_but_not_all,
        "no query matched most but not all incidents"
    );
}

/// A crash between the index's commit and the write of its hashes file leaves incidents in the
/// index that the hashes do not know; the next ingest must replace them, not add them twice.
#[test]
fn incidents_the_hashes_lost_are_replaced_not_duplicated() {
    let e = env();
    let first = run(&e);
    let hashes_path = e.data.search().join("ikb-hashes.json");
    let mut hashes: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(&hashes_path).unwrap()).unwrap();
    assert_eq!(hashes.len(), first.incidents);
    let lost: Vec<String> = hashes.keys().take(3).cloned().collect();
    for id in &lost {
        hashes.remove(id);
    }
    std::fs::write(&hashes_path, serde_json::to_vec(&hashes).unwrap()).unwrap();
    // Rewrite a report as it was: a new modification time makes the next ingest read the
    // corpus again rather than trust its manifest.
    let report = std::fs::read_dir(&e.corpus)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&report, std::fs::read(&report).unwrap()).unwrap();
    let second = run(&e);
    assert_eq!(second.index.added, lost.len());
    let index = SearchIndex::open(&e.data.search()).unwrap();
    let all = index
        .search(&SearchRequest {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.total, first.incidents, "no incident twice");
    for id in &lost {
        assert_eq!(
            all.hits.iter().filter(|h| &h.incident.id == id).count(),
            1,
            "{id} once"
        );
    }
}
