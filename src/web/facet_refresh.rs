//! Keeping the index's repair facets in step with tracking writes. A write is acknowledged once
//! the store has committed it; the incidents that writes touched are then rewritten in the
//! index in batches: writers that arrive while a commit runs share the next one, so a burst of
//! changes costs a few commits, not one each. A batch that fails stays queued and is tried
//! again by the next write (and any re-ingest rewrites what is stale); it never fails the write.

use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex};

#[derive(Default)]
struct Queue {
    /// Incidents whose documents wait to be rewritten.
    pending: BTreeSet<String>,
    /// A batch is being committed.
    committing: bool,
    /// Batches committed since start (for tests).
    commits: u64,
}

/// The queue of incidents whose repair facets changed, with one committer at a time.
#[derive(Default)]
pub struct FacetRefresh {
    queue: Mutex<Queue>,
    idle: Condvar,
}

impl FacetRefresh {
    /// Queue `incidents` and return once a commit that holds them has ended: this caller
    /// commits the batch itself (`commit` gets every queued incident) unless other callers'
    /// commits already took them all. The error is that of the commit this caller ran, if any.
    pub fn refresh<E>(
        &self,
        incidents: &[String],
        commit: impl FnOnce(&BTreeSet<String>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut q = self.queue.lock().expect("refresh queue lock");
        q.pending.extend(incidents.iter().cloned());
        while q.committing {
            q = self.idle.wait(q).expect("refresh queue lock");
        }
        if !incidents.iter().any(|i| q.pending.contains(i)) {
            // Other callers' commits took them and succeeded.
            return Ok(());
        }
        let batch = std::mem::take(&mut q.pending);
        q.committing = true;
        drop(q);
        let result = commit(&batch);
        let mut q = self.queue.lock().expect("refresh queue lock");
        q.committing = false;
        match &result {
            Ok(()) => q.commits += 1,
            Err(_) => q.pending.extend(batch),
        }
        self.idle.notify_all();
        result
    }

    /// How many incidents wait for a retry after a failed commit.
    pub fn pending(&self) -> usize {
        self.queue.lock().expect("refresh queue lock").pending.len()
    }

    /// How many batches were committed since start.
    pub fn commits(&self) -> u64 {
        self.queue.lock().expect("refresh queue lock").commits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_refreshes_share_commits_and_a_failed_batch_is_retried() {
        let r = FacetRefresh::default();
        let committed = Mutex::new(Vec::<String>::new());
        std::thread::scope(|scope| {
            for n in 0..16 {
                let (r, committed) = (&r, &committed);
                scope.spawn(move || {
                    r.refresh(&[format!("incident-{}", n % 4)], |batch| {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        committed.lock().unwrap().extend(batch.iter().cloned());
                        Ok::<(), ()>(())
                    })
                    .unwrap();
                });
            }
        });
        assert!(r.commits() < 16, "{} commits for 16 writes", r.commits());
        let mut seen = committed.into_inner().unwrap();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 4, "every incident was committed");
        assert_eq!(
            r.refresh(&["a".to_string()], |_| Err("disk full")),
            Err("disk full")
        );
        assert_eq!(r.pending(), 1, "the failed batch waits");
        let mut retried = BTreeSet::new();
        r.refresh(&["b".to_string()], |batch| {
            retried = batch.clone();
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(retried, BTreeSet::from(["a".to_string(), "b".to_string()]));
        assert_eq!(r.pending(), 0);
    }
}
