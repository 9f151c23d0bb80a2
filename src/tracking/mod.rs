//! Tracking repair items: the status rules ([`status`]), the record people change
//! ([`record`]), the checks every write passes ([`validate`]), the tickets people name on it
//! ([`ticket`]), listings ([`list`]), the audit log ([`audit`]) and the weekly digest
//! ([`digest`]), what moves with an incident whose id changed ([`moved`]), the store boundary ([`TrackingStore`]) with its sled adapter ([`sled`], the default) and
//! its PostgreSQL adapter ([`postgres`], for several servers), and
//! the use cases the web form, the JSON API and `ikb repair` call alike: check a change, apply
//! it (with its history events, durably), and bring the search index's repair facets in step
//! with the store. It renders nothing and parses no report.

pub mod audit;
pub mod digest;
pub mod list;
pub mod moved;
pub mod postgres;
pub mod record;
pub mod sled;
pub mod status;
pub mod store;
pub mod ticket;
pub mod validate;

use std::collections::BTreeSet;

pub use record::{BACKUP_FORMAT, Backup, Change, Event, Note, RepairRecord, SyncStats, Tracking};
pub use sled::SledStore;
pub use status::{RepairFacet, SetOn, Status, StatusFilter};
pub use store::{ReportedSync, StoreChange, StoreError, StoreLocation, TrackingStore};
pub use validate::ChangeInput;

use crate::incident::Incident;
use crate::index::write::RepairFacets;
use crate::index::{IndexError, SearchIndex};

/// Today, in UTC: the day against which due months are judged.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// The status that counts for a review's repair item and whether it is overdue: the store's
/// record when there is one, else what the review reports.
pub fn item_status(
    item: &crate::incident::RepairItem,
    record: Option<&RepairRecord>,
    today: jiff::civil::Date,
) -> (Status, bool) {
    match record {
        Some(r) => (r.status(), r.overdue(today)),
        None => status::status_of(item, SetOn::default(), today),
    }
}

/// Open the tracking store at `location`: a sled folder or a PostgreSQL database.
pub fn open(location: &StoreLocation) -> Result<Box<dyn TrackingStore>, StoreError> {
    Ok(match location {
        StoreLocation::Sled(path) => Box::new(SledStore::open(path)?),
        StoreLocation::Postgres(url) => Box::new(postgres::PgStore::open(url)?),
    })
}

/// Store a person's change to one item, durably, with its history events (the store marks
/// the incident's facets as stale in the same write). The change comes checked from
/// [`Change::validate`]. The index is not touched here: call [`refresh_facets`] after (the
/// server batches that step).
pub fn apply(
    store: &dyn TrackingStore,
    id: &str,
    change: &Change,
    who: &str,
    expected_version: Option<u64>,
) -> Result<RepairRecord, StoreError> {
    store.update(id, change, who, expected_version, jiff::Timestamp::now())
}

/// The repair facets of an incident for the search index: each item's status and due date are
/// what a person set (`set`, by item id), else what its review reports.
pub fn repair_facets(
    incident: &Incident,
    set: &dyn Fn(&str) -> SetOn,
    today: jiff::civil::Date,
) -> RepairFacets {
    RepairFacets::new(
        RepairFacet::of_incident(incident, set, today)
            .into_iter()
            .map(RepairFacet::as_str),
    )
}

/// Rewrite the repair facets of these incidents in the index (one commit), from the statuses
/// in the store, then clear their stale marks. Incidents the index does not hold are skipped.
pub fn refresh_facets<'a>(
    store: &dyn TrackingStore,
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
            record.map_or_else(SetOn::default, |r| r.set_on())
        };
        let facets = repair_facets(&incident, &lookup, today);
        updates.push((incident, facets));
    }
    index.refresh(&updates)?;
    let incidents: Vec<String> = incidents.into_iter().cloned().collect();
    if let Err(e) = store.clear_stale_facets(&incidents) {
        tracing::warn!(error = %e, "could not clear the marks of refreshed facets; they will be refreshed again");
    }
    Ok(())
}
