//! The web app (actix-web + askama): search, incident pages, follow-up status pages, repair
//! tracking, and a JSON API in the CLI's shapes. It reads the index and store; it never parses
//! reports itself (re-ingest calls the ingest step).

mod assets;
pub mod auth;
pub mod common;
pub mod digest;
pub mod error;
mod facet_refresh;
mod handlers;
pub mod json;
mod markdown;
pub mod metrics;
mod params;
mod routes;
pub mod running;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix_web::dev::Service;
use actix_web::middleware::{Compress, DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};

use crate::catalog::Catalogue;
use crate::index::SearchIndex;
use crate::ingest::{self, DataDir};
use crate::tracking::TrackingStore;
pub use auth::Auth;

/// What the base template needs on every page: who is logged in, the CSRF token for the logout
/// form, and the version of the static assets (for cache busting).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user: Option<String>,
    pub csrf: String,
    pub query: String,
    pub asset_version: &'static str,
}

/// Everything a request handler reads: opened once at start-up.
pub struct AppState {
    pub index: SearchIndex,
    pub store: Box<dyn TrackingStore>,
    pub catalogue: Catalogue,
    pub auth: Auth,
    pub corpus: Vec<PathBuf>,
    /// One writer at a time for the index (tracking refreshes and re-ingests).
    pub index_writer: Mutex<()>,
    /// Incidents whose repair facets wait to be rewritten after tracking writes.
    pub facet_refresh: facet_refresh::FacetRefresh,
    /// A check of the index's files is running (after a search failed in a way that damage
    /// would explain).
    index_check: std::sync::atomic::AtomicBool,
    /// Cookies get the Secure flag (set when served behind HTTPS).
    pub secure_cookies: bool,
    /// Requests and ingests counted for `/metrics`.
    pub metrics: metrics::Metrics,
    /// The repeated promises of the corpus, made at first use and again after a re-ingest
    /// (only an ingest changes repair items' texts).
    promises: Mutex<Option<Arc<crate::insight::promise::Promises>>>,
    /// What the figures of `/insights` and the service and region pages need of each repair
    /// item: read from the store once, then kept in step with each tracking write, and read
    /// again after a re-ingest.
    repair_facts: std::sync::RwLock<Option<crate::insight::RepairFacts>>,
    /// Every repair record without its history, for `/repairs`: read with the facts, kept in
    /// step the same way, so that a listing page sorts kept records instead of reading the
    /// whole store (its exports and `/audit`, which need histories, still read it).
    listing: std::sync::RwLock<Option<Listing>>,
    /// Tracking writes noted so far: views made from a store read that a write overtook are
    /// not kept (they are read again at first use).
    tracking_writes: std::sync::atomic::AtomicU64,
}

/// The kept records of the listing, by item id.
pub type Listing = std::collections::HashMap<String, crate::tracking::RepairRecord>;

/// The listing of every record.
fn listing_of(records: &[crate::tracking::RepairRecord]) -> Listing {
    records
        .iter()
        .map(|r| (r.id.clone(), r.without_history()))
        .collect()
}

pub struct ServeOptions {
    pub addr: String,
    pub data: DataDir,
    pub corpus: Vec<PathBuf>,
    pub catalogue: Catalogue,
    pub auth: Auth,
    pub secure_cookies: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    #[error(transparent)]
    Store(#[from] crate::tracking::StoreError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Open the data (building the index from the corpus when there is none) into the app state.
pub fn open_state(options: ServeOptions) -> Result<(AppState, String), ServeError> {
    // The store and the index open side by side, but nothing is written or removed in the
    // index folder before the store is open: its lock is what says that no other server (of
    // any version) uses this data. A missing, unreadable or other-version index is then built
    // beside the old one and moved in when complete. An existing index also builds what its
    // first search needs (the facet counts' index), so the first visitor does not wait for it.
    let search = options.data.search();
    let (store, opened) = std::thread::scope(|scope| {
        let store = scope.spawn(|| options.data.open_store());
        let opened = SearchIndex::open_serving(&search);
        (
            store.join().expect("opening the store does not panic"),
            opened,
        )
    });
    let store = store?;
    let (mut index, fresh) = SearchIndex::or_create(opened, &search, &options.catalogue)?;
    let metrics = metrics::Metrics::default();
    if fresh || index.reader.searcher().num_docs() == 0 {
        tracing::info!(corpus = ?options.corpus, "no index yet: ingesting the corpus");
        let summary = ingest::ingest_into(
            store.as_ref(),
            &index,
            true,
            &options.corpus,
            &options.catalogue,
            |_, _, _| {},
        );
        metrics.observe_ingest(summary.as_ref().ok().map(|s| s.failures.len()));
        let summary = summary?;
        for f in &summary.failures {
            tracing::warn!(file = %f.path, reason = %f.reason, "report skipped");
        }
        tracing::info!(
            incidents = summary.incidents,
            repair_items = summary.repair_items,
            "index built"
        );
        index = index.finish(true)?;
    }
    let state = AppState {
        index,
        store,
        catalogue: options.catalogue,
        auth: options.auth,
        corpus: options.corpus,
        index_writer: Mutex::new(()),
        facet_refresh: Default::default(),
        index_check: Default::default(),
        secure_cookies: options.secure_cookies,
        metrics,
        promises: Mutex::new(None),
        repair_facts: Default::default(),
        listing: Default::default(),
        tracking_writes: Default::default(),
    };
    Ok((state, options.addr))
}

impl AppState {
    /// Rewrite the repair facets of `incidents` (and of any incident still waiting from an
    /// earlier failed try) in the index, in one commit shared with concurrent writers; then
    /// clear their marks in the store.
    pub fn refresh_facets(&self, incidents: &[String]) -> Result<(), crate::index::IndexError> {
        self.facet_refresh.refresh(incidents, |batch| {
            // Incidents are read under the writer lock: a re-ingest holding it may replace
            // them, and rewriting one as it was before would undo that.
            let _guard = self
                .index_writer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            crate::tracking::refresh_facets(self.store.as_ref(), &self.index, batch)
        })
    }

    /// What the server does beside its first requests: check the index's files, read the repair
    /// items for the figures and the repeated promises, and bring in step the repair facets of
    /// incidents whose changes were stored but not yet in the index when the last process
    /// stopped.
    pub fn catch_up(&self) {
        self.repair_index_if_damaged();
        self.warm_repair_views();
        match self.store.stale_facets() {
            Ok(stale) if stale.is_empty() => {}
            Ok(stale) => match self.refresh_facets(&stale) {
                Ok(()) => tracing::info!(
                    incidents = stale.len(),
                    "repair facets brought in step with the store"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "repair facets still lag the store; the next write retries")
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "could not read which repair facets lag the store")
            }
        }
    }

    /// Check the index's files against their checksums (a flipped byte would make searches fail
    /// until someone rebuilt it) and rebuild it from the corpus if one is damaged. The server
    /// runs this beside its first requests; a re-ingest checks too.
    pub fn repair_index_if_damaged(&self) {
        match self.index.damaged_files() {
            Ok(files) if files.is_empty() => tracing::debug!("search index checksums verified"),
            Ok(files) => {
                tracing::error!(
                    ?files,
                    "the search index is damaged; rebuilding it from the corpus"
                );
                match self.reingest(true) {
                    Ok(s) => tracing::info!(incidents = s.incidents, "search index rebuilt"),
                    Err(e) => tracing::error!(error = %e, "rebuilding the search index failed"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not check the search index's files"),
        }
    }

    /// A search panicked or the index failed to read: check the index's files on a thread of
    /// its own (one check at a time) and rebuild it if they are damaged.
    pub fn check_index_soon(self: &Arc<Self>) {
        use std::sync::atomic::Ordering;
        if self.index_check.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = Arc::clone(self);
        std::thread::spawn(move || {
            state.repair_index_if_damaged();
            state.index_check.store(false, Ordering::Release);
        });
    }

    /// Re-read the corpus into the index and store (`force`: rewrite every document, as after
    /// a restore or a damaged index). Holds the index writer while it runs.
    pub fn reingest(&self, force: bool) -> Result<ingest::IngestSummary, ingest::IngestError> {
        let _guard = self
            .index_writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if force {
            self.index.forget_sync()?;
        }
        let summary = ingest::ingest_into(
            self.store.as_ref(),
            &self.index,
            force,
            &self.corpus,
            &self.catalogue,
            |_, _, _| {},
        );
        self.metrics
            .observe_ingest(summary.as_ref().ok().map(|s| s.failures.len()));
        self.forget_kept_views();
        summary
    }

    /// The figures' facts and the repeated promises of every repair item, from one read of the
    /// store, made now rather than by the first visitor of /insights or of an incident page
    /// (seconds for a large store). Each is made again on first use if this fails.
    fn warm_repair_views(&self) {
        use std::sync::atomic::Ordering;
        let writes = self.tracking_writes.load(Ordering::SeqCst);
        let records = match self.store.all() {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the repair items; their figures and promises wait for first use");
                return;
            }
        };
        let facts = crate::insight::repair_facts(&records);
        let listing = listing_of(&records);
        {
            // Kept only if no write came between the read and now (a write that comes after
            // finds them kept and updates them).
            let mut kept = self
                .listing
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut kept_facts = self
                .repair_facts
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if self.tracking_writes.load(Ordering::SeqCst) == writes {
                kept.get_or_insert(listing);
                kept_facts.get_or_insert(facts);
            }
        }
        // If a write overtook the read they were not kept: read them again under their locks
        // (one read for both), so that pages have them even if the store goes away before
        // their first visitor.
        let listed = self
            .listing
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some();
        let counted = self
            .repair_facts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some();
        if !(listed && counted) {
            self.reread_repair_views();
        }
        let promises = Arc::new(crate::insight::promise::Promises::build(
            &self.index,
            &records,
        ));
        self.promises
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert(promises);
    }

    /// Run `f` on the repair items' facts, reading them from the store first if need be.
    pub fn with_repair_facts<T>(
        &self,
        f: impl FnOnce(&crate::insight::RepairFacts) -> T,
    ) -> Result<T, error::WebError> {
        self.with_kept(&self.repair_facts, crate::insight::repair_facts, f)
    }

    /// Run `f` on the kept records of the listing, reading them from the store first if need
    /// be.
    pub fn with_listing<T>(&self, f: impl FnOnce(&Listing) -> T) -> Result<T, error::WebError> {
        self.with_kept(&self.listing, listing_of, f)
    }

    /// Run `f` on a view of the store kept in `kept`, made from every record first if it is
    /// not kept yet (the write lock held meanwhile, so no write's update is lost).
    fn with_kept<V, T>(
        &self,
        kept: &std::sync::RwLock<Option<V>>,
        make: impl FnOnce(&[crate::tracking::RepairRecord]) -> V,
        f: impl FnOnce(&V) -> T,
    ) -> Result<T, error::WebError> {
        {
            let view = kept
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(view) = view.as_ref() {
                return Ok(f(view));
            }
        }
        let mut view = kept
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if view.is_none() {
            *view = Some(make(&self.store.all()?));
        }
        Ok(f(view.as_ref().expect("just read")))
    }

    /// A tracking write was stored: keep the item's fact and listed record in step (if they
    /// are kept yet).
    pub fn note_repair_change(&self, record: &crate::tracking::RepairRecord) {
        self.tracking_writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(kept) = self
            .listing
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            kept.insert(record.id.clone(), record.without_history());
        }
        let mut facts = self
            .repair_facts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(facts) = facts.as_mut() {
            match crate::insight::RepairFact::of(record) {
                Some(fact) => facts.insert(record.id.clone(), fact),
                None => facts.remove(&record.id),
            };
        }
    }

    /// A repair record for a page: the store's, or, while the store cannot answer, the copy
    /// the server keeps (without its history) and a sentence saying so.
    pub fn record_for_page(
        &self,
        id: &str,
    ) -> Result<(crate::tracking::RepairRecord, Option<String>), error::WebError> {
        match self.store.get(id) {
            Ok(Some(record)) => Ok((record, None)),
            Ok(None) => Err(error::WebError::NotFound(error::Missing::RepairItem(
                id.to_string(),
            ))),
            Err(e) if e.is_transient() => {
                let kept = self
                    .listing
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_ref()
                    .and_then(|listing| listing.get(id).cloned());
                match kept {
                    Some(record) => {
                        tracing::warn!(item = %id, error = %e, "showing the kept copy of a repair item");
                        Ok((
                            record,
                            Some(format!(
                                "The tracking store cannot answer just now, so this is the item as this server last read it, without its history; changes can be saved once the store is back. ({e})"
                            )),
                        ))
                    }
                    None => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Other servers changed the shared store: bring this server's kept views and index in
    /// step (people's changes: those items, their facets in one commit; an ingest: re-ingest
    /// here too, which the store's lock makes wait for the other's; anything else: every view
    /// and facet read again). While the store cannot answer, the kept views stay as they are:
    /// the store says [`StoreChange::All`] once it is back.
    pub fn on_store_changes(&self, changes: Vec<crate::tracking::StoreChange>) {
        use crate::tracking::StoreChange;
        if changes.contains(&StoreChange::Synced) {
            match self.reingest(false) {
                Ok(s) => tracing::info!(
                    incidents = s.incidents,
                    "re-ingested after another server's ingest"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "re-ingest after another server's ingest failed")
                }
            }
            self.reread_repair_views();
            return;
        }
        if changes.contains(&StoreChange::All) {
            self.reread_repair_views();
            let _guard = self
                .index_writer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match ingest::refresh_repair_facets(self.store.as_ref(), &self.index) {
                Ok(r) => tracing::info!(
                    incidents = r.replaced,
                    "repair facets read again from the shared store"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the repair facets again from the shared store")
                }
            }
            return;
        }
        let mut incidents = std::collections::BTreeSet::new();
        let items: std::collections::BTreeSet<&String> = changes
            .iter()
            .filter_map(|c| match c {
                StoreChange::Item(id) => Some(id),
                _ => None,
            })
            .collect();
        for id in items {
            match self.store.get(id) {
                Ok(Some(record)) => {
                    self.note_repair_change(&record);
                    incidents.insert(record.incident_id);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(item = %id, error = %e, "could not read another server's change; it is read with every other record once the store answers");
                }
            }
        }
        let incidents: Vec<String> = incidents.into_iter().collect();
        if !incidents.is_empty()
            && let Err(e) = self.refresh_facets(&incidents)
        {
            tracing::warn!(error = %e, "other servers' changes are stored; this index's repair facets follow at the next write");
        }
    }

    /// Read every record again into the kept views (their locks held, so that no write's
    /// update in between is lost); on failure they stay as they were.
    fn reread_repair_views(&self) {
        let mut listing = self
            .listing
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut facts = self
            .repair_facts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match self.store.all() {
            Ok(records) => {
                *listing = Some(listing_of(&records));
                *facts = Some(crate::insight::repair_facts(&records));
                drop((listing, facts));
                *self
                    .promises
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the repair items again; pages show them as last read")
            }
        }
    }

    /// Drop the views made from the store (they are made again at first use).
    fn forget_kept_views(&self) {
        self.tracking_writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *self
            .promises
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        *self
            .repair_facts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        *self
            .listing
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The repeated promises of the repair items: made once (a second of work on a large
    /// corpus), then shared until a re-ingest.
    pub fn promises(&self) -> Result<Arc<crate::insight::promise::Promises>, error::WebError> {
        let mut cached = self
            .promises
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(p) = cached.as_ref() {
            return Ok(Arc::clone(p));
        }
        let records = self.store.all()?;
        let built = Arc::new(crate::insight::promise::Promises::build(
            &self.index,
            &records,
        ));
        *cached = Some(Arc::clone(&built));
        Ok(built)
    }
}

/// The security headers every response carries.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
}

/// Routes, limits and middleware: the whole app, for the server and for tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure(cfg);
}

/// Post the digest every `delivery.every`, each covering the time since the last one that was
/// delivered (a failed one's window goes into the next; the time is kept in the data folder,
/// so a restart loses no window). Runs for the life of the server.
fn post_digests(state: &AppState, delivery: &digest::Delivery, data: &DataDir) {
    let every = jiff::SignedDuration::try_from(delivery.every).unwrap_or(jiff::SignedDuration::MAX);
    let mut since = digest::last_delivered(data).unwrap_or_else(|| {
        jiff::Timestamp::now()
            .checked_sub(every)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    });
    loop {
        std::thread::sleep(delivery.every);
        let now = jiff::Timestamp::now();
        match state.store.all() {
            Ok(records) => {
                let d = crate::tracking::digest::digest(&records, since, now);
                if digest::post(delivery, &d) {
                    since = now;
                    if let Err(e) = digest::note_delivered(data, now) {
                        tracing::warn!(error = %e, "could not note the digest's delivery in the data folder; after a restart the next digest covers only the server's uptime");
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "digest not made: the tracking store could not be read")
            }
        }
    }
}

/// Serve until stopped; post the follow-up digest on its schedule when `digest` says where.
pub fn serve(options: ServeOptions, digest: Option<digest::Delivery>) -> Result<(), ServeError> {
    let data = options.data.clone();
    let (state, addr) = open_state(options)?;
    let state = web::Data::from(Arc::new(state));
    let checked = state.clone();
    std::thread::spawn(move || checked.catch_up());
    // Several servers on one store: another's changes come to this one's views and index.
    let watcher = state.clone();
    if state
        .store
        .watch(Box::new(move |changes| watcher.on_store_changes(changes)))
    {
        tracing::info!(store = %state.store.location(), "following other servers' changes to the shared tracking store");
    }
    if let Some(delivery) = digest {
        let (state, data) = (state.clone(), data.clone());
        std::thread::spawn(move || post_digests(&state, &delivery, &data));
    }
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(security_headers())
                .wrap(Compress::default())
                .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
                .wrap_fn(|req, srv| {
                    let started = std::time::Instant::now();
                    let state = req.app_data::<web::Data<AppState>>().cloned();
                    let answer = srv.call(req);
                    async move {
                        let res = answer.await?;
                        if let Some(state) = state {
                            state.metrics.observe_request(
                                res.request().method().as_str(),
                                res.request().match_pattern().as_deref(),
                                res.status().as_u16(),
                                started.elapsed(),
                            );
                        }
                        Ok(res)
                    }
                })
                .configure(configure)
        })
        .workers(2)
        .bind(&addr)
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
        tracing::info!("serving on http://{addr}");
        // Commands run beside the server find it here.
        if let Some(bound) = server.addrs().first()
            && let Err(e) = running::note(&data, *bound)
        {
            tracing::warn!(error = %e, "could not note the server's address in the data folder; commands beside it need --server");
        }
        let outcome = server
            .run()
            .await
            .map_err(|source| ServeError::Bind { addr, source });
        running::forget(&data);
        outcome
    })
}
