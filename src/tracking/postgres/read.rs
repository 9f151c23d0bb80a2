//! Reading records from PostgreSQL: one with its history in one round trip, or many (every
//! record, or those of some ids) with theirs, in one snapshot.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;

use super::{decode, pg};
use crate::tracking::{RepairRecord, StoreError};

/// One record with its history, in one round trip.
pub(super) const READ_ONE: &str = "
SELECT r.record::text,
       coalesce((SELECT json_agg(h.event ORDER BY h.seq)::text
                 FROM repair_history h WHERE h.item_id = r.id), '[]')
FROM repair_items r WHERE r.id = $1";

/// One record with its history, or `None`.
pub(super) async fn read_one(
    client: &impl GenericClient,
    id: &str,
    at: &str,
) -> Result<Option<RepairRecord>, StoreError> {
    let statement = client.prepare_cached(READ_ONE).await.map_err(pg(at))?;
    let Some(row) = client.query_opt(&statement, &[&id]).await.map_err(pg(at))? else {
        return Ok(None);
    };
    let mut record: RepairRecord = decode(id, row.get(0))?;
    record.history = decode(id, row.get(1))?;
    Ok(Some(record))
}

/// Every record (or those of `ids`) with its history, in id order (byte order, as sled
/// keeps them).
pub(super) async fn read_all(
    client: &impl GenericClient,
    ids: Option<&[String]>,
    at: &str,
) -> Result<Vec<RepairRecord>, StoreError> {
    let rows = match ids {
        None => {
            client
                .query("SELECT id, record::text FROM repair_items ORDER BY id", &[])
                .await
        }
        Some(ids) => {
            client
                .query(
                    "SELECT id, record::text FROM repair_items WHERE id = ANY($1) ORDER BY id",
                    &[&ids],
                )
                .await
        }
    }
    .map_err(pg(at))?;
    let mut records = Vec::with_capacity(rows.len());
    let mut position = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: String = row.get(0);
        let record: RepairRecord = decode(&id, row.get(1))?;
        position.insert(id, records.len());
        records.push(record);
    }
    let events = match ids {
        None => {
            client
                .query(
                    "SELECT item_id, event::text FROM repair_history ORDER BY item_id, seq",
                    &[],
                )
                .await
        }
        Some(ids) => {
            client
                .query(
                    "SELECT item_id, event::text FROM repair_history WHERE item_id = ANY($1) \
                     ORDER BY item_id, seq",
                    &[&ids],
                )
                .await
        }
    }
    .map_err(pg(at))?;
    for row in events {
        let id: &str = row.get(0);
        if let Some(&i) = position.get(id) {
            let event = decode(id, row.get(1))?;
            records[i].history.push(event);
        }
    }
    Ok(records)
}

/// Every record (or those of `ids`) in one snapshot.
pub(super) async fn read_snapshot(
    client: &mut deadpool_postgres::Object,
    ids: Option<&[String]>,
    at: &str,
) -> Result<Vec<RepairRecord>, StoreError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(pg(at))?;
    let records = read_all(&tx, ids, at).await?;
    tx.commit().await.map_err(pg(at))?;
    Ok(records)
}
