//! Searching: a lenient query over every section with field boosts, facet filters (any of the
//! values within a facet, all facets together), a date range, sorting, a page of hits with the
//! best-matching section and a highlighted snippet, and facet counts.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocSet, Order, Searcher, TantivyDocument, Term};

use super::doc_bits::DocBits;
use super::facet_count::{Matches, SearcherFacets};
pub use super::match_set::Words;
use super::match_set::{self, InSet, MatchSet, Plain};
use super::query::QueryText;
use super::request::{Facet, MAX_LIMIT, SearchRequest, Sort};
pub use super::spelling::Suggestion;
use super::{IndexError, SearchIndex, tantivy_err};
use crate::catalog::Vocabulary;
use crate::incident::{Incident, SectionKind};

/// A text query as every word and as any word.
struct TextQuery {
    all: Option<Box<dyn Query>>,
    any: Box<dyn Query>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub incident: Incident,
    pub score: f32,
    /// The section the query matched best, and the passage of it shown.
    pub section: SectionKind,
    pub snippet: Snippet,
}

/// A passage of a section as written, with the query's words marked (byte ranges into
/// `text`, in order, not overlapping). Plain text: pages escape it when they render it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub marks: Vec<std::ops::Range<usize>>,
}

impl Snippet {
    /// The passage in pieces, each marked or not, in order.
    pub fn pieces(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        let mut at = 0;
        for r in &self.marks {
            if r.start > at {
                out.push((&self.text[at..r.start], false));
            }
            out.push((&self.text[r.clone()], true));
            at = r.end;
        }
        if at < self.text.len() {
            out.push((&self.text[at..], false));
        }
        out
    }

    /// The passage with the marked words in `**`, for text output and JSON.
    pub fn marked_text(&self) -> String {
        self.pieces()
            .into_iter()
            .map(|(t, marked)| {
                if marked {
                    format!("**{t}**")
                } else {
                    t.to_string()
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Counts per facet value for the matching incidents, in [`Facet::ALL`] order.
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
    /// Set when the query could not be read as written and was searched as plain words, or
    /// the request had parameters it could not use (its notes).
    pub hint: Option<String>,
    /// Set when no incident has every word of the query: (how many of the words each match
    /// has, how many words the query has).
    pub partial: Option<(usize, usize)>,
    /// The second block of a first page whose incidents with every word are few: the
    /// incidents with the most of the words short of all (at most [`MORE_HITS`]), and (how
    /// many words they have, how many the query has).
    pub more: Vec<Hit>,
    pub more_words: Option<(usize, usize)>,
    /// The query with its unknown or rare words spelled as the reports spell them.
    pub suggestion: Option<Suggestion>,
    pub took: Duration,
}

/// A first page with fewer incidents than this that have every word also lists the
/// incidents with most of the words.
pub const MORE_WHEN_FEWER: usize = 10;
/// How many incidents the second block lists.
pub const MORE_HITS: usize = 5;
/// What an incident of a service or region that the query names adds to its score (a word
/// matched in a title adds about 3 to 6): enough to rank "Central US" above "North Central US"
/// for "VMs restarted in Central US", not to lift an incident over one with more of the words.
const NAMED_BOOST: f32 = 2.0;

impl SearchResults {
    /// The counts of one facet's values for the matching incidents.
    pub fn counts(&self, facet: Facet) -> &[FacetCount] {
        self.facets
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// The heading of the second block: "More incidents with 5 of your 6 words", or "with at
    /// least 3 of your 6 words".
    pub fn more_note(&self) -> Option<String> {
        if self.more.is_empty() {
            return None;
        }
        let Some((have, of)) = self.more_words else {
            return Some("More incidents with some of your words".to_string());
        };
        Some(if have + 1 == of {
            format!("More incidents with {have} of your {of} words")
        } else {
            format!("More incidents with at least {have} of your {of} words")
        })
    }

    /// What to tell the reader when no incident has every word of the query.
    pub fn partial_note(&self) -> Option<String> {
        let (have, of) = self.partial?;
        Some(format!(
            "No incident has all {of} words of the query; showing the ones with {have} of them."
        ))
    }
}

/// The hint for a query of nothing but stop words (or words too long to be indexed).
const ONLY_COMMON_WORDS: &str = "No word of the query can be searched for: common words (\"the\", \"of\", …) and words over 40 letters are left out. Add a word that says what happened.";

/// One pass of a search: the total, the page of hits, facet counts, and how many of the
/// query's words the matches have when not all (see `SearchResults::partial`).
struct Pass {
    total: usize,
    hits: Vec<Hit>,
    facets: Vec<(Facet, Vec<FacetCount>)>,
    partial: Option<(usize, usize)>,
}

impl Pass {
    fn results(self, hint: Option<String>, started: Instant) -> SearchResults {
        SearchResults {
            total: self.total,
            hits: self.hits,
            facets: self.facets,
            hint,
            partial: self.partial,
            more: Vec::new(),
            more_words: None,
            suggestion: None,
            took: started.elapsed(),
        }
    }
}

/// A tantivy snippet as ours: the fragment trimmed, its highlights as ranges within it.
fn snippet_of(s: &tantivy::snippet::Snippet) -> Snippet {
    let fragment = s.fragment();
    let start = fragment.len() - fragment.trim_start().len();
    let text = fragment.trim();
    let mut marks: Vec<std::ops::Range<usize>> = Vec::new();
    for r in s.highlighted() {
        let at = marks.last().map_or(0, |m| m.end);
        if r.start < start + at || r.end > start + text.len() || r.start >= r.end {
            continue;
        }
        marks.push(r.start - start..r.end - start);
    }
    Snippet {
        text: text.to_string(),
        marks,
    }
}

/// The (stemmed, lowercase) query words, and the other ways reports write them (see
/// [`Vocabulary::written_forms`]): what [`around_first`] looks for.
fn written_forms(words: &[String], vocabulary: &Vocabulary) -> Vec<String> {
    words
        .iter()
        .filter(|w| w.len() > 1)
        .flat_map(|w| std::iter::once(w.clone()).chain(vocabulary.written_forms(w)))
        .collect()
}

/// The part of a section worth tokenizing for its snippet: around the first place one of the
/// forms of the query words starts, or `None` when none does. Stems are mostly prefixes of the
/// words they come from, so this finds the match without tokenizing the whole section.
fn around_first<'a>(text: &'a str, forms: &[String]) -> Option<&'a str> {
    const BEFORE: usize = 80;
    const AFTER: usize = 260;
    let lower = text.to_ascii_lowercase();
    let at = forms.iter().filter_map(|w| lower.find(w.as_str())).min()?;
    let (start, end) = (at.saturating_sub(BEFORE), (at + AFTER).min(text.len()));
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    // Start on a word, not inside one.
    let start = match start {
        0 => 0,
        s => text[s..at]
            .find(char::is_whitespace)
            .map_or(s, |w| s + w + 1),
    };
    let end = (end..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    Some(&text[start..end])
}

fn opening(text: &str, chars: usize) -> String {
    let t: String = text.chars().take(chars).collect();
    if t.len() < text.len() {
        format!("{}…", t.trim_end())
    } else {
        t
    }
}

/// How much a matching word in each kind of section counts when choosing the section a hit's
/// snippet comes from. (Ranking weighs sections by `schema::text_weight`.)
fn section_boost(kind: SectionKind) -> f32 {
    crate::catalog::builtin::section_weight(kind).snippet_weight
}

/// The impact-start range a request asks for, in seconds from `from` up to (not including)
/// `to`; an incident without an impact start (stored as 0) is outside every range.
fn impact_range(req: &SearchRequest) -> Option<(i64, i64)> {
    (req.from.is_some() || req.to.is_some()).then(|| {
        (
            req.from.map_or(1, |t| t.as_second()),
            req.to.map_or(i64::MAX, |t| t.as_second()),
        )
    })
}

/// The facet counts of a match set, facet by facet: years newest first, other values most
/// frequent first.
fn facet_counts(
    facet_indexes: &SearcherFacets,
    matches: &[(tantivy::SegmentOrdinal, Arc<DocBits>)],
) -> Vec<(Facet, Vec<FacetCount>)> {
    Facet::ALL
        .into_iter()
        .zip(facet_indexes.count(matches, Facet::ALL.len()))
        .map(|(facet, counts)| {
            let mut values: Vec<FacetCount> = counts
                .into_iter()
                .map(|(value, count)| FacetCount {
                    value: value.to_string(),
                    count,
                })
                .collect();
            if facet == Facet::Year {
                values.sort_by(|a, b| b.value.cmp(&a.value));
            } else {
                values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            }
            (facet, values)
        })
        .collect()
}

impl SearchIndex {
    /// Plain words go to the weighted `text` field (one posting list per word, so an
    /// every-word query is a plain intersection) and to the exact ids; `title:` and the section
    /// names reach single fields.
    fn query_parser(&self) -> QueryParser {
        let f = &self.fields;
        QueryParser::for_index(&self.index, vec![f.text, f.id, f.tracking_id])
    }

    /// The text query in two forms, leniently: every word (tried first, for precision) and any
    /// word (when no incident has them all). A syntax error never fails a search, it becomes a
    /// hint and the words are searched plainly.
    fn text_query(&self, text: &str) -> (Option<TextQuery>, Option<String>) {
        let mut hint = None;
        let mut q = text.to_string();
        if q.trim().is_empty() {
            return (None, hint);
        }
        let any = self.query_parser();
        let mut all = self.query_parser();
        all.set_conjunction_by_default();
        let errors = any.parse_query_lenient(&q).1;
        if !errors.is_empty() {
            hint = Some(format!(
                "Part of the query could not be read as search syntax ({}); it was searched as plain words. Quote phrases with \"…\", and use field:value only with known fields (title, root_cause, …).",
                errors[0]
            ));
            q = q
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '-' {
                        c
                    } else {
                        ' '
                    }
                })
                .collect();
        }
        let words = q
            .split_whitespace()
            .filter(|w| !matches!(*w, "OR" | "AND"))
            .count();
        let any_query = any.parse_query_lenient(&q).0;
        let all_query = (words > 1).then(|| all.parse_query_lenient(&q).0);
        (
            Some(TextQuery {
                all: all_query,
                any: any_query,
            }),
            hint,
        )
    }

    pub(super) fn filter_query(&self, req: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self
            .facet_filters(req)
            .into_iter()
            .map(|values| {
                let any: Vec<(Occur, Box<dyn Query>)> = values
                    .into_iter()
                    .map(|term| {
                        let value = TermQuery::new(term, IndexRecordOption::Basic);
                        (Occur::Should, Box::new(value) as Box<dyn Query>)
                    })
                    .collect();
                let any: Box<dyn Query> = Box::new(BooleanQuery::new(any));
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(any, 0.0)) as Box<dyn Query>,
                )
            })
            .collect();
        if let Some((from, to)) = impact_range(req) {
            let field = self.fields.impact_start;
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(field, from)),
                    Bound::Excluded(Term::from_field_i64(field, to)),
                )),
            ));
        }
        clauses
    }

    /// Run a search: one page of hits with snippets, the total, and facet counts.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        // The query is read once; nothing but words goes to the fast evaluator, anything else
        // to tantivy's parser.
        let query = QueryText::parse(&req.query);
        let mut hint = query.hint.clone();
        let plain = self.plain(&searcher, &query, req);
        // Whether a first page with few incidents that have every word gets a second block.
        let wants_more = |pass: &Pass| {
            req.words == Words::Every
                && req.offset == 0
                && req.sort == Sort::Relevance
                && pass.total < MORE_WHEN_FEWER.min(req.limit.max(1))
        };
        let mut more_any: Option<Vec<Hit>> = None;
        let pass = match &plain {
            Some(plain) => {
                if !query.is_empty() && plain.words.is_empty() {
                    hint.get_or_insert_with(|| ONLY_COMMON_WORDS.to_string());
                }
                self.run_plain(&searcher, plain, !query.is_empty(), req)?
            }
            None => {
                let (text, syntax_hint) = self.text_query(&query.text);
                hint = syntax_hint.or(hint);
                match text {
                    None => self.run(&searcher, None, req)?,
                    Some(TextQuery { all, any }) => match all {
                        Some(all) if req.words == Words::Every => {
                            let first = self.run(&searcher, Some(all), req)?;
                            if first.total > 0 {
                                if wants_more(&first) && first.partial.is_none() {
                                    // Tantivy's path: the best matches of any word, past the
                                    // ones with every word.
                                    // Only its top: no total or facet counts are shown
                                    // for the second block.
                                    let some = SearchRequest {
                                        limit: MORE_HITS + first.hits.len(),
                                        offset: 0,
                                        top_only: true,
                                        ..req.clone()
                                    };
                                    let shown: Vec<&str> =
                                        first.hits.iter().map(|h| h.incident.id.as_str()).collect();
                                    let hits = self.run(&searcher, Some(any), &some)?.hits;
                                    more_any = Some(
                                        hits.into_iter()
                                            .filter(|h| !shown.contains(&h.incident.id.as_str()))
                                            .take(MORE_HITS)
                                            .collect(),
                                    );
                                }
                                first
                            } else {
                                self.run(&searcher, Some(any), req)?
                            }
                        }
                        _ => self.run(&searcher, Some(any), req)?,
                    },
                }
            }
        };
        // What the request could not use comes first: it explains the results.
        let notes: Vec<&str> = req
            .notes
            .iter()
            .map(String::as_str)
            .chain(hint.as_deref())
            .collect();
        let hint = (!notes.is_empty()).then(|| notes.join(" "));
        // Few incidents have every word: the ones with most of them follow, marked, on the
        // same first page (a symptom typed in other words than the review's still finds it).
        let second = match &plain {
            Some(plain) if plain.words.len() >= 2 && wants_more(&pass) => {
                let most = SearchRequest {
                    // Fewer words than the first block's incidents have.
                    words: Words::Fewer(pass.partial.map_or(plain.words.len(), |(k, _)| k)),
                    limit: MORE_HITS,
                    offset: 0,
                    ..req.clone()
                };
                Some(self.run_plain(&searcher, plain, true, &most)?)
            }
            _ => None,
        };
        let mut results = pass.results(hint, started);
        if let Some(second) = second.filter(|p| !p.hits.is_empty()) {
            results.more = second.hits;
            results.more_words = second.partial;
        } else if let Some(hits) = more_any {
            results.more = hits;
        }
        // A results page offers a spelling; the passes of related incidents (top only) show
        // none, and an alert's host names would each cost a walk of the word list.
        if let Some(words) = query.words().filter(|w| !w.is_empty() && !req.top_only) {
            results.suggestion = self.suggest(&searcher, &words)?;
        }
        results.took = started.elapsed();
        Ok(results)
    }

    /// Whether `term` (of the id or tracking id field) names an incident. A word that does is
    /// searched by the general path, which matches the id exactly.
    fn names_an_incident(&self, searcher: &Searcher, term: &Term) -> bool {
        searcher.doc_freq(term).ok() != Some(0)
    }

    /// The term of one facet value.
    fn facet_term(&self, facet: Facet, value: &str) -> Term {
        Term::from_facet(
            self.fields.facet(facet),
            &tantivy::schema::Facet::from_path([value]),
        )
    }

    /// The facet filters as terms: any value within a facet, every facet.
    fn facet_filters(&self, req: &SearchRequest) -> Vec<Vec<Term>> {
        req.filters
            .iter()
            .filter_map(|(facet, values)| {
                let terms: Vec<Term> = values
                    .iter()
                    .filter(|v| !v.is_empty())
                    .map(|v| self.facet_term(*facet, v))
                    .collect();
                (!terms.is_empty()).then_some(terms)
            })
            .collect()
    }

    /// The search as a `Plain` query (the fast evaluator's), when the query is nothing but
    /// words: each word analyzed as the index's text is (a stop word leaves nothing), with the
    /// facet filters. `None` when a word is an incident's id or analyzes to several terms (a
    /// phrase): tantivy answers those.
    fn plain(&self, searcher: &Searcher, query: &QueryText, req: &SearchRequest) -> Option<Plain> {
        let mut analyzer = self.index.tokenizer_for_field(self.fields.text).ok()?;
        let ids = [self.fields.id, self.fields.tracking_id];
        let mut words: Vec<Term> = Vec::new();
        for word in query.words()? {
            if ids
                .iter()
                .any(|f| self.names_an_incident(searcher, &Term::from_field_text(*f, word)))
            {
                return None;
            }
            let mut stream = analyzer.token_stream(word);
            let Some(token) = stream.next().map(|t| t.text.clone()) else {
                continue;
            };
            if stream.advance() {
                return None;
            }
            let term = Term::from_field_text(self.fields.text, &token);
            if !words.contains(&term) {
                words.push(term);
            }
        }
        Some(Plain {
            words,
            filters: self.facet_filters(req),
        })
    }

    /// A plain search: the match set from posting-list bitmaps, the page's hits scored by
    /// tantivy within it.
    fn run_plain(
        &self,
        searcher: &Searcher,
        plain: &Plain,
        has_text: bool,
        req: &SearchRequest,
    ) -> Result<Pass, IndexError> {
        let err = tantivy_err(&self.path);
        let t0 = Instant::now();
        let facet_indexes = self.facet_indexes.for_searcher(searcher).map_err(&err)?;
        let n = plain.words.len();
        if req.top_only && req.words == Words::Any && impact_range(req).is_none() && n > 0 {
            // Any word, only the top: tantivy ranks by the words without counting every match;
            // a facet filter is a required clause (a match of no word still counts, scored 0).
            let term = |t: &Term, o: IndexRecordOption| -> Box<dyn Query> {
                Box::new(TermQuery::new(t.clone(), o))
            };
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = plain
                .words
                .iter()
                .map(|t| (Occur::Should, term(t, IndexRecordOption::WithFreqs)))
                .collect();
            for values in &plain.filters {
                let any: Box<dyn Query> = Box::new(BooleanQuery::new(
                    values
                        .iter()
                        .map(|t| (Occur::Should, term(t, IndexRecordOption::Basic)))
                        .collect(),
                ));
                // A filter adds nothing to the score: hits of passes with and without one
                // compare by their words alone.
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any, 0.0))));
            }
            let text: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
            let top = TopDocs::with_limit(req.limit.clamp(1, MAX_LIMIT)).order_by_score();
            let addresses = searcher.search(&text, &top).map_err(&err)?;
            return self.tail(
                searcher,
                Some(text.as_ref()),
                &addresses,
                &facet_indexes,
                &[],
                None,
            );
        }
        let matches = if has_text && plain.words.is_empty() {
            MatchSet {
                segments: Vec::new(),
                words_matched: 0,
            }
        } else {
            let dates = impact_range(req);
            match_set::evaluate(searcher, plain, req.words, |ord| {
                let mut base = facet_indexes.alive(ord).clone();
                if let Some((from, to)) = dates {
                    base.intersect_with(&facet_indexes.dated(ord, from, to));
                }
                base
            })
            .map_err(&err)?
        };
        let total = matches.total() as usize;
        let k = matches.words_matched;
        let term = |t: &Term| Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs));
        let text: Option<Box<dyn Query>> = match n {
            0 => None,
            1 => Some(term(&plain.words[0])),
            _ => {
                let occur = if k == n { Occur::Must } else { Occur::Should };
                Some(Box::new(BooleanQuery::new(
                    plain
                        .words
                        .iter()
                        .map(|t| (occur, term(t) as Box<dyn Query>))
                        .collect(),
                )))
            }
        };
        let t1 = Instant::now();
        let (limit, offset) = (req.limit.clamp(1, MAX_LIMIT), req.offset.min(100_000));
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let addresses: Vec<(f32, DocAddress)> = match (req.sort, &text) {
            (Sort::Relevance, Some(text)) if total > 0 => {
                // Every word (k == n) or any word (k == 1) matches exactly the set; between
                // the two, or within filters, the set decides.
                let text = self.with_named(text.box_clone(), &req.named);
                let query: Box<dyn Query> = if plain.filters.is_empty()
                    && !matches!(req.words, Words::Fewer(_))
                    && (k == n || k == 1)
                {
                    text
                } else {
                    Box::new(InSet::new(text, searcher, &matches))
                };
                searcher
                    .search(&query, &top.order_by_score())
                    .map_err(&err)?
            }
            _ if total == 0 => Vec::new(),
            (sort, _) => facet_indexes
                .by_date(&matches.segments, sort != Sort::Oldest, offset, limit)
                .into_iter()
                .map(|a| (0.0, a))
                .collect(),
        };
        tracing::trace!(total, matching = ?(t1 - t0), top = ?t1.elapsed(), "plain search");
        let partial = (matches!(req.words, Words::Every | Words::Fewer(_)) && k < n && total > 0)
            .then_some((k, n));
        // The second block (fewer words) shows its hits only: its facets are not counted.
        let counted = if matches!(req.words, Words::Fewer(_)) {
            &[][..]
        } else {
            &matches.segments[..]
        };
        let mut pass = self.tail(
            searcher,
            text.as_deref(),
            &addresses,
            &facet_indexes,
            counted,
            partial,
        )?;
        pass.total = total;
        Ok(pass)
    }

    /// A text query whose incidents of the services and regions the query names score
    /// [`NAMED_BOOST`] more each; which incidents match is unchanged.
    fn with_named(&self, text: Box<dyn Query>, named: &[(Facet, String)]) -> Box<dyn Query> {
        if named.is_empty() {
            return text;
        }
        let mut clauses = vec![(Occur::Must, text)];
        for (facet, value) in named {
            let of = TermQuery::new(self.facet_term(*facet, value), IndexRecordOption::Basic);
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(of), NAMED_BOOST)),
            ));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// One pass of a search with one text query (any query tantivy can run): total, the page
    /// of hits, facet counts.
    fn run(
        &self,
        searcher: &Searcher,
        text: Option<Box<dyn Query>>,
        req: &SearchRequest,
    ) -> Result<Pass, IndexError> {
        let mut clauses = self.filter_query(req);
        let has_text = text.is_some();
        if let Some(t) = text.as_ref() {
            // An every-word query's words join the filters in one flat intersection, not an
            // intersection nested in another (3% fewer instructions over the bench queries).
            match t.downcast_ref::<BooleanQuery>() {
                Some(all) if all.clauses().iter().all(|(o, _)| *o == Occur::Must) => {
                    clauses.extend(all.clauses().iter().map(|(o, q)| (*o, q.box_clone())));
                }
                _ => clauses.push((Occur::Must, t.box_clone())),
            }
        }
        let query: Box<dyn Query> = match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses.pop().expect("one clause").1,
            _ => Box::new(BooleanQuery::new(clauses)),
        };
        let limit = req.limit.clamp(1, MAX_LIMIT);
        let offset = req.offset.min(100_000);
        let path = self.path.as_path();
        let err = tantivy_err(path);
        // Where the time goes, at RUST_LOG=incident_kb=trace.
        let t0 = Instant::now();
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let sort = if req.sort == Sort::Relevance && !has_text {
            Sort::Newest
        } else {
            req.sort
        };
        // One pass: the page's top documents, and every match as a bitmap for the total and
        // the facet counts (unless only the top is wanted).
        let (addresses, matches) = match sort {
            Sort::Relevance if req.top_only => (
                searcher
                    .search(&query, &top.order_by_score())
                    .map_err(&err)?,
                Vec::new(),
            ),
            Sort::Relevance => searcher
                .search(&query, &(top.order_by_score(), Matches))
                .map_err(&err)?,
            Sort::Newest | Sort::Oldest => {
                let order = if sort == Sort::Newest {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let (hits, matches) = searcher
                    .search(
                        &query,
                        &(
                            top.order_by_fast_field::<i64>("impact_start", order),
                            Matches,
                        ),
                    )
                    .map_err(&err)?;
                (hits.into_iter().map(|(_, a)| (0.0, a)).collect(), matches)
            }
        };
        let matches: Vec<(_, Arc<DocBits>)> = matches
            .into_iter()
            .map(|(ord, bits)| (ord, Arc::new(bits)))
            .collect();
        let facet_indexes = self.facet_indexes.for_searcher(searcher).map_err(&err)?;
        tracing::trace!(matching = ?t0.elapsed(), "tantivy search");
        self.tail(
            searcher,
            text.as_deref(),
            &addresses,
            &facet_indexes,
            &matches,
            None,
        )
    }

    /// The tail every search shares: the page's hits with their snippets, the total and the
    /// facet counts of the match set.
    fn tail(
        &self,
        searcher: &Searcher,
        text: Option<&dyn Query>,
        addresses: &[(f32, DocAddress)],
        facet_indexes: &SearcherFacets,
        matches: &[(tantivy::SegmentOrdinal, Arc<DocBits>)],
        partial: Option<(usize, usize)>,
    ) -> Result<Pass, IndexError> {
        let t0 = Instant::now();
        let hits = self.hits(searcher, text, addresses)?;
        // Without a match set (only the top was wanted) the total is what was found.
        let total = if matches.is_empty() {
            hits.len()
        } else {
            matches.iter().map(|(_, bits)| bits.len()).sum::<u64>() as usize
        };
        let t1 = Instant::now();
        let facets = facet_counts(facet_indexes, matches);
        tracing::trace!(total, hits = ?(t1 - t0), facets = ?t1.elapsed(), "search tail");
        Ok(Pass {
            total,
            hits,
            facets,
            partial,
        })
    }

    fn hits(
        &self,
        searcher: &Searcher,
        text: Option<&dyn Query>,
        addresses: &[(f32, DocAddress)],
    ) -> Result<Vec<Hit>, IndexError> {
        let err = tantivy_err(&self.path);
        // The query's words, and their terms per section field: which sections of a hit match
        // is read from the postings (cheap), and only the best section is tokenized for its
        // snippet. Words of plain queries are on the `text` field, which holds every section.
        let mut words: BTreeMap<String, f32> = BTreeMap::new();
        let mut terms: Vec<(SectionKind, Vec<Term>)> =
            SectionKind::ALL.iter().map(|&k| (k, Vec::new())).collect();
        if let Some(q) = text {
            let mut add = |kind: SectionKind, word: &str| {
                let term = Term::from_field_text(self.fields.section(kind), word);
                let list = &mut terms
                    .iter_mut()
                    .find(|(k, _)| *k == kind)
                    .expect("all kinds")
                    .1;
                if !list.contains(&term) {
                    list.push(term);
                }
            };
            let mut seen = Vec::new();
            q.query_terms(&mut |term, _| seen.push(term.clone()));
            for term in seen {
                let value = term.value();
                let Some(word) = value.as_str() else {
                    continue;
                };
                let kinds: Vec<SectionKind> = if term.field() == self.fields.text {
                    SectionKind::ALL.to_vec()
                } else {
                    SectionKind::ALL
                        .into_iter()
                        .filter(|k| self.fields.section(*k) == term.field())
                        .collect()
                };
                if kinds.is_empty() {
                    continue;
                }
                kinds.iter().for_each(|k| add(*k, word));
                // Rarer words weigh more in choosing the snippet's fragment.
                let docs = searcher
                    .doc_freq(&Term::from_field_text(self.fields.text, word))
                    .map_err(&err)?;
                words.insert(word.to_string(), 1.0 / (1.0 + docs as f32));
            }
        }
        let tokenizer = self
            .index
            .tokenizer_for_field(self.fields.text)
            .map_err(&err)?;
        let generator = SnippetGenerator::new(words, tokenizer, self.fields.text, 220);
        let matched = self
            .sections_by_match(searcher, &terms, addresses)
            .map_err(&err)?;
        // What to look for in each kind of section, worked out once for the page.
        let forms_by_kind: Vec<(SectionKind, Vec<String>)> = terms
            .iter()
            .map(|(kind, list)| {
                let words: Vec<String> = list
                    .iter()
                    .filter_map(|t| t.value().as_str().map(str::to_string))
                    .collect();
                (*kind, written_forms(&words, &self.vocabulary))
            })
            .collect();
        let mut out = Vec::with_capacity(addresses.len());
        for (&(score, address), kinds) in addresses.iter().zip(matched) {
            let incident = self.load(searcher, address)?;
            let review = incident.current();
            let mut best: Option<(SectionKind, tantivy::snippet::Snippet)> = None;
            for kind in kinds {
                let forms = &forms_by_kind
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .expect("all kinds")
                    .1;
                best = review
                    .sections_of(kind)
                    .filter_map(|s| around_first(&s.text, forms))
                    .map(|window| generator.snippet(window))
                    .find(|snippet| !snippet.highlighted().is_empty())
                    .map(|snippet| (kind, snippet));
                if best.is_some() {
                    break;
                }
            }
            let (section, snippet) = match best {
                Some((kind, snippet)) => (kind, snippet_of(&snippet)),
                None => {
                    let s = review.sections.first();
                    let text = opening(s.map_or("", |s| s.text.as_str()), 220);
                    (
                        s.map_or(SectionKind::WhatHappened, |s| s.kind),
                        Snippet {
                            text,
                            marks: Vec::new(),
                        },
                    )
                }
            };
            out.push(Hit {
                incident,
                score,
                section,
                snippet,
            });
        }
        Ok(out)
    }

    /// For each hit, its sections that contain query terms, best first: most distinct terms,
    /// weighted by `section_boost`. Each term's posting list is read once per segment and
    /// walked forward through the segment's hits in document order.
    fn sections_by_match(
        &self,
        searcher: &Searcher,
        terms: &[(SectionKind, Vec<Term>)],
        addresses: &[(f32, DocAddress)],
    ) -> tantivy::Result<Vec<Vec<SectionKind>>> {
        let mut scores: Vec<Vec<(f32, SectionKind)>> = vec![Vec::new(); addresses.len()];
        let mut order: Vec<usize> = (0..addresses.len()).collect();
        order.sort_by_key(|&i| (addresses[i].1.segment_ord, addresses[i].1.doc_id));
        for hits in
            order.chunk_by(|&a, &b| addresses[a].1.segment_ord == addresses[b].1.segment_ord)
        {
            let segment = searcher.segment_reader(addresses[hits[0]].1.segment_ord);
            for (kind, list) in terms.iter().filter(|(_, l)| !l.is_empty()) {
                let inverted = segment.inverted_index(self.fields.section(*kind))?;
                let mut found = vec![0usize; hits.len()];
                for term in list {
                    let Some(mut postings) =
                        inverted.read_postings(term, IndexRecordOption::Basic)?
                    else {
                        continue;
                    };
                    for (n, &hit) in hits.iter().enumerate() {
                        let doc = addresses[hit].1.doc_id;
                        // The cursor only moves forward, and the hits come in document order.
                        if postings.doc() <= doc && postings.seek(doc) == doc {
                            found[n] += 1;
                        }
                    }
                }
                for (n, &hit) in hits.iter().enumerate() {
                    if found[n] > 0 {
                        scores[hit].push((found[n] as f32 * section_boost(*kind), *kind));
                    }
                }
            }
        }
        Ok(scores
            .into_iter()
            .map(|mut scored| {
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                scored.into_iter().map(|(_, k)| k).collect()
            })
            .collect())
    }

    fn load(&self, searcher: &Searcher, address: DocAddress) -> Result<Incident, IndexError> {
        let doc: TantivyDocument = searcher.doc(address).map_err(tantivy_err(&self.path))?;
        let json = doc
            .get_first(self.fields.incident)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        serde_json::from_str(json).map_err(|e| IndexError::Io {
            path: self.path.display().to_string(),
            source: std::io::Error::other(format!(
                "stored incident unreadable: {e}; run `ikb ingest` to rebuild"
            )),
        })
    }

    /// One incident by id.
    pub fn get(&self, id: &str) -> Result<Incident, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .map_err(tantivy_err(&self.path))?;
        match top.first() {
            Some((_, address)) => self.load(&searcher, *address),
            None => Err(IndexError::NotFound(id.to_string())),
        }
    }

    /// Every incident, newest first.
    pub fn all(&self) -> Result<Vec<Incident>, IndexError> {
        let searcher = self.reader.searcher();
        let n = (searcher.num_docs() as usize).max(1);
        let top = searcher
            .search(
                &AllQuery,
                &TopDocs::with_limit(n).order_by_fast_field::<i64>("impact_start", Order::Desc),
            )
            .map_err(tantivy_err(&self.path))?;
        top.into_iter()
            .map(|(_, a)| self.load(&searcher, a))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Snippet, around_first, written_forms};
    use crate::catalog::Catalogue;

    #[test]
    fn a_snippet_is_pieces_of_text_marked_or_not() {
        let s = Snippet {
            text: "DNS <b> failed & DNS".into(),
            marks: vec![0..3, 17..20],
        };
        assert_eq!(
            s.pieces(),
            [("DNS", true), (" <b> failed & ", false), ("DNS", true)]
        );
        assert_eq!(s.marked_text(), "**DNS** <b> failed & **DNS**");
    }

    #[test]
    fn a_snippet_window_is_found_where_the_report_writes_the_word_its_own_way() {
        let catalogue = Catalogue::bundled();
        let v = catalogue.vocabulary();
        let text = "Customers saw errors. Later a config rollout on VMs was rolled back.";
        for word in ["configur", "vm", "rollout"] {
            let window = around_first(text, &written_forms(&[word.to_string()], v)).unwrap();
            assert!(
                window.starts_with("Customers") || window.contains("config"),
                "{window}"
            );
        }
        let far = format!("{} then a config rollout", "word ".repeat(60));
        let window = around_first(&far, &written_forms(&["configur".to_string()], v)).unwrap();
        assert!(
            window.starts_with("word") && window.contains("config rollout"),
            "{window}"
        );
        assert!(window.len() < far.len(), "the window starts near the word");
        assert!(around_first(text, &written_forms(&["restart".to_string()], v)).is_none());
    }
}
