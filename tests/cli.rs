//! The real `ikb` binary on the seeds and on broken reports: output, JSON shapes, exit codes.

mod common;

use std::process::Output;

use common::ikb;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ingested() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let seeds = common::seeds_dir();
    let o = ikb(
        &tmp.path().join("index"),
        &["ingest", "--corpus", seeds.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).starts_with("5 files, 11 reviews, 10 incidents"),
        "{}",
        stdout(&o)
    );
    tmp
}

#[test]
fn help_is_there_for_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in [
        "ingest",
        "search",
        "show",
        "export",
        "repairs",
        "insights",
        "repair",
        "warnings",
        "serve",
        "hash-password",
        "hash-token",
        "migrate-store",
    ] {
        let o = ikb(tmp.path(), &[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        assert!(
            stdout(&o).contains("--index"),
            "{cmd} --help mentions --index"
        );
    }
}

#[test]
fn search_prints_ranked_incidents_with_snippets_and_facets() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let o = ikb(&index, &["search", "HTTP", "429"]);
    let out = stdout(&o);
    assert!(out.starts_with(" 1. Azure OpenAI"), "{out}");
    assert!(out.contains("/incidents/8GCS-858#what-happened"));
    assert!(out.contains("**429**"));
    assert!(out.contains("  service: Azure OpenAI (1)"));

    let o = ikb(
        &index,
        &[
            "search",
            "--json",
            "--service",
            "AOAI",
            "--limit",
            "5",
            "deleted",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hit = &v["hits"][0];
    assert_eq!(hit["id"], "2024-07-13-azure-openai");
    assert_eq!(hit["url"], "/incidents/2024-07-13-azure-openai");
    for field in [
        "title",
        "source",
        "stage",
        "tracking_id",
        "impact_start",
        "impact_end",
        "services",
        "regions",
        "causes",
        "sections",
        "timeline",
        "repair_items",
        "revisions",
        "warnings",
        "score",
        "section",
        "snippet",
    ] {
        assert!(hit.get(field).is_some(), "search JSON has {field}");
    }
    assert_eq!(hit["impact_start"], "2024-07-13T00:00:00Z");
    assert_eq!(hit["revisions"].as_array().unwrap().len(), 2);
    let item = &hit["repair_items"][0];
    for field in ["id", "text", "reported_status", "due", "status", "overdue"] {
        assert!(item.get(field).is_some(), "repair item JSON has {field}");
    }
    for facet in ["service", "region", "cause", "repair_status"] {
        assert!(v["facets"][facet].is_array(), "facets.{facet}");
    }
}

#[test]
fn show_export_and_repairs() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let o = ikb(&index, &["show", "--json", "2024-04-22-azure-dns"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["impact_start"], "2024-04-22T19:45:00Z");
    assert_eq!(v["sections"][0]["kind"], "what_happened");
    assert_eq!(v["timeline"][0]["at"], "2024-04-22T19:45:00Z");
    let o = ikb(&index, &["show", "2024-04-22-azure-dns"]);
    assert!(stdout(&o).contains("impact: 2024-04-22 19:45 UTC – 2024-04-22 22:00 UTC"));
    let o = ikb(&index, &["show", "no-such-incident"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no incident with id `no-such-incident`"));

    let o = ikb(&index, &["export"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);

    let o = ikb(&index, &["repairs", "--json", "--status", "completed"]);
    let items: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        items.len(),
        4 + 2 + 4 + 1,
        "AOAI final 4, MI 2, ARM 4, DNS 1 (\"We have suspended …\")"
    );
    let o = ikb(
        &index,
        &["repairs", "--status", "overdue", "--service", "ARM"],
    );
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("  [")).collect();
    assert!(rows.iter().all(|l| l.contains("OVERDUE")), "{out}");
    assert_eq!(
        rows.iter()
            .filter(|l| l.contains("[2024-01-21-azure-resource-manager-"))
            .count(),
        7,
        "{out}"
    );
    assert!(out.ends_with(&format!("{} repair items\n", rows.len())));
    let o = ikb(&index, &["repairs", "--status", "nonsense"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--status must be one of"));
}

#[test]
fn a_broken_report_is_named_and_the_others_still_ingest() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::copy(
        common::seeds_dir().join("azure-2026-03-status-history.txt"),
        corpus.join("good.txt"),
    )
    .unwrap();
    std::fs::write(corpus.join("broken.txt"), b"\xff\xfe\x00binary").unwrap();
    let o = ikb(
        &tmp.path().join("index"),
        &["ingest", "--corpus", corpus.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "a skipped file makes a non-zero exit"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.txt: the file is binary"), "{err}");
    assert!(
        stdout(&o).starts_with("2 files, 3 reviews, 3 incidents"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn search_without_an_index_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ikb(&tmp.path().join("none"), &["search", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("run `ikb ingest` first"));
}

#[test]
fn ingest_fails_at_once_while_another_process_holds_the_data() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let _held = incident_kb::tracking::SledStore::open(&index.join("tracking")).unwrap();
    let started = std::time::Instant::now();
    let o = ikb(
        &index,
        &["ingest", "--corpus", common::seeds_dir().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("in use by another process"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it does not hang"
    );
}

#[test]
fn backup_and_restore_round_trip_through_the_cli() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let first = tmp.path().join("backup.json");
    let o = ikb(&index, &["backup", "--out", first.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let other = tmp.path().join("other");
    let o = ikb(&other, &["restore", first.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "restored 41 repair items\n");
    let again = ikb(&other, &["backup"]);
    assert_eq!(
        again.stdout,
        std::fs::read(&first).unwrap(),
        "the same bytes"
    );
    let o = ikb(&index, &["restore", first.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a store that is not empty needs --replace"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--replace"));
    let o = ikb(&index, &["restore", "--replace", first.to_str().unwrap()]);
    assert!(o.status.success());
    std::fs::write(tmp.path().join("junk.json"), "{\"not\": \"a backup\"}").unwrap();
    let o = ikb(
        &other,
        &[
            "restore",
            "--replace",
            tmp.path().join("junk.json").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a backup made by `ikb backup`"));
}

#[test]
fn repair_changes_an_item_as_the_web_form_does_and_the_index_follows() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let items = |incident: &str| -> Vec<serde_json::Value> {
        let o = ikb(&index, &["repairs", "--json", "--incident", incident]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let incident = "2024-04-22-azure-dns";
    let completed = || {
        let o = ikb(
            &index,
            &["search", "--json", "--status", "completed", "nameservers"],
        );
        stdout(&o).contains(incident)
    };
    assert!(!completed());
    let all = items(incident);
    for item in &all {
        let id = item["id"].as_str().unwrap();
        let o = ikb(
            &index,
            &[
                "repair",
                id,
                "--status",
                "completed",
                "--note",
                "done, see the ticket",
                "--link",
                "https://tracker.example/DNS-7",
                "--as",
                "alice",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            stdout(&o).starts_with(&format!("{id}: Completed (version ")),
            "{}",
            stdout(&o)
        );
    }
    for item in items(incident) {
        assert_eq!(item["status"], "completed");
    }
    // The same history events the web form writes: one per field that changed, by who.
    let o = ikb(
        &index,
        &[
            "repair",
            all[0]["id"].as_str().unwrap(),
            "--owner",
            "dns-team",
            "--json",
            "--as",
            "bob",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let record: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(record["tracking"]["owner"], "dns-team");
    let history = record["history"].as_array().unwrap();
    let by = |who: &str| {
        history
            .iter()
            .filter(|e| e["who"] == who)
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(by("alice"), ["status", "link", "note"]);
    assert_eq!(by("bob"), ["owner"]);
    assert!(completed(), "the index's repair facets follow");
    // What the web refuses, the CLI refuses, and nothing changes.
    let o = ikb(
        &index,
        &[
            "repair",
            all[0]["id"].as_str().unwrap(),
            "--link",
            "javascript:alert(1)",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("http:// or https://"));
    let o = ikb(&index, &["repair", "no-such-item", "--status", "open"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no repair item with id `no-such-item`"));
    let o = ikb(
        &index,
        &[
            "repair",
            all[0]["id"].as_str().unwrap(),
            "--note",
            "stale",
            "--version",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("changed meanwhile"));
    assert_eq!(items(incident)[0]["status"], "completed");
    // Assignee, due day and the note thread, and the listing's filters and orders for them.
    let id = all[1]["id"].as_str().unwrap();
    for args in [
        &[
            "repair",
            id,
            "--assignee",
            "bob",
            "--due-date",
            "2020-01-31",
            "--note",
            "first",
        ][..],
        &["repair", id, "--note", "second"][..],
    ] {
        let o = ikb(&index, args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let listed = |args: &[&str]| -> Vec<serde_json::Value> {
        let o = ikb(&index, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let bobs = listed(&["repairs", "--assignee", "bob", "--json"]);
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["id"], id);
    assert_eq!(bobs[0]["due_by"], "2020-01-31");
    let notes: Vec<&str> = bobs[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "note")
        .filter_map(|e| e["to"].as_str())
        .collect();
    assert!(
        notes.ends_with(&["first", "second"]) && notes.len() == 3,
        "notes are a thread, the earlier one kept: {notes:?}"
    );
    let window = listed(&[
        "repairs",
        "--due-from",
        "2020-01",
        "--due-to",
        "2020-01-31",
        "--json",
    ]);
    assert_eq!(window.len(), 1);
    let by_due = listed(&["repairs", "--sort", "due", "--json"]);
    assert_eq!(by_due[0]["id"], id, "the earliest due day first");
    let o = ikb(&index, &["repairs", "--sort", "colour"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--sort must be one of"));
    let o = ikb(&index, &["repair", id, "--status", "wont_do"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs a reason"));
    // The digest has the item: bob's, changed.
    let o = ikb(&index, &["digest", "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let digest: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let bob = digest["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["assignee"] == "bob")
        .expect("bob's group");
    let item = &bob["services"][0]["items"][0];
    assert_eq!(item["id"], id);
    // (Completed earlier in this test, so not overdue.)
    assert_eq!(item["why"], serde_json::json!(["changed"]));
    let o = ikb(
        &index,
        &[
            "digest",
            "--format",
            "markdown",
            "--base-url",
            "https://kb.example",
        ],
    );
    assert!(stdout(&o).contains(&format!("(https://kb.example/repairs/{id})")));
    let o = ikb(&index, &["digest", "--since", "seven days"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--since must be like 7d"));
}

#[test]
fn search_and_repairs_read_the_same_filters_as_the_web() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let ids = |args: &[&str]| -> Vec<String> {
        let o = ikb(&index, args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    // Stage and the date range, as the web's stage, from and to.
    let all = ids(&["search", "--json", "--limit", "20"]);
    assert_eq!(all.len(), 10);
    let final_only = ids(&["search", "--json", "--limit", "20", "--stage", "final"]);
    assert!(
        !final_only.is_empty() && final_only.len() < all.len(),
        "{final_only:?}"
    );
    let july = ids(&[
        "search",
        "--json",
        "--limit",
        "20",
        "--from",
        "2024-07-01",
        "--to",
        "2024-07-31",
    ]);
    assert!(
        july.len() >= 3 && july.iter().all(|id| id.starts_with("2024-07")),
        "{july:?}"
    );
    // An alias is the catalogue's name on every route.
    assert_eq!(
        ids(&["search", "--json", "--service", "VMs", "restarted"]),
        ids(&[
            "search",
            "--json",
            "--service",
            "Virtual Machines",
            "restarted"
        ])
    );
    // A value no facet has is an error naming the flag and its rule.
    for (flag, value) in [
        ("--status", "finished"),
        ("--stage", "draftish"),
        ("--from", "July"),
    ] {
        let o = ikb(&index, &["search", flag, value, "dns"]);
        assert_eq!(o.status.code(), Some(1), "{flag} {value}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("{flag} must be")), "{err}");
    }
    // Repairs: a region filter and a repeated status, as /repairs reads them.
    let o = ikb(
        &index,
        &[
            "repairs",
            "--json",
            "--status",
            "completed",
            "--status",
            "overdue",
            "--region",
            "swedencentral",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|r| {
        r["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "Sweden Central")
            && (r["status"] == "completed" || r["overdue"] == true)
    }));
}

#[test]
fn warnings_lists_what_each_report_lacks_worst_first() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = common::test_corpus(
        tmp.path(),
        &[(
            "bare.txt",
            "A short note\n\nSomething broke for a while and then it was fine again.\n",
        )],
    );
    let index = tmp.path().join("index");
    let o = ikb(&index, &["ingest", "--corpus", corpus.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ikb(&index, &["warnings", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!list.is_empty());
    // The bare note lacks everything: it comes first, each problem a sentence.
    assert_eq!(list[0]["title"], "A short note");
    let problems: Vec<&str> = list[0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.contains(&"No impact start was found."),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"No repair items were found."),
        "{problems:?}"
    );
    let counts: Vec<usize> = list
        .iter()
        .map(|r| r["problems"].as_array().unwrap().len())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "worst first: {counts:?}"
    );
    let text = String::from_utf8_lossy(&ikb(&index, &["warnings"]).stdout).into_owned();
    assert!(text.contains("  - No impact start was found."), "{text}");
    assert!(
        text.trim_end().ends_with(&format!(
            "{} of 11 incidents have something to look at",
            list.len()
        )),
        "{text}"
    );
}

#[test]
fn related_answers_an_alert_as_the_webhook_does() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let o = ikb(
        &index,
        &[
            "related",
            "--json",
            "--service",
            "azure-openai",
            "--region",
            "swedencentral",
            "model",
            "requests",
            "rejected",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["related"][0]["id"], "8GCS-858", "{v:#}");
    assert_eq!(v["read_as"]["services"][0], "Azure OpenAI");
    let o = ikb(
        &index,
        &["related", "GPT-5.2", "HTTP", "429", "in", "eastus2"],
    );
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("read as: East US 2"), "{text}");
    assert!(
        text.starts_with("read as") && text.contains("1. 8GCS-858"),
        "{text}"
    );
    assert!(text.contains("same region: East US 2"), "{text}");
}

#[test]
fn insights_print_the_figures_of_the_page_as_text_and_json() {
    let dir = ingested();
    let index = dir.path().join("index");
    let o = ikb(&index, &["insights", "--json", "--service", "AOAI"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["incidents"], 2, "the alias reads as Azure OpenAI");
    assert_eq!(v["mitigate_by_service"][0]["service"], "Azure OpenAI");
    let o = ikb(&index, &["insights"]);
    let text = stdout(&o);
    assert!(
        text.starts_with("10 incidents, 10 with an impact start"),
        "{text}"
    );
    assert!(text.contains("Time to mitigate by service"), "{text}");
    assert!(text.contains("Overdue repair items by how long they are overdue"));
    let o = ikb(&index, &["insights", "--year", "24"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--year"));
}

/// While `ikb serve` holds the tracking store, reads and backups go through it: `repairs`,
/// `show` and `export` answer with what people set, `backup` is made by the server (the same
/// bytes as one made after it stops, and it restores exactly), and `restore` refuses.
#[test]
fn reads_and_backups_work_while_the_server_holds_the_store() {
    use common::server::{free_port, http_post_json, prepare, serve};
    const TOKEN: &str = "cli-test-token-0123456789";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    prepare(dir, "cli-test-password", TOKEN);
    let index = dir.join("index");
    let port = free_port();
    let server = serve(dir, port);
    let noted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(index.join("server.json")).unwrap()).unwrap();
    assert_eq!(noted["url"], format!("http://127.0.0.1:{port}"));
    // A change through the server's API.
    let o = ikb(
        &index,
        &["repairs", "--incident", "2024-07-13-azure-openai", "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let items: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let id = items[0]["id"].as_str().unwrap().to_string();
    let body = serde_json::json!({"status": "in_progress", "assignee": "alice", "note": "served"});
    let (status, _) = http_post_json(
        port,
        &format!("/api/v1/repairs/{id}"),
        TOKEN,
        &body.to_string(),
    )
    .unwrap();
    assert_eq!(status, 200);
    // Reads see it.
    let o = ikb(&index, &["repairs", "--assignee", "alice", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let served_listing = o.stdout.clone();
    let mine: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "in_progress");
    let o = ikb(&index, &["show", "2024-07-13-azure-openai"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).contains("[in_progress"),
        "show has what people set: {}",
        stdout(&o)
    );
    let o = ikb(&index, &["export"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("in_progress"));
    let o = ikb(&index, &["search", "--json", "Azure OpenAI Sweden Central"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).contains("\"in_progress\""),
        "search hits have what people set"
    );
    // A backup needs a token; the server makes it.
    let o = ikb(&index, &["backup"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs an API token"));
    let online = dir.join("online.json");
    let o = ikb(
        &index,
        &[
            "backup",
            "--token",
            TOKEN,
            "--out",
            online.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ikb(&index, &["restore", online.to_str().unwrap(), "--replace"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "no restore under a running server"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("stop the server, run `ikb restore` again")
    );
    drop(server);
    // After the server stops: the same bytes from the store itself, and a restore into a
    // fresh store gives them back.
    let offline = ikb(&index, &["backup"]);
    assert!(offline.status.success());
    let listing = ikb(&index, &["repairs", "--assignee", "alice", "--json"]);
    assert_eq!(
        listing.stdout, served_listing,
        "the same output with and without the server"
    );
    assert_eq!(
        std::fs::read(&online).unwrap(),
        offline.stdout,
        "byte for byte"
    );
    let fresh = dir.join("fresh");
    let o = ikb(&fresh, &["restore", online.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = ikb(&fresh, &["backup"]);
    assert_eq!(again.stdout, offline.stdout, "restored exactly");
}

/// `ikb migrate-store`: sled -> PostgreSQL -> sled, exact (the backups are the same bytes),
/// re-runnable, and it will not write over a store that differs without --replace.
#[test]
fn migrate_store_round_trip_sled_postgres_sled_is_byte_equal() {
    let tmp = ingested();
    let index = tmp.path().join("index");
    let id = {
        let o = ikb(&index, &["repairs", "--json"]);
        let items: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        items[0]["id"].as_str().unwrap().to_string()
    };
    let o = ikb(
        &index,
        &[
            "repair",
            &id,
            "--status",
            "in_progress",
            "--owner",
            "storage",
            "--note",
            "ünïcode ✓ \"quoted\"",
            "--due-date",
            "2031-01-31",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sled_backup = ikb(&index, &["backup"]).stdout;
    assert!(sled_backup.len() > 1000);

    let cluster = common::postgres::Cluster::start();
    let url = cluster.database();
    let o = ikb(&index, &["migrate-store", "--to", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).starts_with("copied 41 repair items"),
        "{}",
        stdout(&o)
    );
    assert!(
        !stdout(&o).contains(":@"),
        "no password or empty userinfo shown"
    );
    let pg_backup = ikb(&index, &["--store", &url, "backup"]).stdout;
    assert_eq!(pg_backup, sled_backup, "PostgreSQL holds the same bytes");
    let o = ikb(&index, &["migrate-store", "--to", &url]);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("nothing to do"),
        "re-runnable: {}",
        stdout(&o)
    );

    // Back to sled, into a data folder of its own: the same bytes again.
    let other = tmp.path().join("other");
    let o = ikb(&other, &["--store", &url, "migrate-store", "--to", "sled"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(ikb(&other, &["backup"]).stdout, sled_backup, "sled again");

    // A change made on PostgreSQL; the old sled store differs now and is replaced only when
    // asked.
    let o = ikb(
        &index,
        &["--store", &url, "repair", &id, "--note", "made on postgres"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ikb(&index, &["--store", &url, "migrate-store", "--to", "sled"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--replace"));
    let o = ikb(
        &index,
        &[
            "--store",
            &url,
            "migrate-store",
            "--to",
            "sled",
            "--replace",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let back = ikb(&index, &["backup"]).stdout;
    assert_eq!(back, ikb(&index, &["--store", &url, "backup"]).stdout);
    assert!(String::from_utf8_lossy(&back).contains("made on postgres"));
}
