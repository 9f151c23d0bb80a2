//! Words that reports and people write several ways, indexed as one: shorthand people type
//! ("config", "429s", "VMs") is read as the word reports write ("configuration", "429",
//! "vm"), and wherever a name is spelled out ("virtual machines") its short form ("vm") is
//! written at its position too. A query is then plain terms, with no alternatives or phrases
//! to expand (those were the slowest queries), and a snippet highlights the word as written.
//! Which words: the catalogue's vocabulary (`catalog::Vocabulary`), kept with the index.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

use crate::catalog::vocabulary::Lookup;

/// A token filter reading words as the vocabulary says and adding each spelled-out short form
/// as a token of its own (at the first word's position, spanning both words).
#[derive(Clone)]
pub struct ShortForms {
    pub vocabulary: Arc<Lookup>,
}

impl TokenFilter for ShortForms {
    type Tokenizer<T: Tokenizer> = ShortFormsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> ShortFormsFilter<T> {
        ShortFormsFilter {
            inner: tokenizer,
            vocabulary: self.vocabulary,
        }
    }
}

#[derive(Clone)]
pub struct ShortFormsFilter<T> {
    inner: T,
    vocabulary: Arc<Lookup>,
}

impl<T: Tokenizer> Tokenizer for ShortFormsFilter<T> {
    type TokenStream<'a> = ShortFormsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ShortFormsStream {
            vocabulary: &self.vocabulary,
            tail: self.inner.token_stream(text),
            first: None,
            short: Token::default(),
            queued: false,
            on_short: false,
        }
    }
}

/// A first word of a spelled-out name seen, and where.
struct First {
    word: String,
    position: usize,
    offset_from: usize,
    offset_to: usize,
}

pub struct ShortFormsStream<'a, T> {
    vocabulary: &'a Lookup,
    tail: T,
    first: Option<First>,
    /// The short form a second word completed: queued, then handed out on the next advance.
    short: Token,
    queued: bool,
    on_short: bool,
}

impl<T: TokenStream> ShortFormsStream<'_, T> {
    /// After a token from the tail: note a first word, or queue the short form it completes.
    fn look_at_tail_token(&mut self) {
        self.vocabulary.read_as(&mut self.tail.token_mut().text);
        let token = self.tail.token();
        if let Some(first) = self.first.take() {
            // One character between the words: a space, a line break or a hyphen, not ", ".
            let adjacent =
                first.position + 1 == token.position && first.offset_to + 1 == token.offset_from;
            if let Some(short) = adjacent
                .then(|| self.vocabulary.short_form(&first.word, &token.text))
                .flatten()
            {
                self.short = Token {
                    offset_from: first.offset_from,
                    offset_to: token.offset_to,
                    position: first.position,
                    text: short.to_string(),
                    position_length: 2,
                };
                self.queued = true;
                return;
            }
        }
        self.first = self.vocabulary.starts_a_name(&token.text).then(|| First {
            word: token.text.clone(),
            position: token.position,
            offset_from: token.offset_from,
            offset_to: token.offset_to,
        });
    }
}

impl<T: TokenStream> TokenStream for ShortFormsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if self.queued {
            self.queued = false;
            self.on_short = true;
            return true;
        }
        self.on_short = false;
        if !self.tail.advance() {
            return false;
        }
        self.look_at_tail_token();
        true
    }

    fn token(&self) -> &Token {
        if self.on_short {
            &self.short
        } else {
            self.tail.token()
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        if self.on_short {
            &mut self.short
        } else {
            self.tail.token_mut()
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

    use super::ShortForms;
    use crate::catalog::Catalogue;

    /// (text, position, offsets) of every token.
    fn tokens(text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(ShortForms {
                vocabulary: std::sync::Arc::new(Catalogue::bundled().vocabulary().lookup()),
            })
            .build();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn spelled_out_names_gain_their_short_form_over_both_words() {
        let text = "Virtual Machines restarted; VMs and a VM, virtual networks, Azure Front Door.";
        let got = tokens(text);
        let words: Vec<&str> = got.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            words,
            [
                "virtual",
                "machines",
                "vm",
                "restarted",
                "vm",
                "and",
                "a",
                "vm",
                "virtual",
                "networks",
                "azure",
                "front",
                "door",
                "afd"
            ]
        );
        // The short form stands where the name starts and spans it, for highlighting.
        let vm = &got[2];
        assert_eq!((vm.1, &text[vm.2..vm.3]), (0, "Virtual Machines"));
        let afd = got.last().unwrap();
        assert_eq!((afd.1, &text[afd.2..afd.3]), (10, "Front Door"));
    }

    #[test]
    fn shorthand_is_read_as_the_word_reports_write() {
        let words: Vec<String> = tokens("Config certs 429s 5xx 12s DB k8s")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(
            words,
            [
                "configuration",
                "certificates",
                "429",
                "5xx",
                "12s",
                "database",
                "kubernetes"
            ]
        );
    }

    #[test]
    fn only_adjacent_words_make_a_short_form() {
        let words: Vec<String> = tokens("virtual private machine; resource, manager")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert!(!words.iter().any(|w| w == "vm" || w == "arm"), "{words:?}");
    }

    #[test]
    fn indexed_words_are_found_as_reports_write_them() {
        let vocabulary = Catalogue::bundled().vocabulary().clone();
        let forms = |w: &str| vocabulary.written_forms(w);
        assert_eq!(forms("vm"), ["virtual machine", "virtual machines"]);
        assert_eq!(forms("configur"), ["config", "configs"]);
        assert_eq!(forms("memori"), ["oom"]);
        assert!(forms("restart").is_empty() && forms("a").is_empty());
    }
}
