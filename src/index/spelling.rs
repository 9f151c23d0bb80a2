//! "Did you mean": for a query word that no incident has, or very few, the word of the reports
//! within one or two edits that most incidents have. The candidates come from the term
//! dictionary of the `words` field (the reports' words as written, not stemmed) through
//! tantivy's Levenshtein automaton, so no loop over all words is needed.

use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{Searcher, Term};

use super::{IndexError, SearchIndex, tantivy_err};

/// A word in at most this many incidents is rare enough to be offered a spelling.
const RARE_AT_MOST: u32 = 2;
/// A rare word (not an unknown one) alone in its query is only corrected to a word this many
/// times as frequent.
const RARE_RATIO: u32 = 20;
/// A suggested word is in at least this many incidents (a typo of one report is no spelling).
const SUGGESTED_AT_LEAST: u32 = 2;
/// Words shorter than this are left as typed: one edit away from them is too much else.
const SHORTEST: usize = 4;
/// Words at least this long may be two edits from their spelling.
const TWO_EDITS_FROM: usize = 7;

/// A query with its unknown or rare words spelled as the reports spell them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The whole query, corrected: what "Did you mean" links to.
    pub query: String,
    /// Each word changed: (as typed, as suggested).
    pub changes: Vec<(String, String)>,
}

/// A word of the reports near a typed one.
#[derive(Debug, Clone)]
struct Candidate {
    word: String,
    /// Edits from the typed word (1 or 2), one more when the first letter differs.
    edits: u8,
    /// The word as the search reads it (stemmed), to count incidents with other words.
    term: Term,
    /// How many incidents have the word.
    incidents: u32,
}

/// A query word as the suggestion weighs it.
struct Word {
    /// As the search reads it (`None`: a stop word).
    term: Option<Term>,
    /// How many incidents have it.
    have: u32,
    /// Near words, when it is unknown or rare.
    candidates: Vec<Candidate>,
    /// The candidate it becomes, or `None` to keep it.
    chosen: Option<usize>,
}

impl Word {
    /// The term the word is searched as, once corrected.
    fn read_as(&self) -> Option<&Term> {
        match self.chosen {
            Some(c) => Some(&self.candidates[c].term),
            None => self.term.as_ref(),
        }
    }
}

/// How many candidates of each word are weighed against the query's other words.
const CANDIDATES: usize = 6;

impl SearchIndex {
    /// The spelling suggestion for a query of plain words, or `None` when every word is known
    /// well enough or nothing near an unknown word is.
    ///
    /// Each unknown or rare word gets the candidate that most incidents have together with all
    /// the query's other words (as typed, or as corrected), then with each of them, fewer edits
    /// first among equals. A rare word stays as typed unless a candidate does better with the
    /// other words than it does; a word alone gets the nearest, most frequent candidate, a rare
    /// one only when that is [`RARE_RATIO`] times as frequent.
    pub(crate) fn suggest(
        &self,
        searcher: &Searcher,
        words: &[&str],
    ) -> Result<Option<Suggestion>, IndexError> {
        // One analyzer for the query's words and their candidates.
        let mut analyzer = self
            .index
            .tokenizer_for_field(self.fields.text)
            .map_err(tantivy_err(&self.path))?;
        let mut read: Vec<Word> = Vec::with_capacity(words.len());
        for typed in words {
            let term = self.search_term(&mut analyzer, typed);
            let mut word = Word {
                have: 0,
                candidates: Vec::new(),
                chosen: None,
                term,
            };
            if let Some(t) = word.term.as_ref().filter(|_| is_spellable(typed)) {
                word.have = doc_freq(searcher, t, &self.path)?;
                if word.have <= RARE_AT_MOST {
                    word.candidates = self.candidates(searcher, &mut analyzer, typed, word.have)?;
                    word.chosen = (word.have == 0 && !word.candidates.is_empty()).then_some(0);
                }
            }
            read.push(word);
        }
        if read.iter().all(|w| w.candidates.is_empty()) {
            return Ok(None);
        }
        for i in 0..read.len() {
            if read[i].candidates.is_empty() {
                continue;
            }
            let context: Vec<&Term> = (0..read.len())
                .filter(|&j| j != i)
                .filter_map(|j| read[j].read_as())
                .collect();
            let word = &read[i];
            let chosen = if context.is_empty() {
                let first = &word.candidates[0];
                (word.have == 0 || first.incidents >= word.have * RARE_RATIO).then_some(0)
            } else {
                // The incidents with every other word decide; a tie (none with them all, say)
                // goes to the sum with each other word, counted only then: it is a count per
                // other word.
                // The incidents with every other word, once; then each option within them.
                let with_context = self.with_all(searcher, &context)?;
                let each = |term: &Term| -> Result<u64, IndexError> {
                    let mut n = 0;
                    for other in &context {
                        n += self.incidents_with_all(searcher, &[term, other])?;
                    }
                    Ok(n)
                };
                // The options: the word as typed (a rare one), then each candidate, with its
                // shift (one edit more must be worth twice the incidents).
                let mut options: Vec<(Option<usize>, &Term, u8)> = Vec::new();
                if let (Some(t), 1..) = (&word.term, word.have) {
                    options.push((None, t, 0));
                }
                for (c, candidate) in word.candidates.iter().enumerate() {
                    options.push((Some(c), &candidate.term, candidate.edits - 1));
                }
                let mut weighed = Vec::with_capacity(options.len());
                for (_, term, shift) in &options {
                    weighed.push(self.count_within(searcher, &with_context, term)? >> shift);
                }
                let most = weighed.iter().copied().max().unwrap_or(0);
                let tied: Vec<usize> = (0..options.len()).filter(|&o| weighed[o] == most).collect();
                if tied.len() == 1 {
                    options[tied[0]].0
                } else {
                    // A tie (or nothing with every other word) goes to the sums, when there
                    // are several other words; else to the first option.
                    let mut best = (0, options[tied[0]].0);
                    if context.len() > 1 {
                        for &o in &tied {
                            let (choice, term, shift) = options[o];
                            let n = each(term)? >> shift;
                            if n > best.0 {
                                best = (n, choice);
                            }
                        }
                    }
                    best.1
                }
            };
            read[i].chosen = chosen;
        }
        let mut changes = Vec::new();
        let corrected: Vec<String> = words
            .iter()
            .zip(&read)
            .map(|(typed, word)| match word.chosen {
                Some(c) => {
                    let spelled = word.candidates[c].word.clone();
                    changes.push((typed.to_string(), spelled.clone()));
                    spelled
                }
                None => typed.to_string(),
            })
            .collect();
        Ok((!changes.is_empty()).then(|| Suggestion {
            query: corrected.join(" "),
            changes,
        }))
    }

    /// The word as the search reads it (stemmed), or `None` for a stop word.
    fn search_term(&self, analyzer: &mut TextAnalyzer, word: &str) -> Option<Term> {
        let mut stream = analyzer.token_stream(word);
        stream
            .next()
            .map(|token| Term::from_field_text(self.fields.text, &token.text))
    }

    /// The live documents of each segment that have every one of the terms.
    fn with_all(
        &self,
        searcher: &Searcher,
        terms: &[&Term],
    ) -> Result<Vec<super::doc_bits::DocBits>, IndexError> {
        let err = tantivy_err(&self.path);
        let facets = self.facet_indexes.for_searcher(searcher).map_err(&err)?;
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        for (ord, segment) in (0..).zip(searcher.segment_readers()) {
            let mut set = facets.alive(ord).clone();
            for term in terms {
                if set.is_empty() {
                    break;
                }
                set = super::match_set::term_bits(segment, term, &set).map_err(&err)?;
            }
            out.push(set);
        }
        Ok(out)
    }

    /// How many of `within` (per segment, from [`SearchIndex::with_all`]) have `term`.
    fn count_within(
        &self,
        searcher: &Searcher,
        within: &[super::doc_bits::DocBits],
        term: &Term,
    ) -> Result<u64, IndexError> {
        let err = tantivy_err(&self.path);
        let mut n = 0;
        for (segment, set) in searcher.segment_readers().iter().zip(within) {
            if !set.is_empty() {
                n += super::match_set::term_bits(segment, term, set)
                    .map_err(&err)?
                    .len();
            }
        }
        Ok(n)
    }

    /// How many incidents have every one of the terms.
    fn incidents_with_all(&self, searcher: &Searcher, terms: &[&Term]) -> Result<u64, IndexError> {
        let clauses: Vec<Box<dyn Query>> = terms
            .iter()
            .map(|t| Box::new(TermQuery::new((*t).clone(), IndexRecordOption::Basic)) as _)
            .collect();
        let n = searcher
            .search(&BooleanQuery::intersection(clauses), &Count)
            .map_err(tantivy_err(&self.path))?;
        Ok(n as u64)
    }

    /// The reports' words near `typed` that more incidents have than `typed` (in `have`): the
    /// nearest first, then the most frequent, at most [`CANDIDATES`].
    fn candidates(
        &self,
        searcher: &Searcher,
        analyzer: &mut TextAnalyzer,
        typed: &str,
        have: u32,
    ) -> Result<Vec<Candidate>, IndexError> {
        let err = tantivy_err(&self.path);
        let typed = typed.to_lowercase();
        let enough = SUGGESTED_AT_LEAST.max(have + 1);
        let most_edits = if typed.chars().count() >= TWO_EDITS_FROM {
            2
        } else {
            1
        };
        let mut found: Vec<(String, u8, u32)> = Vec::new();
        for edits in 1..=most_edits {
            // Two edits only when one finds nothing: the two-edit automaton is the costly
            // part of a suggestion (BENCHMARKS.md, spelling at 100k).
            if !found.is_empty() {
                break;
            }
            let query = FuzzyTermQuery::new(
                Term::from_field_text(self.fields.words, &typed),
                edits,
                true,
            );
            // Incidents per word, over every segment; the automaton is built once (building
            // it is most of the cost of a walk).
            let mut near: Vec<(String, u32)> = Vec::new();
            let automaton = query.automaton().map_err(&err)?;
            for segment in searcher.segment_readers() {
                let terms = segment.inverted_index(self.fields.words).map_err(&err)?;
                let mut stream = terms
                    .terms()
                    .search(&automaton)
                    .into_stream()
                    .map_err(|e| err(e.into()))?;
                while stream.advance() {
                    let Ok(word) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let count = stream.value().doc_freq;
                    match near.iter_mut().find(|(w, _)| w == word) {
                        Some((_, c)) => *c += count,
                        None => near.push((word.to_string(), count)),
                    }
                }
            }
            for (word, count) in near {
                if word != typed && count >= enough && !found.iter().any(|(w, ..)| *w == word) {
                    // A slip is rarely in the first letter: a word that starts otherwise
                    // counts as one edit further.
                    let first = word.chars().next() != typed.chars().next();
                    found.push((word, edits + u8::from(first), count));
                }
            }
        }
        found.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        let mut out = Vec::new();
        for (word, edits, incidents) in found.into_iter().take(CANDIDATES) {
            if let Some(term) = self.search_term(analyzer, &word) {
                out.push(Candidate {
                    word,
                    edits,
                    term,
                    incidents,
                });
            }
        }
        Ok(out)
    }
}

/// Whether a typed word is one a spelling is offered for: letters only, long enough.
fn is_spellable(word: &str) -> bool {
    word.chars().count() >= SHORTEST && word.chars().all(char::is_alphabetic)
}

fn doc_freq(searcher: &Searcher, term: &Term, path: &std::path::Path) -> Result<u32, IndexError> {
    let n = searcher.doc_freq(term).map_err(tantivy_err(path))?;
    Ok(n.min(u32::MAX as u64) as u32)
}
