//! What people set on the repair items of an incident whose id changed (see `index::moved`)
//! goes with them: an item keeps its id's own part (`{incident}-{hash of its text}`), so the
//! same item under the new id gets the old one's status, owner, assignee, due date, link and
//! reason, with a note saying where they came from. The old records stay, retired, with their
//! history.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{Change, StoreError, Tracking, TrackingStore};

/// Who the carried-over changes are by, in the items' history.
const CARRIER: &str = "incident-kb";

/// Carry the state people set over for these moves (old incident id -> new). An item under
/// the new id that already has state of its own keeps it. Returns how many items took state.
pub fn carry_over(
    store: &dyn TrackingStore,
    moves: &BTreeMap<String, String>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    if moves.is_empty() {
        return Ok(0);
    }
    let mut carried = 0;
    for old in store.all()? {
        let Some(new_incident) = moves.get(&old.incident_id) else {
            continue;
        };
        if old.tracking == Tracking::default() {
            continue;
        }
        let Some(own) = old.id.strip_prefix(&format!("{}-", old.incident_id)) else {
            continue;
        };
        let new_id = format!("{new_incident}-{own}");
        let Some(new) = store.get(&new_id)? else {
            continue;
        };
        if new.tracking != Tracking::default() {
            continue;
        }
        let t = &old.tracking;
        let mut note = format!(
            "Carried over from {}: its incident's id changed from {} to {new_incident}.",
            old.id, old.incident_id
        );
        if let Some(last) = &t.note {
            note.push_str(&format!(" Its last note: {last}"));
        }
        let change = Change {
            status: t.status,
            owner: t.owner.clone(),
            note: Some(note),
            link: t.link.clone(),
            assignee: t.assignee.clone(),
            due_date: t.due_date.map(Some),
            reason: t.reason.clone(),
        };
        store.update(&new_id, &change, CARRIER, Some(new.version), now)?;
        carried += 1;
    }
    Ok(carried)
}
