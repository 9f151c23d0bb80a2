//! One conformance suite for the tracking store boundary, run against every store: sled (the
//! default) and a real PostgreSQL (a throwaway cluster per test). Each case says what every
//! store must do; the same function runs on both.

mod common;

use std::collections::BTreeMap;

use common::postgres::Cluster;
use incident_kb::incident::{Incident, ReportedStatus};
use incident_kb::tracking::{
    self, Backup, Change, SetOn, Status, StoreError, StoreLocation, TrackingStore,
};
use jiff::Timestamp;

/// Opens the store under test; each call is a new handle on the same data (the earlier one
/// dropped first, as sled allows one at a time).
type Open<'a> = &'a dyn Fn() -> Box<dyn TrackingStore>;

fn seeds() -> Vec<Incident> {
    common::read_seeds().incidents
}

fn items(incidents: &[Incident]) -> usize {
    incidents
        .iter()
        .map(|i| i.current().repair_items.len())
        .sum()
}

fn note(text: &str) -> Change {
    Change {
        note: Some(text.into()),
        ..Change::default()
    }
}

/// A sync adds every reported item once; a second sync of the same reviews changes nothing;
/// an item that left its review is retired with what people set on it, and comes back.
fn sync_adds_keeps_and_retires(open: Open) {
    let store = open();
    let incidents = seeds();
    let n = items(&incidents);
    assert!(n > 20, "the seeds have repair items ({n})");
    let stats = store.sync_reported(&incidents, Timestamp::now()).unwrap();
    assert_eq!((stats.added, stats.updated, stats.retired), (n, 0, 0));
    assert_eq!(store.len(), n);
    let again = store.sync_reported(&incidents, Timestamp::now()).unwrap();
    assert_eq!((again.added, again.updated, again.retired), (0, 0, 0));

    let first = incidents[0].current().repair_items[0].id.clone();
    store
        .update(
            &first,
            &Change {
                status: Some(Status::InProgress),
                owner: Some("storage-team".into()),
                ..Change::default()
            },
            "alice",
            None,
            Timestamp::now(),
        )
        .unwrap();
    let without_first = &incidents[1..];
    let gone = incidents[0].current().repair_items.len();
    let stats = store
        .sync_reported(without_first, Timestamp::now())
        .unwrap();
    assert_eq!(stats.retired, gone);
    let retired = store.get(&first).unwrap().expect("retired, not deleted");
    assert!(retired.retired);
    assert_eq!(retired.tracking.status, Some(Status::InProgress));
    assert_eq!(retired.tracking.owner.as_deref(), Some("storage-team"));
    assert_eq!(store.len(), n, "nothing is deleted");

    drop(store);
    let store = open();
    let back = store.sync_reported(&incidents, Timestamp::now()).unwrap();
    assert_eq!(back.updated, gone, "retired items come back");
    let record = store.get(&first).unwrap().unwrap();
    assert!(!record.retired);
    assert_eq!(record.tracking.status, Some(Status::InProgress));
}

/// A newer review that reports an item completed is an event in its history; what a person
/// set still counts.
fn a_reported_status_change_is_an_event(open: Open) {
    let store = open();
    let mut incidents = seeds();
    store.sync_reported(&incidents, Timestamp::now()).unwrap();
    let (i, item) = incidents
        .iter()
        .enumerate()
        .find_map(|(i, inc)| {
            inc.current()
                .repair_items
                .iter()
                .find(|r| r.reported_status != ReportedStatus::Completed)
                .map(|r| (i, r.id.clone()))
        })
        .expect("a planned item in the seeds");
    store
        .update(&item, &note("on it"), "bob", None, Timestamp::now())
        .unwrap();
    let review = incidents[i].reviews.last_mut().unwrap();
    for r in &mut review.repair_items {
        if r.id == item {
            r.reported_status = ReportedStatus::Completed;
        }
    }
    let stats = store.sync_reported(&incidents, Timestamp::now()).unwrap();
    assert_eq!(stats.updated, 1);
    let record = store.get(&item).unwrap().unwrap();
    assert_eq!(record.reported_status, ReportedStatus::Completed);
    let fields: Vec<&str> = record.history.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["reported_status", "note", "reported_status"]);
    assert_eq!(record.notes().count(), 1, "the note is kept");
}

/// Compare-and-swap by version: an edit against an old version is refused with the current
/// one, an unknown item is named, and a change that changes nothing is no new version.
fn updates_are_compare_and_swap(open: Open) {
    let store = open();
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let id = store.all().unwrap()[0].id.clone();
    let owner = |o: &str| Change {
        owner: Some(o.into()),
        ..Change::default()
    };
    let r = store
        .update(&id, &owner("a"), "alice", Some(0), Timestamp::now())
        .unwrap();
    assert_eq!(r.version, 1);
    assert!(matches!(
        store.update(&id, &owner("b"), "bob", Some(0), Timestamp::now()),
        Err(StoreError::Conflict { current: 1, .. })
    ));
    assert!(matches!(
        store.update("no-such-item", &owner("b"), "bob", None, Timestamp::now()),
        Err(StoreError::NotFound(_))
    ));
    let same = store
        .update(&id, &owner("a"), "alice", Some(1), Timestamp::now())
        .unwrap();
    assert_eq!(same.version, 1, "no change, no new version");
    let stored = store.get(&id).unwrap().unwrap();
    assert_eq!(stored.tracking.owner.as_deref(), Some("a"));
    assert_eq!(stored.history.len(), 2, "reported, then the owner");
}

/// Writers racing on one item all land: every change is in the history once, in version
/// order.
fn concurrent_writes_to_one_item_all_land(open: Open) {
    let store = open();
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let id = store.all().unwrap()[0].id.clone();
    let before = store.get(&id).unwrap().unwrap().history.len();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let (store, id) = (&store, &id);
            scope.spawn(move || {
                for n in 0..10 {
                    store
                        .update(
                            id,
                            &note(&format!("writer {t} note {n}")),
                            &format!("user{t}"),
                            None,
                            Timestamp::now(),
                        )
                        .unwrap();
                }
            });
        }
    });
    let r = store.get(&id).unwrap().unwrap();
    assert_eq!(r.version, 60);
    assert_eq!(r.history.len(), before + 60);
    let mut notes: Vec<&str> = r.notes().map(|n| n.text).collect();
    notes.sort_unstable();
    notes.dedup();
    assert_eq!(notes.len(), 60, "each note once");
}

/// What is written is there for the next process: every acknowledged write is durable.
fn writes_are_there_after_reopening(open: Open) {
    let store = open();
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let id = store.all().unwrap()[5].id.clone();
    let day = jiff::civil::date(2031, 3, 4);
    store
        .update(
            &id,
            &Change {
                status: Some(Status::WontDo),
                reason: Some("replaced by the new design".into()),
                assignee: Some("carol".into()),
                due_date: Some(Some(day)),
                ..Change::default()
            },
            "carol",
            None,
            Timestamp::now(),
        )
        .unwrap();
    let before = store.backup().unwrap();
    drop(store);
    let store = open();
    let r = store.get(&id).unwrap().unwrap();
    assert_eq!(r.tracking.status, Some(Status::WontDo));
    assert_eq!(r.tracking.due_date, Some(day));
    assert_eq!(r.tracking.assignee.as_deref(), Some("carol"));
    assert_eq!(store.backup().unwrap(), before);
}

/// The statuses and due dates people set, and nothing else, are what the index's facets
/// read; an update marks its incident's facets stale until they are cleared.
fn set_on_items_and_stale_facets(open: Open) {
    let store = open();
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    assert!(store.set_on_items().unwrap().is_empty());
    assert!(store.stale_facets().unwrap().is_empty());
    let all = store.all().unwrap();
    let (a, b, c) = (&all[0], &all[1], &all[2]);
    let day = jiff::civil::date(2030, 1, 31);
    let change = |status, due_date| Change {
        status,
        due_date,
        ..Change::default()
    };
    let now = Timestamp::now();
    store
        .update(
            &a.id,
            &change(Some(Status::Completed), None),
            "x",
            None,
            now,
        )
        .unwrap();
    store
        .update(&b.id, &change(None, Some(Some(day))), "x", None, now)
        .unwrap();
    store
        .update(&c.id, &note("only a note"), "x", None, now)
        .unwrap();
    let set = store.set_on_items().unwrap();
    let set: BTreeMap<_, _> = set.into_iter().collect();
    let want: BTreeMap<String, SetOn> = [
        (
            a.id.clone(),
            SetOn {
                status: Some(Status::Completed),
                due_date: None,
            },
        ),
        (
            b.id.clone(),
            SetOn {
                status: None,
                due_date: Some(day),
            },
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(set, want);
    let mut stale = store.stale_facets().unwrap();
    stale.sort();
    let mut marked: Vec<String> = [a, b, c].iter().map(|r| r.incident_id.clone()).collect();
    marked.sort();
    marked.dedup();
    assert_eq!(stale, marked);
    store.clear_stale_facets(&stale).unwrap();
    assert!(store.stale_facets().unwrap().is_empty());
}

/// A backup restores exactly (the same bytes), into a store that held other records; a
/// backup of another format, or with a bad record, restores nothing.
fn backup_and_restore_round_trip_exactly(open: Open, other: Open) {
    let a = open();
    a.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let id = a.all().unwrap()[3].id.clone();
    let change = Change {
        status: Some(Status::InProgress),
        note: Some("ünïcode ✓ \"quoted\"\nand a second line".into()),
        link: Some("https://tracker.example/T-1".into()),
        ..Change::default()
    };
    a.update(&id, &change, "alice", None, Timestamp::now())
        .unwrap();
    let json = serde_json::to_string_pretty(&a.backup().unwrap()).unwrap();
    let b = other();
    b.sync_reported(&seeds()[..2], Timestamp::now()).unwrap();
    let n = b.restore(&serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(n, a.len());
    let again = serde_json::to_string_pretty(&b.backup().unwrap()).unwrap();
    assert_eq!(json, again, "the same bytes");

    let wrong = Backup {
        format: "something else".into(),
        version: 1,
        records: vec![],
    };
    assert!(b.restore(&wrong).is_err());
    let mut bad = b.backup().unwrap();
    let dup = bad.records[1].clone();
    bad.records.push(dup);
    assert!(matches!(b.restore(&bad), Err(StoreError::InvalidBackup(_))));
    assert_eq!(
        serde_json::to_string_pretty(&b.backup().unwrap()).unwrap(),
        json,
        "a refused restore changes nothing"
    );
}

/// Records come in id order, byte by byte (a backup of either store is the same file).
fn records_come_in_byte_order_of_ids(open: Open) {
    let store = open();
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let mut records = store.all().unwrap();
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // Ids that a collation would order otherwise: upper case, punctuation, non-ASCII.
    for (i, id) in ["Zeta-1", "alpha-1", "_under-1", "été-1", "Alpha-2"]
        .iter()
        .enumerate()
    {
        let mut r = records[i].clone();
        r.id = id.to_string();
        records.push(r);
    }
    store.restore(&Backup::new(records)).unwrap();
    let ids: Vec<String> = store.all().unwrap().into_iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

/// A sync that runs while people change items keeps every change (the sync's records are
/// merged into what was stored meanwhile).
fn a_sync_beside_edits_loses_no_edit(open: Open) {
    let store = open();
    let mut incidents = seeds();
    store.sync_reported(&incidents, Timestamp::now()).unwrap();
    // Every item's text changes, so the next sync rewrites all of them.
    for i in &mut incidents {
        for r in &mut i.reviews.last_mut().unwrap().repair_items {
            r.text.push_str(" (reworded)");
        }
    }
    let ids: Vec<String> = store.all().unwrap().into_iter().map(|r| r.id).collect();
    std::thread::scope(|scope| {
        let store = &store;
        let editing = scope.spawn(|| {
            for id in ids.iter().take(15) {
                store
                    .update(
                        id,
                        &note("edited during a sync"),
                        "dave",
                        None,
                        Timestamp::now(),
                    )
                    .unwrap();
            }
        });
        store.sync_reported(&incidents, Timestamp::now()).unwrap();
        editing.join().unwrap();
    });
    for id in ids.iter().take(15) {
        let r = store.get(id).unwrap().unwrap();
        assert!(r.text.ends_with("(reworded)"), "{id}: the sync's text");
        assert_eq!(
            r.notes().map(|n| n.text).collect::<Vec<_>>(),
            ["edited during a sync"],
            "{id}: the edit"
        );
    }
}

/// A sync in parts (as a streamed ingest makes it) adds what its parts report and retires
/// only what none of them did, as one sync of everything would.
fn a_sync_in_parts_retires_only_what_no_part_reported(open: Open) {
    let store = open();
    let incidents = seeds();
    let now = Timestamp::now();
    let mut sync = store.start_sync(now).unwrap();
    for part in incidents.chunks(3) {
        sync.part(part).unwrap();
    }
    let stats = sync.finish().unwrap();
    assert_eq!(
        (stats.added, stats.updated, stats.retired),
        (items(&incidents), 0, 0)
    );
    let one = store.all().unwrap();
    // Without the first incident, in parts: its items are retired, the others untouched.
    let mut sync = store.start_sync(now).unwrap();
    for part in incidents[1..].chunks(2) {
        sync.part(part).unwrap();
    }
    let stats = sync.finish().unwrap();
    let first = incidents[0].current().repair_items.len();
    assert_eq!((stats.added, stats.updated, stats.retired), (0, 0, first));
    let after = store.all().unwrap();
    let retired: Vec<&str> = after
        .iter()
        .filter(|r| r.retired)
        .map(|r| r.incident_id.as_str())
        .collect();
    assert_eq!(retired.len(), first);
    assert!(retired.iter().all(|i| *i == incidents[0].id));
    let unchanged = |r: &&tracking::RepairRecord| r.incident_id != incidents[0].id;
    assert_eq!(
        after.iter().filter(unchanged).collect::<Vec<_>>(),
        one.iter().filter(unchanged).collect::<Vec<_>>()
    );
}

/// Every case, on sled and on PostgreSQL.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sled {
            $(
                #[test]
                fn $case() {
                    let tmp = tempfile::tempdir().unwrap();
                    let path = tmp.path().join("tracking");
                    let open = || super::open_sled(&path);
                    super::$case(&open);
                }
            )*

            #[test]
            fn backup_and_restore_round_trip_exactly() {
                let tmp = tempfile::tempdir().unwrap();
                let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
                super::backup_and_restore_round_trip_exactly(
                    &|| super::open_sled(&a),
                    &|| super::open_sled(&b),
                );
            }
        }

        mod postgres {
            $(
                #[test]
                fn $case() {
                    let cluster = super::Cluster::start();
                    let url = cluster.database();
                    let open = || super::open_postgres(&url, &cluster);
                    super::$case(&open);
                }
            )*

            #[test]
            fn backup_and_restore_round_trip_exactly() {
                let cluster = super::Cluster::start();
                let (a, b) = (cluster.database(), cluster.database());
                super::backup_and_restore_round_trip_exactly(
                    &|| super::open_postgres(&a, &cluster),
                    &|| super::open_postgres(&b, &cluster),
                );
            }
        }
    };
}

conformance!(
    sync_adds_keeps_and_retires,
    a_reported_status_change_is_an_event,
    updates_are_compare_and_swap,
    concurrent_writes_to_one_item_all_land,
    writes_are_there_after_reopening,
    set_on_items_and_stale_facets,
    records_come_in_byte_order_of_ids,
    a_sync_beside_edits_loses_no_edit,
    a_sync_in_parts_retires_only_what_no_part_reported,
);

fn open_sled(path: &std::path::Path) -> Box<dyn TrackingStore> {
    // sled's flusher thread may hold the last handle's file lock a moment after its drop.
    let started = std::time::Instant::now();
    loop {
        match tracking::open(&StoreLocation::Sled(path.to_path_buf())) {
            Err(StoreError::Locked { .. })
                if started.elapsed() < std::time::Duration::from_secs(5) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("sled opens"),
        }
    }
}

fn open_postgres(url: &str, cluster: &Cluster) -> Box<dyn TrackingStore> {
    tracking::open(&StoreLocation::Postgres(url.to_string()))
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} does not open: {e}\n{}", cluster.log()))
}

/// A second process's migrations find the schema made (re-running them changes nothing), and
/// a database whose schema is newer than this build is refused with what to do.
#[test]
fn postgres_migrations_run_once_and_a_newer_schema_is_refused() {
    let cluster = Cluster::start();
    let url = cluster.database();
    let first = open_postgres(&url, &cluster);
    first.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let n = first.len();
    let second = open_postgres(&url, &cluster);
    assert_eq!(second.len(), n, "opening again keeps the records");
    drop((first, second));
    cluster.psql(&url, "INSERT INTO schema_migrations (version) VALUES (999)");
    match tracking::open(&StoreLocation::Postgres(url.clone())) {
        Err(e) => assert!(e.to_string().contains("upgrade incident-kb"), "{e}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
}

/// With PostgreSQL stopped, calls fail soon with "cannot be reached" (a 503 for the web
/// app), and work again once it is back, on the same store handle.
#[test]
fn postgres_away_is_unreachable_and_the_store_recovers() {
    let cluster = Cluster::start();
    let url = cluster.database();
    let store = open_postgres(&url, &cluster);
    store.sync_reported(&seeds(), Timestamp::now()).unwrap();
    let id = store.all().unwrap()[0].id.clone();
    cluster.stop();
    let started = std::time::Instant::now();
    match store.update(&id, &note("while away"), "eve", None, Timestamp::now()) {
        Err(e @ StoreError::Unreachable { .. }) => {
            assert!(e.to_string().contains("Nothing was saved"), "{e}")
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert!(store.check().is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it says so within the store's time limits"
    );
    cluster.start_again();
    let r = store
        .update(&id, &note("back"), "eve", None, Timestamp::now())
        .expect("the same handle works again");
    assert_eq!(r.notes().map(|n| n.text).collect::<Vec<_>>(), ["back"]);
    store.check().unwrap();
}
