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
            r")"
        ))
        .expect("valid regex")
    });
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
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
