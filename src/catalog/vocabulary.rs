//! The search analyzer's vocabulary, from the catalogue files: shorthand read as the word
//! reports write (`shorthand.toml`), and the short form of each two-word service name
//! (`services.toml`: "Front Door" is also "afd", from its alias `AFD`). The index keeps the
//! vocabulary it was built with, so queries are analyzed as its documents were; a catalogue
//! whose vocabulary differs (its fingerprint) makes the next ingest or start rebuild it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// First word → (second word, short form), lowercase.
    pub spelled_out: BTreeMap<String, Vec<(String, String)>>,
    /// Word → the word it is read as, lowercase.
    pub read_as: BTreeMap<String, String>,
}

/// An alias that is a short form: capitals and digits, 2 to 6 of them, a capital first.
fn is_short_form(alias: &str) -> bool {
    (2..=6).contains(&alias.len())
        && alias.starts_with(|c: char| c.is_ascii_uppercase())
        && alias
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The singular of a plural English word, for the second word of a name ("machines").
fn singular(word: &str) -> Option<String> {
    if let Some(stem) = word.strip_suffix("ies") {
        Some(format!("{stem}y"))
    } else if word.ends_with("ss") {
        None
    } else {
        word.strip_suffix('s').map(str::to_string)
    }
}

impl Vocabulary {
    /// The vocabulary of services (each its name and aliases) and shorthand.
    pub fn new<'a>(
        services: impl IntoIterator<Item = (&'a str, &'a [String])>,
        read_as: BTreeMap<String, String>,
    ) -> Vocabulary {
        let mut spelled_out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (name, aliases) in services {
            let names: Vec<&str> = std::iter::once(name)
                .chain(aliases.iter().map(String::as_str))
                .collect();
            for spelled in &names {
                let words: Vec<String> =
                    spelled.split_whitespace().map(str::to_lowercase).collect();
                let [first, second] = words.as_slice() else {
                    continue;
                };
                if !words.iter().all(|w| w.chars().all(|c| c.is_alphabetic())) {
                    continue;
                }
                // The shortest short form that is not itself one of the words ("Azure DNS").
                let Some(short) = names
                    .iter()
                    .filter(|a| is_short_form(a))
                    .map(|a| a.to_lowercase())
                    .filter(|s| !words.contains(s))
                    .min_by_key(|s| (s.len(), s.clone()))
                else {
                    continue;
                };
                let seconds = spelled_out.entry(first.clone()).or_default();
                for second in std::iter::once(second.clone()).chain(singular(second)) {
                    if !seconds.iter().any(|(s, _)| *s == second) {
                        seconds.push((second, short.clone()));
                    }
                }
            }
        }
        for seconds in spelled_out.values_mut() {
            seconds.sort();
        }
        Vocabulary {
            spelled_out,
            read_as,
        }
    }

    /// A short hash of it: equal vocabularies analyze alike.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).expect("a vocabulary serializes");
        let digest = sha2::Sha256::digest(json);
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The vocabulary as the analyzer looks words up in it, token by token (hash maps: the
    /// analyzer runs on every word indexed, queried and highlighted).
    pub fn lookup(&self) -> Lookup {
        Lookup {
            read_as: self
                .read_as
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            spelled_out: self
                .spelled_out
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Other ways a report may write an indexed word, lowercase, for finding where a section
    /// mentions it: a short form spelled out ("vm" → "virtual machine"), and the shorthand read
    /// as a word ("configur", the stem of "configuration" → "config"). Stems keep all but the
    /// last letter or so of a word ("memori" for "memory"), which is what the comparison allows.
    pub fn written_forms(&self, word: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .spelled_out
            .iter()
            .flat_map(|(first, seconds)| {
                seconds
                    .iter()
                    .filter(|(_, short)| short == word)
                    .map(move |(second, _)| format!("{first} {second}"))
            })
            .collect();
        let stem = word.get(..word.len().saturating_sub(1)).unwrap_or("");
        out.extend(
            self.read_as
                .iter()
                .filter(|(_, to)| stem.len() >= 3 && to.starts_with(stem))
                .map(|(from, _)| from.clone()),
        );
        out
    }
}

/// A vocabulary ready for the analyzer.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    read_as: fnv::FnvHashMap<String, String>,
    spelled_out: fnv::FnvHashMap<String, Vec<(String, String)>>,
}

impl Lookup {
    /// Rewrite a (lowercase) word as `read_as` says; a plural error code loses its "s" ("429s").
    pub fn read_as(&self, word: &mut String) {
        if let Some(to) = self.read_as.get(word.as_str()) {
            word.clear();
            word.push_str(to);
        } else if let Some(code) = word.strip_suffix('s')
            && code.len() >= 3
            && code.bytes().all(|b| b.is_ascii_digit())
        {
            word.pop();
        }
    }

    /// Whether a (lowercase) word starts a spelled-out name.
    pub fn starts_a_name(&self, word: &str) -> bool {
        self.spelled_out.contains_key(word)
    }

    /// The short form of two adjacent (lowercase) words, if they spell one out.
    pub fn short_form(&self, first: &str, second: &str) -> Option<&str> {
        self.spelled_out
            .get(first)?
            .iter()
            .find(|(s, _)| s == second)
            .map(|(_, short)| short.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_word_names_get_the_short_form_of_their_capital_alias() {
        let aliases = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let vm = aliases(&["Azure Virtual Machines", "VMs", "VM", "VMSS"]);
        let dns = aliases(&["DNS", "Azure DNS platform"]);
        let storage = aliases(&["Storage", "Blob Storage"]);
        let v = Vocabulary::new(
            [
                ("Virtual Machines", vm.as_slice()),
                ("Azure DNS", dns.as_slice()),
                ("Azure Storage", storage.as_slice()),
            ],
            BTreeMap::new(),
        );
        let l = v.lookup();
        assert_eq!(l.short_form("virtual", "machines"), Some("vm"));
        assert_eq!(
            l.short_form("virtual", "machine"),
            Some("vm"),
            "the singular too"
        );
        // A short form that is one of the words adds nothing; no capital alias, no short form.
        assert_eq!(l.short_form("azure", "dns"), None);
        assert_eq!(l.short_form("blob", "storage"), None);
        assert_eq!(
            v.written_forms("vm"),
            ["virtual machine", "virtual machines"]
        );
        let same = Vocabulary::new([("Virtual Machines", vm.as_slice())], BTreeMap::new());
        assert_eq!(
            v.fingerprint(),
            same.fingerprint(),
            "the same words, the same analysis"
        );
        let more = Vocabulary::new(
            [("Virtual Machines", vm.as_slice())],
            BTreeMap::from([("cfg".to_string(), "configuration".to_string())]),
        );
        assert_ne!(v.fingerprint(), more.fingerprint());
    }
}
