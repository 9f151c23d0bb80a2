//! Figures across the incidents a search's filters select, read from fast fields without
//! loading the incidents: the impact starts, and the minutes from impact start to detection
//! and to mitigation.

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
    /// The impact starts (Unix seconds) of the incidents the request's filters and impact range
    /// select, of those that have one, sorted.
    pub fn impact_starts(&self, req: &SearchRequest) -> Result<Vec<i64>, IndexError> {
        let (_, [mut starts]) = self.fast_values(req, ["impact_start"])?;
        starts.retain(|&s| s != 0);
        starts.sort_unstable();
        Ok(starts)
    }

    /// The response minutes of the incidents the request's filters and impact range select
    /// (its query words are not used).
    pub fn response_minutes(&self, req: &SearchRequest) -> Result<ResponseMinutes, IndexError> {
        let (incidents, [mut detect, mut mitigate]) =
            self.fast_values(req, ["detect_minutes", "mitigate_minutes"])?;
        detect.sort_unstable();
        mitigate.sort_unstable();
        Ok(ResponseMinutes {
            incidents,
            detect,
            mitigate,
        })
    }

    /// The ids of the incidents the request's filters and impact range select.
    pub fn incident_ids(
        &self,
        req: &SearchRequest,
    ) -> Result<std::collections::HashSet<String>, IndexError> {
        let searcher = self.reader.searcher();
        let by_segment = self.selected(&searcher, req)?;
        let mut out = std::collections::HashSet::new();
        for (segment, docs) in searcher.segment_readers().iter().zip(by_segment) {
            let Some(ids) = segment
                .fast_fields()
                .str("id")
                .map_err(tantivy_err(&self.path))?
            else {
                continue;
            };
            let mut id = String::new();
            for doc in docs {
                for ord in ids.term_ords(doc) {
                    if ids.ord_to_str(ord, &mut id).map_err(|e| IndexError::Io {
                        path: self.path.display().to_string(),
                        source: e,
                    })? {
                        out.insert(id.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The documents the request's filters select, per segment.
    fn selected(
        &self,
        searcher: &tantivy::Searcher,
        req: &SearchRequest,
    ) -> Result<Vec<Vec<u32>>, IndexError> {
        let clauses = self.filter_query(req);
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let docs = searcher
            .search(&query, &DocSetCollector)
            .map_err(tantivy_err(&self.path))?;
        let mut by_segment: Vec<Vec<u32>> = vec![Vec::new(); searcher.segment_readers().len()];
        for address in docs {
            by_segment[address.segment_ord as usize].push(address.doc_id);
        }
        Ok(by_segment)
    }

    /// How many incidents the request's filters select, and the values of these i64 fast
    /// fields of those that have them.
    fn fast_values<const N: usize>(
        &self,
        req: &SearchRequest,
        fields: [&str; N],
    ) -> Result<(usize, [Vec<i64>; N]), IndexError> {
        let searcher = self.reader.searcher();
        let by_segment = self.selected(&searcher, req)?;
        let incidents = by_segment.iter().map(Vec::len).sum();
        let mut out: [Vec<i64>; N] = std::array::from_fn(|_| Vec::new());
        for (segment, docs) in searcher.segment_readers().iter().zip(by_segment) {
            let fast = segment.fast_fields();
            for (name, values) in fields.iter().zip(out.iter_mut()) {
                let column = fast.i64(name).map_err(tantivy_err(&self.path))?;
                values.extend(docs.iter().filter_map(|&doc| column.first(doc)));
            }
        }
        Ok((incidents, out))
    }
}
