//! The same documents and queries in SQLite FTS5 (bundled SQLite): bm25 with per-column weights
//! (title and what happened weigh most, as in our text field), snippet(), and facet counts with
//! GROUP BY, doing the work of one results page.

use std::path::Path;

use incident_kb::incident::{Incident, SectionKind};
use rusqlite::{Connection, params_from_iter};

pub struct Fts {
    conn: Connection,
}

/// Facet names as the index has them.
const FACETS: [&str; 5] = ["service", "region", "cause", "status", "year"];

impl Fts {
    /// Build the database from incidents, in one transaction.
    pub fn build(path: &Path, incidents: &[Incident]) -> rusqlite::Result<Fts> {
        let _ = std::fs::remove_file(path);
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE VIRTUAL TABLE docs USING fts5(title, what_happened, root_cause, response, repair_items, customer_guidance, other, tokenize = 'porter unicode61');
             CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, impact_start INTEGER NOT NULL);
             CREATE TABLE facets(doc INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);",
        )?;
        let tx = conn.unchecked_transaction()?;
        {
            let mut doc = tx.prepare("INSERT INTO docs(rowid, title, what_happened, root_cause, response, repair_items, customer_guidance, other) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
            let mut meta =
                tx.prepare("INSERT INTO meta(rowid, id, impact_start) VALUES (?1, ?2, ?3)")?;
            let mut facet =
                tx.prepare("INSERT INTO facets(doc, name, value) VALUES (?1, ?2, ?3)")?;
            for (n, i) in incidents.iter().enumerate() {
                let r = i.current();
                let rowid = n as i64 + 1;
                let text = |k: SectionKind| r.text_of(k);
                doc.execute(rusqlite::params![
                    rowid,
                    r.title,
                    text(SectionKind::WhatHappened),
                    text(SectionKind::RootCause),
                    text(SectionKind::Response),
                    text(SectionKind::RepairItems),
                    text(SectionKind::CustomerGuidance),
                    text(SectionKind::Other)
                ])?;
                meta.execute(rusqlite::params![
                    rowid,
                    i.id,
                    r.impact_start.map_or(0, |t| t.as_second())
                ])?;
                for s in &r.services {
                    facet.execute(rusqlite::params![rowid, "service", s])?;
                }
                for s in &r.regions {
                    facet.execute(rusqlite::params![rowid, "region", s])?;
                }
                for s in &r.causes {
                    facet.execute(rusqlite::params![rowid, "cause", s])?;
                }
                // The repair facet as the reviews report it (nobody has set anything here).
                let today = incident_kb::tracking::today();
                for f in incident_kb::tracking::RepairFacet::of_incident(
                    i,
                    &|_| Default::default(),
                    today,
                ) {
                    if f != incident_kb::tracking::RepairFacet::Overdue {
                        facet.execute(rusqlite::params![rowid, "status", f.as_str()])?;
                    }
                }
                if let Some(t) = r.impact_start {
                    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year().to_string();
                    facet.execute(rusqlite::params![rowid, "year", year])?;
                }
            }
        }
        tx.commit()?;
        conn.execute_batch("CREATE INDEX facets_nv ON facets(name, value, doc); CREATE INDEX facets_doc ON facets(doc); CREATE INDEX meta_start ON meta(impact_start); INSERT INTO docs(docs) VALUES('optimize'); ANALYZE;")?;
        Ok(Fts { conn })
    }

    /// One results page: top 10 with snippets, the total, and facet counts. Returns the total.
    /// Every word first (FTS5's own default), then any word when no document has them all:
    /// what incident-kb does, except that it then lists the documents with the most words,
    /// for which FTS5 has no operator.
    pub fn search(
        &self,
        query: &str,
        filters: &[(String, Vec<String>)],
    ) -> rusqlite::Result<usize> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| format!("\"{}\"", t.to_lowercase()))
            .collect();
        if terms.is_empty() {
            return self.page(None, filters);
        }
        let total = self.page(Some(&terms.join(" ")), filters)?;
        if total > 0 || terms.len() == 1 {
            return Ok(total);
        }
        self.page(Some(&terms.join(" OR ")), filters)
    }

    /// One results page for an FTS5 match expression (or none: every document, newest first).
    fn page(
        &self,
        expression: Option<&str>,
        filters: &[(String, Vec<String>)],
    ) -> rusqlite::Result<usize> {
        let mut filter_sql = String::new();
        let mut args: Vec<String> = expression.map(str::to_string).into_iter().collect();
        for (name, values) in filters {
            if values.is_empty() || !FACETS.contains(&name.as_str()) {
                continue;
            }
            let marks = vec!["?"; values.len()].join(", ");
            filter_sql.push_str(&format!(" AND m.rowid IN (SELECT doc FROM facets WHERE name = '{name}' AND value IN ({marks}))"));
            args.extend(values.iter().cloned());
        }
        let (hits_sql, set_sql) = if expression.is_none() {
            (
                format!(
                    "SELECT m.id, d.title, substr(d.what_happened, 1, 200) FROM meta m JOIN docs d ON d.rowid = m.rowid WHERE 1 {filter_sql} ORDER BY m.impact_start DESC LIMIT 10"
                ),
                format!("SELECT m.rowid FROM meta m WHERE 1 {filter_sql}"),
            )
        } else {
            (
                format!(
                    "SELECT m.id, d.title, snippet(docs, -1, '<mark>', '</mark>', '…', 24) FROM docs d JOIN meta m ON m.rowid = d.rowid WHERE docs MATCH ?1 {filter_sql} ORDER BY bm25(docs, 3.0, 2.0, 1.5, 0.6, 1.0, 0.5, 0.8) LIMIT 10"
                ),
                format!(
                    "SELECT m.rowid FROM docs d JOIN meta m ON m.rowid = d.rowid WHERE docs MATCH ?1 {filter_sql}"
                ),
            )
        };
        let mut hits = self.conn.prepare_cached(&hits_sql)?;
        let rows: Vec<(String, String, String)> = hits
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        std::hint::black_box(&rows);
        let mut total = self
            .conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM ({set_sql})"))?;
        let total: i64 = total.query_row(params_from_iter(args.iter()), |r| r.get(0))?;
        let mut counts = self.conn.prepare_cached(&format!(
            "SELECT name, value, COUNT(*) FROM facets WHERE doc IN ({set_sql}) GROUP BY name, value"
        ))?;
        let facets: Vec<(String, String, i64)> = counts
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        std::hint::black_box(&facets);
        Ok(total as usize)
    }
}
