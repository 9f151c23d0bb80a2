//! Query strings with repeated keys (`?service=A&service=B`), read leniently: a byte that is not
//! UTF-8 is replaced, never an error page.

#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: &str) -> Params {
        Params {
            pairs: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// These parameters with `key=value` added, or removed when present; `page` is dropped.
    pub fn toggled(&self, key: &str, value: &str) -> String {
        let present = self.pairs.iter().any(|(k, v)| k == key && v == value);
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(k, v)| k != "page" && !v.is_empty() && !(present && k == key && v == value))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if !present {
            pairs.push((key, value));
        }
        encode(&pairs)
    }

    /// These parameters with `key` set to `value` (replacing any).
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(k, v)| k != key && !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push((key, value));
        encode(&pairs)
    }

    /// These parameters without `key` (and without empty values).
    pub fn without(&self, key: &str) -> String {
        self.without_any(&[key])
    }

    /// These parameters without any of `keys` (and without empty values).
    pub fn without_any(&self, keys: &[&str]) -> String {
        let pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(k, v)| !keys.contains(&k.as_str()) && !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        encode(&pairs)
    }

    pub fn has(&self, key: &str, value: &str) -> bool {
        self.pairs.iter().any(|(k, v)| k == key && v == value)
    }
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}
