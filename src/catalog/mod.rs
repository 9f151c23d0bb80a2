//! The knowledge incident-kb reads reports with, as editable data files (`catalog/`, read at
//! start-up): the service, region and cause catalogues and the matching that finds their
//! entries in a review's text, and the search analyzer's vocabulary ([`vocabulary`]). Pure
//! once loaded.

pub mod builtin;
pub mod vocabulary;

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;
pub use vocabulary::Vocabulary;

/// The catalogues bundled with the binary; a `catalog/` folder (or `--catalog DIR`) overrides them.
const SERVICES: &str = include_str!("../../catalog/services.toml");
const REGIONS: &str = include_str!("../../catalog/regions.toml");
const CAUSES: &str = include_str!("../../catalog/causes.toml");
const SHORTHAND: &str = include_str!("../../catalog/shorthand.toml");

#[derive(Debug, Deserialize)]
struct ShorthandFile {
    #[serde(default)]
    read_as: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error("cannot read catalogue {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("catalogue {path}: {message}")]
    Parse { path: String, message: String },
}

#[derive(Debug, Deserialize)]
struct ServiceFile {
    #[serde(default)]
    service: Vec<NamedEntry>,
}

#[derive(Debug, Deserialize)]
struct RegionFile {
    #[serde(default)]
    region: Vec<NamedEntry>,
}

#[derive(Debug, Deserialize)]
struct CauseFile {
    #[serde(default)]
    cause: Vec<CauseEntry>,
}

#[derive(Debug, Clone, Deserialize)]
struct NamedEntry {
    name: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct CauseEntry {
    id: String,
    label: String,
    phrases: Vec<String>,
}

/// Finds the names of one catalogue in text, longest first, on word boundaries.
#[derive(Debug)]
struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern: the entry it names, and whether it must match exactly as written.
    patterns: Vec<(usize, bool, String)>,
}

impl Matcher {
    fn new(names: impl IntoIterator<Item = (usize, String)>) -> Matcher {
        let mut patterns = Vec::new();
        for (entry, name) in names {
            let name = name.trim().to_string();
            if name.is_empty() {
                continue;
            }
            // One-word names ("ARM", "Storage", "Compute") match only as written; longer ones in
            // any case, and so do codes of letters, digits and hyphens ("US-EAST-1",
            // "us-east-1": reports write a region's code in either case).
            let code = name.contains('-') && name.contains(|c: char| c.is_ascii_digit());
            let exact = !name.contains(' ') && !code;
            patterns.push((entry, exact, name));
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(_, _, p)| p.as_str()))
            .expect("catalogue patterns build");
        Matcher {
            automaton,
            patterns,
        }
    }

    /// The entry a whole name stands for, in any case ("elb" is "ELB"): a label's value, not
    /// words of a text.
    fn whole(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.patterns
            .iter()
            .find(|(_, _, p)| p.eq_ignore_ascii_case(name))
            .map(|(entry, ..)| *entry)
    }

    /// (byte offset, entry) of every match.
    fn find(&self, text: &str) -> Vec<(usize, usize)> {
        // A name wrapped across lines ("Virtual\nMachines") is read whole: each line break
        // reads as a space, byte for byte, so offsets stay the text's.
        let flat;
        let text = if text.contains(['\n', '\t']) {
            flat = text.replace(['\n', '\t'], " ");
            flat.as_str()
        } else {
            text
        };
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        for m in self.automaton.find_iter(text) {
            let (entry, exact, pattern) = &self.patterns[m.pattern().as_usize()];
            // A whole word, and not part of a host name or a URL ("text-lb.esams.wikimedia.org",
            // "?var-dc=eqiad&"): those name a machine, not what the incident affected.
            let before_ok = m.start() == 0 || {
                let b = bytes[m.start() - 1];
                !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'=' | b'_'))
            };
            let after_ok = m.end() == bytes.len() || {
                let a = bytes[m.end()];
                let next = bytes.get(m.end() + 1).copied().unwrap_or(b' ');
                !(a.is_ascii_alphanumeric()
                    || matches!(a, b'_' | b'%' | b'&' | b'=')
                    || (a == b'.' && next.is_ascii_alphanumeric()))
            };
            if before_ok && after_ok && (!exact || &text[m.start()..m.end()] == pattern) {
                out.push((m.start(), *entry));
            }
        }
        out
    }
}

/// A cause of the taxonomy.
#[derive(Debug, Clone)]
pub struct Cause {
    pub id: String,
    pub label: String,
}

/// Services, regions and causes, with their matchers.
#[derive(Debug)]
pub struct Catalogue {
    /// A hash of the catalogue texts: a change means stored incidents need their facets anew.
    pub fingerprint: String,
    vocabulary: Vocabulary,
    services: Vec<(String, String)>,
    service_matcher: Matcher,
    regions: Vec<(String, String)>,
    region_matcher: Matcher,
    causes: Vec<Cause>,
    cause_matcher: Matcher,
}

fn parse<T: for<'de> Deserialize<'de>>(path: &str, text: &str) -> Result<T, CatalogueError> {
    toml::from_str(text).map_err(|e| CatalogueError::Parse {
        path: path.to_string(),
        message: e.message().to_string(),
    })
}

impl Catalogue {
    /// The catalogues bundled with the binary.
    pub fn bundled() -> Catalogue {
        Catalogue::from_texts(SERVICES, REGIONS, CAUSES, SHORTHAND)
            .expect("bundled catalogues are valid")
    }

    /// Read `services.toml`, `regions.toml` and `causes.toml` from a folder; a missing file falls
    /// back to the bundled one.
    pub fn load(dir: &Path) -> Result<Catalogue, CatalogueError> {
        let read = |name: &str, bundled: &'static str| -> Result<String, CatalogueError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(bundled.to_string()),
                Err(source) => Err(CatalogueError::Read {
                    path: path.display().to_string(),
                    source,
                }),
            }
        };
        let (s, r, c, h) = (
            read("services.toml", SERVICES)?,
            read("regions.toml", REGIONS)?,
            read("causes.toml", CAUSES)?,
            read("shorthand.toml", SHORTHAND)?,
        );
        Catalogue::from_texts(&s, &r, &c, &h).map_err(|e| match e {
            CatalogueError::Parse { path, message } => CatalogueError::Parse {
                path: dir.join(path).display().to_string(),
                message,
            },
            other => other,
        })
    }

    pub fn from_texts(
        services_text: &str,
        regions_text: &str,
        causes_text: &str,
        shorthand_text: &str,
    ) -> Result<Catalogue, CatalogueError> {
        let fingerprint = {
            use sha2::Digest;
            let digest = sha2::Sha256::new()
                .chain_update(services_text)
                .chain_update(regions_text)
                .chain_update(causes_text)
                .chain_update(shorthand_text)
                .finalize();
            digest[..8].iter().map(|b| format!("{b:02x}")).collect()
        };
        let services: ServiceFile = parse("services.toml", services_text)?;
        let regions: RegionFile = parse("regions.toml", regions_text)?;
        let causes: CauseFile = parse("causes.toml", causes_text)?;
        let shorthand: ShorthandFile = parse("shorthand.toml", shorthand_text)?;
        let vocabulary = Vocabulary::new(
            services
                .service
                .iter()
                .map(|e| (e.name.as_str(), e.aliases.as_slice())),
            shorthand
                .read_as
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v.to_lowercase()))
                .collect(),
        );
        let names = |entries: &[NamedEntry]| -> Vec<(usize, String)> {
            entries
                .iter()
                .enumerate()
                .flat_map(|(i, e)| {
                    std::iter::once((i, e.name.clone()))
                        .chain(e.aliases.iter().map(move |a| (i, a.clone())))
                })
                .collect()
        };
        let cause_names: Vec<(usize, String)> = causes
            .cause
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.phrases.iter().map(move |p| (i, p.to_lowercase())))
            .collect();
        let mut cause_matcher = Matcher::new(cause_names);
        // Cause phrases match in any case, even one-word ones ("DNS", "dns").
        for p in &mut cause_matcher.patterns {
            p.1 = false;
        }
        Ok(Catalogue {
            fingerprint,
            vocabulary,
            service_matcher: Matcher::new(names(&services.service)),
            region_matcher: Matcher::new(names(&regions.region)),
            services: services
                .service
                .into_iter()
                .map(|e| (e.name, e.provider))
                .collect(),
            regions: regions
                .region
                .into_iter()
                .map(|e| (e.name, e.provider))
                .collect(),
            causes: causes
                .cause
                .into_iter()
                .map(|c| Cause {
                    id: c.id,
                    label: c.label,
                })
                .collect(),
            cause_matcher,
        })
    }

    /// The search analyzer's vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    pub fn causes(&self) -> &[Cause] {
        &self.causes
    }

    /// The label of a cause id ("dns" → "DNS").
    pub fn cause_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.causes
            .iter()
            .find(|c| c.id == id)
            .map_or(id, |c| c.label.as_str())
    }

    /// The id of a cause a user typed, by id or label ("DNS" → "dns"), if the taxonomy has it.
    pub fn canonical_cause(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.causes
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(name) || c.label.eq_ignore_ascii_case(name))
            .map(|c| c.id.as_str())
    }

    /// The catalogue name of a service a user typed ("AOAI" → "Azure OpenAI"), or the input.
    pub fn canonical_service(&self, name: &str) -> String {
        canonical(&self.service_matcher, &self.services, name)
    }

    pub fn canonical_region(&self, name: &str) -> String {
        canonical(&self.region_matcher, &self.regions, name)
    }

    /// Services named in the text, weighted: `(name, score)` with the earliest-best first.
    pub fn services_in(&self, provider: &str, weighted_texts: &[(&str, f32)]) -> Vec<String> {
        rank(
            &self.service_matcher,
            &self.services,
            provider,
            weighted_texts,
        )
    }

    /// The service a label's whole value names, in any case ("elb", "ELB", "azure-openai"), with
    /// its provider (empty for a general one).
    pub fn service_named(&self, label: &str) -> Option<(String, String)> {
        let spaced = label.replace(['-', '_', '.'], " ");
        let entry = self
            .service_matcher
            .whole(label)
            .or_else(|| self.service_matcher.whole(&spaced))?;
        Some(self.services[entry].clone())
    }

    /// The service named first in the text (of this provider's, or of none).
    pub fn first_service_in(&self, provider: &str, text: &str) -> Option<String> {
        self.service_matcher
            .find(text)
            .into_iter()
            .map(|(_, entry)| &self.services[entry])
            .find(|(_, of)| names_for(of, provider))
            .map(|(name, _)| name.clone())
    }

    pub fn regions_in(&self, provider: &str, weighted_texts: &[(&str, f32)]) -> Vec<String> {
        rank(
            &self.region_matcher,
            &self.regions,
            provider,
            weighted_texts,
        )
    }

    /// Cause ids whose phrases the text contains, in taxonomy order.
    pub fn causes_in(&self, text: &str) -> Vec<String> {
        let mut hit = vec![false; self.causes.len()];
        for (_, entry) in self.cause_matcher.find(text) {
            hit[entry] = true;
        }
        self.causes
            .iter()
            .zip(hit)
            .filter(|(_, h)| *h)
            .map(|(c, _)| c.id.clone())
            .collect()
    }
}

fn canonical(matcher: &Matcher, entries: &[(String, String)], name: &str) -> String {
    let found = matcher.find(name.trim());
    match found.as_slice() {
        [(0, entry)] => entries[*entry].0.clone(),
        _ => name.trim().to_string(),
    }
}

/// Whether an entry of `of`'s catalogue (empty: of no provider) names something in a report of
/// `provider`: a cloud's report names only its own services and places, or general ones.
fn names_for(of: &str, provider: &str) -> bool {
    let cloud = matches!(provider, "azure" | "aws" | "gcp" | "github" | "wikimedia");
    !cloud || of.is_empty() || of == provider
}

/// Entries found in weighted texts, best score first; the first match in the first text breaks ties.
fn rank(
    matcher: &Matcher,
    entries: &[(String, String)],
    provider: &str,
    weighted_texts: &[(&str, f32)],
) -> Vec<String> {
    let mut scores: HashMap<usize, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    for (text, weight) in weighted_texts {
        for (_, entry) in matcher.find(text) {
            if !names_for(&entries[entry].1, provider) {
                continue;
            }
            let e = scores.entry(entry).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            e.0 += weight;
        }
    }
    let mut ranked: Vec<(usize, (f32, usize))> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    ranked
        .into_iter()
        .map(|(e, _)| entries[e].0.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_match_in_any_case_and_host_names_name_no_region() {
        let c = Catalogue::bundled();
        let regions = |provider: &str, text: &str| c.regions_in(provider, &[(text, 1.0)]);
        assert_eq!(
            regions(
                "aws",
                "Summary of the Amazon EC2 Event in the AP-NORTHEAST-2 Region"
            ),
            ["ap-northeast-2"]
        );
        assert_eq!(
            regions("wikimedia", "The eqiad caching layer failed."),
            ["eqiad"]
        );
        assert!(
            regions(
                "wikimedia",
                "text-lb.esams.wikimedia.org and ?var-dc=eqiad&x=1"
            )
            .is_empty()
        );
        assert_eq!(
            c.services_in("github", &[("GitHub was down; GitHub Pages too.", 1.0)])[0],
            "GitHub.com"
        );
    }

    #[test]
    fn names_wrapped_across_lines_are_read_whole() {
        let c = Catalogue::bundled();
        let text = "protected services for Virtual\nMachines and\tWest\nEurope";
        assert_eq!(
            c.services_in("azure", &[(text, 1.0)])[0],
            "Virtual Machines"
        );
        assert_eq!(c.regions_in("azure", &[(text, 1.0)]), ["West Europe"]);
    }

    #[test]
    fn regions_match_longest_first() {
        let c = Catalogue::bundled();
        let found = c.regions_in(
            "azure",
            &[("in East US 2, North Central US and East US", 1.0)],
        );
        assert_eq!(found, ["East US 2", "North Central US", "East US"]);
        assert!(
            c.regions_in("azure", &[("in South Central USA", 1.0)])
                .is_empty()
        );
    }

    #[test]
    fn aliases_name_their_service_and_acronyms_match_only_in_capitals() {
        let c = Catalogue::bundled();
        assert_eq!(
            c.services_in("azure", &[("the AOAI service", 1.0)]),
            ["Azure OpenAI"]
        );
        assert_eq!(
            c.services_in("azure", &[("MSI tokens via ARM", 1.0)]).len(),
            2
        );
        assert!(
            c.services_in("azure", &[("an arm and a leg", 1.0)])
                .is_empty()
        );
        assert_eq!(c.canonical_service("aoai"), "aoai");
        assert_eq!(c.canonical_service("AOAI"), "Azure OpenAI");
        assert_eq!(c.canonical_service("azure openai"), "Azure OpenAI");
    }

    #[test]
    fn services_are_kept_to_the_reports_provider() {
        let c = Catalogue::bundled();
        assert!(
            c.services_in("aws", &[("Azure Storage and S3", 1.0)])
                .iter()
                .all(|s| s == "Amazon S3")
        );
    }

    #[test]
    fn causes_come_from_the_taxonomy() {
        let c = Catalogue::bundled();
        let causes =
            c.causes_in("A configuration change caused a retry storm against DNS nameservers.");
        assert_eq!(causes, ["configuration-change", "capacity", "dns"]);
    }

    #[test]
    fn a_broken_catalogue_names_the_file() {
        let e = Catalogue::from_texts("[[service]]\nname = 5\n", REGIONS, CAUSES, SHORTHAND)
            .unwrap_err();
        assert!(e.to_string().starts_with("catalogue services.toml:"), "{e}");
    }
}
