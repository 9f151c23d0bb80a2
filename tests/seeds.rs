//! Golden tests on the five seed reports: the incidents, their impact windows, stages, regions,
//! primary services and every repair item with its reported status.

mod common;

use incident_kb::incident::{Incident, ReportedStatus, SectionKind, Stage};

fn incident<'a>(all: &'a [Incident], id: &str) -> &'a Incident {
    all.iter().find(|i| i.id == id).unwrap_or_else(|| {
        panic!(
            "no incident {id}; have {:?}",
            all.iter().map(|i| &i.id).collect::<Vec<_>>()
        )
    })
}

fn statuses(i: &Incident) -> Vec<ReportedStatus> {
    i.current()
        .repair_items
        .iter()
        .map(|r| r.reported_status)
        .collect()
}

fn ts(s: &str) -> Option<jiff::Timestamp> {
    Some(s.parse().unwrap())
}

#[test]
fn the_seeds_give_eleven_reviews_and_ten_incidents() {
    let read = common::read_seeds();
    assert!(read.failures.is_empty(), "{:?}", read.failures);
    assert_eq!(read.files, 5);
    assert_eq!(read.reviews, 11);
    assert_eq!(read.incidents.len(), 10);
}

#[test]
fn azure_openai_13_july_2024_is_one_incident_with_a_preliminary_and_a_final_review() {
    let read = common::read_seeds();
    let i = incident(&read.incidents, "2024-07-13-azure-openai");
    let stages: Vec<Stage> = i.reviews.iter().map(|r| r.stage).collect();
    assert_eq!(stages, [Stage::Preliminary, Stage::Final]);
    let r = i.current();
    assert!(
        r.source.ends_with("azure-2024-07-13-openai-final.txt"),
        "{}",
        r.source
    );
    assert_eq!(r.primary_service(), Some("Azure OpenAI"));
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-07-13T00:00:00Z"), ts("2024-07-15T16:54:00Z"))
    );
    assert_eq!(r.regions.len(), 15, "{:?}", r.regions);
    assert!(
        r.regions.iter().any(|x| x == "North Central US")
            && !r.regions.iter().any(|x| x == "Central US")
    );
    use ReportedStatus::*;
    assert_eq!(
        statuses(i),
        [
            Completed, Completed, Completed, Completed, Estimated, Estimated, Estimated, Estimated,
            Estimated
        ]
    );
    assert_eq!(r.repair_items[4].due[0].to_string(), "2024-08");
    assert_eq!(r.repair_items[8].due[0].to_string(), "2024-12");
    assert_eq!(r.timeline.len(), 24);
    assert!(r.timeline.iter().all(|t| t.warning.is_none()));
    // The preliminary review's items were TBD; the final one dates them, and the ids carry over.
    let prelim = &i.reviews[0];
    assert_eq!(prelim.repair_items.len(), 8);
    assert!(
        prelim.repair_items[4..]
            .iter()
            .all(|x| x.reported_status == Tbd)
    );
    let carried = prelim
        .repair_items
        .iter()
        .filter(|p| r.repair_items.iter().any(|f| f.id == p.id))
        .count();
    assert_eq!(
        carried, 8,
        "every preliminary item is found again in the final review"
    );
}

#[test]
fn managed_identity_australia_east() {
    let read = common::read_seeds();
    let i = incident(
        &read.incidents,
        "2024-07-12-managed-identities-for-azure-resources",
    );
    let r = i.current();
    assert_eq!(r.stage, Stage::Preliminary);
    assert_eq!(
        r.primary_service(),
        Some("Managed identities for Azure resources")
    );
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-07-12T00:55:00Z"), ts("2024-07-12T06:28:00Z"))
    );
    assert_eq!(r.regions, ["Australia East"]);
    use ReportedStatus::*;
    assert_eq!(
        statuses(i),
        [
            Completed, Completed, Estimated, Estimated, Estimated, Estimated, Estimated
        ]
    );
    assert!(r.repair_items[2..].iter().all(|x| {
        x.due
            .iter()
            .map(|d| d.to_string())
            .eq(["2024-07".to_string()])
    }));
}

#[test]
fn azure_china_dns_reads_cst_as_china_standard_time() {
    let read = common::read_seeds();
    let i = incident(&read.incidents, "2024-04-22-azure-dns");
    let r = i.current();
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-04-22T19:45:00Z"), ts("2024-04-22T22:00:00Z"))
    );
    assert_eq!(r.stage, Stage::Final);
    assert_eq!(r.primary_service(), Some("Azure DNS"));
    assert_eq!(r.regions, ["China East 2", "China East 3"]);
    assert!(r.causes.iter().any(|c| c == "dns"), "{:?}", r.causes);
    use ReportedStatus::*;
    // "We have suspended any further runs of this domain lifecycle process …": no marker, but
    // the item says it is done.
    assert_eq!(statuses(i), [Completed, Estimated, Estimated]);
    assert_eq!(
        r.timeline.first().and_then(|t| t.at),
        ts("2024-04-22T19:45:00Z")
    );
    assert_eq!(r.sections_of(SectionKind::CustomerGuidance).count(), 1);
}

#[test]
fn azure_resource_manager_january_2024() {
    let read = common::read_seeds();
    let i = incident(&read.incidents, "2024-01-21-azure-resource-manager");
    let r = i.current();
    assert_eq!(r.stage, Stage::Final);
    assert_eq!(r.primary_service(), Some("Azure Resource Manager"));
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-01-21T01:30:00Z"), ts("2024-01-21T08:58:00Z"))
    );
    assert!(r.regions.iter().any(|x| x == "West Europe"));
    use ReportedStatus::*;
    assert_eq!(
        statuses(i),
        [
            Completed, Completed, Completed, Completed, Estimated, Estimated, Estimated, Estimated,
            Estimated, Estimated, Estimated
        ]
    );
    assert_eq!(r.repair_items[10].due[0].to_string(), "2024-03");
    // "20 January 2024 @ 21:00 UTC" comes before the impact start: timeline keeps the report's order.
    assert_eq!(r.timeline.len(), 14);
    assert_eq!(r.timeline[0].at, ts("2024-01-20T21:00:00Z"));
    // "At 01:59 UTC, our monitoring detected ..." is prose beside the bulleted steps, not a step.
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn azure_resource_manager_february_2024_is_a_preliminary_legacy_entry() {
    let read = common::read_seeds();
    let i = incident(&read.incidents, "2024-02-07-azure-portal");
    let r = i.current();
    assert_eq!(r.stage, Stage::Preliminary);
    // Two occurrences: the window spans both.
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-02-07T09:00:00Z"), ts("2024-02-08T10:30:00Z"))
    );
    assert_eq!(r.regions, ["West Europe"]);
    assert!(r.services.iter().any(|s| s == "Azure Resource Manager"));
    let kinds: Vec<SectionKind> = r.sections.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SectionKind::WhatHappened,
            SectionKind::RootCause,
            SectionKind::Response,
            SectionKind::RepairItems
        ]
    );
}

#[test]
fn central_us_july_2024_is_an_initial_statement_with_a_backwards_timeline_step() {
    let read = common::read_seeds();
    let i = incident(&read.incidents, "2024-07-18-virtual-machines");
    let r = i.current();
    assert_eq!(r.stage, Stage::InitialStatement);
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2024-07-18T21:56:00Z"), ts("2024-07-19T12:15:00Z"))
    );
    assert_eq!(r.regions, ["Central US"]);
    assert!(
        r.repair_items.is_empty(),
        "notes about the review process are not repair items"
    );
    let warned: Vec<_> = r.timeline.iter().filter(|t| t.warning.is_some()).collect();
    assert_eq!(
        warned.len(),
        1,
        "00:45 UTC on 18 July comes after 23:35 on 18 July"
    );
    assert_eq!(warned[0].at, ts("2024-07-18T00:45:00Z"));
    assert_eq!(r.warnings.len(), 1);
}

#[test]
fn the_2026_reviews_take_tracking_ids_from_links_and_keep_empty_sections_empty() {
    let read = common::read_seeds();
    let gpt = incident(&read.incidents, "8GCS-858");
    let r = gpt.current();
    assert_eq!(r.tracking_id.as_deref(), Some("8GCS-858"));
    assert_eq!(
        (r.impact_start, r.impact_end),
        (ts("2026-03-09T23:20:00Z"), ts("2026-03-10T19:32:00Z"))
    );
    assert_eq!(r.primary_service(), Some("Azure OpenAI"));
    assert_eq!(r.regions.len(), 7);
    let response: Vec<_> = r.sections_of(SectionKind::Response).collect();
    assert_eq!(response.len(), 1);
    assert_eq!(
        response[0].text, "",
        "a heading followed at once by the next heading stays empty"
    );
    assert!(r.repair_items.is_empty());
    let power = incident(&read.incidents, "_SVS-5_G");
    assert_eq!(power.current().regions, ["West US"]);
    assert!(power.current().causes.iter().any(|c| c == "power-cooling"));
    let vm = incident(&read.incidents, "FNJ8-VQZ");
    assert_eq!(
        vm.current().impact_end,
        ts("2026-02-03T06:05:00Z"),
        "the second window of the review ends later"
    );
}

#[test]
fn the_2012_leap_day_blog_post() {
    let read = common::read_seeds();
    let i = read
        .incidents
        .iter()
        .find(|i| i.current().title.contains("Feb 29th, 2012"))
        .expect("leap day post");
    let r = i.current();
    assert_eq!(
        r.impact_start,
        ts("2012-02-29T00:00:00Z"),
        "4:00PM PST, February 28th"
    );
    assert_eq!(r.stage, Stage::Final);
    assert!(
        r.causes.iter().any(|c| c == "certificate-time"),
        "{:?}",
        r.causes
    );
    let texts: Vec<&str> = r
        .repair_items
        .iter()
        .map(|x| x.text.split('.').next().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Testing",
            "Fault Isolation",
            "Graceful Degradation",
            "Fail Fast",
            "Service Dashboard",
            "Customer Support",
            "Other Communication Channels",
            "Internal tooling",
            "Dependency priorities",
            "Visibility"
        ]
    );
    assert!(
        r.repair_items
            .iter()
            .all(|x| x.reported_status == ReportedStatus::None)
    );
}

#[test]
fn ids_are_stable_and_independent_of_file_names_and_order() {
    let first = common::read_seeds();
    let tmp = tempfile::tempdir().unwrap();
    // The same reports under other names, in another order.
    for (n, entry) in std::fs::read_dir(common::seeds_dir()).unwrap().enumerate() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tmp.path().join(format!("{}-renamed-{n}.txt", 9 - n))).unwrap();
    }
    let second = incident_kb::ingest::corpus::read(
        &[tmp.path().to_path_buf()],
        &incident_kb::catalog::Catalogue::bundled(),
        |_, _, _| {},
    )
    .unwrap();
    let ids = |r: &incident_kb::ingest::corpus::CorpusRead| {
        let mut v: Vec<(String, Vec<String>)> = r
            .incidents
            .iter()
            .map(|i| {
                (
                    i.id.clone(),
                    i.current()
                        .repair_items
                        .iter()
                        .map(|x| x.id.clone())
                        .collect(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&first), ids(&second));
}

/// Minutes from the impact start to each milestone (detected, engaged, mitigated, resolved),
/// who detected, and the words of the detection, for every seed incident.
#[test]
fn response_milestones_of_every_seed_incident() {
    use incident_kb::incident::{DetectedBy, Evidence, MilestoneKind};
    type Row = (
        &'static str,
        [Option<i64>; 4],
        Option<DetectedBy>,
        Option<&'static str>,
    );
    let m = DetectedBy::Monitoring;
    let expected: [Row; 10] = [
        // Only "at 5:23AM PST we announced service management had been restored to the
        // majority"; the end is the impact window's.
        (
            "2012-02-29-azure-sql-database",
            [None, None, Some(803), Some(2055)],
            None,
            None,
        ),
        (
            "2024-01-21-azure-resource-manager",
            [Some(29), Some(29), Some(240), Some(448)],
            Some(m),
            Some("Monitoring detected additional failures in the ARM service"),
        ),
        // "External reports alerted us", with no time.
        (
            "2024-02-07-azure-portal",
            [None, None, Some(1530), Some(1530)],
            Some(DetectedBy::CustomerReport),
            None,
        ),
        (
            "2024-04-22-azure-dns",
            [Some(52), Some(54), Some(135), Some(135)],
            Some(m),
            Some("Our internal monitors alerted us to degradation"),
        ),
        // "quickly detected by internal monitoring", with no time.
        (
            "2024-07-12-managed-identities-for-azure-resources",
            [None, None, Some(333), Some(333)],
            Some(m),
            None,
        ),
        (
            "2024-07-13-azure-openai",
            [Some(5), Some(5), Some(515), Some(3894)],
            Some(m),
            Some("Service monitoring detected failure rates going above defined thresholds"),
        ),
        (
            "2024-07-18-virtual-machines",
            [None, Some(17), Some(295), Some(859)],
            None,
            None,
        ),
        ("8GCS-858", [None, None, Some(1212), Some(1212)], None, None),
        ("FNJ8-VQZ", [None, None, Some(722), Some(722)], None, None),
        ("_SVS-5_G", [None, None, Some(211), Some(1226)], None, None),
    ];
    let read = common::read_seeds();
    for (id, minutes, by, detected_words) in expected {
        let r = incident(&read.incidents, id).current();
        let got: Vec<Option<i64>> = MilestoneKind::ALL
            .into_iter()
            .map(|k| r.milestones.minutes_after(r.impact_start, k))
            .collect();
        assert_eq!(
            got, minutes,
            "{id}: minutes to detect, engage, mitigate, resolve"
        );
        assert_eq!(r.milestones.detected_by, by, "{id}");
        let words = r
            .milestones
            .detected
            .as_ref()
            .and_then(|d| d.evidence.text());
        assert_eq!(
            words.map(|w| detected_words.is_some_and(|d| w.starts_with(d))),
            detected_words.map(|_| true),
            "{id}: detected from {words:?}"
        );
    }
    // The Azure OpenAI incident: the 00:05 monitoring step is the evidence, as a timeline step.
    let openai = incident(&read.incidents, "2024-07-13-azure-openai").current();
    let detected = openai.milestones.detected.as_ref().unwrap();
    assert_eq!(detected.at, ts("2024-07-13T00:05:00Z").unwrap());
    let Evidence::Timeline { step, .. } = &detected.evidence else {
        panic!("detected from {:?}", detected.evidence)
    };
    assert_eq!(openai.timeline[*step].at, Some(detected.at));
}
