//! A sync of the reported side on PostgreSQL, part by part: the records of each part read, made
//! new by the record's rules, and written in transactions; one sync at a time across servers
//! (an advisory lock held by a connection of its own); the end retires what no part reported.

use std::collections::{HashMap, HashSet};

use deadpool_postgres::{GenericClient, Transaction};
use jiff::Timestamp;
use tokio_postgres::NoTls;

use super::listen::notify;
use super::read::{read_one, read_snapshot};
use super::{CHUNK, PgStore, body, commit, connection, encode, pg, seq, version};
use crate::incident::Incident;
use crate::tracking::record::{Event, RepairRecord, SyncStats};
use crate::tracking::store::{ReportedSync, StoreError};

/// A sync under way on PostgreSQL: holds the sync lock; the item ids reported so far.
pub(super) struct PgSync<'a> {
    pub(super) store: &'a PgStore,
    /// The connection holding the lock (dropped, and the lock with it, when the sync ends).
    pub(super) lock: Option<tokio_postgres::Client>,
    pub(super) now: Timestamp,
    pub(super) live: HashSet<String>,
    pub(super) stats: SyncStats,
}

impl ReportedSync for PgSync<'_> {
    fn part(&mut self, incidents: &[Incident]) -> Result<(), StoreError> {
        let ids: Vec<String> = incidents
            .iter()
            .flat_map(|i| &i.current().repair_items)
            .map(|item| item.id.clone())
            .collect();
        let (pool, at) = self.store.parts();
        let existing = self.store.run_long(async move {
            let mut client = connection(&pool, &at).await?;
            read_snapshot(&mut client, Some(&ids), &at).await
        })?;
        // The new records are made here, by the record's rules; only writing them is the
        // database's.
        let plan = plan_part(
            incidents,
            existing,
            self.now,
            &mut self.live,
            &mut self.stats,
        );
        let (pool, at) = self.store.parts();
        self.store.run_long(async move {
            let mut client = connection(&pool, &at).await?;
            write_plan(&mut client, &plan, &at).await
        })
    }

    fn finish(mut self: Box<Self>) -> Result<SyncStats, StoreError> {
        let (pool, at) = self.store.parts();
        let origin = self.store.origin.clone();
        let live = std::mem::take(&mut self.live);
        let mut stats = self.stats;
        let lock = self.lock.take();
        let stats = self.store.run_long(async move {
            let mut client = connection(&pool, &at).await?;
            // What is left left its review: retired, not deleted (only those are read).
            let rows = client
                .query(
                    "SELECT id FROM repair_items WHERE record->>'retired' = 'false'",
                    &[],
                )
                .await
                .map_err(pg(&at))?;
            let gone: Vec<String> = rows
                .iter()
                .map(|r| r.get::<_, String>(0))
                .filter(|id| !live.contains(id))
                .collect();
            for ids in gone.chunks(CHUNK) {
                let ids = ids.to_vec();
                let records = read_snapshot(&mut client, Some(&ids), &at).await?;
                let changed: Vec<(RepairRecord, RepairRecord)> = records
                    .into_iter()
                    .filter(|r| !r.retired)
                    .map(|old| {
                        let retired = RepairRecord {
                            retired: true,
                            ..old.clone()
                        };
                        (retired, old)
                    })
                    .collect();
                stats.retired += changed.len();
                let plan = SyncPlan {
                    added: Vec::new(),
                    changed,
                };
                write_plan(&mut client, &plan, &at).await?;
            }
            if stats != SyncStats::default() {
                notify(&client, &origin, "sync", &at).await?;
            }
            drop(lock);
            Ok(stats)
        })?;
        Ok(stats)
    }
}

/// What a part of a sync writes: new records, and changed ones with the stored record each
/// was made from.
struct SyncPlan {
    added: Vec<RepairRecord>,
    changed: Vec<(RepairRecord, RepairRecord)>,
}

/// The records these incidents' current reviews report, against the stored ones (see
/// [`TrackingStore::sync_reported`]); their ids go into `live`.
fn plan_part(
    incidents: &[Incident],
    existing: Vec<RepairRecord>,
    now: Timestamp,
    live: &mut std::collections::HashSet<String>,
    stats: &mut SyncStats,
) -> SyncPlan {
    let mut existing: HashMap<String, RepairRecord> =
        existing.into_iter().map(|r| (r.id.clone(), r)).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for incident in incidents {
        for item in &incident.current().repair_items {
            if !live.insert(item.id.clone()) {
                continue;
            }
            let old = existing.remove(&item.id);
            let record = RepairRecord::reported(old.clone(), incident, item, now);
            match old {
                None => added.push(record),
                Some(old) if old != record => {
                    stats.updated += 1;
                    changed.push((record, old));
                }
                Some(_) => {}
            }
        }
    }
    stats.added += added.len();
    SyncPlan { added, changed }
}

/// Write a plan in transactions of [`CHUNK`] records.
async fn write_plan(
    client: &mut deadpool_postgres::Object,
    plan: &SyncPlan,
    at: &str,
) -> Result<(), StoreError> {
    for chunk in plan.added.chunks(CHUNK) {
        let tx = client.transaction().await.map_err(pg(at))?;
        insert(&tx, chunk, at).await?;
        commit(tx, at).await?;
    }
    for chunk in plan.changed.chunks(CHUNK) {
        let tx = client.transaction().await.map_err(pg(at))?;
        for (record, old) in chunk {
            write_merged(&tx, record, old, at).await?;
        }
        commit(tx, at).await?;
    }
    Ok(())
}

/// A session advisory lock on a connection of its own: held until the returned client is
/// dropped (which closes the connection).
pub(super) async fn hold_lock(
    config: &tokio_postgres::Config,
    key: i64,
    at: &str,
) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(pg(at))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .map_err(pg(at))?;
    Ok(client)
}

/// Write an ingest-side record over the stored one, keeping what a person set meanwhile: the
/// record read before (`old`) if it is still current, else the current one, read under a row
/// lock.
async fn write_merged(
    tx: &Transaction<'_>,
    record: &RepairRecord,
    old: &RepairRecord,
    at: &str,
) -> Result<(), StoreError> {
    let next = record.merged_into(old.clone());
    if swap(tx, &next, old.version, at).await? {
        let known = old.history.len();
        return append_history(tx, &next.id, known, &next.history[known..], at).await;
    }
    tx.execute(
        "SELECT 1 FROM repair_items WHERE id = $1 FOR UPDATE",
        &[&record.id],
    )
    .await
    .map_err(pg(at))?;
    let Some(current) = read_one(tx, &record.id, at).await? else {
        return Ok(());
    };
    let (before, known) = (current.version, current.history.len());
    let next = record.merged_into(current);
    if !swap(tx, &next, before, at).await? {
        return Err(StoreError::Conflict {
            id: record.id.clone(),
            current: before,
        });
    }
    append_history(tx, &next.id, known, &next.history[known..], at).await
}

/// Compare-and-swap: write `record` if the stored version is still `expected`. Returns whether
/// it was written.
async fn swap(
    client: &impl GenericClient,
    record: &RepairRecord,
    expected: u64,
    at: &str,
) -> Result<bool, StoreError> {
    let n = client
        .execute(
            "UPDATE repair_items SET incident_id = $2, version = $3, record = $4::text::jsonb \
             WHERE id = $1 AND version = $5",
            &[
                &record.id,
                &record.incident_id,
                &version(record.version),
                &body(record)?,
                &version(expected),
            ],
        )
        .await
        .map_err(pg(at))?;
    Ok(n == 1)
}

/// Append history events `from..` of an item.
async fn append_history(
    client: &impl GenericClient,
    id: &str,
    from: usize,
    events: &[Event],
    at: &str,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let ids = vec![id.to_string(); events.len()];
    let seqs: Vec<i32> = (from..from + events.len()).map(seq).collect();
    let bodies = events
        .iter()
        .map(|e| encode(id, e))
        .collect::<Result<Vec<_>, _>>()?;
    insert_history(client, &ids, &seqs, &bodies, at).await
}

/// Insert history rows: (item id, place in its history, event) each.
async fn insert_history(
    client: &impl GenericClient,
    ids: &[String],
    seqs: &[i32],
    bodies: &[String],
    at: &str,
) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO repair_history (item_id, seq, event) \
             SELECT * FROM unnest($1::text[], $2::int4[], $3::text[]::jsonb[])",
            &[&ids, &seqs, &bodies],
        )
        .await
        .map_err(pg(at))?;
    Ok(())
}

/// Insert new records and their histories.
pub(super) async fn insert(
    client: &impl GenericClient,
    records: &[RepairRecord],
    at: &str,
) -> Result<(), StoreError> {
    let mut ids = Vec::with_capacity(records.len());
    let mut incidents = Vec::with_capacity(records.len());
    let mut versions = Vec::with_capacity(records.len());
    let mut bodies = Vec::with_capacity(records.len());
    let (mut h_ids, mut h_seqs, mut h_bodies) = (Vec::new(), Vec::new(), Vec::new());
    for r in records {
        ids.push(r.id.clone());
        incidents.push(r.incident_id.clone());
        versions.push(version(r.version));
        bodies.push(body(r)?);
        for (i, e) in r.history.iter().enumerate() {
            h_ids.push(r.id.clone());
            h_seqs.push(seq(i));
            h_bodies.push(encode(&r.id, e)?);
        }
    }
    client
        .execute(
            "INSERT INTO repair_items (id, incident_id, version, record) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[]::jsonb[])",
            &[&ids, &incidents, &versions, &bodies],
        )
        .await
        .map_err(pg(at))?;
    insert_history(client, &h_ids, &h_seqs, &h_bodies, at).await
}
