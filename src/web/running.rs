//! The data folder's note of the server that holds it (`server.json`: its URL and process id),
//! written once the server listens and removed when it stops, so that commands run beside it
//! (`ikb repairs`, `ikb show`, `ikb backup`) find it and go through its API: the tracking store
//! is one process's at a time.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ingest::DataDir;

/// Where a running server answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    /// Its base URL, `http://127.0.0.1:8080` (a wildcard address is noted as loopback).
    pub url: String,
    pub pid: u32,
}

fn file(data: &DataDir) -> PathBuf {
    data.root.join("server.json")
}

/// Note that this process serves `data` on `addr` (written atomically).
pub fn note(data: &DataDir, addr: SocketAddr) -> std::io::Result<()> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let running = Running {
        url: format!("http://{addr}"),
        pid: std::process::id(),
    };
    let path = file(data);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&running)?)?;
    std::fs::rename(&tmp, &path)
}

/// The server noted for `data`, if any (it may have been killed since: callers say so when it
/// does not answer).
pub fn find(data: &DataDir) -> Option<Running> {
    let text = std::fs::read(file(data)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The note is removed when this process stops serving (only its own note).
pub fn forget(data: &DataDir) {
    if find(data).is_some_and(|r| r.pid == std::process::id()) {
        let _ = std::fs::remove_file(file(data));
    }
}
