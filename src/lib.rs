//! incident-kb: a knowledge base of post-incident reviews.
//!
//! Data flows one way, and the modules follow it:
//!
//! - `report`: one reader per format turns a file into drafts of reviews;
//! - `incident`: the model those become (reviews, sections, timeline entries, repair items);
//! - `catalog`: the knowledge that completes them (services, regions, causes), from `catalog/`;
//! - `assemble`: drafts become reviews with facets and ids, and reviews become incidents;
//! - `index`: incidents in the search index (tantivy), the search request every front door
//!   parses, and "past incidents like this" (`index/related.rs`);
//! - `alert`: the webhook payloads alerting systems send, read into alerts and mapped onto the
//!   catalogues as questions for `index`;
//! - `tracking`: repair items and what people set on them, the status rules, and the store
//!   behind the `TrackingStore` trait (sled);
//! - `ingest`: reads the corpus and brings the index and the tracking store in line with it;
//! - `insight`: views across incidents read from the index (recurrences, patterns, response
//!   figures of a service or region);
//! - `web`: the pages and the JSON API (actix-web + askama).
//!
//! The `ikb` command line (`src/cli/`) parses arguments and calls these.

pub mod alert;
pub mod assemble;
pub mod catalog;
pub mod incident;
pub mod index;
pub mod ingest;
pub mod insight;
pub mod report;
pub mod tracking;
pub mod web;
