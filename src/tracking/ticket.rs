//! Ticket references in what people write on a repair item (its link and its notes): Jira
//! keys, GitHub and GitLab issues and pull or merge requests, Linear issues. Pages show them
//! as chips that link the ticket.

use std::sync::LazyLock;

use regex::Regex;

/// Which tracker a ticket is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracker {
    Jira,
    GitHub,
    GitLab,
    Linear,
}

impl Tracker {
    pub fn label(self) -> &'static str {
        match self {
            Tracker::Jira => "Jira",
            Tracker::GitHub => "GitHub",
            Tracker::GitLab => "GitLab",
            Tracker::Linear => "Linear",
        }
    }
}

/// One ticket named in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub tracker: Tracker,
    /// How people say it: `OPS-123`, `owner/repo#45`, `group/project!7`, `ENG-9`.
    pub label: String,
    /// The ticket's address, when the text gives one (a bare Jira key has none).
    pub url: Option<String>,
}

static GITHUB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://github\.com/([\w.-]+/[\w.-]+)/(issues|pull)/(\d+)").expect("regex")
});
static GITLAB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://gitlab\.[\w.-]+/([\w.-]+(?:/[\w.-]+)+)/-/(issues|merge_requests)/(\d+)")
        .expect("regex")
});
static LINEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://linear\.app/[\w.-]+/issue/([A-Z][A-Z0-9]{1,9}-\d+)").expect("regex")
});
/// A Jira issue URL (`…/browse/KEY-1`), or a bare key in upper case.
static JIRA_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://[\w.-]+/browse/([A-Z][A-Z0-9]{1,9}-\d+)").expect("regex")
});
static JIRA_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([A-Z][A-Z0-9]{1,9}-[1-9]\d{0,6})\b").expect("regex"));

/// Words in the key's form that are not tickets (standards, time zones, models).
const NOT_KEYS: [&str; 6] = ["UTF-8", "ISO-8601", "SHA-256", "GPT-4", "RFC-2119", "UTC-5"];

/// The tickets a text names, in order, each once.
pub fn tickets(text: &str) -> Vec<Ticket> {
    let mut found: Vec<(usize, Ticket)> = Vec::new();
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let mut add = |at: std::ops::Range<usize>, ticket: Ticket, found: &mut Vec<(usize, Ticket)>| {
        if taken.iter().any(|r| r.start < at.end && at.start < r.end) {
            return;
        }
        taken.push(at.clone());
        if !found.iter().any(|(_, t)| t.label == ticket.label) {
            found.push((at.start, ticket));
        }
    };
    // Repository issues and pull/merge requests: `owner/repo#45`, `group/project!7`.
    for (re, tracker, request, request_sep) in [
        (&*GITHUB, Tracker::GitHub, "pull", "#"),
        (&*GITLAB, Tracker::GitLab, "merge_requests", "!"),
    ] {
        for c in re.captures_iter(text) {
            let sep = if &c[2] == request { request_sep } else { "#" };
            let whole = c.get(0).expect("match");
            add(
                whole.range(),
                Ticket {
                    tracker,
                    label: format!("{}{sep}{}", &c[1], &c[3]),
                    url: Some(whole.as_str().to_string()),
                },
                &mut found,
            );
        }
    }
    for (re, tracker) in [(&*LINEAR, Tracker::Linear), (&*JIRA_URL, Tracker::Jira)] {
        for c in re.captures_iter(text) {
            let whole = c.get(0).expect("match");
            add(
                whole.range(),
                Ticket {
                    tracker,
                    label: c[1].to_string(),
                    url: Some(whole.as_str().to_string()),
                },
                &mut found,
            );
        }
    }
    for c in JIRA_KEY.captures_iter(text) {
        let key = c.get(1).expect("key");
        if NOT_KEYS.contains(&key.as_str()) {
            continue;
        }
        add(
            key.range(),
            Ticket {
                tracker: Tracker::Jira,
                label: key.as_str().to_string(),
                url: None,
            },
            &mut found,
        );
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tracker_is_recognised_in_links_and_prose() {
        let text = "Fix in OPS-1234, see https://github.com/acme/api/issues/77 and \
                    https://gitlab.example.com/infra/dns/-/merge_requests/12; design at \
                    https://linear.app/acme/issue/ENG-9/retry-budget and \
                    https://acme.atlassian.net/browse/SRE-5. Not UTF-8 nor GPT-4.";
        let got: Vec<(Tracker, String, bool)> = tickets(text)
            .into_iter()
            .map(|t| (t.tracker, t.label, t.url.is_some()))
            .collect();
        assert_eq!(
            got,
            [
                (Tracker::Jira, "OPS-1234".into(), false),
                (Tracker::GitHub, "acme/api#77".into(), true),
                (Tracker::GitLab, "infra/dns!12".into(), true),
                (Tracker::Linear, "ENG-9".into(), true),
                (Tracker::Jira, "SRE-5".into(), true),
            ]
        );
    }

    #[test]
    fn a_key_inside_a_link_is_the_link_once() {
        let t = tickets("https://acme.atlassian.net/browse/OPS-7 (OPS-7)");
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].url.as_deref(),
            Some("https://acme.atlassian.net/browse/OPS-7")
        );
        assert!(tickets("lower-case ops-7 and A-1 are not keys").is_empty());
    }
}
