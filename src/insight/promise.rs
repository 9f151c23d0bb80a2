//! Repeated promises: repair items of different incidents that promise the same thing. Each
//! item is read into the words the search index reads (stemmed, shorthand spelled out, stop
//! words out); two items are alike when the words they share weigh at least
//! [`SAME_PROMISE`] of the words either has, each word weighted by how rare it is among repair
//! items (a weighted Jaccard similarity), so "ensure" and "monitoring" count for little and
//! "canary" or "per region" for much. Alike items are grouped (transitively).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::incident::ReportedStatus;
use crate::index::SearchIndex;
use crate::index::schema::TEXT_ANALYZER;
use crate::tracking::RepairRecord;

/// The similarity from which two items are the same promise, chosen on the 60 labelled pairs
/// of `tests/fixtures/promise-pairs.tsv`: between the most alike pair labelled different
/// (0.43) and the least alike labelled same above it (0.51). `tests/promises.rs` prints the
/// precision and recall at it.
pub const SAME_PROMISE: f64 = 0.47;
/// Items must share at least this many words.
const SHARED_WORDS: usize = 3;
/// A word in more than this share of the items links nothing by itself (it is not looked up
/// for candidates; it still counts in the similarity).
const COMMON_SHARE: f64 = 0.05;

/// One repair item as the promise matcher sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PromiseItem {
    pub item: String,
    pub incident: String,
    pub incident_title: String,
    /// The incident's impact start's date ("2023-01-25"), or empty.
    pub date: String,
    pub text: String,
    pub reported: ReportedStatus,
}

/// Items of at least two incidents that promise the same thing, oldest incident first.
#[derive(Debug, Clone, Serialize)]
pub struct PromiseGroup {
    pub items: Vec<PromiseItem>,
    /// An earlier item was reported completed, and a later incident promised it again.
    pub repeated_after_completion: bool,
}

/// The words of a text as the index reads them, each once.
pub fn words(index: &SearchIndex, text: &str) -> Vec<String> {
    let mut analyzer = index
        .index
        .tokenizers()
        .get(TEXT_ANALYZER)
        .expect("the index registers its analyzer");
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = &stream.token().text;
        if t.len() > 2 && !t.chars().all(|c| c.is_ascii_digit()) {
            out.push(t.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The weighted Jaccard similarity of two sorted word sets.
pub fn similarity(a: &[String], b: &[String], weight: &dyn Fn(&str) -> f64) -> (f64, usize) {
    let (mut i, mut j) = (0, 0);
    let (mut shared, mut union, mut n) = (0.0, 0.0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                shared += weight(x);
                union += weight(x);
                n += 1;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                union += weight(x);
                i += 1;
            }
            (Some(_), Some(y)) => {
                union += weight(y);
                j += 1;
            }
            (Some(x), None) => {
                union += weight(x);
                i += 1;
            }
            (None, Some(y)) => {
                union += weight(y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (if union > 0.0 { shared / union } else { 0.0 }, n)
}

/// The matcher over a set of items: each item's words and each word's weight.
pub struct Matcher {
    pub items: Vec<PromiseItem>,
    pub words: Vec<Vec<String>>,
    idf: HashMap<String, f64>,
    /// Not a promise of its own: a list's announcement ("Steps specific to this incident
    /// include:"), or a sentence that more than [`BOILERPLATE_INCIDENTS`] incidents repeat word
    /// for word ("Google is committed to quickly and continually improving …").
    boilerplate: Vec<bool>,
}

/// The words every kind of promise is made of ("Engineers will continue to investigate to
/// establish the full root cause and prevent future occurrences"): they say that something is
/// promised, not what, so they do not make two promises the same.
const PROMISE_WORDS: &str = "engineer engineers team teams we our will continue continuing \
    investigate investigation investigations establish full root cause causes underlying \
    prevent future occurrence occurrences recurrence review reviewing ensure improve \
    improvements improving take taking step steps additional work working also further \
    identify identified issue issues incident incidents impact impacted customer customers \
    service services process processes procedures complete completed analysis would like \
    again any such may can need needed make making repeat repeats recur recurring similar \
    nature type types class scenario scenarios";

/// Sentences that readers leave at the end of an item and that promise nothing: the provider's
/// closing words, a survey, where to stay informed. They are not compared.
const NOT_A_PROMISE: [&str; 9] = [
    "provide feedback",
    "stay informed",
    "apologize",
    "apologise",
    "appreciate your patience",
    "thank you",
    "committed to quickly and continually improving",
    "we realize this event may have impacted",
    "help us improve the azure customer communications",
];

/// A web address or a Markdown link target: words of a site, not of a promise.
static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\(?https?://\S+|\[[^\]]*\]\([^)]*\)").expect("valid regex")
});
/// A time of day: an item that gives one tells what happened ("At 12:47, Google engineers
/// were alerted"), a reader's slip, not a promise.
static CLOCK: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\b\d{1,2}:\d{2}\b").expect("valid regex"));

/// The part of an item's text that is its promise: up to the sentence of the first
/// [`NOT_A_PROMISE`] phrase (or up to the phrase, when no stop comes before it).
fn promise_text(text: &str) -> &str {
    let lower = text.to_lowercase();
    let Some(cut) = NOT_A_PROMISE.iter().filter_map(|p| lower.find(p)).min() else {
        return text;
    };
    // `to_lowercase` keeps byte offsets for ASCII; anything else is compared whole.
    if lower.len() != text.len() || !text.is_char_boundary(cut) {
        return text;
    }
    match text[..cut].rfind(['.', '!', '?', ']']) {
        Some(stop) => &text[..=stop],
        None => &text[..cut],
    }
}

/// Incidents that may repeat an item word for word before it is boilerplate.
const BOILERPLATE_INCIDENTS: usize = 3;

impl Matcher {
    pub fn new(index: &SearchIndex, records: &[RepairRecord]) -> Matcher {
        let items: Vec<PromiseItem> = records
            .iter()
            .filter(|r| !r.retired)
            .map(|r| PromiseItem {
                item: r.id.clone(),
                incident: r.incident_id.clone(),
                incident_title: r.incident_title.clone(),
                date: r
                    .incident_start
                    .map(|t| t.strftime("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                text: r.text.clone(),
                reported: r.reported_status,
            })
            .collect();
        // Many items repeat word for word (a review and its revisions, synthetic corpora):
        // each distinct text is read once.
        let generic = words(index, PROMISE_WORDS);
        let mut read: HashMap<&str, Vec<String>> = HashMap::new();
        let words: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                read.entry(i.text.as_str())
                    .or_insert_with(|| {
                        let text = promise_text(&i.text);
                        if CLOCK.is_match(text) {
                            return Vec::new();
                        }
                        let mut w = words(index, &LINK.replace_all(text, " "));
                        w.retain(|w| generic.binary_search(w).is_err());
                        w
                    })
                    .clone()
            })
            .collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for w in words.iter().flatten() {
            *df.entry(w.as_str()).or_default() += 1;
        }
        let mut incidents_of: HashMap<&str, std::collections::HashSet<&str>> = HashMap::new();
        for i in &items {
            incidents_of
                .entry(i.text.as_str())
                .or_default()
                .insert(i.incident.as_str());
        }
        let boilerplate = items
            .iter()
            .map(|i| {
                i.text.trim_end().ends_with(':')
                    || incidents_of[i.text.as_str()].len() > BOILERPLATE_INCIDENTS
            })
            .collect();
        let n = items.len().max(1) as f64;
        let idf = df
            .into_iter()
            .map(|(w, d)| (w.to_string(), (n / d as f64).ln().max(0.1)))
            .collect();
        Matcher {
            items,
            words,
            idf,
            boilerplate,
        }
    }

    /// Items of two different events: not one incident, and not two posts of one event (a
    /// provider posts one review under each affected product, on the same day).
    fn comparable(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.items[a], &self.items[b]);
        x.incident != y.incident
            && (x.date.is_empty() || x.date != y.date)
            && !self.boilerplate[a]
            && !self.boilerplate[b]
    }

    fn weight(&self, word: &str) -> f64 {
        self.idf.get(word).copied().unwrap_or(1.0)
    }

    /// The similarity of items `a` and `b`, and how many words they share.
    pub fn score(&self, a: usize, b: usize) -> (f64, usize) {
        similarity(&self.words[a], &self.words[b], &|w| self.weight(w))
    }

    /// Whether items `a` and `b` are the same promise, and their similarity.
    pub fn same(&self, a: usize, b: usize) -> (bool, f64) {
        let (s, shared) = self.score(a, b);
        (
            self.comparable(a, b) && shared >= SHARED_WORDS && s >= SAME_PROMISE,
            s,
        )
    }

    /// The place of an item by its id.
    pub fn position(&self, item: &str) -> Option<usize> {
        self.items.iter().position(|i| i.item == item)
    }

    /// The items by their text: each distinct text once (many items repeat word for word: a
    /// review and its revisions, a provider's repeated sentences, synthetic corpora), so that
    /// the comparison is of texts, not of every pair of items.
    fn texts(&self) -> Vec<Vec<usize>> {
        let mut by_text: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            if !self.boilerplate[i] && !self.words[i].is_empty() {
                by_text.entry(item.text.as_str()).or_default().push(i);
            }
        }
        let mut texts: Vec<Vec<usize>> = by_text.into_values().collect();
        texts.sort();
        texts
    }

    /// A comparable pair of items of two texts, if there is one.
    fn pair_of(&self, xs: &[usize], ys: &[usize]) -> Option<(usize, usize)> {
        xs.iter()
            .flat_map(|&a| ys.iter().map(move |&b| (a, b)))
            .find(|&(a, b)| self.comparable(a, b))
    }

    /// Pairs of items of different incidents whose texts share a word that is not common,
    /// with their similarity, the most alike first: one pair per two texts.
    pub fn candidates(&self, floor: f64) -> Vec<(usize, usize, f64)> {
        let texts = self.texts();
        let mut postings: HashMap<&str, Vec<usize>> = HashMap::new();
        for (t, items) in texts.iter().enumerate() {
            for w in &self.words[items[0]] {
                postings.entry(w.as_str()).or_default().push(t);
            }
        }
        let common = ((texts.len() as f64 * COMMON_SHARE) as usize).max(20);
        let mut seen: std::collections::HashSet<(usize, usize)> = Default::default();
        let mut out = Vec::new();
        for list in postings.values().filter(|l| l.len() <= common) {
            for (k, &x) in list.iter().enumerate() {
                for &y in &list[k + 1..] {
                    if !seen.insert((x, y)) {
                        continue;
                    }
                    let (s, shared) = self.score(texts[x][0], texts[y][0]);
                    if s < floor || shared < SHARED_WORDS {
                        continue;
                    }
                    if let Some((a, b)) = self.pair_of(&texts[x], &texts[y]) {
                        out.push((a, b, s));
                    }
                }
            }
        }
        out.sort_by(|x, y| y.2.total_cmp(&x.2));
        out
    }

    /// The groups of items of different incidents that promise the same thing.
    pub fn groups(&self) -> Vec<PromiseGroup> {
        let n = self.items.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        let join = |parent: &mut Vec<usize>, a: usize, b: usize| {
            let (ra, rb) = (root(parent, a), root(parent, b));
            if ra != rb {
                parent[ra] = rb;
            }
        };
        // The same words in two incidents are the same promise (unless they are one event).
        for items in self.texts() {
            for (k, &i) in items.iter().enumerate() {
                if let Some(&j) = items[..k].iter().find(|&&j| self.comparable(i, j)) {
                    join(&mut parent, i, j);
                }
            }
        }
        for (a, b, _) in self.candidates(SAME_PROMISE) {
            join(&mut parent, a, b);
        }
        let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            let r = root(&mut parent, i);
            by_root.entry(r).or_default().push(i);
        }
        let mut groups: Vec<PromiseGroup> = by_root
            .into_values()
            .filter_map(|members| {
                let mut items: Vec<PromiseItem> =
                    members.into_iter().map(|i| self.items[i].clone()).collect();
                items.sort_by(|a, b| (&a.date, &a.incident).cmp(&(&b.date, &b.incident)));
                let incidents: std::collections::BTreeSet<&str> =
                    items.iter().map(|i| i.incident.as_str()).collect();
                if incidents.len() < 2 {
                    return None;
                }
                let repeated_after_completion = items.iter().enumerate().any(|(k, earlier)| {
                    earlier.reported == ReportedStatus::Completed
                        && items[k + 1..].iter().any(|later| {
                            later.incident != earlier.incident && later.date > earlier.date
                        })
                });
                Some(PromiseGroup {
                    items,
                    repeated_after_completion,
                })
            })
            .collect();
        groups.sort_by(|a, b| {
            b.repeated_after_completion
                .cmp(&a.repeated_after_completion)
                .then(b.items.len().cmp(&a.items.len()))
                .then_with(|| {
                    b.items
                        .last()
                        .map(|i| &i.date)
                        .cmp(&a.items.last().map(|i| &i.date))
                })
        });
        groups
    }
}

/// The groups of a corpus, and which group each item is in: what pages ask.
pub struct Promises {
    pub groups: Vec<PromiseGroup>,
    by_item: HashMap<String, usize>,
}

impl Promises {
    pub fn build(index: &SearchIndex, records: &[RepairRecord]) -> Promises {
        let groups = Matcher::new(index, records).groups();
        let by_item = groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.items.iter().map(move |i| (i.item.clone(), g)))
            .collect();
        Promises { groups, by_item }
    }

    /// The items of other incidents that promised the same before this one's incident.
    pub fn before(&self, item: &str) -> Vec<&PromiseItem> {
        let Some(&g) = self.by_item.get(item) else {
            return Vec::new();
        };
        let items = &self.groups[g].items;
        let Some(me) = items.iter().find(|i| i.item == item) else {
            return Vec::new();
        };
        items
            .iter()
            .filter(|i| i.incident != me.incident && !i.date.is_empty() && i.date < me.date)
            .collect()
    }
}
