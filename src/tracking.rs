//! The use cases of tracking repair items, one API for the web form, the JSON API and
//! `ikb repair` alike: check a change, apply it (with its history events, durably), and bring
//! the search index's repair facets in step with the store. It renders nothing and parses no
//! report.

use std::collections::BTreeSet;

use crate::index::{IndexError, SearchIndex};
use crate::ingest::{repair_facets, today};
use crate::store::{Change, RepairRecord, Store, StoreError};

/// Store a person's change to one item, durably, with its history events (the store marks
/// the incident's facets as stale in the same flush). The change comes checked from
/// [`Change::validate`]. The index is not touched here: call [`refresh_facets`] after (the
/// server batches that step).
pub fn apply(
    store: &Store,
    id: &str,
    change: &Change,
    who: &str,
    expected_version: Option<u64>,
) -> Result<RepairRecord, StoreError> {
    store.update(id, change, who, expected_version, jiff::Timestamp::now())
}

/// Rewrite the repair facets of these incidents in the index (one commit), from the statuses
/// in the store, then clear their stale marks. Incidents the index does not hold are skipped.
pub fn refresh_facets<'a>(
    store: &Store,
    index: &SearchIndex,
    incidents: impl IntoIterator<Item = &'a String>,
) -> Result<(), IndexError> {
    let incidents: BTreeSet<&String> = incidents.into_iter().collect();
    let today = today();
    let mut updates = Vec::new();
    for id in &incidents {
        let Ok(incident) = index.get(id) else {
            continue;
        };
        // Only this incident's items, not the whole store.
        let lookup = |item: &str| {
            let record = store.get(item).ok().flatten();
            record.and_then(|r| r.tracking.status)
        };
        let facets = repair_facets(&incident, &lookup, today);
        updates.push((incident, facets));
    }
    index.refresh(&updates)?;
    if let Err(e) = store.clear_stale_facets(incidents) {
        tracing::warn!(error = %e, "could not clear the marks of refreshed facets; they will be refreshed again");
    }
    Ok(())
}
