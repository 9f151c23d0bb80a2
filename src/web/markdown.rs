//! Markdown that people write on the site (repair item notes) as HTML safe to put in a page:
//! rendered by pulldown-cmark, then cleaned by ammonia (no script, style, event handler or
//! `javascript:` link survives; links open without the page as referrer; images are dropped,
//! so that a note cannot make every reader's browser call another site).

use pulldown_cmark::{Options, Parser, html};

/// The HTML of a note: Markdown rendered, then sanitized.
pub fn to_safe_html(markdown: &str) -> String {
    let mut rendered = String::with_capacity(markdown.len() * 2);
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .rm_tags(["img"])
        .clean(&rendered)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_is_rendered_and_what_could_run_is_removed() {
        let html = to_safe_html(
            "**Rolled back** in [OPS-1](https://jira.example/browse/OPS-1)\n\n\
             <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) \
             <a href=\"javascript:alert(4)\">y</a> ![pixel](https://tracker.example/p.png)",
        );
        assert!(html.contains("<strong>Rolled back</strong>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://jira.example/browse/OPS-1" rel="noopener noreferrer nofollow">OPS-1</a>"#),
            "{html}"
        );
        for bad in ["<script", "onerror", "href=\"javascript", "<img"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }
}
