//! The query text, read once into the project's own small tree: words, quoted phrases,
//! `field:` parts and the operators people type (`AND`, `OR`, `NOT`, `+word`, `-word`). A
//! query of nothing but words (most are) is answered by the fast evaluator
//! (`match_set`); anything else is handed to tantivy's query parser as written.

use super::request::MAX_QUERY_CHARS;

/// One part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A word as typed ("429s", "VMs", "GPT-5.2").
    Word(String),
    /// Words in quotes, to be found together.
    Phrase(String),
    /// `field:value`, `value` a word or a quoted phrase.
    Field { field: String, value: String },
    /// `AND`, `OR`, `NOT`, or a word with `+` or `-` in front.
    Operator(String),
    /// Anything else of the query syntax (groups, ranges, wildcards, boosts).
    Syntax(String),
}

/// A query text, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryText {
    /// The text searched: control characters removed, cut to [`MAX_QUERY_CHARS`].
    pub text: String,
    pub parts: Vec<Part>,
    /// Set when the text was cut.
    pub hint: Option<String>,
}

impl QueryText {
    pub fn parse(raw: &str) -> QueryText {
        let mut text: String = raw.chars().filter(|c| !c.is_control()).collect();
        let mut hint = None;
        if text.chars().count() > MAX_QUERY_CHARS {
            text = text.chars().take(MAX_QUERY_CHARS).collect();
            hint = Some(format!(
                "The query was cut to its first {MAX_QUERY_CHARS} characters."
            ));
        }
        let parts = scan(&text);
        QueryText { text, parts, hint }
    }

    /// Whether there is anything to search for.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The words, when the query is nothing but words.
    pub fn words(&self) -> Option<Vec<&str>> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Word(w) => Some(w.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Split a query into its parts.
fn scan(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (part, after) = if let Some(inner) = rest.strip_prefix('"') {
            let end = inner.find('"').unwrap_or(inner.len());
            let after = inner.get(end + 1..).unwrap_or("");
            (Part::Phrase(inner[..end].to_string()), after)
        } else {
            let end = token_end(rest);
            (classify(&rest[..end]), &rest[end..])
        };
        parts.push(part);
        rest = after.trim_start();
    }
    parts
}

/// Where a token ends: at whitespace outside quotes (`title:"a b"` is one token).
fn token_end(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return i,
            _ => {}
        }
    }
    s.len()
}

fn classify(token: &str) -> Part {
    const SYNTAX: &[char] = &['(', ')', '[', ']', '{', '}', '^', '~', '*', '?', '\\', '"'];
    if matches!(token, "AND" | "OR" | "NOT")
        || (token.len() > 1 && (token.starts_with('+') || token.starts_with('-')))
    {
        return Part::Operator(token.to_string());
    }
    if let Some((field, value)) = token.split_once(':')
        && !field.is_empty()
        && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Part::Field {
            field: field.to_string(),
            value: value.trim_matches('"').to_string(),
        };
    }
    if token.contains(SYNTAX) {
        return Part::Syntax(token.to_string());
    }
    Part::Word(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_fields_and_operators() {
        let q = QueryText::parse(
            "VMs restarted \"East US\" title:dns root_cause:\"bad config\" -canary OR (x)",
        );
        assert_eq!(
            q.parts,
            [
                Part::Word("VMs".into()),
                Part::Word("restarted".into()),
                Part::Phrase("East US".into()),
                Part::Field {
                    field: "title".into(),
                    value: "dns".into()
                },
                Part::Field {
                    field: "root_cause".into(),
                    value: "bad config".into()
                },
                Part::Operator("-canary".into()),
                Part::Operator("OR".into()),
                Part::Syntax("(x)".into()),
            ]
        );
        assert_eq!(q.words(), None);
        let q = QueryText::parse("  HTTP 429s, GPT-5.2 ");
        assert_eq!(q.words(), Some(vec!["HTTP", "429s,", "GPT-5.2"]));
        assert!(QueryText::parse(" \t ").is_empty());
    }

    #[test]
    fn a_long_query_is_cut_with_a_hint_and_an_open_quote_runs_to_the_end() {
        let q = QueryText::parse(&"word ".repeat(200));
        assert!(q.hint.is_some() && q.text.chars().count() == MAX_QUERY_CHARS);
        assert_eq!(
            QueryText::parse("\"no end").parts,
            [Part::Phrase("no end".into())]
        );
    }
}
