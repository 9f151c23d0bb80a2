//! Prometheus metrics at `/metrics`, in the OpenMetrics text format: repair items by status
//! and service, overdue items by service, incidents by provider, index documents, the last
//! ingest and its failures, and requests and their latency per route. Counts of items and
//! incidents are read from the store and the index at each scrape, so they are never stale;
//! requests and ingests are counted as they happen.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::index::{Facet, SearchRequest};
use crate::tracking::{RepairRecord, today};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/incidents/{id}`), never the path a stranger typed.
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    status: String,
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

/// What the server counts as it runs; shared by every worker.
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    ingests: Family<OutcomeLabels, Counter>,
    last_ingest: Gauge<f64, AtomicU64>,
    last_ingest_failures: Gauge,
    ingested: std::sync::atomic::AtomicBool,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            ingests: Family::default(),
            last_ingest: Gauge::default(),
            last_ingest_failures: Gauge::default(),
            ingested: Default::default(),
        }
    }
}

/// The methods a label may name; anything else is "other", so a stranger cannot grow the
/// label set.
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" => method,
        _ => "other",
    }
}

impl Metrics {
    /// Count one answered request. `route` is the matched route's pattern, or `None` for a
    /// path no route serves.
    pub fn observe_request(&self, method: &str, route: Option<&str>, status: u16, took: Duration) {
        let method = method_label(method).to_string();
        let route = route.unwrap_or("unmatched").to_string();
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(took.as_secs_f64());
    }

    /// Record an ingest: when it ended, whether it failed, how many reports it skipped.
    pub fn observe_ingest(&self, failed_reports: Option<usize>) {
        let now = jiff::Timestamp::now();
        self.last_ingest
            .set(now.as_second() as f64 + f64::from(now.subsec_millisecond()) / 1000.0);
        let outcome = match failed_reports {
            Some(n) => {
                self.last_ingest_failures.set(n as i64);
                "ok"
            }
            None => "error",
        };
        self.ingests
            .get_or_create(&OutcomeLabels {
                outcome: outcome.into(),
            })
            .inc();
        self.ingested
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Repair items per (status, primary service), and overdue ones per service, as the
/// follow-up pages count them (items gone from their review count while people track them).
fn repair_families(
    records: &[RepairRecord],
) -> (Family<ItemLabels, Gauge>, Family<ServiceLabels, Gauge>) {
    let items = Family::<ItemLabels, Gauge>::default();
    let overdue = Family::<ServiceLabels, Gauge>::default();
    let today = today();
    for r in records {
        if r.retired && r.tracking == Default::default() {
            continue;
        }
        let service = r.services.first().cloned().unwrap_or_else(|| "none".into());
        items
            .get_or_create(&ItemLabels {
                status: r.status().as_str().into(),
                service: service.clone(),
            })
            .inc();
        let late = overdue.get_or_create(&ServiceLabels { service });
        if r.overdue(today) {
            late.inc();
        }
    }
    (items, overdue)
}

/// The Prometheus text format (0.0.4) of an OpenMetrics text: a counter's HELP and TYPE name
/// its `_total` samples, and the UNIT and EOF lines go. For scrapers and linters that read only
/// that format (`promtool check metrics`); the client library writes only OpenMetrics.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].into_iter().find_map(|tag| {
            let rest = line.strip_prefix(tag)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{tag}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Everything `/metrics` answers, encoded as OpenMetrics text.
pub fn render(state: &super::AppState) -> Result<String, super::error::WebError> {
    let m = &state.metrics;
    let mut registry = Registry::with_prefix("ikb");
    registry.register(
        "http_requests",
        "Requests answered, by method, route and status",
        m.requests.clone(),
    );
    registry.register_with_unit(
        "http_request_duration",
        "Time to answer a request, by method and route",
        Unit::Seconds,
        m.latency.clone(),
    );
    registry.register(
        "ingests",
        "Ingests this process ran, by outcome",
        m.ingests.clone(),
    );
    // Absent until this process ingests (a server that opens an existing index does not).
    if m.ingested.load(std::sync::atomic::Ordering::Acquire) {
        registry.register_with_unit(
            "last_ingest_timestamp",
            "When this process last ingested the corpus (Unix time)",
            Unit::Seconds,
            m.last_ingest.clone(),
        );
        registry.register(
            "last_ingest_failed_reports",
            "Reports the last ingest of this process could not read",
            m.last_ingest_failures.clone(),
        );
    }

    let records = state.store.all()?;
    let (items, overdue) = repair_families(&records);
    registry.register(
        "repair_items",
        "Repair items by tracking status and the primary service of their incident",
        items,
    );
    registry.register(
        "repair_items_overdue",
        "Open repair items whose due month has passed, by primary service",
        overdue,
    );

    let searcher = state.index.reader.searcher();
    let documents: Gauge = Gauge::default();
    documents.set(searcher.num_docs() as i64);
    registry.register(
        "index_documents",
        "Incidents in the search index",
        documents,
    );
    let results = state.index.search(&SearchRequest {
        limit: 0,
        ..SearchRequest::default()
    })?;
    let providers = Family::<ProviderLabels, Gauge>::default();
    let counts: BTreeMap<&str, u64> = results
        .counts(Facet::Provider)
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    for (provider, count) in counts {
        providers
            .get_or_create(&ProviderLabels {
                provider: provider.into(),
            })
            .set(count as i64);
    }
    registry.register("incidents", "Incidents by provider", providers);

    let mut out = String::new();
    encode(&mut out, &registry).map_err(|e| {
        super::error::WebError::Internal(format!("the metrics could not be written: {e}"))
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prometheus_text_names_counters_by_their_samples() {
        let om = "# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests_total 3\n\
                  # HELP x_seconds Time.\n# TYPE x_seconds gauge\n# UNIT x_seconds seconds\n\
                  x_seconds 1.5\n# EOF\n";
        assert_eq!(
            prometheus_text(om),
            "# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\n\
             x_requests_total 3\n# HELP x_seconds Time.\n# TYPE x_seconds gauge\nx_seconds 1.5\n"
        );
    }

    #[test]
    fn strangers_cannot_grow_the_label_set() {
        let m = Metrics::default();
        m.observe_request("BREW", None, 404, Duration::from_millis(3));
        m.observe_request(
            "GET",
            Some("/incidents/{id}"),
            200,
            Duration::from_millis(3),
        );
        let mut registry = Registry::default();
        registry.register("http_requests", "x", m.requests.clone());
        let mut out = String::new();
        encode(&mut out, &registry).unwrap();
        assert!(
            out.contains(r#"method="other",route="unmatched",status="404""#),
            "{out}"
        );
        assert!(out.contains(r#"route="/incidents/{id}""#), "{out}");
    }
}
