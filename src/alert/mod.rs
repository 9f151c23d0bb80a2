//! Alerts as the systems that send them write them: a webhook payload of Prometheus
//! Alertmanager (version 4), Grafana alerting, PagerDuty (v3 webhooks), or a plain
//! `{"text", "service", "region"}`, read into one [`Alert`] per alert; and an alert mapped onto
//! the catalogues as the question "which past incidents are like this?". Pure.

use serde_json::{Map, Value};

use crate::catalog::Catalogue;
use crate::index::RelatedQuery;

/// The most alerts of one payload that are answered; the rest are counted, not read.
pub const MAX_ALERTS: usize = 20;
/// The most characters of an alert's text that are read.
const MAX_TEXT: usize = 2_000;

/// Who sent the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Alertmanager,
    Grafana,
    Pagerduty,
    Plain,
}

/// One alert: what it says, and the service and region its labels name (as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: Kind,
    pub title: String,
    pub text: String,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// Why a payload cannot be read: the field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("`{field}` {problem}")]
    Field { field: String, problem: String },
    #[error(
        "this is no alert payload incident-kb reads; send Alertmanager's webhook (version 4: \
         `alerts`, `commonLabels`), Grafana's webhook (`alerts`, `orgId`), PagerDuty's v3 \
         webhook (`event.data`) or {{\"text\": …, \"service\": …, \"region\": …}}"
    )]
    UnknownKind,
}

fn field(field: &str, problem: &str) -> AlertError {
    AlertError::Field {
        field: field.to_string(),
        problem: problem.to_string(),
    }
}

/// Labels that name the service an alert is about, in the order they are trusted.
const SERVICE_LABELS: [&str; 7] = [
    "service",
    "service_name",
    "app",
    "application",
    "component",
    "job",
    "namespace",
];
/// Labels that name where it is.
const REGION_LABELS: [&str; 7] = [
    "region",
    "location",
    "zone",
    "availability_zone",
    "datacenter",
    "dc",
    "cluster_region",
];

/// The alerts of a payload, whichever of the four kinds it is.
pub fn read(payload: &Value) -> Result<Vec<Alert>, AlertError> {
    let Some(top) = payload.as_object() else {
        return Err(AlertError::UnknownKind);
    };
    if let Some(event) = top.get("event") {
        return pagerduty(event).map(|a| vec![a]);
    }
    if let Some(alerts) = top.get("alerts") {
        let kind = if top.contains_key("orgId") {
            Kind::Grafana
        } else {
            if let Some(v) = top.get("version")
                && v.as_str() != Some("4")
            {
                return Err(field(
                    "version",
                    "must be \"4\" (the Alertmanager webhook version read here)",
                ));
            }
            Kind::Alertmanager
        };
        return grouped(kind, top, alerts);
    }
    if let Some(text) = top.get("text") {
        let text = text
            .as_str()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| field("text", "must be a non-empty string"))?;
        return Ok(vec![Alert {
            kind: Kind::Plain,
            title: first_line(text),
            text: cut(text),
            service: optional_string(top, "service", "service")?,
            region: optional_string(top, "region", "region")?,
        }]);
    }
    Err(AlertError::UnknownKind)
}

/// The alert that `/related`, its API and `ikb related` describe with `text`, `service` and
/// `region` (empty: not given): read as the plain payload is, so one rule says what such an
/// alert must hold.
pub fn plain(text: &str, service: &str, region: &str) -> Result<Alert, AlertError> {
    let payload = serde_json::json!({"text": text, "service": service, "region": region});
    let mut alerts = read(&payload)?;
    Ok(alerts.remove(0))
}

/// Alertmanager's and Grafana's payloads: a group of alerts with labels and annotations, and
/// the labels and annotations common to the group.
fn grouped(kind: Kind, top: &Map<String, Value>, alerts: &Value) -> Result<Vec<Alert>, AlertError> {
    let alerts = alerts
        .as_array()
        .ok_or_else(|| field("alerts", "must be a list of alerts"))?;
    if alerts.is_empty() {
        return Err(field("alerts", "is empty: there is no alert to answer"));
    }
    let common_labels = string_map(top, "commonLabels", "commonLabels")?;
    let common_annotations = string_map(top, "commonAnnotations", "commonAnnotations")?;
    let mut out = Vec::new();
    for (i, alert) in alerts.iter().take(MAX_ALERTS).enumerate() {
        let path = format!("alerts[{i}]");
        let alert = alert
            .as_object()
            .ok_or_else(|| field(&path, "must be an object"))?;
        let mut labels = string_map(alert, "labels", &format!("{path}.labels"))?;
        for (k, v) in &common_labels {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let mut annotations = string_map(alert, "annotations", &format!("{path}.annotations"))?;
        for (k, v) in &common_annotations {
            annotations.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let name = labels.get("alertname").cloned().unwrap_or_default();
        let said: Vec<&str> = ["summary", "description", "message"]
            .iter()
            .filter_map(|k| annotations.get(*k).map(String::as_str))
            .collect();
        let text = std::iter::once(name.as_str())
            .chain(said.iter().copied())
            .filter(|t| !t.trim().is_empty())
            .collect::<Vec<_>>()
            .join(". ");
        if text.trim().is_empty() {
            return Err(field(
                &format!("{path}.annotations"),
                "has no summary or description, and the alert no alertname: nothing says what is wrong",
            ));
        }
        let title = said.first().map_or_else(|| name.clone(), |s| first_line(s));
        out.push(Alert {
            kind,
            title: if name.is_empty() || title == name {
                title
            } else {
                format!("{name}: {title}")
            },
            text: cut(&text),
            service: SERVICE_LABELS.iter().find_map(|k| labels.get(*k).cloned()),
            region: REGION_LABELS.iter().find_map(|k| labels.get(*k).cloned()),
        });
    }
    Ok(out)
}

/// PagerDuty's v3 webhook: one event, the incident in `event.data`.
fn pagerduty(event: &Value) -> Result<Alert, AlertError> {
    let event = event
        .as_object()
        .ok_or_else(|| field("event", "must be an object"))?;
    let data = event
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| field("event.data", "must be the incident object"))?;
    let title = data
        .get("title")
        .or_else(|| data.get("summary"))
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| field("event.data.title", "must be a non-empty string"))?;
    let service = data
        .get("service")
        .and_then(|s| s.get("summary"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let text = match &service {
        Some(s) => format!("{title}. {s}"),
        None => title.to_string(),
    };
    Ok(Alert {
        kind: Kind::Pagerduty,
        title: first_line(title),
        text: cut(&text),
        service,
        region: None,
    })
}

fn string_map(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<std::collections::BTreeMap<String, String>, AlertError> {
    let mut out = std::collections::BTreeMap::new();
    match obj.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = v
                    .as_str()
                    .ok_or_else(|| field(&format!("{path}.{k}"), "must be a string"))?;
                out.insert(k.clone(), v.to_string());
            }
        }
        Some(_) => return Err(field(path, "must be an object of strings")),
    }
    Ok(out)
}

fn optional_string(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, AlertError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.chars().take(200).collect())),
        Some(_) => Err(field(path, "must be a string")),
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect()
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

impl Alert {
    /// The alert as a question for the index: its words, and the services and regions its
    /// labels and text name, read through the catalogues ("eastus", "swedencentral",
    /// "us-east-1", a service's aliases; a label such as "azure-openai" read as words).
    pub fn query(&self, catalogue: &Catalogue, limit: usize) -> RelatedQuery {
        // A service label that names a cloud's service ("elb") says whose names the text
        // uses: "load balancer" is then that cloud's, not another's.
        let named = self
            .service
            .as_deref()
            .and_then(|s| catalogue.service_named(s));
        let provider = named.as_ref().map_or("", |(_, of)| of.as_str());
        let mut services = Vec::new();
        let mut regions = Vec::new();
        if let Some((name, _)) = &named {
            services.push(name.clone());
        } else if let Some(s) = &self.service {
            let spaced = s.replace(['-', '_', '.'], " ");
            services.extend(catalogue.services_in(provider, &[(s, 1.0), (&spaced, 1.0)]));
        }
        if let Some(r) = &self.region {
            regions.extend(catalogue.regions_in(provider, &[(r, 1.0)]));
        }
        for s in catalogue.services_in(provider, &[(&self.text, 1.0)]) {
            if !services.contains(&s) {
                services.push(s);
            }
        }
        for r in catalogue.regions_in(provider, &[(&self.text, 1.0)]) {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        let mut text = self.text.clone();
        for extra in [&self.service, &self.region].into_iter().flatten() {
            text.push(' ');
            text.push_str(&extra.replace(['-', '_', '.'], " "));
        }
        RelatedQuery {
            text,
            services,
            regions,
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_is_read_and_unknown_ones_are_named() {
        let am = json!({"version": "4", "status": "firing", "alerts": [{"status": "firing",
            "labels": {"alertname": "HighErrorRate", "service": "azure-openai"},
            "annotations": {"summary": "HTTP 429 from GPT models"}}],
            "commonLabels": {"region": "swedencentral"}});
        let a = &read(&am).unwrap()[0];
        assert_eq!(a.kind, Kind::Alertmanager);
        assert_eq!(a.title, "HighErrorRate: HTTP 429 from GPT models");
        assert_eq!(a.service.as_deref(), Some("azure-openai"));
        assert_eq!(
            a.region.as_deref(),
            Some("swedencentral"),
            "from commonLabels"
        );
        let gr = json!({"orgId": 1, "alerts": [{"labels": {"alertname": "x"}, "annotations": {}}]});
        assert_eq!(read(&gr).unwrap()[0].kind, Kind::Grafana);
        let pd = json!({"event": {"event_type": "incident.triggered", "data": {"title": "Checkout 503s", "service": {"summary": "Payments API"}}}});
        let a = &read(&pd).unwrap()[0];
        assert_eq!(
            (a.kind, a.service.as_deref()),
            (Kind::Pagerduty, Some("Payments API"))
        );
        let plain = json!({"text": "DNS failures", "region": "westeurope"});
        assert_eq!(
            read(&plain).unwrap()[0].region.as_deref(),
            Some("westeurope")
        );
        assert_eq!(read(&json!({"foo": 1})), Err(AlertError::UnknownKind));
        assert_eq!(read(&json!([1])), Err(AlertError::UnknownKind));
    }

    #[test]
    fn malformed_payloads_name_the_field() {
        let e = |v: Value| read(&v).unwrap_err().to_string();
        assert!(e(json!({"alerts": {}})).starts_with("`alerts` must be a list"));
        assert!(e(json!({"alerts": []})).starts_with("`alerts` is empty"));
        assert!(e(json!({"version": "3", "alerts": []})).starts_with("`version` must be \"4\""));
        assert!(
            e(json!({"alerts": [{"labels": {"alertname": 5}}]}))
                .starts_with("`alerts[0].labels.alertname` must be a string")
        );
        assert!(e(json!({"event": {"data": {}}})).starts_with("`event.data.title`"));
        assert!(e(json!({"text": ""})).starts_with("`text` must be a non-empty string"));
        assert!(e(json!({"text": "x", "service": 3})).starts_with("`service` must be a string"));
    }

    #[test]
    fn an_alert_is_read_through_the_catalogues() {
        let c = Catalogue::bundled();
        let a = Alert {
            kind: Kind::Plain,
            title: "t".into(),
            text: "DNS resolution failures from VMs".into(),
            service: Some("azure-dns".into()),
            region: Some("westeurope".into()),
        };
        let q = a.query(&c, 5);
        assert_eq!(q.regions, ["West Europe"]);
        assert!(
            q.services.iter().any(|s| s == "Azure DNS"),
            "{:?}",
            q.services
        );
    }

    #[test]
    fn a_service_label_is_read_whole_and_says_whose_names_the_text_uses() {
        let c = Catalogue::bundled();
        let a = Alert {
            kind: Kind::Plain,
            title: "t".into(),
            text: "load balancer requests failing".into(),
            service: Some("elb".into()),
            region: Some("us-east-1".into()),
        };
        let q = a.query(&c, 5);
        // "elb" in lower case is AWS's "ELB"; "load balancer" is then not Azure's.
        assert_eq!(q.services, ["Elastic Load Balancing"]);
        assert_eq!(q.regions, ["us-east-1"]);
        // A label that is no catalogue name is read as words, of any cloud.
        let a = Alert {
            service: Some("checkout-frontend".into()),
            ..a
        };
        assert_eq!(a.query(&c, 5).services, ["Azure Load Balancer"]);
    }
}
