//! The text format of a section, shared by the readers that write it and the pages that show
//! it: one paragraph per line, list items marked with a bullet; and the slugs that ids and
//! anchors are made of.

/// The text of a bullet line without its marker ("• x", "- x", "* x", "· x"), and its indent.
pub fn bullet(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    for marker in ["•", "·", "◦", "▪", "- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(marker) {
            return Some((indent, rest.trim()));
        }
    }
    None
}

/// Slug for ids and anchors: lowercase ASCII letters and digits joined by single dashes.
pub fn slug(s: &str, max_len: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if out.len() > max_len {
        out.truncate(max_len);
        if let Some(i) = out.rfind('-') {
            out.truncate(i);
        }
    }
    out
}

/// A paragraph, or a run of list items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block<'a> {
    Paragraph(&'a str),
    List(Vec<&'a str>),
}

/// The paragraphs and lists of a section's text, in order.
pub fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match (bullet(line), out.last_mut()) {
            (Some((_, t)), Some(Block::List(items))) => items.push(t),
            (Some((_, t)), _) => out.push(Block::List(vec![t])),
            (None, _) => out.push(Block::Paragraph(line.trim())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_paragraphs_and_lists() {
        let text = "First line.\n• one\n- two\n\nSecond paragraph.\n* three";
        assert_eq!(
            blocks(text),
            [
                Block::Paragraph("First line."),
                Block::List(vec!["one", "two"]),
                Block::Paragraph("Second paragraph."),
                Block::List(vec!["three"]),
            ]
        );
        assert_eq!(
            slug("Azure Front Door: what happened?", 20),
            "azure-front-door"
        );
    }
}
