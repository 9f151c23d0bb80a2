//! Incidents whose id changed between two ingests (a better reading of their report gave them
//! another date or primary service): the old id leads to the new one, so that links in
//! runbooks and tickets keep working. Matched by the report files both were read from.

use std::collections::{BTreeMap, BTreeSet};

use super::{IndexError, SearchIndex, read_sidecar, write_sidecar};
use crate::incident::Incident;

/// Old id -> new id, kept beside the index.
const MOVED_FILE: &str = "ikb-moved.json";

/// The report files an incident was read from.
pub(crate) fn sources(incident: &Incident) -> BTreeSet<String> {
    incident.reviews.iter().map(|r| r.source.clone()).collect()
}

impl SearchIndex {
    /// The id an incident that is no longer under `id` has now, if it moved.
    pub fn moved_to(&self, id: &str) -> Option<String> {
        read_sidecar::<BTreeMap<String, String>>(&self.path.join(MOVED_FILE))?.remove(id)
    }

    /// Of the incidents a sync removes, those read from a file an added incident was read from
    /// moved to it. Reads the removed incidents from the index as it was before the sync.
    pub(crate) fn moves(
        &self,
        removed: &[String],
        added: &[(String, BTreeSet<String>)],
    ) -> BTreeMap<String, String> {
        if removed.is_empty() || added.is_empty() {
            return BTreeMap::new();
        }
        let mut new_by_source: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, sources) in added {
            for s in sources {
                new_by_source.entry(s.as_str()).or_insert(id.as_str());
            }
        }
        removed
            .iter()
            .filter_map(|old| {
                let incident = self.get(old).ok()?;
                let new = sources(&incident)
                    .iter()
                    .find_map(|s| new_by_source.get(s.as_str()).copied())?;
                Some((old.clone(), new.to_string()))
            })
            .collect()
    }

    /// Add these moves to the ones kept: an id that moved before and moves again leads to the
    /// latest; an id that is an incident's again leads nowhere.
    pub(crate) fn record_moves(
        &self,
        moves: &BTreeMap<String, String>,
        live: &dyn Fn(&str) -> bool,
    ) -> Result<(), IndexError> {
        let path = self.path.join(MOVED_FILE);
        let kept: BTreeMap<String, String> = read_sidecar(&path).unwrap_or_default();
        if moves.is_empty() && !kept.keys().any(|old| live(old)) {
            return Ok(());
        }
        let mut all: BTreeMap<String, String> = kept
            .into_iter()
            .map(|(old, new)| {
                let new = moves.get(&new).cloned().unwrap_or(new);
                (old, new)
            })
            .collect();
        all.extend(moves.iter().map(|(o, n)| (o.clone(), n.clone())));
        all.retain(|old, new| !live(old) && old != new);
        write_sidecar(&path, &all).map_err(|source| IndexError::Io {
            path: self.path.display().to_string(),
            source,
        })
    }
}
