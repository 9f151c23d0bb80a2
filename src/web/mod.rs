//! The web app (actix-web + askama): search, incident pages, follow-up status pages, repair
//! tracking, and a JSON API in the CLI's shapes. It reads the index and store; it never parses
//! reports itself (re-ingest calls the ingest step).

pub mod auth;
pub mod error;
mod pages;
mod params;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix_web::middleware::{Compress, DefaultHeaders, Logger};
use actix_web::{App, HttpServer, web};

use crate::facet::Catalogue;
use crate::index::SearchIndex;
use crate::ingest::{self, DataDir};
use crate::store::Store;
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
    pub store: Store,
    pub catalogue: Catalogue,
    pub auth: Auth,
    pub corpus: Vec<PathBuf>,
    /// One writer at a time for the index (tracking refreshes and re-ingests).
    pub index_writer: Mutex<()>,
    /// Cookies get the Secure flag (set when served behind HTTPS).
    pub secure_cookies: bool,
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
    Store(#[from] crate::store::StoreError),
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
    // The store and the index open side by side; an existing index also builds what its first
    // search needs (the facet counts' index), so the first visitor does not wait for it.
    let (store, index) = std::thread::scope(|scope| {
        let store = scope.spawn(|| Store::open(&options.data.tracking()));
        let index = SearchIndex::open_or_create(&options.data.search());
        if let Ok((index, false)) = &index {
            index.warm();
        }
        (
            store.join().expect("opening the store does not panic"),
            index,
        )
    });
    let (store, (index, fresh)) = (store?, index?);
    if fresh || index.reader.searcher().num_docs() == 0 {
        tracing::info!(corpus = ?options.corpus, "no index yet: ingesting the corpus");
        let summary = ingest::ingest_into(
            &store,
            &index,
            true,
            &options.corpus,
            &options.catalogue,
            |_, _, _| {},
        )?;
        for f in &summary.failures {
            tracing::warn!(file = %f.path, reason = %f.reason, "report skipped");
        }
        tracing::info!(
            incidents = summary.incidents,
            repair_items = summary.repair_items,
            "index built"
        );
    }
    let state = AppState {
        index,
        store,
        catalogue: options.catalogue,
        auth: options.auth,
        corpus: options.corpus,
        index_writer: Mutex::new(()),
        secure_cookies: options.secure_cookies,
    };
    Ok((state, options.addr))
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
    pages::configure(cfg);
}

/// Serve until stopped.
pub fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let (state, addr) = open_state(options)?;
    let state = web::Data::from(Arc::new(state));
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(security_headers())
                .wrap(Compress::default())
                .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
                .configure(configure)
        })
        .workers(2)
        .bind(&addr)
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
        tracing::info!("serving on http://{addr}");
        server
            .run()
            .await
            .map_err(|source| ServeError::Bind { addr, source })
    })
}
