//! Search on a real index: symptom queries rank the right incident first, short forms find
//! the spelled-out names, every word else the most words (with the same totals and scores as
//! tantivy's own queries), facets, filters, sorting and hints, and facet counts that agree
//! with tantivy's facet collector; on the seeds and on the shared corpus.

mod common;

use std::ops::Bound;

use common::{env, run, search};
use incident_kb::catalog::Catalogue;
use incident_kb::index::SearchIndex;
use incident_kb::index::request::{Facet as IkbFacet, SearchRequest, Sort};
use incident_kb::ingest::{self, DataDir};

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
        r.hits[0].snippet.pieces().contains(&("Front Door", true)),
        "{:?}",
        r.hits[0].snippet
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
            .snippet
            .pieces()
            .iter()
            .any(|(t, marked)| *marked && t.eq_ignore_ascii_case("configuration")),
        "{:?}",
        r.hits[0].snippet
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
            assert!(found.hits.iter().all(|h| !h.snippet.text.is_empty()));
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

/// Two reports alike but for their region, a third that says "failures" where people type
/// "failing": the seeds plus these, ingested.
fn named_and_family_index() -> (tempfile::TempDir, SearchIndex, Catalogue) {
    let report = |title: &str, region: &str, day: u8, body: &str| {
        format!(
            "+++\ntitle = \"{title}\"\ndate = \"2025-03-{day:02}T10:00:00Z\"\nregions = [\"{region}\"]\n+++\n## Impact\n{body}\n"
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let corpus = common::test_corpus(
        tmp.path(),
        &[
            (
                "north.md",
                &report(
                    "Hosts rebooted in North Central US",
                    "North Central US",
                    1,
                    "Hosts rebooted after a storage stamp failed over. Hosts rebooted again.",
                ),
            ),
            (
                "central.md",
                &report(
                    "Hosts rebooted in Central US",
                    "Central US",
                    2,
                    "Hosts rebooted after a storage stamp failed over, with longer recovery.",
                ),
            ),
            (
                "widgets.md",
                &report(
                    "Widget exports",
                    "West Europe",
                    3,
                    "Widget export failures for two hours.",
                ),
            ),
        ],
    );
    let data = DataDir::new(tmp.path().join("index"));
    let catalogue = Catalogue::bundled();
    ingest::ingest(&data, &[corpus], &catalogue, |_, _, _| {}).unwrap();
    let index = SearchIndex::open(&data.search()).unwrap();
    (tmp, index, catalogue)
}

fn first_ids(index: &SearchIndex, catalogue: &Catalogue, q: &str) -> Vec<String> {
    let params = [("q".to_string(), q.to_string())];
    let (request, _) = SearchRequest::parse(&params, catalogue, 10).unwrap();
    let r = index.search(&request).unwrap();
    r.hits.into_iter().map(|h| h.incident.id).collect()
}

#[test]
fn a_region_the_query_names_ranks_its_incidents_above_a_region_that_contains_its_words() {
    let (_tmp, index, catalogue) = named_and_family_index();
    let params = [("q".to_string(), "hosts rebooted Central US".to_string())];
    let (request, _) = SearchRequest::parse(&params, &catalogue, 10).unwrap();
    assert_eq!(
        request.named,
        [(IkbFacet::Region, "Central US".to_string())],
        "read as the catalogue's region, not North Central US"
    );
    let ids = first_ids(&index, &catalogue, "hosts rebooted Central US");
    // Both have every word; "North Central US" says "rebooted" more often.
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0], "2025-03-02-hosts-rebooted-in-central-us", "{ids:?}");
    let ids = first_ids(&index, &catalogue, "hosts rebooted North Central US");
    assert_eq!(ids[0], "2025-03-01-hosts-rebooted-in-north-central-us");
    // Without a region named, the words alone decide.
    let ids = first_ids(&index, &catalogue, "hosts rebooted");
    assert_eq!(ids[0], "2025-03-01-hosts-rebooted-in-north-central-us");
}

#[test]
fn a_symptom_typed_as_failing_finds_the_review_that_writes_failures() {
    let (_tmp, index, catalogue) = named_and_family_index();
    for q in [
        "widget export failing",
        "widget exports failed",
        "widget export failure",
    ] {
        let params = [("q".to_string(), q.to_string())];
        let (request, _) = SearchRequest::parse(&params, &catalogue, 10).unwrap();
        let r = index.search(&request).unwrap();
        // Every word matched: not the fallback to most of the words, which would list the
        // same incident without the rule.
        assert_eq!(r.partial, None, "{q}");
        let ids: Vec<&str> = r.hits.iter().map(|h| h.incident.id.as_str()).collect();
        assert_eq!(ids, ["2025-03-03-widget-exports"], "{q}");
    }
}
