//! Every report of `../shared/corpus` ingests without a panic, and the parsers get what the
//! texts give: coverage figures are printed, and floors we can defend are asserted.

mod common;

use std::collections::BTreeMap;

use incident_kb::catalog::Catalogue;
use incident_kb::incident::{Review, SectionKind};
use incident_kb::ingest::corpus::{ReportFile, read_named, read_report, report_files};

#[derive(Default, Debug)]
struct Coverage {
    files: usize,
    reviews: usize,
    impact_start: usize,
    impact_end: usize,
    root_cause: usize,
    repair_items: usize,
    timeline: usize,
    services: usize,
    regions: usize,
    sections: usize,
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

fn reviews_by_provider() -> BTreeMap<String, (usize, Vec<Review>)> {
    let catalogue = Catalogue::bundled();
    let files = report_files(&[common::shared_corpus()]).expect("corpus lists");
    assert!(
        files.len() >= 500,
        "expected the 520 reports, found {}",
        files.len()
    );
    let mut out: BTreeMap<String, (usize, Vec<Review>)> = BTreeMap::new();
    for file in files {
        let provider = file.name.split('/').next().unwrap().to_string();
        let result = std::panic::catch_unwind(|| read_named(&file, &catalogue));
        let reviews = match result {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => panic!("{} did not ingest: {e}", file.path.display()),
            Err(_) => panic!("{} made the parser panic", file.path.display()),
        };
        // Pages name the report by its place in the corpus, not by the machine's path.
        assert!(
            file.name.starts_with(&format!("{provider}/")),
            "{}",
            file.name
        );
        assert!(
            reviews.iter().all(|r| r.source == file.name),
            "{}",
            file.name
        );
        let entry = out.entry(provider).or_default();
        entry.0 += 1;
        entry.1.extend(reviews);
    }
    out
}

#[test]
fn every_shared_report_ingests_and_coverage_meets_its_floors() {
    let by_provider = reviews_by_provider();
    println!("coverage on ../shared/corpus (share of reviews):");
    println!(
        "{:<10} {:>5} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}",
        "provider",
        "files",
        "reviews",
        "start",
        "end",
        "cause§",
        "repairs",
        "timeline",
        "service",
        "region",
        "sections"
    );
    let mut all = Coverage::default();
    let mut per = BTreeMap::new();
    for (provider, (files, reviews)) in &by_provider {
        let mut c = Coverage {
            files: *files,
            reviews: reviews.len(),
            ..Coverage::default()
        };
        for r in reviews {
            c.impact_start += r.impact_start.is_some() as usize;
            c.impact_end += r.impact_end.is_some() as usize;
            c.root_cause += r.sections_of(SectionKind::RootCause).next().is_some() as usize;
            c.repair_items += !r.repair_items.is_empty() as usize;
            c.timeline += !r.timeline.is_empty() as usize;
            c.services += !r.services.is_empty() as usize;
            c.regions += !r.regions.is_empty() as usize;
            c.sections += (r.sections.len() > 1) as usize;
        }
        println!(
            "{provider:<10} {:>5} {:>6} {:>6.1}% {:>6.1}% {:>6.1}% {:>6.1}% {:>7.1}% {:>6.1}% {:>6.1}% {:>7.1}%",
            c.files,
            c.reviews,
            pct(c.impact_start, c.reviews),
            pct(c.impact_end, c.reviews),
            pct(c.root_cause, c.reviews),
            pct(c.repair_items, c.reviews),
            pct(c.timeline, c.reviews),
            pct(c.services, c.reviews),
            pct(c.regions, c.reviews),
            pct(c.sections, c.reviews),
        );
        all.files += c.files;
        all.reviews += c.reviews;
        all.impact_start += c.impact_start;
        all.root_cause += c.root_cause;
        all.repair_items += c.repair_items;
        per.insert(provider.clone(), c);
    }
    println!(
        "all: {} files, {} reviews; impact start {:.1}%, root-cause section {:.1}%, repair items {:.1}%",
        all.files,
        all.reviews,
        pct(all.impact_start, all.reviews),
        pct(all.root_cause, all.reviews),
        pct(all.repair_items, all.reviews)
    );
    assert_eq!(all.files, 520);

    // The floor the issue sets: Azure reviews with a "What happened?" / "Summary of impact" section.
    let azure = &by_provider["azure"].1;
    let with_summary: Vec<&Review> = azure
        .iter()
        .filter(|r| r.sections_of(SectionKind::WhatHappened).next().is_some())
        .collect();
    let dated = with_summary
        .iter()
        .filter(|r| r.impact_start.is_some())
        .count();
    println!(
        "azure with a what-happened section: {} of {}, impact start in {dated} ({:.1}%)",
        with_summary.len(),
        azure.len(),
        pct(dated, with_summary.len())
    );
    assert!(with_summary.len() >= 270, "{}", with_summary.len());
    assert!(pct(dated, with_summary.len()) >= 95.0);
    // Floors from today's figures, a little under them, so a regression shows. Azure with
    // repair items: 92.2% -> 72.3% (thirteenth session) once "Engineers will continue to
    // investigate to establish the full root cause…", all that 56 preliminary entries promise,
    // is no longer an item (the key's conventions: the review's own work, not a change).
    let c = &per["azure"];
    assert!(
        pct(c.root_cause, c.reviews) >= 90.0
            && pct(c.repair_items, c.reviews) >= 70.0
            && pct(c.services, c.reviews) >= 75.0
    );
    let g = &per["gcp"];
    assert!(
        pct(g.impact_start, g.reviews) >= 98.0
            && pct(g.impact_end, g.reviews) >= 98.0
            && pct(g.root_cause, g.reviews) >= 90.0
    );
    // Raised as the readers improve: Google Cloud 95.3% -> 100% with repair items once its
    // wrapped pages are read whole; Wikimedia 0% -> 70% once a closing list is read as the
    // action list its lost heading announced.
    assert!(pct(g.repair_items, g.reviews) >= 99.0);
    let w = &per["wikimedia"];
    assert!(pct(w.repair_items, w.reviews) >= 65.0);
    assert!(pct(per["aws"].impact_start, per["aws"].reviews) >= 50.0);
    // AWS 0% -> 100% and GitHub 10% -> 80% with repair items once the commitments of their
    // prose ("We will audit our change process ...") are read.
    assert!(pct(per["aws"].repair_items, per["aws"].reviews) >= 99.0);
    // AWS 25% -> 50% with an impact end once an end in a sentence of its own is read ("By 6:30
    // PM JST, the vast majority of affected instances had recovered").
    assert!(pct(per["aws"].impact_end, per["aws"].reviews) >= 50.0);
    assert!(pct(per["github"].repair_items, per["github"].reviews) >= 80.0);
    // GitHub 55% with an impact start and 30% with an end (thirteenth session) once a post's
    // date completes the dates it writes without a year, and the first sentence that says the
    // impact began gives its time ("At 10:52 pm Sunday UTC, multiple services … were affected").
    assert!(pct(per["github"].impact_start, per["github"].reviews) >= 55.0);
    // GitHub 30% -> 40% with an end (fourteenth session) once a length the post states ends
    // the impact ("unavailable for two hours and six minutes") and an end is read without a
    // start ("we returned the site to service at 20:23 PST").
    assert!(pct(per["github"].impact_end, per["github"].reviews) >= 40.0);
    // Wikimedia 36.7% -> 50.8% with an impact start and 10.8% -> 30.8% with an end once a time
    // without a date takes the report's date, and a page that states none its file name's;
    // fourteenth session: 59.2% and 49.2% (the timeline's "the incident starts" / "is solved",
    // an end without a start, the file name's day before a date the text quotes).
    assert!(pct(w.impact_start, w.reviews) >= 58.0);
    assert!(pct(w.impact_end, w.reviews) >= 48.0);
    // A link to the original: every Google Cloud page links its own incident; every Azure review
    // with a tracking id has its status-history address.
    let linked = |p: &str| {
        by_provider[p]
            .1
            .iter()
            .filter(|r| r.source_url.is_some())
            .count()
    };
    let azure_tracked = azure.iter().filter(|r| r.tracking_id.is_some()).count();
    println!(
        "link to the original: gcp {} of {}; azure {} of {} ({azure_tracked} with a tracking id)",
        linked("gcp"),
        g.reviews,
        linked("azure"),
        azure.len()
    );
    assert_eq!(linked("gcp"), g.reviews);
    assert_eq!(linked("azure"), azure_tracked);
    assert!(by_provider["gcp"].1.iter().all(|r| {
        r.source_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://status.cloud.google.com/incident/"))
    }));
    // Every review has a title and an id that is safe in a URL.
    for r in by_provider.values().flat_map(|(_, v)| v) {
        assert!(!r.title.is_empty(), "{} has no title", r.source);
        assert!(
            r.id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{} has id {}",
            r.source,
            r.id
        );
    }
}

fn review_of(rel: &str) -> Review {
    let path = common::shared_corpus().join(rel);
    let mut reviews =
        read_report(&path, &Catalogue::bundled()).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(reviews.len(), 1, "{rel}");
    reviews.remove(0)
}

fn ts(s: &str) -> Option<jiff::Timestamp> {
    Some(s.parse().unwrap())
}

#[test]
fn oddities_of_the_shared_corpus() {
    // Current layout with the tracking id in the title, the prefix and id cut from it.
    let afd = review_of("azure/2024-08-05_0N_5-PQ0.txt");
    assert_eq!(afd.id, "0N_5-PQ0");
    assert!(afd.title.starts_with("Azure Front Door"), "{}", afd.title);
    assert_eq!(
        (afd.impact_start, afd.impact_end),
        (ts("2024-08-05T18:22:00Z"), ts("2024-08-05T19:49:00Z"))
    );
    assert_eq!(afd.primary_service(), Some("Azure Front Door"));
    // Older layout: MM/DD/YYYY line, title, "Tracking ID:", times in EST.
    let arm = review_of("azure/2022-03-01_ZNRZ-HDG.txt");
    assert_eq!(arm.tracking_id.as_deref(), Some("ZNRZ-HDG"));
    assert_eq!(
        arm.title,
        "Azure Resource Manager - Service Management Operation Failures"
    );
    assert_eq!(
        (arm.impact_start, arm.impact_end),
        (ts("2022-03-01T16:49:00Z"), ts("2022-03-03T08:08:00Z"))
    );
    assert_eq!(arm.repair_items.len(), 1, "{:?}", arm.repair_items);
    assert!(
        arm.repair_items[0]
            .text
            .starts_with("Update ARM component configuration")
    );
    // IntelligentDDS copy: every section on one line, no zone (UTC).
    let vm = review_of("azure/2016-11-26_virtual-machines-central-us.txt");
    assert_eq!(vm.title, "Virtual Machines - Central US");
    assert_eq!(vm.stage, incident_kb::incident::Stage::Preliminary);
    assert_eq!(
        vm.sections.len(),
        4,
        "{:?}",
        vm.sections.iter().map(|s| &s.heading).collect::<Vec<_>>()
    );
    assert_eq!(vm.impact_start, ts("2016-11-26T05:15:00Z"));
    assert_eq!(vm.regions, ["Central US"]);
    // "CST (China Standard Time)".
    assert_eq!(
        review_of("azure/2024-10-22_0MMR-5V0.txt").impact_start,
        ts("2024-10-22T04:30:00Z")
    );
    // Google Cloud: the report printed twice, "(all times are US/Pacific)".
    let gae = review_of("gcp/appengine_15020.txt");
    assert_eq!(gae.tracking_id.as_deref(), Some("GCP-APP-ENGINE-15020"));
    assert_eq!(gae.title, "Google App Engine Search API errors and latency");
    assert_eq!(
        (gae.impact_start, gae.impact_end),
        (ts("2015-08-12T18:05:00Z"), ts("2015-08-12T18:46:00Z"))
    );
    let summaries = gae
        .sections
        .iter()
        .filter(|s| s.heading == "SUMMARY")
        .count();
    assert_eq!(summaries, 1, "the repeated report is read once");
    assert_eq!(gae.primary_service(), Some("Google App Engine"));
    // AWS: "June 4th" with no year in the text gives no impact start rather than a wrong one.
    let sydney = review_of("aws/2011-06-08.txt");
    assert_eq!(
        sydney.title,
        "Summary of the AWS Service Event in the Sydney Region"
    );
    assert_eq!(sydney.impact_start, None);
    assert!(sydney.causes.iter().any(|c| c == "power-cooling"));
    // Wikimedia: a page that states no date is read on its file name's, and says so.
    let mw = review_of("wikimedia/20180129-MediaWiki.txt");
    assert_eq!(
        (mw.impact_start, mw.impact_end),
        (ts("2018-01-29T19:39:00Z"), ts("2018-01-29T19:47:00Z"))
    );
    assert!(
        mw.warnings
            .iter()
            .any(|w| w.contains("the date its file name gives")),
        "{:?}",
        mw.warnings
    );
    // Wikimedia: "On 23rd June 2011 at about 15:35 UTC".
    let wm = review_of("wikimedia/20110623-Performance.txt");
    assert_eq!(wm.impact_start, ts("2011-06-23T15:35:00Z"));
}

#[test]
fn the_same_review_saved_under_two_titles_counts_once() {
    // ../shared/corpus/azure has the Japan West network incident of 27 March 2017 twice, with
    // two titles and the same text: one incident, one review.
    let dir = common::shared_corpus().join("azure");
    let files = [
        dir.join("2017-03-27_multiple-azure-services-japan-west-mitigated.txt"),
        dir.join("2017-03-27_multiple-azure-services-impacted-by-underlying-network.txt"),
    ]
    .map(|p| ReportFile::alone(&p));
    let read = incident_kb::ingest::corpus::read_files(&files, &Catalogue::bundled(), |_, _, _| {})
        .unwrap();
    assert_eq!((read.reviews, read.incidents.len()), (2, 1));
    assert_eq!(read.incidents[0].reviews.len(), 1);
}

/// A repair item that is a piece of a sentence, not a whole one, judged against the text of
/// its review: it starts in the middle of a sentence (a word, not a bullet, a sentence end or a
/// blank line, comes right before it, on its line or at the end of the line before) or stops
/// before its end (a lowercase word follows, on its line or the next). What a hard-wrapped line read as an item looks like.
fn is_fragment(item: &str, review_text: &str, items: &[&str]) -> bool {
    let head: String = item.chars().take(30).collect();
    let Some(at) = review_text.find(head.as_str()) else {
        return false;
    };
    // On the same line, or the line before (a wrap), but not across a blank line; and not
    // when the line before is an item itself: lines of a list without bullets or stops
    // (Azure's "Next steps:" / "Improve lock contention in RNM" / "Improve RNM performance …").
    let before = review_text[..at].trim_end_matches(' ');
    if let Some(line_before) = before.strip_suffix('\n')
        && items.iter().any(|i| {
            let tail: String = i
                .chars()
                .skip(i.chars().count().saturating_sub(30))
                .collect();
            let line = line_before.rsplit('\n').next().unwrap_or("");
            *i != item && line.contains(tail.as_str())
        })
    {
        return false;
    }
    let before = before.strip_suffix('\n').unwrap_or(before);
    // A status label before the item is its marker, not its sentence: "• Status: Done - Item".
    let label = regex::Regex::new(r"(?i)status:\s*\w+(?:\s*[-–:])?$").unwrap();
    let before = label.find(before).map_or(before, |m| &before[..m.start()]);
    // A clause of its own after "and" ("We have deployed monitoring …, and next week, we will
    // begin deploying a fix") is a whole commitment: the key counts such clauses apart.
    let clause = |s: &str| s.starts_with("and ") || s.starts_with("and\n");
    let starts_inside =
        before.ends_with(|c: char| c.is_alphanumeric() || c == ',') && !before.ends_with(" and");
    let chars: Vec<char> = item.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(30)..].iter().collect();
    let stops_early = review_text[at..].find(tail.as_str()).is_some_and(|t| {
        let after = &review_text[at + t + tail.len()..];
        after.starts_with([' ', '\n'])
            && after[1..].starts_with(|c: char| c.is_lowercase())
            && !clause(&after[1..])
    });
    starts_inside || stops_early
}

#[test]
fn repair_items_are_whole_sentences_not_line_fragments() {
    let wrapped = "x Their initial hypothesis was that the caching layer for authorization requests was failing. The engineers started";
    assert!(is_fragment(
        "authorization requests was failing.",
        wrapped,
        &[]
    ));
    assert!(is_fragment(
        "Their initial hypothesis was that",
        wrapped,
        &[]
    ));
    assert!(!is_fragment("The engineers started", wrapped, &[]));
    // Lines of a list without bullets or stops are whole items; a wrapped line is not.
    let list = "Next steps:\nImprove lock contention in RNM\nImprove RNM performance and scale out capacity\n";
    let items = [
        "Improve lock contention in RNM",
        "Improve RNM performance and scale out capacity",
    ];
    assert!(!is_fragment(items[1], list, &items));
    assert!(is_fragment(items[1], list, &items[1..]));
    assert!(!is_fragment(
        "Add monitoring for the caching layer.",
        "• Add monitoring for the caching layer.\n",
        &[]
    ));
    assert!(!is_fragment(
        "Investigate page_restrictions query slowness on db1006",
        "• Status: Done - Investigate page_restrictions query slowness on db1006\n",
        &[]
    ));
    let two_clauses =
        "We have deployed monitoring for the leak, and next week, we will begin deploying a fix.";
    assert!(!is_fragment(
        "next week, we will begin deploying a fix.",
        two_clauses,
        &[]
    ));
    assert!(!is_fragment(
        "We have deployed monitoring for the leak",
        two_clauses,
        &[]
    ));
    assert!(is_fragment(
        "we will begin deploying a fix.",
        two_clauses,
        &[]
    ));
    let by_provider = reviews_by_provider();
    let mut total = (0, 0);
    let mut examples = Vec::new();
    println!("repair items that are line fragments, per provider:");
    for (provider, (_, reviews)) in &by_provider {
        let (mut items, mut fragments) = (0, Vec::new());
        for r in reviews {
            let text: Vec<&str> = r.sections.iter().map(|s| s.text.as_str()).collect();
            let text = text.join("\n");
            let texts: Vec<&str> = r.repair_items.iter().map(|i| i.text.as_str()).collect();
            for i in &r.repair_items {
                items += 1;
                if is_fragment(&i.text, &text, &texts) {
                    fragments.push(i.text.as_str());
                }
            }
        }
        println!("  {provider:<10} {} of {items} items", fragments.len());
        examples.extend(fragments.iter().take(4).map(|t| format!("{provider}: {t}")));
        total.0 += fragments.len();
        total.1 += items;
    }
    for e in &examples {
        println!("    {e}");
    }
    // Warnings are sentences for people, never debug output.
    for (_, reviews) in by_provider.values() {
        for r in reviews {
            for w in &r.warnings {
                assert!(
                    !w.contains("Some(") && !w.contains(" { "),
                    "{}: {w}",
                    r.source
                );
            }
        }
    }
    // None. Before hard-wrapped pages were unwrapped there were 1,144 (Google Cloud 1,118 of
    // 1,178 items); then 37, 16, 13; the last were lines of Azure's "Next steps:" lists
    // without bullets or stops (whole items the test took for wraps), a status written after
    // an item ("– in progress") and a Google Cloud sentence cut at a semicolon that ends a line.
    assert_eq!(
        total.0, 0,
        "{} fragments of {} items, e.g. {examples:?}",
        total.0, total.1
    );
}

/// `../shared/html/azure/X.html` holds the saved HTML of the entry `../shared/corpus/azure/X.txt`
/// was made from: both give the same incidents.
#[test]
fn html_entries_read_as_their_text() {
    let html_dir = common::shared_corpus().join("../html/azure");
    let text_dir = common::shared_corpus().join("azure");
    let catalogue = Catalogue::bundled();
    let files = report_files(std::slice::from_ref(&html_dir)).expect("html folder");
    let (mut same, mut sections_same, mut differences) = (0, 0, Vec::new());
    for html in files.iter().map(|f| &f.path) {
        let name = html
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .to_string();
        let text = text_dir.join(format!("{name}.txt"));
        let from_html = read_report(html, &catalogue).expect("html reads");
        let from_text = read_report(&text, &catalogue).expect("text reads");
        let facts = |reviews: &[Review]| -> Vec<String> {
            reviews
                .iter()
                .map(|r| {
                    let items: Vec<String> = r
                        .repair_items
                        .iter()
                        .map(|i| format!("{:?} {:?} {}", i.reported_status, i.due, i.text))
                        .collect();
                    format!(
                        "id {} | window {:?}..{:?} | stage {:?} | services {:?} | regions {:?} | causes {:?} | items {:#?}",
                        r.id, r.impact_start, r.impact_end, r.stage, r.services, r.regions, r.causes, items
                    )
                })
                .collect()
        };
        let sections = |reviews: &[Review]| -> Vec<String> {
            reviews
                .iter()
                .flat_map(|r| {
                    r.sections.iter().map(|s| {
                        // The same words: the text file keeps the page source's line breaks.
                        let words: Vec<&str> = s.text.split_whitespace().collect();
                        format!("{:?}: {}", s.kind, words.join(" "))
                    })
                })
                .collect()
        };
        if facts(&from_html) == facts(&from_text) {
            same += 1;
        } else {
            differences.push(format!(
                "{name}:\n  html {:?}\n  text {:?}",
                facts(&from_html),
                facts(&from_text)
            ));
        }
        let (a, b) = (sections(&from_html), sections(&from_text));
        if a == b {
            sections_same += 1;
        } else if let Some((h, t)) = a.iter().zip(&b).find(|(h, t)| h != t) {
            println!("{name}: sections differ\n  html {h}\n  text {t}");
        } else {
            println!(
                "{name}: {} sections from the HTML, {} from the text",
                a.len(),
                b.len()
            );
        }
    }
    println!(
        "HTML entries: {} files; same facts as the text: {same}; same sections: {sections_same}",
        files.len()
    );
    assert_eq!(files.len(), 111, "the shared HTML entries");

    // A page saved from a browser holds many entries inside the site's chrome: it is split
    // into the same reviews as the entries one by one.
    let picked = [&files[0].path, &files[40].path, &files[110].path];
    let mut page = String::from(
        "<!DOCTYPE html><html><head><title>Azure status history</title>\
         <script>var x = '<p>not text</p>';</script></head><body>\
         <nav><a href='/status'>Current status</a> <a href='/history'>History</a></nav><main>",
    );
    for f in picked {
        page.push_str(&std::fs::read_to_string(f).expect("entry"));
    }
    page.push_str("</main><footer>Privacy · Terms</footer></body></html>");
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("azure").join("status-history.html");
    std::fs::create_dir_all(saved.parent().expect("parent")).expect("folder");
    std::fs::write(&saved, page).expect("page");
    let ids = |reviews: Vec<Review>| -> Vec<(String, Option<jiff::Timestamp>, usize)> {
        reviews
            .into_iter()
            .map(|r| (r.id, r.impact_start, r.repair_items.len()))
            .collect()
    };
    let one_by_one: Vec<_> = picked
        .iter()
        .flat_map(|f| ids(read_report(f, &catalogue).expect("entry reads")))
        .collect();
    let from_page = ids(read_report(&saved, &catalogue).expect("page reads"));
    assert_eq!(from_page, one_by_one, "a saved page of three entries");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(
        sections_same,
        files.len(),
        "every section has the same words"
    );
}

/// How many reviews date their response: the share with a time to detect and a time to
/// mitigate per provider (a mitigation "from the impact window" is the window's end, which
/// every review with an end has), and who detected. Every milestone's words are the review's
/// own and no milestone comes before the detection it follows from.
#[test]
fn response_milestones_per_provider() {
    use incident_kb::incident::{DetectedBy, Evidence, MilestoneKind};
    let mut detect_total = 0;
    let mut all_total = 0;
    println!(
        "{:10} {:>7} {:>9} {:>9} {:>14} {:>9}  by monitoring / customer",
        "provider", "reviews", "detect", "engage", "mitigate(text)", "mitigate",
    );
    for (provider, (_, reviews)) in reviews_by_provider() {
        let n = reviews.len();
        let with = |k: MilestoneKind| {
            reviews
                .iter()
                .filter(|r| r.milestones.minutes_after(r.impact_start, k).is_some())
                .count()
        };
        let from_text = reviews
            .iter()
            .filter(|r| {
                r.milestones
                    .minutes_after(r.impact_start, MilestoneKind::Mitigated)
                    .is_some()
                    && r.milestones
                        .mitigated
                        .as_ref()
                        .is_some_and(|m| m.evidence.text().is_some())
            })
            .count();
        let by = |d: DetectedBy| {
            reviews
                .iter()
                .filter(|r| r.milestones.detected_by == Some(d))
                .count()
        };
        println!(
            "{provider:10} {n:>7} {:>8.1}% {:>8.1}% {:>13.1}% {:>8.1}% {:>5.1}% / {:.1}%",
            pct(with(MilestoneKind::Detected), n),
            pct(with(MilestoneKind::Engaged), n),
            pct(from_text, n),
            pct(with(MilestoneKind::Mitigated), n),
            pct(by(DetectedBy::Monitoring), n),
            pct(by(DetectedBy::CustomerReport), n),
        );
        detect_total += with(MilestoneKind::Detected);
        all_total += n;
        for r in &reviews {
            let text: String = r
                .sections
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            for (kind, m) in r.milestones.iter() {
                match &m.evidence {
                    Evidence::Timeline { step, text } => {
                        assert_eq!(&r.timeline[*step].text, text, "{}", r.source);
                        assert_eq!(r.timeline[*step].at, Some(m.at), "{}", r.source);
                    }
                    Evidence::Sentence { text: said } => {
                        assert!(text.contains(said.as_str()), "{}: {said}", r.source)
                    }
                    Evidence::ImpactEnd => assert_eq!(r.impact_end, Some(m.at), "{}", r.source),
                    Evidence::FrontMatter => panic!("{}: no front matter here", r.source),
                }
                if let (MilestoneKind::Engaged, Some(d)) = (kind, &r.milestones.detected) {
                    assert!(m.at >= d.at, "{}: engaged before detected", r.source);
                }
                if let (Some(end), MilestoneKind::Detected) = (r.impact_end, kind) {
                    assert!(m.at <= end, "{}: detected after the impact ended", r.source);
                }
            }
        }
    }
    println!(
        "time to detect: {detect_total} of {all_total} reviews ({:.1}%)",
        pct(detect_total, all_total)
    );
    // Most reviews do not date their detection (old Azure RCAs, GitHub posts); these are the
    // shares found now, so that a rule that stops finding them fails here.
    assert!(
        pct(detect_total, all_total) >= 11.0,
        "{detect_total} of {all_total}"
    );
}
