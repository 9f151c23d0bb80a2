//! A search request, parsed once for every front door (the web's query string, the JSON API
//! and the CLI's flags all give the same named parameters): typed facets, names read through
//! the catalogue's aliases, and a clear error (or a note shown with the results) for what
//! cannot be used, never a silent drop.

use serde::Serialize;

pub use super::match_set::Words;
use crate::catalog::Catalogue;
use crate::incident::{DetectedBy, RepairFacet, Stage};

/// The longest query read; the rest is cut off, with a hint.
pub const MAX_QUERY_CHARS: usize = 500;
/// The most hits on one page.
pub const MAX_LIMIT: usize = 100;
/// The deepest page a search reads.
pub const MAX_PAGE: usize = 500;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first; newest first when there is no query.
    #[default]
    Relevance,
    Newest,
    Oldest,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Relevance, Sort::Newest, Sort::Oldest];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "" | "relevance" => Some(Sort::Relevance),
            "newest" | "date" => Some(Sort::Newest),
            "oldest" => Some(Sort::Oldest),
            _ => None,
        }
    }
}

/// A facet of incidents: a field of the index and a parameter of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    Service,
    Region,
    Cause,
    RepairStatus,
    Year,
    Stage,
    Provider,
    /// Who detected the incident (`monitoring`, `customer_report`), where the review says.
    Detected,
}

impl Facet {
    /// In the order pages show them (and the index's fields are made).
    pub const ALL: [Facet; 8] = [
        Facet::Service,
        Facet::Region,
        Facet::Cause,
        Facet::RepairStatus,
        Facet::Year,
        Facet::Stage,
        Facet::Provider,
        Facet::Detected,
    ];

    /// Its field name and URL parameter.
    pub fn name(self) -> &'static str {
        match self {
            Facet::Service => "service",
            Facet::Region => "region",
            Facet::Cause => "cause",
            Facet::RepairStatus => "status",
            Facet::Year => "year",
            Facet::Stage => "stage",
            Facet::Provider => "provider",
            Facet::Detected => "detected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Facet::Service => "Service",
            Facet::Region => "Region",
            Facet::Cause => "Cause",
            Facet::RepairStatus => "Repair status",
            Facet::Year => "Year",
            Facet::Stage => "Stage",
            Facet::Provider => "Provider",
            Facet::Detected => "Detected by",
        }
    }

    pub fn parse(name: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Its place in [`Facet::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// The value as the index holds it: a catalogue name for an alias or a short form (`VM`,
    /// `eastus`), a stage or repair status in its one spelling; an error names the rule, a
    /// note says what was kept as typed.
    pub fn value(
        self,
        value: &str,
        catalogue: &Catalogue,
        notes: &mut Vec<String>,
    ) -> Result<String, RequestError> {
        let value = value.trim();
        let bad = |rule: String| RequestError {
            param: self.name().to_string(),
            rule,
        };
        match self {
            Facet::Service => Ok(catalogue.canonical_service(value)),
            Facet::Region => Ok(catalogue.canonical_region(value)),
            Facet::Cause => Ok(match catalogue.canonical_cause(value) {
                Some(id) => id.to_string(),
                None => {
                    let ids: Vec<&str> = catalogue.causes().iter().map(|c| c.id.as_str()).collect();
                    notes.push(format!(
                        "`{}` is no cause of the taxonomy ({}); it matches only reviews whose front matter names it.",
                        clip(value, 40),
                        ids.join(", ")
                    ));
                    value.to_string()
                }
            }),
            Facet::RepairStatus => RepairFacet::parse(value)
                .map(|f| f.as_str().to_string())
                .ok_or_else(|| {
                    bad(format!(
                        "must be open, completed, overdue or none, not `{}`",
                        clip(value, 30)
                    ))
                }),
            Facet::Year => match value.parse::<i16>() {
                Ok(y) if (1900..=2200).contains(&y) => Ok(y.to_string()),
                _ => Err(bad(format!(
                    "must be a year like 2024, not `{}`",
                    clip(value, 20)
                ))),
            },
            Facet::Stage => Stage::parse(value)
                .map(|s| s.as_str().to_string())
                .ok_or_else(|| {
                    bad(format!(
                        "must be initial_statement, preliminary or final, not `{}`",
                        clip(value, 30)
                    ))
                }),
            Facet::Provider => Ok(value.to_ascii_lowercase()),
            Facet::Detected => DetectedBy::parse(value)
                .map(|d| d.as_str().to_string())
                .ok_or_else(|| {
                    bad(format!(
                        "must be monitoring or customer_report, not `{}`",
                        clip(value, 30)
                    ))
                }),
        }
    }
}

impl std::fmt::Display for Facet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A search as a page, the API or the CLI asks for it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Accepted values per facet: any value within a facet, every facet.
    pub filters: Vec<(Facet, Vec<String>)>,
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Whether every word must match (falling back to the most words any incident has) or any.
    pub words: Words,
    /// What the request could not use as given, said with the results.
    pub notes: Vec<String>,
    /// Only the best hits are wanted, not the total or facet counts (the passes of "past
    /// incidents like this"): tantivy may then skip what cannot reach the top.
    pub top_only: bool,
    /// The services and regions the query names, as the catalogue spells them: an incident of
    /// one ranks above another with the same words (see `SearchIndex::search`).
    pub named: Vec<(Facet, String)>,
}

/// A parameter that cannot be read, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{param}` {rule}")]
pub struct RequestError {
    pub param: String,
    pub rule: String,
}

/// The parameters a search reads besides the facets.
const PARAMETERS: [&str; 7] = ["q", "sort", "from", "to", "page", "limit", "offset"];

impl SearchRequest {
    /// Read a search from named parameters, as a query string or the CLI's flags give them:
    /// `q`, the facets (`service`, `region`, `cause`, `status`, `year`, `stage`, each
    /// repeatable), `from` and `to` (dates, both days included), `sort`, and `page` (of
    /// `page_size` hits), `limit` or `offset`. Returns the request and its page number.
    pub fn parse(
        params: &[(String, String)],
        catalogue: &Catalogue,
        page_size: usize,
    ) -> Result<(SearchRequest, usize), RequestError> {
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, v)| k == key && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        let number = |key: &str,
                      range: std::ops::RangeInclusive<usize>|
         -> Result<Option<usize>, RequestError> {
            match get(key) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<usize>() {
                    Ok(n) if range.contains(&n) => Ok(Some(n)),
                    _ => Err(RequestError {
                        param: key.to_string(),
                        rule: format!(
                            "must be a whole number from {} to {}, not `{}`",
                            range.start(),
                            range.end(),
                            clip(v, 20)
                        ),
                    }),
                },
            }
        };
        let page = number("page", 1..=MAX_PAGE)?.unwrap_or(1);
        let limit = number("limit", 1..=MAX_LIMIT)?.unwrap_or(page_size);
        let offset = number("offset", 0..=MAX_PAGE * MAX_LIMIT)?.unwrap_or((page - 1) * limit);
        let sort = Sort::parse(get("sort").unwrap_or("")).ok_or_else(|| RequestError {
            param: "sort".into(),
            rule: "must be relevance, newest or oldest".into(),
        })?;
        let day = |key: &str| -> Result<Option<jiff::civil::Date>, RequestError> {
            get(key)
                .map(|v| {
                    v.trim()
                        .parse::<jiff::civil::Date>()
                        .map_err(|_| RequestError {
                            param: key.to_string(),
                            rule: format!("must be a date like 2024-07-13, not `{}`", clip(v, 40)),
                        })
                })
                .transpose()
        };
        let midnight = |d: jiff::civil::Date| {
            d.to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .ok()
        };
        let from = day("from")?.and_then(midnight);
        let to = day("to")?
            .and_then(|d| d.tomorrow().ok())
            .and_then(midnight);
        let mut notes = Vec::new();
        let mut filters: Vec<(Facet, Vec<String>)> =
            Facet::ALL.iter().map(|f| (*f, Vec::new())).collect();
        for (key, value) in params {
            match Facet::parse(key) {
                Some(facet) if !value.trim().is_empty() => {
                    let value = facet.value(value, catalogue, &mut notes)?;
                    let values = &mut filters[facet.position()].1;
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
                Some(_) => {}
                None if PARAMETERS.contains(&key.as_str()) => {}
                None => notes.push(format!(
                    "`{}` is not a search parameter and was ignored (they are q, {}, from, to, sort and page).",
                    clip(key, 30),
                    Facet::ALL.map(Facet::name).join(", ")
                )),
            }
        }
        filters.retain(|(_, values)| !values.is_empty());
        let query = get("q").unwrap_or("").to_string();
        let named = named_in(&query, catalogue);
        let request = SearchRequest {
            named,
            query,
            filters,
            from,
            to,
            sort,
            offset,
            limit,
            words: Words::default(),
            notes,
            top_only: false,
        };
        Ok((request, page))
    }

    /// Alert text as a search: its words, without query syntax, cut to a sane length; the
    /// best matches of any word.
    pub fn related(text: &str, limit: usize) -> SearchRequest {
        let words: String = text
            .chars()
            .take(2000)
            .map(|c| {
                if c.is_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        let words: Vec<&str> = words
            .split_whitespace()
            .map(|w| w.trim_matches(['.', '-']))
            .filter(|w| !w.is_empty())
            .take(60)
            .collect();
        SearchRequest {
            query: words.join(" "),
            limit: limit.clamp(1, 20),
            // An alert shares some words with a past incident, rarely all: the best matches of
            // any word, as "more like this" does.
            words: Words::Any,
            ..Default::default()
        }
    }

    /// The values asked for one facet.
    pub fn values(&self, facet: Facet) -> &[String] {
        self.filters
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, v)| v.as_slice())
    }
}

/// The services and regions a query names ("AKS", "East US", "us-east-1"), by the catalogue.
fn named_in(query: &str, catalogue: &Catalogue) -> Vec<(Facet, String)> {
    if query.trim().is_empty() {
        return Vec::new();
    }
    let text = [(query, 1.0)];
    let services = catalogue.services_in("", &text).into_iter();
    let regions = catalogue.regions_in("", &text).into_iter();
    services
        .map(|s| (Facet::Service, s))
        .chain(regions.map(|r| (Facet::Region, r)))
        .collect()
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<(SearchRequest, usize), RequestError> {
        let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        SearchRequest::parse(&params, &Catalogue::bundled(), 10)
    }

    #[test]
    fn facets_are_typed_and_names_canonical() {
        let (r, page) =
            parse("q=dns&service=VM&region=eastus&status=Overdue&stage=initial&year=2024&page=3")
                .unwrap();
        assert_eq!(page, 3);
        assert_eq!((r.offset, r.limit), (20, 10));
        assert_eq!(r.values(Facet::Service), ["Virtual Machines"]);
        assert_eq!(r.values(Facet::Region), ["East US"]);
        assert_eq!(r.values(Facet::RepairStatus), ["overdue"]);
        assert_eq!(r.values(Facet::Stage), ["initial_statement"]);
        assert_eq!(r.values(Facet::Year), ["2024"]);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_rule_and_the_unknown_is_a_note() {
        let e = parse("status=finished").unwrap_err();
        assert_eq!(e.param, "status");
        assert!(e.rule.contains("open, completed"), "{e}");
        assert_eq!(parse("stage=draftish").unwrap_err().param, "stage");
        assert_eq!(parse("year=24").unwrap_err().param, "year");
        assert_eq!(parse("limit=0").unwrap_err().param, "limit");
        assert!(
            parse("from=2024-02-31")
                .unwrap_err()
                .to_string()
                .starts_with("`from` must be a date")
        );
        let (r, _) = parse("q=x&servce=VM&cause=gremlins").unwrap();
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
        assert!(r.notes[0].contains("`servce` is not a search parameter"));
        assert!(r.notes[1].contains("`gremlins` is no cause"));
        assert_eq!(r.values(Facet::Cause), ["gremlins"]);
    }

    #[test]
    fn every_facet_has_one_name_and_position() {
        for (i, f) in Facet::ALL.into_iter().enumerate() {
            assert_eq!(f.position(), i);
            assert_eq!(Facet::parse(f.name()), Some(f));
        }
    }
}
