//! The PostgreSQL tracking store (`--store postgres://…`): the same records as sled, in tables
//! that several servers share. Changes are compare-and-swap by version, history rows are only
//! ever appended, every write is committed before it returns, and each commit notifies the
//! other servers (`LISTEN/NOTIFY`). The store's methods block, like sled's: they run on a
//! runtime of the store's own, so a caller on any thread (an actix worker included) may wait.
//! Here: the store, its schema and errors; `read` (records with their history), `sync` (an
//! ingest's sync, part by part), `listen` (changes announced to and from other servers).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Transaction,
};
use jiff::Timestamp;
use tokio_postgres::NoTls;

use super::record::{Change, RepairRecord, SyncStats};
use super::status::SetOn;
use super::store::{ReportedSync, StoreChange, StoreError, TrackingStore, redacted};

mod listen;
mod read;
mod sync;

use listen::{listen, notify};
use read::{read_one, read_snapshot};
use sync::{PgSync, hold_lock, insert};

/// The channel the store's changes are announced on.
const CHANNEL: &str = "ikb_tracking";
/// Advisory-lock keys: one migration and one sync of reported items at a time, across servers.
const MIGRATE_LOCK: i64 = 0x0069_6b62_5f6d_6967; // "ikb_mig"
const SYNC_LOCK: i64 = 0x0069_6b62_5f73_796e; // "ikb_syn"
/// How long a call waits for PostgreSQL before it says the store is unreachable.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// The same for reads and writes of every record.
const LONG_ANSWER_WITHIN: Duration = Duration::from_secs(600);
/// Records written per statement and transaction when many are (an ingest, a restore).
const CHUNK: usize = 2_000;

/// A person's change, in one statement: the record swapped by version ($1 id, $2 the version
/// read, $3 the new one, $4 the body) and, only if it was, its events appended ($5 seqs, $6
/// events), its incident's facets marked stale and the change announced ($7 channel, $8
/// payload). Returns how many records were swapped (0: someone changed it meanwhile).
const CHANGE: &str = "
WITH swapped AS (
    UPDATE repair_items SET version = $3, record = $4::text::jsonb
    WHERE id = $1 AND version = $2
    RETURNING id, incident_id
), appended AS (
    INSERT INTO repair_history (item_id, seq, event)
    SELECT s.id, e.seq, e.event::jsonb
    FROM swapped s, unnest($5::int4[], $6::text[]) AS e(seq, event)
), marked AS (
    INSERT INTO stale_facets (incident_id) SELECT incident_id FROM swapped
    ON CONFLICT DO NOTHING
), notified AS (
    SELECT pg_notify($7, $8) FROM swapped
)
SELECT (SELECT count(*) FROM swapped), (SELECT count(*) FROM notified)";

/// The schema, one migration per step; applied in order, each once, under an advisory lock.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
CREATE TABLE repair_items (
    id text COLLATE "C" PRIMARY KEY,
    incident_id text NOT NULL,
    version bigint NOT NULL,
    -- The record as JSON, with an empty history (its events are rows of repair_history).
    record jsonb NOT NULL
);
CREATE TABLE repair_history (
    item_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    event jsonb NOT NULL,
    PRIMARY KEY (item_id, seq)
);
CREATE TABLE stale_facets (
    incident_id text PRIMARY KEY
);
"#,
)];

/// The tracking store in PostgreSQL.
pub struct PgStore {
    /// Taken on drop (a runtime may not be dropped on an async thread).
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    config: tokio_postgres::Config,
    /// The URL without its password, for messages.
    location: String,
    /// Tells this store's own notifications from other servers'.
    origin: String,
    /// The data folder's lock, when this store was opened for a process that writes it.
    _folder: Option<std::fs::File>,
}

impl PgStore {
    /// Connect to the database at `url` and bring its schema up to date.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Unreachable {
            location: redacted(url),
            reason: format!("not a PostgreSQL URL: {e}"),
        })?;
        let location = location_of(&config);
        let mut config = config;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("incident-kb");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ikb-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unreachable {
                location: location.clone(),
                reason: format!("cannot start the store's runtime: {e}"),
            })?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(8)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(ANSWER_WITHIN))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Unreachable {
                location: location.clone(),
                reason: e.to_string(),
            })?;
        let origin = format!("{:016x}", rand::random::<u64>());
        let store = PgStore {
            runtime: Some(runtime),
            pool,
            config,
            location,
            origin,
            _folder: None,
        };
        let (pool, at) = (store.pool.clone(), store.location.clone());
        store.run(async move { migrate(&pool, &at).await })?;
        Ok(store)
    }

    /// The same store, holding the data folder's lock for as long as it is open.
    pub fn holding(mut self, folder: std::fs::File) -> PgStore {
        self._folder = Some(folder);
        self
    }

    /// Run `work` on the store's runtime and wait for it (at most [`ANSWER_WITHIN`]).
    fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_within(ANSWER_WITHIN, work)
    }

    /// [`PgStore::run`] for reads and writes of every record (an ingest, a restore).
    fn run_long<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.run_within(LONG_ANSWER_WITHIN, work)
    }

    fn run_within<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let location = self.location.clone();
        self.runtime().spawn(async move {
            let answer = match tokio::time::timeout(limit, work).await {
                Ok(answer) => answer,
                Err(_) => Err(StoreError::Unreachable {
                    location,
                    reason: format!("no answer within {} s", limit.as_secs()),
                }),
            };
            let _ = tx.send(answer);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(StoreError::Unreachable {
                location: self.location.clone(),
                reason: "the store's task stopped".into(),
            })
        })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("taken only on drop")
    }

    /// The pool, where, and who: what every task takes with it.
    fn parts(&self) -> (Pool, Arc<str>) {
        (self.pool.clone(), Arc::from(self.location.as_str()))
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl TrackingStore for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn check(&self) -> Result<(), StoreError> {
        let (pool, at) = self.parts();
        self.run(async move {
            let client = connection(&pool, &at).await?;
            client.execute("SELECT 1", &[]).await.map_err(pg(&at))?;
            Ok(())
        })
    }

    fn get(&self, id: &str) -> Result<Option<RepairRecord>, StoreError> {
        let (pool, at) = self.parts();
        let id = id.to_string();
        self.run(async move {
            let client = connection(&pool, &at).await?;
            read_one(&client, &id, &at).await
        })
    }

    fn all(&self) -> Result<Vec<RepairRecord>, StoreError> {
        let (pool, at) = self.parts();
        self.run_long(async move {
            let mut client = connection(&pool, &at).await?;
            read_snapshot(&mut client, None, &at).await
        })
    }

    fn set_on_items(&self) -> Result<HashMap<String, SetOn>, StoreError> {
        let (pool, at) = self.parts();
        self.run(async move {
            let client = connection(&pool, &at).await?;
            let rows = client
                .query(
                    "SELECT id, (record->'tracking')::text FROM repair_items \
                     WHERE record->'tracking'->>'status' IS NOT NULL \
                        OR record->'tracking'->>'due_date' IS NOT NULL",
                    &[],
                )
                .await
                .map_err(pg(&at))?;
            let mut out = HashMap::with_capacity(rows.len());
            for row in rows {
                let id: String = row.get(0);
                let set: SetOn = decode(&id, row.get(1))?;
                if !set.is_empty() {
                    out.insert(id, set);
                }
            }
            Ok(out)
        })
    }

    fn start_sync(&self, now: Timestamp) -> Result<Box<dyn ReportedSync + '_>, StoreError> {
        // One sync at a time across servers: the lock is held by a connection of its own for
        // the whole sync, so that it goes when the connection does, whatever fails.
        let config = self.config.clone();
        let at = self.location.clone();
        let lock = self.run_long(async move { hold_lock(&config, SYNC_LOCK, &at).await })?;
        Ok(Box::new(PgSync {
            store: self,
            lock: Some(lock),
            now,
            live: std::collections::HashSet::new(),
            stats: SyncStats::default(),
        }))
    }

    fn update(
        &self,
        id: &str,
        change: &Change,
        who: &str,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> Result<RepairRecord, StoreError> {
        let (pool, at) = self.parts();
        let (id, change, who, origin) = (
            id.to_string(),
            change.clone(),
            who.to_string(),
            self.origin.clone(),
        );
        self.run(async move {
            let client = connection(&pool, &at).await?;
            // Two round trips: read, then one statement that swaps the record by version and,
            // only if it did, appends its events, marks its facets stale and notifies (atomic,
            // committed before it returns). A lost race reads again.
            let change_statement = client.prepare_cached(CHANGE).await.map_err(pg(&at))?;
            loop {
                let Some(mut record) = read_one(&client, &id, &at).await? else {
                    return Err(StoreError::NotFound(id));
                };
                if let Some(v) = expected_version
                    && v != record.version
                {
                    return Err(StoreError::Conflict {
                        id,
                        current: record.version,
                    });
                }
                let (before, known) = (record.version, record.history.len());
                if !record.apply(&change, &who, now) {
                    return Ok(record);
                }
                let seqs: Vec<i32> = (known..record.history.len()).map(seq).collect();
                let events = record.history[known..]
                    .iter()
                    .map(|e| encode(&id, e))
                    .collect::<Result<Vec<_>, _>>()?;
                let row = client
                    .query_one(
                        &change_statement,
                        &[
                            &id,
                            &version(before),
                            &version(record.version),
                            &body(&record)?,
                            &seqs,
                            &events,
                            &CHANNEL,
                            &format!("{origin} item {id}"),
                        ],
                    )
                    .await
                    // Sent as one statement: a connection lost now may have committed it.
                    .map_err(committing(&at))?;
                if row.get::<_, i64>(0) == 1 {
                    return Ok(record);
                }
            }
        })
    }

    fn stale_facets(&self) -> Result<Vec<String>, StoreError> {
        let (pool, at) = self.parts();
        self.run(async move {
            let client = connection(&pool, &at).await?;
            let rows = client
                .query("SELECT incident_id FROM stale_facets ORDER BY 1", &[])
                .await
                .map_err(pg(&at))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn clear_stale_facets(&self, incidents: &[String]) -> Result<(), StoreError> {
        let (pool, at) = self.parts();
        let incidents = incidents.to_vec();
        self.run(async move {
            let client = connection(&pool, &at).await?;
            client
                .execute(
                    "DELETE FROM stale_facets WHERE incident_id = ANY($1)",
                    &[&incidents],
                )
                .await
                .map_err(pg(&at))?;
            Ok(())
        })
    }

    fn replace_all(&self, records: &[RepairRecord]) -> Result<usize, StoreError> {
        let (pool, at) = self.parts();
        let (records, origin) = (records.to_vec(), self.origin.clone());
        self.run_long(async move {
            let mut client = connection(&pool, &at).await?;
            let tx = client.transaction().await.map_err(pg(&at))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SYNC_LOCK])
                .await
                .map_err(pg(&at))?;
            tx.batch_execute("TRUNCATE repair_items, repair_history, stale_facets")
                .await
                .map_err(pg(&at))?;
            for chunk in records.chunks(CHUNK) {
                insert(&tx, chunk, &at).await?;
            }
            notify(&tx, &origin, "all", &at).await?;
            commit(tx, &at).await?;
            Ok(records.len())
        })
    }

    /// Every write is committed before it returns: nothing waits to be flushed.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn len(&self) -> usize {
        let (pool, at) = self.parts();
        let counted = self.run(async move {
            let client = connection(&pool, &at).await?;
            let row = client
                .query_one("SELECT count(*) FROM repair_items", &[])
                .await
                .map_err(pg(&at))?;
            Ok(row.get::<_, i64>(0))
        });
        match counted {
            Ok(n) => usize::try_from(n).unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "could not count the tracking store's records");
                0
            }
        }
    }

    fn watch(&self, on_change: Box<dyn Fn(Vec<StoreChange>) + Send + Sync>) -> bool {
        let (config, at, origin) = (
            self.config.clone(),
            self.location.clone(),
            self.origin.clone(),
        );
        // Called on a thread of its own: what it does may read the store, which waits on
        // this runtime.
        let (tx, rx) = std::sync::mpsc::channel::<StoreChange>();
        std::thread::Builder::new()
            .name("ikb-store-changes".into())
            .spawn(move || {
                // What came while the last batch was handled is handled at once.
                while let Ok(first) = rx.recv() {
                    let mut changes = vec![first];
                    changes.extend(rx.try_iter());
                    on_change(changes);
                }
            })
            .expect("a thread starts");
        self.runtime().spawn(listen(config, at, origin, tx));
        true
    }
}

/// Apply the migrations this database lacks, one server at a time.
async fn migrate(pool: &Pool, at: &str) -> Result<(), StoreError> {
    let mut client = connection(pool, at).await?;
    let tx = client.transaction().await.map_err(pg(at))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await
        .map_err(pg(at))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
            version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(pg(at))?;
    let row = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg(at))?;
    let applied: i32 = row.get(0);
    if let Some(&(newest, _)) = MIGRATIONS.last()
        && applied > newest
    {
        return Err(StoreError::Postgres {
            location: at.to_string(),
            message: format!(
                "its schema is version {applied}, newer than this incident-kb knows ({newest}); upgrade incident-kb"
            ),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).await.map_err(pg(at))?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg(at))?;
        tracing::info!(store = %at, version, "applied a tracking store migration");
    }
    commit(tx, at).await
}

async fn connection(pool: &Pool, at: &str) -> Result<deadpool_postgres::Object, StoreError> {
    pool.get().await.map_err(|e| StoreError::Unreachable {
        location: at.to_string(),
        reason: match e {
            deadpool_postgres::PoolError::Backend(e) => describe(&e),
            e => e.to_string(),
        },
    })
}

/// Commit (see [`committing`]).
async fn commit(tx: Transaction<'_>, at: &str) -> Result<(), StoreError> {
    tx.commit().await.map_err(committing(at))
}

/// The error of a statement that commits: a connection lost meanwhile leaves it unknown
/// whether the write happened, and the error says so; a refusal is [`pg`]'s.
fn committing(at: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| {
        if e.as_db_error().is_some() {
            pg(at)(e)
        } else {
            StoreError::Uncertain {
                location: at.to_string(),
                reason: describe(&e),
            }
        }
    }
}

/// A PostgreSQL error as the store's: lost connections, a server shutting down or out of
/// resources are "unreachable" (a 503, retried by people), the rest is a fault.
fn pg(at: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| {
        let unreachable = match e.as_db_error() {
            None => true,
            // Connection exceptions, insufficient resources, operator intervention.
            Some(db) => ["08", "53", "57"]
                .iter()
                .any(|class| db.code().code().starts_with(class)),
        };
        if unreachable {
            StoreError::Unreachable {
                location: at.to_string(),
                reason: describe(&e),
            }
        } else {
            StoreError::Postgres {
                location: at.to_string(),
                message: describe(&e),
            }
        }
    }
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut said = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                said = format!("{said}: {s}");
                source = s.source();
            }
            said
        }
    }
}

/// The record's row body: the record with an empty history.
fn body(record: &RepairRecord) -> Result<String, StoreError> {
    let mut bare = record.without_history();
    bare.history = Vec::new();
    encode(&record.id, &bare)
}

fn encode(id: &str, value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        key: id.to_string(),
        message: e.to_string(),
    })
}

fn decode<T: serde::de::DeserializeOwned>(id: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        key: id.to_string(),
        message: e.to_string(),
    })
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn seq(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// `postgres://user@host:port/db`, without the password.
fn location_of(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}
