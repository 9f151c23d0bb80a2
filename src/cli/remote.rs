//! Commands beside a running `ikb serve`: the tracking store is one process's at a time, so
//! while a server holds it, reads (`repairs`, `show`, `export`) and `backup` go through the
//! server's API. The server is found from the index folder (`server.json`, which it writes
//! when it listens) or named with `--server URL`.

use std::collections::HashMap;

use anyhow::{Context, bail};
use incident_kb::ingest::DataDir;
use incident_kb::tracking::{self, RepairRecord, StoreError, TrackingStore};

use super::Cli;

/// A running server, by its base URL.
pub struct Remote {
    url: String,
    agent: ureq::Agent,
}

impl Remote {
    /// The server to ask: `--server`, else the one the index folder notes.
    pub fn of(cli: &Cli, data: &DataDir) -> anyhow::Result<Remote> {
        let url = match &cli.server {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => match incident_kb::web::running::find(data) {
                Some(running) => running.url,
                None => bail!(
                    "the tracking store at {} is held by another process, and no running server is noted in {}: pass --server URL (or stop the other process)",
                    data.tracking(),
                    data.root.display()
                ),
            },
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .build()
            .into();
        Ok(Remote { url, agent })
    }

    /// The body of a GET of `path` (with its query), or the server's error.
    pub fn get(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let reply = self.agent.get(format!("{}{path}", self.url)).call();
        self.body(path, reply)
    }

    /// The body of a POST of `path` with a bearer token (writes and backups need one).
    pub fn post(&self, path: &str, token: Option<&str>) -> anyhow::Result<Vec<u8>> {
        let Some(token) = token else {
            bail!(
                "the server at {} holds the tracking store; {path} needs an API token: pass --token or set IKB_TOKEN (see `ikb hash-token`)",
                self.url
            );
        };
        let reply = self
            .agent
            .post(format!("{}{path}", self.url))
            .header("Authorization", format!("Bearer {token}"))
            .send_empty();
        self.body(path, reply)
    }

    fn body(
        &self,
        path: &str,
        reply: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<Vec<u8>> {
        let mut reply = reply.with_context(|| {
            format!(
                "the tracking store is held by the server at {}, which does not answer (if it was killed, remove server.json from the index folder; or pass --server URL)",
                self.url
            )
        })?;
        let status = reply.status();
        let body = reply
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .with_context(|| format!("reading {path} from {}", self.url))?;
        if !status.is_success() {
            let said = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
            bail!(
                "the server at {} answered {status} to {path}: {said}",
                self.url
            );
        }
        Ok(body)
    }

    /// The repair records of a listing (`query` as `/repairs` reads it), in its order.
    pub fn records(&self, query: &str) -> anyhow::Result<Vec<RepairRecord>> {
        let path = if query.is_empty() {
            "/api/v1/repairs".to_string()
        } else {
            format!("/api/v1/repairs?{query}")
        };
        let body = self.get(&path)?;
        serde_json::from_slice(&body).with_context(|| format!("reading {path} from {}", self.url))
    }
}

/// A record by item id.
pub type Lookup<'a> = Box<dyn Fn(&str) -> Option<RepairRecord> + 'a>;

/// Where repair records are read: the store, or the running server that holds it.
pub enum Records {
    Store(Box<dyn TrackingStore>),
    Server(Remote),
}

impl Records {
    /// The store of `data`, or, while a server holds it, that server.
    pub fn open(cli: &Cli, data: &DataDir) -> anyhow::Result<Records> {
        match tracking::open(&data.tracking()) {
            Ok(store) => Ok(Records::Store(store)),
            Err(StoreError::Locked { .. }) => Ok(Records::Server(Remote::of(cli, data)?)),
            Err(e) => Err(e).context("opening the tracking store"),
        }
    }

    /// A lookup of records by item id for pages of these incidents (every incident: `None`):
    /// the store's own, or the server's records of them, read once.
    pub fn lookup<'a>(&'a self, incidents: Option<&[&str]>) -> anyhow::Result<Lookup<'a>> {
        let remote = match self {
            Records::Store(store) => return Ok(Box::new(|id| store.get(id).ok().flatten())),
            Records::Server(remote) => remote,
        };
        let mut by_id: HashMap<String, RepairRecord> = HashMap::new();
        let queries: Vec<String> = match incidents {
            None => vec![String::new()],
            Some(ids) => ids
                .iter()
                .map(|i| {
                    form_urlencoded::Serializer::new(String::new())
                        .append_pair("incident", i)
                        .finish()
                })
                .collect(),
        };
        for query in queries {
            by_id.extend(
                remote
                    .records(&query)?
                    .into_iter()
                    .map(|r| (r.id.clone(), r)),
            );
        }
        Ok(Box::new(move |id| by_id.get(id).cloned()))
    }
}
