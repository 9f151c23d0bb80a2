//! Knowledge built into ikb from `catalog/` (not overridden by `--catalog`): the heading
//! phrases of each section kind (`headings.toml`), the words that tell who published a plain
//! report (`providers.toml`), and how much each section kind counts in search
//! (`sections.toml`). Each is read once; [`fingerprint`] changes with any of them, so an ingest
//! reads the corpus again (and the index is rebuilt) when a build changes them.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::incident::SectionKind;

const HEADINGS: &str = include_str!("../../catalog/headings.toml");
const PROVIDERS: &str = include_str!("../../catalog/providers.toml");
const SECTIONS: &str = include_str!("../../catalog/sections.toml");

#[derive(Debug, Deserialize)]
struct HeadingFile {
    kind: Vec<HeadingKind>,
}

/// The phrases of one section kind's headings, lowercase.
#[derive(Debug, Deserialize)]
pub struct HeadingKind {
    pub kind: SectionKind,
    pub phrases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ProviderFile {
    provider: Vec<Provider>,
}

/// A publisher of reports, and how its reports say so.
#[derive(Debug, Deserialize)]
pub struct Provider {
    pub id: String,
    pub phrases: Vec<String>,
    /// The zone of a time written without one: "pacific" or "utc".
    pub time_zone: String,
    /// A link in the text under this address is the review's own.
    #[serde(default)]
    pub review_link: Option<String>,
    /// The review's address from its tracking id (`{tracking_id}`).
    #[serde(default)]
    pub review_url: Option<String>,
    /// Its reports are saved under a date, and which (see `catalog/providers.toml`).
    #[serde(default)]
    pub file_date: Option<FileDate>,
}

/// What the date a provider's reports are saved under is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileDate {
    /// The incident's date (Wikimedia's pages).
    Event,
    /// The date the report was published, on or after the incident (GitHub's blog posts).
    Post,
}

#[derive(Debug, Deserialize)]
struct SectionFile {
    section: Vec<SectionWeight>,
}

/// How much one kind of section counts in search.
#[derive(Debug, Deserialize)]
pub struct SectionWeight {
    pub kind: SectionKind,
    /// How many times its text is written into the field plain queries match.
    pub index_weight: usize,
    /// How much a matching word in it counts when choosing a hit's snippet.
    pub snippet_weight: f32,
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> T {
    toml::from_str(text).unwrap_or_else(|e| panic!("catalog/{name} is built in and valid: {e}"))
}

/// Heading phrases per kind, in the order they are checked.
pub fn headings() -> &'static [HeadingKind] {
    static H: LazyLock<Vec<HeadingKind>> =
        LazyLock::new(|| parse::<HeadingFile>("headings.toml", HEADINGS).kind);
    &H
}

/// Providers, in the order their phrases are checked.
pub fn providers() -> &'static [Provider] {
    static P: LazyLock<Vec<Provider>> =
        LazyLock::new(|| parse::<ProviderFile>("providers.toml", PROVIDERS).provider);
    &P
}

/// The weights of a section kind (every kind has them; see the test).
pub fn section_weight(kind: SectionKind) -> &'static SectionWeight {
    static S: LazyLock<Vec<SectionWeight>> =
        LazyLock::new(|| parse::<SectionFile>("sections.toml", SECTIONS).section);
    S.iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("catalog/sections.toml has no {kind:?}"))
}

/// A short hash of what the readers take from here (headings, providers).
pub fn readers_fingerprint() -> String {
    hash(&[HEADINGS, PROVIDERS])
}

/// A short hash of what indexing takes from here (section weights).
pub fn index_fingerprint() -> String {
    hash(&[SECTIONS])
}

fn hash(texts: &[&str]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for t in texts {
        h.update(t);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_reads_and_every_section_kind_has_weights() {
        assert!(headings().len() >= 5);
        assert!(providers().iter().any(|p| p.id == "gcp"));
        for p in providers() {
            assert!(
                matches!(p.time_zone.as_str(), "pacific" | "utc"),
                "{}",
                p.id
            );
        }
        for kind in SectionKind::ALL {
            assert!(section_weight(kind).index_weight >= 1);
        }
        assert_eq!(section_weight(SectionKind::WhatHappened).index_weight, 2);
        assert_ne!(readers_fingerprint(), index_fingerprint());
    }
}
