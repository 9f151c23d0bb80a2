//! HTML reports: a saved page or page fragment parsed with html5ever (through `scraper`) and
//! laid out as the text the other readers read: blocks and headings as paragraphs, list items
//! as `• ` lines, table rows as lines, scripts, styles and navigation dropped. Pure.
//!
//! The layout is the one the text of a saved page has (Azure's status-history text was made
//! from its HTML the same way), so an entry reads the same from either file.

use std::path::Path;

use scraper::{Html, Node};

/// Elements whose content is never report text.
const SKIPPED: [&str; 13] = [
    "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas",
    "select", "nav", "footer",
];

/// Elements that stand as paragraphs of their own.
const BLOCKS: [&str; 27] = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "aside",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "form",
    "fieldset",
    "address",
    "details",
    "summary",
    "hr",
];

/// Elements that end a line without opening a paragraph.
const LINES: [&str; 5] = ["br", "tr", "dt", "dd", "caption"];

/// Whether a file is an HTML page: by its extension, or by a document that says so.
pub fn is_html(path: &Path, text: &str) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "html" | "htm" | "xhtml") {
        return true;
    }
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// The text of an HTML page, laid out as described in the module's documentation.
pub fn to_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let mut out = Layout::default();
    // Walk with open and close edges instead of recursing: nesting depth is the page's.
    let mut skipping = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    if skipping > 0 || SKIPPED.contains(&name) || el.attr("hidden").is_some() {
                        skipping += 1;
                        continue;
                    }
                    out.open(name);
                }
                Node::Text(text) if skipping == 0 => out.text(text),
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                        continue;
                    }
                    out.close(el.name());
                }
            }
        }
    }
    out.finish()
}

/// Text being laid out: finished lines, the line being filled, and whitespace owed to it.
#[derive(Default)]
struct Layout {
    out: String,
    line: String,
    space: bool,
    preformatted: usize,
}

impl Layout {
    fn open(&mut self, name: &str) {
        match name {
            "li" => {
                self.end_line();
                self.line.push_str("• ");
            }
            "pre" => {
                self.end_paragraph();
                self.preformatted += 1;
            }
            "td" | "th" => self.space = true,
            _ if BLOCKS.contains(&name) => self.end_paragraph(),
            _ if LINES.contains(&name) => self.end_line(),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "li" => self.end_line(),
            "pre" => {
                self.preformatted = self.preformatted.saturating_sub(1);
                self.end_paragraph();
            }
            "td" | "th" => self.space = true,
            _ if BLOCKS.contains(&name) => self.end_paragraph(),
            _ if LINES.contains(&name) && name != "br" => self.end_line(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if self.preformatted > 0 && c == '\n' {
                self.end_line();
            } else if self.preformatted > 0 && c.is_whitespace() {
                self.line.push(c);
            } else if c.is_whitespace() {
                self.space = true;
            } else {
                let bare = self.line.is_empty() || self.line == "• ";
                if self.space && !bare {
                    self.line.push(' ');
                }
                self.space = false;
                self.line.push(c);
            }
        }
    }

    fn end_line(&mut self) {
        self.space = false;
        let line = self.line.trim_end();
        if !line.is_empty() && line != "•" {
            self.out.push_str(line);
            self.out.push('\n');
        }
        self.line.clear();
    }

    fn end_paragraph(&mut self) {
        self.end_line();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn finish(mut self) -> String {
        self.end_line();
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        self.out.push('\n');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_lists_and_rows_become_lines() {
        let html = "<!doctype html><html><head><title>t</title><style>p{}</style></head><body>\
            <nav><a href='/'>Home</a></nav><h2>What   happened?</h2>\
            <p><strong>Summary:</strong> Between 10:00\n and 11:00 UTC</p>\
            <ul><li>Fix <a href='https://x'>the thing</a>.</li><li></li><li>Add alerts</li></ul>\
            <table><tr><td>a</td><td>b</td></tr></table><p>one<br>two</p>\
            <script>alert(1)</script><footer>© us</footer></body></html>";
        assert_eq!(
            to_text(html),
            "What happened?\n\nSummary: Between 10:00 and 11:00 UTC\n\n• Fix the thing.\n\
             • Add alerts\n\na b\n\none\ntwo\n"
        );
    }

    #[test]
    fn preformatted_text_keeps_its_lines_and_entities_are_read() {
        assert_eq!(
            to_text("<pre>a  b\nc</pre><p>x &amp; y&nbsp;z</p>"),
            "a  b\nc\n\nx & y z\n"
        );
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let html = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
        assert_eq!(to_text(&html), "deep\n");
    }

    #[test]
    fn html_is_known_by_extension_or_doctype() {
        assert!(is_html(Path::new("a/b.HTML"), "x"));
        assert!(is_html(Path::new("a/b.txt"), "\u{feff} <!DOCTYPE html><p>"));
        assert!(!is_html(Path::new("a/b.txt"), "<div>not a page</div>"));
    }
}
