//! The search index schema, in one place, with its version. Changing a field here means bumping
//! `SCHEMA_VERSION`, which makes the next ingest rebuild the index from the corpus; so does a
//! catalogue whose analyzer vocabulary differs from the one the index keeps.

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

use super::request::Facet;
use crate::catalog::Vocabulary;
use crate::incident::SectionKind;

/// Bump on any change to the fields below or to what ingest writes into them.
pub const SCHEMA_VERSION: u32 = 8;

/// The analyzer of every text field: words, lowercased, shorthand read as reports write it
/// ("config" is "configuration") and spelled-out names given their short form ("virtual
/// machines" is also "vm"), English stop words out, stemmed.
pub const TEXT_ANALYZER: &str = "en_kb";

/// The analyzer of the `words` field: words as written, lowercased, stop words out; not
/// stemmed, so that its term dictionary holds words a spelling suggestion can offer.
pub const WORDS_ANALYZER: &str = "words_kb";

/// Register the analyzers the schema names; every open of the index must call this.
pub fn register_analyzers(index: &tantivy::Index, vocabulary: &Vocabulary) {
    use tantivy::tokenizer::{
        Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer,
    };
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(super::alias::ShortForms {
            vocabulary: std::sync::Arc::new(vocabulary.lookup()),
        })
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::English) {
        builder = builder.filter_dynamic(stop);
    }
    let analyzer = builder.filter_dynamic(super::stem::MemoStemmer).build();
    index.tokenizers().register(TEXT_ANALYZER, analyzer);
    let mut words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::English) {
        words = words.filter_dynamic(stop);
    }
    index.tokenizers().register(WORDS_ANALYZER, words.build());
}

/// Stored documents are compressed in blocks of about this many bytes. Reading one hit
/// decompresses its whole block; incidents are about 7 kB of JSON, so a small block holds one
/// incident instead of tantivy's default 16 kB holding two or three.
pub const DOCSTORE_BLOCK_BYTES: usize = 4096;

/// How many times each part of an incident is written into the `text` field that plain queries
/// match and score: a match in the title counts three times, in what happened twice. (BM25F
/// weights fields the same way, by scaling their term frequencies; repeating the text does that
/// with one field, so a query is one posting list per word instead of one per word and section.)
pub const TITLE_WEIGHT: usize = 3;

/// How many times a section kind's text is written into `text` (`catalog/sections.toml`).
pub fn text_weight(kind: SectionKind) -> usize {
    crate::catalog::builtin::section_weight(kind).index_weight
}

/// Handles to every field.
#[derive(Debug, Clone)]
pub struct Fields {
    pub id: Field,
    pub hash: Field,
    pub tracking_id: Field,
    pub title: Field,
    /// Title and every section, weighted: what plain queries match and score.
    pub text: Field,
    /// Title and every section once, as written (not stemmed, no positions): the words a
    /// spelling suggestion is chosen from (`index::spelling`).
    pub words: Field,
    /// One text field per section kind, in `SectionKind::ALL` order.
    pub sections: [Field; 6],
    pub impact_start: Field,
    /// Minutes from the impact start to detection and to mitigation, where the review dates
    /// them (fast fields: what response figures across incidents are read from).
    pub detect_minutes: Field,
    pub mitigate_minutes: Field,
    pub facets: [Field; Facet::ALL.len()],
    /// The whole incident as JSON: what result lists and incident pages show.
    pub incident: Field,
}

impl Fields {
    pub fn section(&self, kind: SectionKind) -> Field {
        let i = SectionKind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("every kind has a field");
        self.sections[i]
    }

    pub fn facet(&self, facet: Facet) -> Field {
        self.facets[facet.position()]
    }
}

/// Build the schema: English stemming for text, exact terms for ids, facets per dimension.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let id = b.add_text_field("id", STRING | STORED | FAST);
    let hash = b.add_text_field("hash", STRING | STORED);
    let tracking_id = b.add_text_field("tracking_id", STRING);
    let title = b.add_text_field("title", text.clone());
    let sections = SectionKind::ALL.map(|k| b.add_text_field(k.as_str(), text.clone()));
    let all_text = b.add_text_field("text", text.clone());
    let words = b.add_text_field(
        "words",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS_ANALYZER)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        ),
    );
    let impact_start = b.add_i64_field("impact_start", INDEXED | FAST);
    let detect_minutes = b.add_i64_field("detect_minutes", FAST);
    let mitigate_minutes = b.add_i64_field("mitigate_minutes", FAST);
    let facets = Facet::ALL.map(|f| b.add_facet_field(f.name(), FacetOptions::default()));
    let incident = b.add_text_field("incident", STORED);
    let schema = b.build();
    (
        schema,
        Fields {
            id,
            hash,
            tracking_id,
            title,
            text: all_text,
            words,
            sections,
            impact_start,
            detect_minutes,
            mitigate_minutes,
            facets,
            incident,
        },
    )
}
