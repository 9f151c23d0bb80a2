//! "Past incidents like this": the incidents an alert or a symptom resembles, ranked by what
//! they share with it (its service, its region, its words), each with the reasons it matched.
//! The alert intake, `/related`, its API and `ikb related` all ask through here.

use std::collections::HashMap;

use super::search::Hit;
use super::{Facet, IndexError, SearchIndex, SearchRequest};

/// Alerting's own words: they say how an alert was sent, not what broke.
const BOILERPLATE: [&str; 30] = [
    "alert",
    "alerts",
    "alerting",
    "alertname",
    "firing",
    "fired",
    "resolved",
    "critical",
    "warning",
    "warn",
    "severity",
    "sev",
    "page",
    "pager",
    "threshold",
    "thresholds",
    "triggered",
    "trigger",
    "notification",
    "instance",
    "job",
    "status",
    "summary",
    "description",
    "runbook",
    "url",
    "value",
    "p1",
    "p2",
    "p3",
];

/// How much sharing each thing counts, against the best match of words counting 1.
const SAME_SERVICE: f32 = 1.0;
const SAME_REGION: f32 = 0.5;
/// How many incidents of each kind are weighed before the best are kept (each is a hit with
/// its snippet: the pool is most of the cost).
const POOL: usize = 12;
/// The most words of the text asked with (the first ones, each once).
const MAX_WORDS: usize = 24;
/// The words an incident's own question has (see [`RelatedQuery::like`]).
const LIKE_WORDS: usize = 12;

/// What the incidents should resemble: words, and the catalogue's names of services and
/// regions (as [`crate::catalog::Catalogue`] spells them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelatedQuery {
    pub text: String,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub limit: usize,
}

/// Why an incident was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Reason {
    Service(String),
    Region(String),
    Words(Vec<String>),
}

impl Reason {
    /// As a person reads it: "same service: Azure OpenAI".
    pub fn describe(&self) -> String {
        match self {
            Reason::Service(s) => format!("same service: {s}"),
            Reason::Region(r) => format!("same region: {r}"),
            Reason::Words(w) => format!("words: {}", w.join(", ")),
        }
    }
}

/// One incident found, with its score and reasons.
#[derive(Debug, Clone)]
pub struct Related {
    pub hit: Hit,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

impl RelatedQuery {
    /// What an incident's review is about, as a question for incidents like it: its title
    /// and the opening of its summary, its primary service and its regions.
    pub fn like(review: &crate::incident::Review, limit: usize) -> RelatedQuery {
        let summary = review.text_of(crate::incident::SectionKind::WhatHappened);
        // The first sentence says what happened; the rest is detail every review has.
        let opening: String = summary
            .split("\n\n")
            .next()
            .unwrap_or("")
            .split(". ")
            .next()
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        // A dozen words: the title's, then the opening's. Each word is a posting list to walk;
        // more say little that the service and regions do not.
        let text: Vec<&str> = review
            .title
            .split_whitespace()
            .chain(opening.split_whitespace())
            .take(LIKE_WORDS)
            .collect();
        RelatedQuery {
            text: text.join(" "),
            services: review.services.iter().take(1).cloned().collect(),
            regions: review.regions.iter().take(3).cloned().collect(),
            limit,
        }
    }
}

impl SearchIndex {
    /// The incidents most like the query: those that share its words (the best match counts
    /// 1, the others in proportion), plus [`SAME_SERVICE`] for a shared service and
    /// [`SAME_REGION`] for a shared region; so an incident of the same service and region
    /// ranks above one that only shares words.
    pub fn related(&self, q: &RelatedQuery) -> Result<Vec<Related>, IndexError> {
        let words: Vec<String> = q
            .text
            .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
            .map(|w| w.trim_matches(['.', '-']))
            .filter(|w| !w.is_empty() && !BOILERPLATE.contains(&w.to_lowercase().as_str()))
            .map(str::to_string)
            .fold(Vec::new(), |mut words: Vec<String>, w| {
                if words.len() < MAX_WORDS && !words.iter().any(|x| x.eq_ignore_ascii_case(&w)) {
                    words.push(w);
                }
                words
            });
        let mut pool: Vec<Hit> = Vec::new();
        let mut word_scores: HashMap<String, f32> = HashMap::new();
        if !words.is_empty() {
            let mut by_words = SearchRequest::related(&words.join(" "), 1);
            by_words.limit = POOL;
            by_words.top_only = true;
            for hit in self.search(&by_words)?.hits {
                word_scores.insert(hit.incident.id.clone(), hit.score);
                pool.push(hit);
            }
        }
        // Incidents of the same service or region, even when they share few words.
        for (facet, values) in [(Facet::Service, &q.services), (Facet::Region, &q.regions)] {
            if values.is_empty() {
                continue;
            }
            let mut same = SearchRequest::related(&words.join(" "), 1);
            same.filters = vec![(facet, values.clone())];
            same.limit = POOL / 2;
            same.top_only = true;
            for hit in self.search(&same)?.hits {
                // A filter adds nothing to the score: it is the words' alone.
                if hit.score > 0.0 {
                    word_scores
                        .entry(hit.incident.id.clone())
                        .or_insert(hit.score);
                }
                pool.push(hit);
            }
        }
        let best = word_scores.values().copied().fold(0.0f32, f32::max);
        let lower = |v: &[String]| -> Vec<String> { v.iter().map(|s| s.to_lowercase()).collect() };
        let (services, regions) = (lower(&q.services), lower(&q.regions));
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<Related> = Vec::new();
        for hit in pool {
            if !seen.insert(hit.incident.id.clone()) {
                continue;
            }
            let review = hit.incident.current();
            let mut reasons = Vec::new();
            let mut score = match word_scores.get(&hit.incident.id) {
                Some(s) if best > 0.0 => s / best,
                _ => 0.0,
            };
            if let Some(s) = review
                .services
                .iter()
                .find(|s| services.contains(&s.to_lowercase()))
            {
                score += SAME_SERVICE;
                reasons.push(Reason::Service(s.clone()));
            }
            if let Some(r) = review
                .regions
                .iter()
                .find(|r| regions.contains(&r.to_lowercase()))
            {
                score += SAME_REGION;
                reasons.push(Reason::Region(r.clone()));
            }
            let mut marked: Vec<String> = Vec::new();
            for (piece, is_mark) in hit.snippet.pieces() {
                let w = piece.to_lowercase();
                if is_mark && !marked.contains(&w) && marked.len() < 6 {
                    marked.push(w);
                }
            }
            if word_scores.contains_key(&hit.incident.id) && !marked.is_empty() {
                reasons.push(Reason::Words(marked));
            }
            out.push(Related {
                hit,
                score,
                reasons,
            });
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.hit.incident.id.cmp(&b.hit.incident.id))
        });
        out.truncate(q.limit.clamp(1, 20));
        Ok(out)
    }
}
