//! incident-kb: a knowledge base of post-incident reviews.
//!
//! Data flows one way: report files are read into reviews (`report`), completed with facets and
//! gathered into incidents (`facet`, `assemble`), written to the search index (`index`) and the
//! repair-item tracking store (`store`) by `ingest`, and served as pages (`web`); changes people
//! make to repair items go through `tracking`, from the web and the CLI alike. The CLI in
//! `main.rs` only parses arguments and calls these.

pub mod assemble;
pub mod corpus;
pub mod facet;
pub mod incident;
pub mod index;
pub mod ingest;
pub mod report;
pub mod synthetic;
pub mod tracking;
pub mod view;
pub mod web;
