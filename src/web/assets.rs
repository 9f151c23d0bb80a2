//! The static assets built into the binary (`static/`), and the version their URLs carry.

use std::sync::LazyLock;

pub const STYLE: &str = include_str!("../../static/style.css");
pub const SCRIPT: &str = include_str!("../../static/app.js");

/// A short hash of the assets: their URLs carry it, so they can be cached for a year.
pub fn asset_version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        crate::web::auth::sha256_hex(&format!("{STYLE}{SCRIPT}"))[..10].to_string()
    });
    &VERSION
}
