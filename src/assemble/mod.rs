//! From drafts to incidents: give each review its facets, title and stable id, then gather the
//! reviews of one incident (preliminary and final) into one incident with revisions. Pure.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};

use crate::catalog::Catalogue;
use crate::incident::{Incident, RepairItem, Review, SectionKind};
use crate::report::Draft;
use crate::report::text::slug;

fn short_hash(s: &str, bytes: usize) -> String {
    Sha256::digest(s.as_bytes())[..bytes]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn date_words(d: jiff::civil::Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// An id made of URL-safe characters only.
fn safe_id(s: &str) -> String {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_string();
    if cleaned.is_empty() {
        slug(s, 80)
    } else {
        cleaned
    }
}

/// Complete a draft: facets from the catalogue (the front matter's word wins), a title when the
/// report has none, and the incident id.
pub fn enrich(draft: Draft, catalogue: &Catalogue) -> Review {
    let summary = {
        let parts: Vec<&str> = draft
            .sections
            .iter()
            .filter(|s| s.kind == SectionKind::WhatHappened)
            .map(|s| s.text.as_str())
            .collect();
        parts.join("\n")
    };
    let root_cause = {
        let parts: Vec<&str> = draft
            .sections
            .iter()
            .filter(|s| s.kind == SectionKind::RootCause)
            .map(|s| s.text.as_str())
            .collect();
        parts.join("\n")
    };
    let rest = {
        let parts: Vec<&str> = draft
            .sections
            .iter()
            .filter(|s| !matches!(s.kind, SectionKind::WhatHappened | SectionKind::RootCause))
            .map(|s| s.text.as_str())
            .collect();
        parts.join("\n")
    };
    let first_paragraph = summary.split("\n\n").next().unwrap_or("");
    let first_sentence = first_paragraph.split(". ").next().unwrap_or("");
    let weighted: [(&str, f32); 5] = [
        (&draft.title, 5.0),
        (first_sentence, 2.0),
        (&summary, 1.0),
        (&root_cause, 0.75),
        (&rest, 0.1),
    ];
    let fm = draft.front_matter.clone().unwrap_or_default();
    let services = if fm.services.is_empty() {
        let mut found = catalogue.services_in(&draft.provider, &weighted[..4]);
        // What the review is about: the service its title names, else the first its opening
        // paragraph names, before the one mentioned most.
        let about = [draft.title.as_str(), first_paragraph]
            .into_iter()
            .find_map(|t| catalogue.first_service_in(&draft.provider, t));
        if let Some(at) = about.and_then(|a| found.iter().position(|s| *s == a)) {
            let primary = found.remove(at);
            found.insert(0, primary);
        }
        found.truncate(12);
        found
    } else {
        fm.services
            .iter()
            .map(|s| catalogue.canonical_service(s))
            .collect()
    };
    let regions = if fm.regions.is_empty() {
        let mut found = catalogue.regions_in(&draft.provider, &weighted[..3]);
        if found.is_empty() {
            found = catalogue.regions_in(&draft.provider, &weighted[3..]);
        }
        found
    } else {
        fm.regions
            .iter()
            .map(|r| catalogue.canonical_region(r))
            .collect()
    };
    let causes = if fm.causes.is_empty() {
        let text = if root_cause.trim().is_empty() {
            format!("{summary}\n{rest}")
        } else {
            root_cause.clone()
        };
        catalogue.causes_in(&text)
    } else {
        fm.causes.clone()
    };

    let day = draft
        .impact_start
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .or(draft.reference_date);
    let title = if draft.title.trim().is_empty() {
        let place = match regions.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            _ => Some("multiple regions".to_string()),
        };
        let what = services.first().cloned().or_else(|| {
            let s: String = first_sentence.chars().take(80).collect();
            (!s.is_empty()).then_some(s)
        });
        let parts: Vec<String> = [what, place, day.map(date_words)]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            "Untitled incident".to_string()
        } else {
            parts.join(" – ")
        }
    } else {
        draft.title.clone()
    };

    let id = if let Some(id) = fm.id.as_deref() {
        safe_id(id)
    } else if let Some(t) = &draft.tracking_id {
        safe_id(t)
    } else {
        let date = day.map(|d| d.to_string());
        let name = services
            .first()
            .map(|s| slug(s, 40))
            .filter(|s| !s.is_empty());
        match (date, name) {
            (Some(d), Some(n)) => format!("{d}-{n}"),
            (Some(d), None) => format!("{d}-{}", slug(&title, 40)),
            (None, _) if !draft.title.is_empty() => slug(&draft.title, 60),
            (None, _) => format!("incident-{}", short_hash(&summary, 4)),
        }
    };
    let repair_items = draft
        .repair_items
        .into_iter()
        .map(|i| RepairItem {
            id: format!("{id}-{}", i.id),
            ..i
        })
        .collect();
    Review {
        id,
        title,
        source: draft.source,
        source_url: draft.source_url,
        provider: draft.provider,
        stage: draft.stage,
        tracking_id: draft.tracking_id,
        impact_start: draft.impact_start,
        impact_end: draft.impact_end,
        services,
        regions,
        causes,
        sections: draft.sections,
        timeline: draft.timeline,
        repair_items,
        milestones: draft.milestones,
        warnings: draft.warnings,
    }
}

fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// Word overlap of two repair items' texts (Jaccard index).
fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(&b).count() as f32 / union as f32
    }
}

/// A later review rewords an item a little ("We removed" → "We have removed"): it keeps the
/// earlier review's id, so its tracking state carries over.
fn inherit_item_ids(earlier: &[RepairItem], later: &mut [RepairItem]) {
    let mut taken: HashSet<usize> = later
        .iter()
        .filter_map(|l| earlier.iter().position(|e| e.id == l.id))
        .collect();
    for item in later.iter_mut() {
        if earlier.iter().any(|e| e.id == item.id) {
            continue;
        }
        let best = earlier
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken.contains(i))
            .map(|(i, e)| (i, similarity(&e.text, &item.text)))
            .filter(|(_, s)| *s >= 0.6)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = best {
            taken.insert(i);
            item.id = earlier[i].id.clone();
        }
    }
}

fn content_key(r: &Review) -> String {
    let text: Vec<&str> = r.sections.iter().map(|s| s.text.as_str()).collect();
    short_hash(&text.join("\n"), 8)
}

/// Gather reviews into incidents: one incident per id, its reviews in stage order. The same
/// review saved twice counts once; two different reviews of one stage that share a derived id
/// are different incidents, told apart by a hash of their text (so the result does not depend
/// on file order).
pub fn incidents(reviews: Vec<Review>) -> Vec<Incident> {
    let mut groups: BTreeMap<String, Vec<Review>> = BTreeMap::new();
    for r in reviews {
        groups.entry(r.id.clone()).or_default().push(r);
    }
    let mut out: BTreeMap<String, Vec<Review>> = BTreeMap::new();
    for (id, mut group) in groups {
        group.sort_by(|a, b| {
            a.stage
                .cmp(&b.stage)
                .then_with(|| content_key(a).cmp(&content_key(b)))
        });
        group.dedup_by(|a, b| content_key(a) == content_key(b));
        let mut seen_stages = HashSet::new();
        for mut r in group {
            if !seen_stages.insert(r.stage) {
                let new_id = format!("{id}-{}", &content_key(&r)[..6]);
                for item in &mut r.repair_items {
                    item.id = item.id.replacen(&id, &new_id, 1);
                }
                r.id = new_id;
                r.warnings.push(format!("another review of the same stage shares the id {id}; this one was given its own"));
            }
            out.entry(r.id.clone()).or_default().push(r);
        }
    }
    out.into_iter()
        .map(|(id, mut reviews)| {
            reviews.sort_by_key(|r| r.stage);
            for i in 1..reviews.len() {
                let (earlier, later) = reviews.split_at_mut(i);
                inherit_item_ids(&earlier[i - 1].repair_items, &mut later[0].repair_items);
            }
            Incident { id, reviews }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::ReportedStatus;

    fn item(id: &str, text: &str) -> RepairItem {
        RepairItem {
            id: id.into(),
            text: text.into(),
            reported_status: ReportedStatus::None,
            due: vec![],
        }
    }

    #[test]
    fn reworded_items_keep_their_ids_and_new_ones_get_their_own() {
        let earlier = [
            item("a", "We removed incorrect metadata tags on the resources"),
            item("b", "Something else entirely"),
        ];
        let mut later = [
            item(
                "x",
                "We have removed incorrect metadata tags on the resources",
            ),
            item("y", "A brand new promise"),
        ];
        inherit_item_ids(&earlier, &mut later);
        assert_eq!((later[0].id.as_str(), later[1].id.as_str()), ("a", "y"));
    }

    #[test]
    fn the_primary_service_is_what_the_title_or_opening_names_not_the_most_mentioned() {
        let draft = |title: &str, summary: &str| Draft {
            source: "x.txt".into(),
            source_url: None,
            provider: "gcp".into(),
            title: title.into(),
            stage: crate::incident::Stage::Final,
            tracking_id: None,
            reference_date: None,
            impact_start: None,
            impact_end: None,
            sections: vec![crate::incident::Section {
                kind: SectionKind::WhatHappened,
                heading: "Summary".into(),
                text: summary.into(),
            }],
            timeline: vec![],
            repair_items: vec![],
            milestones: Default::default(),
            warnings: vec![],
            front_matter: None,
        };
        let c = Catalogue::bundled();
        let text = "On Tuesday, Google Compute Engine instances could not reach the internet.\n\n\
                    Google App Engine apps failed. Google App Engine retried. Google App Engine \
                    failed again. Google App Engine \
                    recovered.";
        let r = enrich(draft("", text), &c);
        assert_eq!(
            r.primary_service(),
            Some("Google Compute Engine"),
            "{:?}",
            r.services
        );
        assert!(r.services.contains(&"Google App Engine".to_string()));
        let r = enrich(draft("Google Cloud Storage errors", text), &c);
        assert_eq!(
            r.primary_service(),
            Some("Google Cloud Storage"),
            "{:?}",
            r.services
        );
    }

    #[test]
    fn ids_are_url_safe() {
        assert_eq!(safe_id("INC 12/34"), "INC1234");
        assert_eq!(safe_id("../../etc"), "etc");
    }
}
