//! Ingest into a real tantivy index and sled store: idempotent re-ingest, changed and deleted
//! reports, tracking state that survives re-ingests and index rebuilds. Searches are in
//! `tests/search.rs`.

mod common;

use common::{env, run, search};

use std::path::Path;

use incident_kb::index::SearchIndex;
use incident_kb::index::request::{Facet as IkbFacet, SearchRequest};
use incident_kb::tracking::{Change, Status};

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
        let store = incident_kb::tracking::open(&e.data.tracking()).unwrap();
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
        let set = |id: &str| {
            store
                .get(id)
                .unwrap()
                .map(|r| r.set_on())
                .unwrap_or_default()
        };
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
    let store = incident_kb::tracking::open(&e.data.tracking()).unwrap();
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
    let store = incident_kb::tracking::open(&e.data.tracking()).unwrap();
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
    let store = incident_kb::tracking::open(&e.data.tracking()).unwrap();
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
    std::fs::copy(
        common::fixture("bad-front-matter.md"),
        e.corpus.join("bad-front-matter.md"),
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
    std::fs::remove_dir_all(e.data.root.join("tracking")).unwrap();
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

#[test]
fn a_catalogue_whose_search_vocabulary_changed_rebuilds_the_index() {
    let e = env();
    let first = run(&e);
    assert!(first.rebuilt);
    assert!(search(&e, "cfgchange").is_empty());
    // The same catalogue again: nothing to rebuild.
    assert!(!run(&e).rebuilt);
    // A shorthand added to the catalogue's shorthand.toml: the index is rebuilt with it, and
    // the new word finds what the word it stands for finds.
    let dir = e.dir.path().join("catalog");
    std::fs::create_dir(&dir).unwrap();
    let bundled = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/shorthand.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("shorthand.toml"),
        format!("{bundled}cfgchange = \"configuration\"\n"),
    )
    .unwrap();
    let catalogue = incident_kb::catalog::Catalogue::load(&dir).unwrap();
    let s = incident_kb::ingest::ingest(
        &e.data,
        std::slice::from_ref(&e.corpus),
        &catalogue,
        |_, _, _| {},
    )
    .unwrap();
    assert!(s.rebuilt, "a new vocabulary rebuilds the index");
    assert_eq!(s.incidents, 10);
    let found = search(&e, "cfgchange");
    assert!(!found.is_empty());
    assert_eq!(found, search(&e, "configuration"));
}

/// 1,200 incidents are well under a merge's cap (`index::merge`): one segment.
#[test]
fn a_bulk_ingest_leaves_one_segment_and_a_small_one_does_not_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let pools =
        incident_kb::ingest::synthetic::Pools::from_incidents(&common::read_seeds().incidents);
    incident_kb::ingest::synthetic::write_corpus(&pools, 7, 1_200, &corpus).unwrap();
    let data = incident_kb::ingest::DataDir::new(tmp.path().join("index"));
    let catalogue = incident_kb::catalog::Catalogue::bundled();
    let ingest = || {
        incident_kb::ingest::ingest(
            &data,
            std::slice::from_ref(&corpus),
            &catalogue,
            |_, _, _| {},
        )
        .unwrap()
    };
    let first = ingest();
    assert!(first.index.added >= 1_000, "{} added", first.index.added);
    let index = SearchIndex::open(&data.search()).unwrap();
    assert_eq!(
        index.index.searchable_segment_ids().unwrap().len(),
        1,
        "merged after a bulk write"
    );
    assert_eq!(index.reader.searcher().num_docs() as usize, first.incidents);
    // The merged segments' files are gone: the folder holds the one segment's.
    let mut live: Vec<String> = index
        .index
        .searchable_segment_ids()
        .unwrap()
        .iter()
        .map(|id| id.uuid_string())
        .collect();
    let mut stores: Vec<String> = std::fs::read_dir(data.search())
        .unwrap()
        .filter_map(|f| f.ok()?.file_name().into_string().ok())
        .filter_map(|name| Some(name.strip_suffix(".store")?.to_string()))
        .collect();
    live.sort();
    stores.sort();
    assert_eq!(stores, live, "segment files left on disk after the merge");
    drop(index);
    // A few changed reports are written as a segment of their own: no merge for them.
    let first_file = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_file())
        .unwrap()
        .into_path();
    let text = std::fs::read_to_string(&first_file).unwrap();
    std::fs::write(&first_file, text.replace("the", "THE")).unwrap();
    let second = ingest();
    assert!(second.index.replaced >= 1 && second.index.replaced < 1_000);
    let index = SearchIndex::open(&data.search()).unwrap();
    assert_eq!(
        index.reader.searcher().num_docs() as usize,
        second.incidents,
        "no duplicates"
    );
}

/// A streamed ingest in small parts (7 files parsed and 7 incidents written at a time, so the
/// reviews of one incident are parsed in different parts) gives the index and store that one
/// part gives, over the seeds and the shared corpus.
#[test]
fn a_streamed_ingest_in_small_parts_gives_what_one_part_gives() {
    let roots = [common::seeds_dir(), common::shared_corpus()];
    let files = incident_kb::ingest::corpus::report_files(&roots).unwrap();
    let catalogue = incident_kb::catalog::Catalogue::bundled();
    let ingest = |at_a_time: usize| {
        let tmp = tempfile::tempdir().unwrap();
        let data = incident_kb::ingest::DataDir::new(tmp.path());
        let store = incident_kb::tracking::open(&data.tracking()).unwrap();
        let (index, _) = SearchIndex::open_or_create(&data.search(), &catalogue).unwrap();
        let streamed = incident_kb::ingest::stream::ingest(
            store.as_ref(),
            &index,
            &files,
            &catalogue,
            &mut |_, _, _| {},
            at_a_time,
            tmp.path(),
        )
        .unwrap();
        let mut incidents = index.all().unwrap();
        incidents.sort_by(|a, b| a.id.cmp(&b.id));
        let records: Vec<_> = store
            .all()
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    r.incident_id,
                    r.text,
                    r.reported_status,
                    r.due,
                    r.retired,
                )
            })
            .collect();
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("spill"))
            .collect();
        assert!(leftovers.is_empty(), "no spill left: {leftovers:?}");
        (streamed, incidents, records)
    };
    let (one, incidents, records) = ingest(100_000);
    let (parts, incidents_in_parts, records_in_parts) = ingest(7);
    println!(
        "{} files, {} reviews, {} incidents, {} repair items; in parts of 7 the same",
        files.len(),
        one.reviews,
        one.incidents,
        one.repair_items
    );
    assert!(one.reviews > one.incidents, "some incidents have revisions");
    assert_eq!(
        (
            parts.reviews,
            parts.incidents,
            parts.repair_items,
            parts.sections,
            parts.warnings
        ),
        (
            one.reviews,
            one.incidents,
            one.repair_items,
            one.sections,
            one.warnings
        )
    );
    assert_eq!(parts.failures, one.failures);
    assert_eq!(incidents_in_parts.len(), incidents.len());
    for (a, b) in incidents_in_parts.iter().zip(&incidents) {
        assert_eq!(a, b, "{}", a.id);
    }
    assert_eq!(records_in_parts, records);
}

/// An incident whose id changes (here its front matter's; a better reading of a report can
/// change a date or a service the same way) is found at its old id: the index keeps where it
/// went, follows it when it moves again, and forgets it when the old id is an incident again.
#[test]
fn an_incident_whose_id_changed_leads_from_its_old_id_to_the_new() {
    let e = env();
    let file = e.corpus.join("team/a.md");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let report = |id: &str| {
        format!(
            "+++\nid = \"{id}\"\ntitle = \"Payments API 503s\"\nimpact_start = \"2023-03-04T09:00:00Z\"\n+++\n\n## Summary\nCheckout failed.\n\n## Action items\n\n- Canary configuration changes per region\n"
        )
    };
    let moved_to = |id: &str| SearchIndex::open(&e.data.search()).unwrap().moved_to(id);
    std::fs::write(&file, report("payments-a")).unwrap();
    assert_eq!(run(&e).index.moved, 0);
    // A person sets a status and an owner on its item.
    let item_of = |incident: &str| {
        let store = e.data.open_store().unwrap();
        store
            .all()
            .unwrap()
            .into_iter()
            .find(|r| r.incident_id == incident && !r.retired)
            .unwrap()
    };
    let first_item = item_of("payments-a");
    {
        let store = e.data.open_store().unwrap();
        let change = Change {
            status: Some(Status::Completed),
            owner: Some("payments".into()),
            ..Default::default()
        };
        store
            .update(
                &first_item.id,
                &change,
                "alice",
                None,
                jiff::Timestamp::now(),
            )
            .unwrap();
    }
    std::fs::write(&file, report("payments-b")).unwrap();
    let second = run(&e);
    assert_eq!((second.index.moved, second.index.removed), (1, 1));
    assert_eq!(moved_to("payments-a").as_deref(), Some("payments-b"));
    // The item under the new id has what alice set, and says where it came from; the old
    // record is retired with its state and history.
    assert_eq!(second.carried, 1);
    let moved_item = item_of("payments-b");
    assert_eq!(moved_item.tracking.status, Some(Status::Completed));
    assert_eq!(moved_item.tracking.owner.as_deref(), Some("payments"));
    assert!(
        moved_item
            .tracking
            .note
            .as_deref()
            .is_some_and(|n| n.contains(&first_item.id)),
        "{:?}",
        moved_item.tracking.note
    );
    // The index's repair facets say so too.
    let completed = SearchIndex::open(&e.data.search())
        .unwrap()
        .search(&SearchRequest {
            filters: vec![(IkbFacet::RepairStatus, vec!["completed".into()])],
            limit: 100,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(
        completed
            .hits
            .iter()
            .map(|h| h.incident.id.as_str())
            .collect::<Vec<_>>(),
        ["payments-b"]
    );
    let old = e
        .data
        .open_store()
        .unwrap()
        .get(&first_item.id)
        .unwrap()
        .unwrap();
    assert!(old.retired);
    assert_eq!(old.tracking.owner.as_deref(), Some("payments"));
    // Moved again: both old ids lead to the latest.
    std::fs::write(&file, report("payments-c")).unwrap();
    run(&e);
    assert_eq!(moved_to("payments-a").as_deref(), Some("payments-c"));
    assert_eq!(moved_to("payments-b").as_deref(), Some("payments-c"));
    // Unchanged: the moves are kept (nothing is carried again); a seed incident never moved.
    let unchanged = run(&e);
    assert_eq!((unchanged.index.moved, unchanged.carried), (0, 0));
    assert_eq!(moved_to("payments-b").as_deref(), Some("payments-c"));
    assert_eq!(moved_to("8GCS-858"), None);
    // Back to its first id: that id is an incident again and leads nowhere.
    std::fs::write(&file, report("payments-a")).unwrap();
    run(&e);
    assert_eq!(moved_to("payments-a"), None);
    assert_eq!(moved_to("payments-c").as_deref(), Some("payments-a"));
}
