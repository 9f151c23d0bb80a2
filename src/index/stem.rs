//! English stemming with a memo: the Snowball stemmer tantivy's own `Stemmer` runs (frostem),
//! remembering each word's stem per thread. Reports repeat a small vocabulary, so ingest and
//! snippets stem each distinct word about once instead of every time it occurs.

use std::borrow::Cow;
use std::cell::RefCell;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered per thread before the memo starts over (bounds its memory, ~10 MB).
const MEMO_LIMIT: usize = 100_000;

thread_local! {
    // FNV: words are short, and SipHash's setup would cost more than the lookup.
    static MEMO: RefCell<fnv::FnvHashMap<String, String>> = RefCell::new(Default::default());
}

/// The stem of one (lowercase) word, as tantivy's English `Stemmer` gives it.
fn stem_into(stemmer: &frostem::Stemmer, word: &str, out: &mut String) {
    MEMO.with_borrow_mut(|memo| {
        if let Some(stem) = memo.get(word) {
            out.clear();
            out.push_str(stem);
            return;
        }
        let stem = match stemmer.stem(word) {
            Cow::Borrowed(s) => s.to_string(),
            Cow::Owned(s) => s,
        };
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        out.clear();
        out.push_str(&stem);
        memo.insert(word.to_string(), stem);
    })
}

/// A token filter replacing each token by its English stem.
#[derive(Clone, Copy, Default)]
pub struct MemoStemmer;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
            buffer: String::new(),
        }
    }
}

pub struct MemoStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        stem_into(&self.stemmer, &token.text, &mut self.buffer);
        std::mem::swap(&mut token.text, &mut self.buffer);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::MemoStemmer;

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_as_tantivy_does_the_second_time_too() {
        let text = "Virtual machines restarted; restarts, restarting and happily retried \
                    certificates failing. Virtual machines restarted again.";
        let ours = || {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(MemoStemmer)
                .build()
        };
        let theirs = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        let expected = tokens(theirs, text);
        assert!(expected.contains(&"restart".to_string()));
        assert_eq!(tokens(ours(), text), expected);
        assert_eq!(tokens(ours(), text), expected, "from the memo");
    }
}
