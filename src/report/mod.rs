//! Reading reports: bytes of one file in, reviews (or a precise error) out. One reader per
//! format (`azure`, `markdown`, `plain`; `html` lays a page out as text first); all of them are pure and never touch the index or store.

pub mod azure;
pub mod extract;
pub mod heading;
pub mod html;
pub mod markdown;
pub mod milestone;
pub mod plain;
pub mod repair;
pub mod text;
pub mod time;

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::incident::{Milestones, RepairItem, Section, Stage, TimelineEntry};

/// The largest report ingest reads; a larger file is named and skipped.
pub const MAX_REPORT_BYTES: usize = 16 * 1024 * 1024;

/// Why a report could not be read. Each names what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is binary (NUL byte at offset {offset}); save the report as text")]
    Binary { offset: usize },
    #[error(
        "the file is not UTF-8 (invalid byte at offset {offset}); convert it with `iconv -t UTF-8`"
    )]
    InvalidUtf8 { offset: usize },
    #[error("the file is {bytes} bytes, over the {limit}-byte limit for one report; split it")]
    TooLarge { bytes: usize, limit: usize },
    /// The I/O error is kept (as the source); the file's path is the failure's.
    #[error("cannot read the file: {0}")]
    Unreadable(#[source] std::sync::Arc<std::io::Error>),
    #[error("front matter: {0}")]
    FrontMatter(String),
    #[error("no review found: the text has no report content")]
    NoReview,
}

/// Equal when they say the same: an I/O error compares by its kind and message.
impl PartialEq for ReportError {
    fn eq(&self, other: &ReportError) -> bool {
        use ReportError::*;
        match (self, other) {
            (Unreadable(a), Unreadable(b)) => {
                a.kind() == b.kind() && a.to_string() == b.to_string()
            }
            (Empty, Empty) | (NoReview, NoReview) => true,
            (Binary { offset: a }, Binary { offset: b })
            | (InvalidUtf8 { offset: a }, InvalidUtf8 { offset: b }) => a == b,
            (TooLarge { bytes: a, limit: x }, TooLarge { bytes: b, limit: y }) => a == b && x == y,
            (FrontMatter(a), FrontMatter(b)) => a == b,
            _ => false,
        }
    }
}

/// What the Markdown front matter states outright; it wins over what the text implies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub id: Option<String>,
    pub source_url: Option<String>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub causes: Vec<String>,
}

/// One review as a reader returns it, before enrichment gives it an id, facets and a title.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub source: String,
    pub provider: String,
    /// The title the report gives, or empty when it gives none (enrichment makes one).
    pub title: String,
    pub stage: Stage,
    pub tracking_id: Option<String>,
    /// The public address of the original (see `extract::source_url`).
    pub source_url: Option<String>,
    /// The report's own date (its date line or first full date), for ids and titles.
    pub reference_date: Option<Date>,
    pub impact_start: Option<Timestamp>,
    pub impact_end: Option<Timestamp>,
    pub sections: Vec<Section>,
    pub timeline: Vec<TimelineEntry>,
    pub repair_items: Vec<RepairItem>,
    pub milestones: Milestones,
    pub warnings: Vec<String>,
    pub front_matter: Option<FrontMatter>,
}

/// The report formats ingest reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Azure status-history pages (current and legacy layouts).
    Azure,
    /// Markdown postmortems, with optional TOML or YAML front matter.
    Markdown,
    /// Any other plain text: AWS, Google Cloud, GitHub, Wikimedia and blog posts.
    Plain,
}

/// Text of a report file, or why it has none.
pub fn decode(bytes: &[u8]) -> Result<&str, ReportError> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(ReportError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_REPORT_BYTES,
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(ReportError::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ReportError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(ReportError::Empty);
    }
    Ok(text)
}

/// Which reader a file needs, from its extension and its first lines.
pub fn detect(path: &Path, text: &str) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let head = text.trim_start_matches('\u{feff}');
    if matches!(ext.as_str(), "md" | "markdown")
        || head.starts_with("+++")
        || head.starts_with("---\n")
    {
        return Format::Markdown;
    }
    let lower = text.to_ascii_lowercase();
    let azure_layout = lower.lines().any(|l| {
        let l = l.trim();
        l == "what happened?" || l.starts_with("summary of impact") || l.starts_with("tracking id")
    });
    // The layout's headings alone do not make an Azure review: a report in another
    // provider's folder may ask "What happened?" too. (Azure's own entries do not always name
    // Azure, so the words of the text do not decide.)
    let other_provider = plain::folder_provider(path).is_some_and(|p| p != "azure");
    if (azure_layout || lower.contains("summary of impact:")) && !other_provider {
        Format::Azure
    } else {
        Format::Plain
    }
}

/// Every review in one report file. `source` names the file in the reviews and errors.
pub fn parse_file(source: &str, path: &Path, bytes: &[u8]) -> Result<Vec<Draft>, ReportError> {
    let raw = decode(bytes)?;
    let text = if html::is_html(path, raw) {
        text::normalize(&html::to_text(raw))
    } else {
        text::normalize(raw)
    };
    // Text shape before meaning: a hard-wrapped page is read as whole paragraphs (Markdown
    // joins its own soft breaks).
    let drafts = match detect(path, &text) {
        Format::Azure => azure::parse(source, &text::unwrap_hard_wrapped(&text)),
        Format::Markdown => vec![markdown::parse(source, &text)?],
        Format::Plain => vec![plain::parse(
            source,
            path,
            &text::unwrap_hard_wrapped(&text),
        )?],
    };
    if drafts.is_empty() {
        return Err(ReportError::NoReview);
    }
    Ok(drafts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_files_say_why() {
        assert_eq!(decode(b""), Err(ReportError::Empty));
        assert_eq!(decode(b"  \n\n"), Err(ReportError::Empty));
        assert_eq!(decode(b"abc\0def"), Err(ReportError::Binary { offset: 3 }));
        assert_eq!(
            decode(b"ok \xff\xfe"),
            Err(ReportError::InvalidUtf8 { offset: 3 })
        );
        let big = vec![b'a'; MAX_REPORT_BYTES + 1];
        assert!(matches!(decode(&big), Err(ReportError::TooLarge { .. })));
    }

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(detect(Path::new("x.md"), "# Title"), Format::Markdown);
        assert_eq!(
            detect(Path::new("x.txt"), "+++\ntitle = \"x\"\n+++\n"),
            Format::Markdown
        );
        assert_eq!(
            detect(
                Path::new("gcp/x.txt"),
                "Skip\n\nWhat happened?\n\nBetween 10:00 and 11:00 Azure"
            ),
            Format::Plain,
            "another provider's folder"
        );
        assert_eq!(
            detect(
                Path::new("x.txt"),
                "Skip\n\nWhat happened?\n\nBetween, Azure"
            ),
            Format::Azure
        );
        assert_eq!(
            detect(
                Path::new("x.txt"),
                "VMs - Central US\nSummary of impact: Between"
            ),
            Format::Azure
        );
        assert_eq!(
            detect(
                Path::new("x.txt"),
                "Summary of the AWS Service Event\nAt 10:25 PM"
            ),
            Format::Plain
        );
    }
}
