//! Figures across the incidents a search's filters select, read from fast fields without
//! loading the incidents: the minutes from impact start to detection and to mitigation.

use tantivy::collector::DocSetCollector;
use tantivy::query::{AllQuery, BooleanQuery, Query};

use super::request::SearchRequest;
use super::{IndexError, SearchIndex, tantivy_err};

/// The minutes to detect and to mitigate of every selected incident that dates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseMinutes {
    /// How many incidents the filters select.
    pub incidents: usize,
    pub detect: Vec<i64>,
    pub mitigate: Vec<i64>,
}

impl SearchIndex {
    /// The response minutes of the incidents the request's filters and impact range select
    /// (its query words are not used).
    pub fn response_minutes(&self, req: &SearchRequest) -> Result<ResponseMinutes, IndexError> {
        let searcher = self.reader.searcher();
        let clauses = self.filter_query(req);
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let docs = searcher
            .search(&query, &DocSetCollector)
            .map_err(tantivy_err(&self.path))?;
        let mut out = ResponseMinutes {
            incidents: docs.len(),
            ..ResponseMinutes::default()
        };
        let mut by_segment: Vec<Vec<u32>> = vec![Vec::new(); searcher.segment_readers().len()];
        for address in docs {
            by_segment[address.segment_ord as usize].push(address.doc_id);
        }
        for (segment, docs) in searcher.segment_readers().iter().zip(by_segment) {
            let fast = segment.fast_fields();
            let detect = fast
                .i64("detect_minutes")
                .map_err(tantivy_err(&self.path))?;
            let mitigate = fast
                .i64("mitigate_minutes")
                .map_err(tantivy_err(&self.path))?;
            for doc in docs {
                out.detect.extend(detect.first(doc));
                out.mitigate.extend(mitigate.first(doc));
            }
        }
        out.detect.sort_unstable();
        out.mitigate.sort_unstable();
        Ok(out)
    }
}
