//! The boundary between tracking and where its records live: the [`TrackingStore`] trait
//! (sled is the default; another store implements the same methods) and its errors.

use std::collections::HashMap;

use jiff::Timestamp;

use super::list::RepairFilter;
use super::record::{BACKUP_FORMAT, Backup, Change, RepairRecord, SyncStats};
use super::status::SetOn;
use crate::incident::Incident;

/// Where repair records live. Every write is durable before it returns, and an error never
/// hides a write that happened. The rules (what a change or a newer review does to a record)
/// are [`RepairRecord`]'s; a store only keeps records and swaps them atomically.
pub trait TrackingStore: Send + Sync {
    /// Where it is, for messages (a path, a database name without its password).
    fn location(&self) -> String;

    fn get(&self, id: &str) -> Result<Option<RepairRecord>, StoreError>;

    /// Every record, in id order.
    fn all(&self) -> Result<Vec<RepairRecord>, StoreError>;

    /// The records that pass `filter`, in the order a follow-up review wants.
    fn list(
        &self,
        filter: &RepairFilter,
        today: jiff::civil::Date,
    ) -> Result<Vec<RepairRecord>, StoreError> {
        Ok(super::list::list(self.all()?, filter, today))
    }

    /// The statuses and due dates people set, by item id (items with neither are left out):
    /// all that the search index's repair facets take from the store (the rest comes from the
    /// reviews).
    fn set_on_items(&self) -> Result<HashMap<String, SetOn>, StoreError>;

    /// Bring the reported side of the store in line with the incidents' current reviews
    /// ([`RepairRecord::reported`]); items that left their review are retired, not deleted.
    fn sync_reported(
        &self,
        incidents: &[Incident],
        now: Timestamp,
    ) -> Result<SyncStats, StoreError> {
        let mut sync = self.start_sync(now)?;
        sync.part(incidents)?;
        sync.finish()
    }

    /// The same, part by part (an ingest that streams the corpus): every part's incidents,
    /// then [`ReportedSync::finish`] retires the items no part reported. One sync at a time
    /// per store (across servers, for a shared one).
    fn start_sync(&self, now: Timestamp) -> Result<Box<dyn ReportedSync + '_>, StoreError>;

    /// Compare-and-swap a person's change onto one record ([`RepairRecord::apply`]), with its
    /// history events appended; refused with [`StoreError::Conflict`] when `expected_version`
    /// is not the stored one. Marks the incident's facets stale in the same durable write.
    fn update(
        &self,
        id: &str,
        change: &Change,
        who: &str,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> Result<RepairRecord, StoreError>;

    /// The incidents whose repair facets in the search index may lag a change.
    fn stale_facets(&self) -> Result<Vec<String>, StoreError>;

    /// The index has these incidents' facets now.
    fn clear_stale_facets(&self, incidents: &[String]) -> Result<(), StoreError>;

    /// Every record, for `ikb backup`.
    fn backup(&self) -> Result<Backup, StoreError> {
        Ok(Backup::new(self.all()?))
    }

    /// Restore a backup: every record is checked first as an API write would be (and ids
    /// must be unique), and a backup of another format is refused; a backup with any problem
    /// restores nothing. The checks are here, once, for every store.
    fn restore(&self, backup: &Backup) -> Result<usize, StoreError> {
        backup.validate().map_err(StoreError::InvalidBackup)?;
        if backup.format != BACKUP_FORMAT || backup.version != 1 {
            return Err(StoreError::Corrupt {
                key: "backup".into(),
                message: format!(
                    "not an incident-kb backup (format `{}`, version {})",
                    backup.format, backup.version
                ),
            });
        }
        self.replace_all(&backup.records)
    }

    /// Replace every record with these, atomically, durably (they come checked from
    /// [`TrackingStore::restore`]). Returns how many.
    fn replace_all(&self, records: &[RepairRecord]) -> Result<usize, StoreError>;

    /// Make every acknowledged write durable.
    fn flush(&self) -> Result<(), StoreError>;

    /// How many records the store holds.
    fn len(&self) -> usize;

    /// Whether the store answers now (for `/healthz`).
    fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Call `on_change` (on a thread of the store's) whenever other processes change the
    /// store, with the changes that came since the last call, for as long as the store is
    /// open. Returns false for a store no other process can change, which never calls it.
    fn watch(&self, on_change: Box<dyn Fn(Vec<StoreChange>) + Send + Sync>) -> bool {
        let _ = on_change;
        false
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A sync of the reported side under way (see [`TrackingStore::start_sync`]).
pub trait ReportedSync: Send {
    /// Bring the records of these incidents' current reviews in line: added, or updated with
    /// what people set kept. Durable before it returns.
    fn part(&mut self, incidents: &[Incident]) -> Result<(), StoreError>;

    /// Retire the items that no part reported (they are kept, with what people set), durably;
    /// what the whole sync did.
    fn finish(self: Box<Self>) -> Result<SyncStats, StoreError>;
}

/// What another process changed in a shared store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A person changed this repair item.
    Item(String),
    /// An ingest brought the reported side in line with (maybe newer) reviews.
    Synced,
    /// Anything may have changed (a restore, or changes missed while disconnected).
    All,
}

/// Where the tracking store is: the default sled folder, or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Sled(std::path::PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// `postgres://…` (or `postgresql://…`) is a PostgreSQL database; anything else a sled
    /// folder.
    pub fn parse(spec: &str) -> StoreLocation {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            StoreLocation::Postgres(spec.to_string())
        } else {
            StoreLocation::Sled(spec.into())
        }
    }
}

impl std::fmt::Display for StoreLocation {
    /// Without a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sled(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "tracking store at {path} is in use by another process (is `ikb serve` running?); stop it, or let the server re-ingest"
    )]
    Locked { path: String },
    #[error("tracking store at {path}: {source}")]
    Sled { path: String, source: sled::Error },
    /// The store cannot write just now (a full disk, an I/O error). Nothing of the change is
    /// visible; the store reopens itself, so writes work again once the cause is gone.
    #[error(
        "the tracking store at {path} is unavailable: {reason}. Nothing was saved by this request; free space on that disk (or fix the error) and try again: the store reopens by itself"
    )]
    Unavailable { path: String, reason: String },
    #[error(
        "the tracking store at {path} is damaged ({detail}). Move it aside (`mv {path} {path}.damaged`), then restore your last backup into a fresh store with `ikb restore BACKUP.json` (make backups with `ikb backup`)"
    )]
    Damaged { path: String, detail: String },
    /// PostgreSQL cannot be reached (or is shutting down): nothing of the change was saved.
    #[error(
        "the tracking store (PostgreSQL at {location}) cannot be reached: {reason}. Nothing was saved by this request; pages show what was last read, and writes work again once it is back"
    )]
    Unreachable { location: String, reason: String },
    /// The connection went while a commit was under way: the write may or may not have
    /// happened.
    #[error(
        "the connection to the tracking store (PostgreSQL at {location}) was lost while saving ({reason}): the change may have been saved or not. Reload the item to see, before you change it again"
    )]
    Uncertain { location: String, reason: String },
    #[error("the tracking store (PostgreSQL at {location}) refused: {message}")]
    Postgres { location: String, message: String },
    #[error("tracking store: record {key} is unreadable: {message}")]
    Corrupt { key: String, message: String },
    #[error("no repair item with id `{0}`")]
    NotFound(String),
    #[error("the backup was not restored (nothing changed):\n  {}", .0.join("\n  "))]
    InvalidBackup(Vec<String>),
    #[error(
        "repair item `{id}` changed meanwhile (now version {current}); reload it and apply your change again"
    )]
    Conflict { id: String, current: u64 },
}

impl StoreError {
    /// The store cannot answer just now (a full disk, PostgreSQL away): it may work again by
    /// itself; what the server read before still stands for reading.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. }
                | StoreError::Unreachable { .. }
                | StoreError::Uncertain { .. }
        )
    }
}

/// A URL as it may be shown: without what is between `:` and `@` after the scheme.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
