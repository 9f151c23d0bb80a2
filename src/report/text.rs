//! Text clean-up shared by the report readers: Unicode normalisation, bullets, and page chrome
//! (skip links, month headers, survey lines) that saved web pages carry. Pure functions.

use std::sync::LazyLock;

use regex::Regex;

pub use crate::incident::text::{bullet, slug};

/// Normalise a saved page: line endings, non-breaking spaces and hyphens, zero-width characters,
/// curly quotes. Dashes are kept; parsers treat them as separators.
pub fn normalize(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{a0}' | '\u{202f}' | '\u{2007}' | '\u{2009}' | '\u{200a}' | '\t' => out.push(' '),
            '\u{2011}' | '\u{2010}' => out.push('-'),
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {}
            '\u{2018}' | '\u{2019}' | '\u{201b}' | '\u{2032}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201f}' | '\u{2033}' => out.push('"'),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    let mut cleaned: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    cleaned.push('\n');
    cleaned
}

/// Whether a text is hard-wrapped (saved from a page that breaks its lines at about 80
/// columns, as Google Cloud's incident pages and some GitHub and Azure posts are): most of its
/// prose lines are 60 to 82 characters wide and almost none is longer than 100.
pub fn is_hard_wrapped(text: &str) -> bool {
    let prose: Vec<usize> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('|'))
        .map(|l| l.chars().count())
        .collect();
    let wrapped = prose.iter().filter(|n| (60..=82).contains(*n)).count();
    let long = prose.iter().filter(|n| **n > 100).count();
    prose.len() >= 10 && wrapped * 10 >= prose.len() * 4 && long * 20 <= prose.len()
}

/// Whether a line can continue the paragraph of the line before it: not a bullet, numbered
/// item, table row, Markdown heading or a heading of capitals.
fn continues(line: &str) -> bool {
    let t = line.trim();
    let capitals_heading = t.ends_with(':')
        && t.chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
    !t.is_empty()
        && bullet(line).is_none()
        && !t.starts_with(['|', '#'])
        && !numbered(t)
        && !capitals_heading
}

/// "1. ", "2) ", "(3) ": a numbered item.
fn numbered(t: &str) -> bool {
    let t = t.strip_prefix('(').unwrap_or(t);
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && digits <= 2
        && t[digits..].starts_with(['.', ')'])
        && t[digits + 1..].starts_with(' ')
}

/// Join the lines of a hard-wrapped text back into one line per paragraph, so that readers see
/// whole sentences. A line is joined to the next when it does not end a sentence, the next
/// continues the paragraph, and the line is wide (a wrap, not a deliberate break: 45 columns or
/// more) or the next goes on in lower case (after a semicolon too); a word split at a hyphen ("europe-" / "west1-b") is joined without a space.
/// GitHub's layout of a blank line and a leading space before every continuation is read the
/// same way. In a text that is not hard-wrapped a line is joined only to a next that goes on in
/// lower case, or to a list item it continues (a page that broke its source lines anywhere:
/// "• Onboard" / "Azure AD scenarios to …").
pub fn unwrap_hard_wrapped(text: &str) -> String {
    let wrapped = is_hard_wrapped(text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let mut line = lines[i].to_string();
        let list_item = bullet(&line).is_some();
        // The width of the last physical line joined: a short one is a deliberate break.
        let mut width = lines[i].chars().count();
        i += 1;
        loop {
            let ends_sentence = line.ends_with(['.', '!', '?', ':']);
            if ends_sentence || line.trim().is_empty() {
                break;
            }
            // The next line, or (GitHub) the one after a blank line when it starts with a space.
            let next = match (lines.get(i), lines.get(i + 1)) {
                (Some(n), _) if !n.trim().is_empty() => Some((i, *n)),
                (Some(_), Some(n))
                    if wrapped && width >= 45 && n.starts_with(' ') && !n.starts_with("  ") =>
                {
                    Some((i + 1, *n))
                }
                _ => None,
            };
            let Some((at, next)) = next.filter(|(_, n)| continues(n)) else {
                break;
            };
            // A short line is a deliberate break, unless the next goes on mid-sentence (a list
            // item's first words alone on its line: "• Review all service change" /
            // "management processes and …").
            let mid_sentence = next.trim_start().starts_with(char::is_lowercase);
            // A clause ends at a semicolon; the sentence goes on where the next line does in
            // lower case ("… to rapidly roll out globally;" / "instead, such changes will …").
            if line.ends_with(';') && !mid_sentence {
                break;
            }
            // A list item cut after its first word or few ("• Onboard" / "Azure AD …"); a
            // longer item followed by a line of its own (a heading) stays apart.
            let item_cut_short = list_item && line.split_whitespace().count() <= 4;
            let joins = if wrapped {
                width >= 45 || mid_sentence
            } else {
                item_cut_short || mid_sentence
            };
            if !joins {
                break;
            }
            let hyphen = line.ends_with('-')
                && line[..line.len() - 1].ends_with(|c: char| c.is_alphanumeric());
            if !hyphen {
                line.push(' ');
            }
            line.push_str(next.trim_start());
            width = next.chars().count();
            i = at + 1;
        }
        out.push(line);
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

/// A pattern over English prose, compiled with ASCII word boundaries: the regex crate's fast
/// engine cannot search for a Unicode `\b` in text that holds any non-ASCII character (a curly
/// quote, an en dash, which every saved page has) and falls back to a slower one for the whole
/// search. Reports name their verbs and nouns in ASCII, so the boundaries are the same.
///
/// # Panics
///
/// When `pattern` is not a valid regex: the patterns are constants, so a test run finds it.
pub fn prose_regex(pattern: &str) -> Regex {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)")).expect("valid regex")
}

/// The sentences of a paragraph: a stop, then a space and a capital, ends one, unless the stop
/// closes an abbreviation ("U.S.", "e.g.", "Inc.") or a single letter.
pub fn prose_sentences(paragraph: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = paragraph.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next = chars.get(k + 1).map(|x| x.1);
        let after = chars.get(k + 2).map(|x| x.1);
        if next != Some(' ') || !after.is_some_and(|a| a.is_uppercase() || a == '"' || a == '(') {
            continue;
        }
        let word = paragraph[start..at].rsplit(' ').next().unwrap_or("");
        let abbreviation = c == '.'
            && (word.chars().count() <= 1
                || word.contains('.')
                || ["Inc", "Mr", "Ms", "Dr", "vs", "approx", "St", "No"].contains(&word));
        if abbreviation {
            continue;
        }
        out.push(paragraph[start..=at].trim());
        start = at + c.len_utf8();
    }
    let rest = paragraph[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Lines of page chrome that carry nothing of the report.
pub fn is_chrome(line: &str) -> bool {
    static MONTH_HEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\p{L}+\.?\s+\d{4}$").expect("valid regex"));
    static CHROME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"(?i)^(?:",
            r"skip to (?:main )?content|gå til hovedindhold|zum hauptinhalt springen|passer au contenu principal",
            r"|ir al contenido principal|passa al contenuto principale|pular para o conteúdo principal",
            r"|naar hoofdinhoud gaan|przejdź do treści głównej|hoppa till huvudinnehåll|siirry pääsisältöön",
            r"|メイン コンテンツにスキップ|跳到主要内容|跳至主要內容|본문으로 건너뛰기",
            r"|watch our .*video|you can rate this pir|provide feedback:|please help us improve",
            r"|.*quick 3-question survey|stay informed about azure service issues",
            r"|this is our \W*preliminary\W* pir|this is our \W*final\W* pir",
            r"|\d+ min read|• \d+ min read",
            r"|\[?send feedback\]?(?:\(\))?$|all times are (?:us/pacific|utc|pacific time)\.?$",
            r")"
        ))
        .expect("valid regex")
    });
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    // Google Cloud's page footer is a list: "* All times are US/Pacific", "* [Send Feedback]()".
    let t = bullet(t).map_or(t, |(_, item)| item);
    (t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()))
        || MONTH_HEADER.is_match(t)
        || CHROME.is_match(t)
}

/// A note about how the review is published, which marks it as preliminary.
pub fn is_preliminary_note(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("this is our \"preliminary\" pir") || l.contains("this is our preliminary pir")
}

/// Collapse runs of whitespace to one space.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_patterns_find_the_words_unicode_boundaries_find() {
        let pattern = r"(?i)\b(?:we will|restored|at)\b";
        let ascii = prose_regex(pattern);
        let unicode = Regex::new(pattern).expect("valid regex");
        for text in [
            "“We will” restore it – it was restored at 10:00.",
            "Restored—at last; what’s at stake: we willingly wait.",
        ] {
            let found = |r: &Regex| r.find_iter(text).map(|m| m.range()).collect::<Vec<_>>();
            assert_eq!(found(&ascii), found(&unicode), "{text}");
            assert!(!found(&ascii).is_empty(), "{text}");
        }
    }

    #[test]
    fn hard_wrapped_paragraphs_are_read_whole() {
        let wrapped = "\
From Thursday 13 August 2015 to Monday 17 August 2015, errors occurred on a
small proportion of Google Compute Engine persistent disks in the europe-
west1-b zone. The affected disks sporadically returned I/O errors to their
attached GCE instances, and also typically returned errors for management
operations such as snapshot creation.

REMEDIATION AND PREVENTION:

Continue to upgrade our hardware to improve cache data retention during
transient power loss. Implement multiple orthogonal schemes to increase
Persistent Disk data durability for greater resilience. Improve response
procedures for system engineers during possible future incidents.
* a bullet stays a line of its own, even in a wrapped page of many lines
* and so does the next one, however wide the line before it may be wrapped
1. as does a numbered item after a line that could have been continued
• Fixed
the latent code defect (an item's first word alone on its line).
Short lines stay.
As do lines that end a sentence, even when they are as wide as a wrap.
";
        let text = unwrap_hard_wrapped(wrapped);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("From Thursday")
                && lines[0].contains("in the europe-west1-b zone. The affected"),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("snapshot creation."), "{}", lines[0]);
        assert_eq!(lines[2], "REMEDIATION AND PREVENTION:");
        assert!(
            lines[4].starts_with("Continue to upgrade") && lines[4].ends_with("future incidents."),
            "{}",
            lines[4]
        );
        assert!(lines[5].starts_with("* a bullet") && lines[6].starts_with("* and so"));
        assert!(lines[7].starts_with("1. as does"));
        assert_eq!(
            lines[8],
            "• Fixed the latent code defect (an item's first word alone on its line)."
        );
        assert_eq!(lines[9], "Short lines stay.");
        // GitHub: a blank line and a leading space before each continuation.
        let github = format!(
            "{}{}",
            "On Saturday, December 22nd we had a significant outage and we want to take\n\n the time to explain what happened. This was one of the worst outages in\n\n the history of GitHub.\n\n",
            "A line of filler that is about as wide as the wrap of that page was.\n\n".repeat(10)
        );
        let text = unwrap_hard_wrapped(&github);
        assert!(text.starts_with("On Saturday, December 22nd we had a significant outage and we want to take the time to explain what happened. This was one of the worst outages in the history of GitHub.\n"), "{text}");
        // Text that is not wrapped is left alone, but for a list item's lines.
        let azure = "Summary of Impact: Between 18:20 UTC and 18:42 UTC on 07 Oct 2020, a subset of customers may have encountered increased latency across multiple Azure services and regions, for about twenty minutes.\nNext line\nNext in upper case\n";
        assert_eq!(unwrap_hard_wrapped(azure), azure);
        assert_eq!(
            unwrap_hard_wrapped(
                "• Fixed\nthe latent defect.\n• Onboard\nAzure AD\n\nPlease help\nus improve.\nNew.\n"
            ),
            "• Fixed the latent defect.\n• Onboard Azure AD\n\nPlease help us improve.\nNew.\n"
        );
        let heading_after_list = "• Increase test coverage of the controller\nHow can customers make incidents like this less impactful?\n";
        assert_eq!(unwrap_hard_wrapped(heading_after_list), heading_after_list);
    }

    #[test]
    fn normalizes_what_saved_pages_carry() {
        let t = normalize("a\u{a0}b\r\nc\u{2011}d \u{201c}q\u{201d}\u{2019}s \r\n");
        assert_eq!(t, "a b\nc-d \"q\"'s\n");
    }

    #[test]
    fn recognizes_chrome_in_several_languages() {
        for l in [
            "Skip to Main Content",
            "Gå til hovedindhold",
            "juli 2024",
            "April 2024",
            "13",
            "Watch our 'Azure Incident Retrospective' video about this incident:",
            "You can rate this PIR and provide any feedback using our quick 3-question survey:",
        ] {
            assert!(is_chrome(l), "{l}");
        }
        for l in [
            "What happened?",
            "Between 09:00 and 10:48 UTC on 07 Feb 2024",
            "2024",
            "RCA - Azure Front Door",
        ] {
            assert!(!is_chrome(l), "{l}");
        }
    }

    #[test]
    fn bullets_and_slugs() {
        assert_eq!(bullet("  • We have changed"), Some((2, "We have changed")));
        assert_eq!(bullet("- [x] done"), Some((0, "[x] done")));
        assert_eq!(bullet("-1 degrees"), None);
        assert_eq!(
            slug("Azure OpenAI (AOAI) – East US 2", 60),
            "azure-openai-aoai-east-us-2"
        );
        assert_eq!(slug("a very long title indeed", 12), "a-very-long");
    }
}
