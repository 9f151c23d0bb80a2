//! The findings of the outside attack and fault run, each reproduced against the real binary
//! and real files: a full disk (a small tmpfs), a second server of another schema version,
//! files a killed commit left behind, damaged stores and indexes, and unchecked restores.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::ikb;
use common::server::{
    Proc, free_port, http_get, http_post_json, prepare, spawn_serve_logging, wait_until,
};

const PASSWORD: &str = "correct horse battery";
const TOKEN: &str = "hardening-token";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ingested(dir: &Path) -> PathBuf {
    let index = dir.join("index");
    let seeds = common::seeds_dir();
    let o = ikb(&index, &["ingest", "--corpus", seeds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    index
}

/// `ikb serve` on `dir/index` with `dir/corpus`, logging to `log` (outside a filesystem a
/// test fills up), waiting until it answers.
fn serve(dir: &Path, port: u16, log: &Path) -> Proc {
    let proc = spawn_serve_logging(dir, port, log, "warn,incident_kb=info");
    wait_until("ikb serve", || {
        http_get(port, "/healthz").is_some_and(|(s, _)| s == 200)
    });
    proc
}

/// A small filesystem of its own, unmounted when the test ends: a tmpfs, or a file-backed
/// ext4 where tmpfs cannot be mounted. Neither is skipped: without root the test fails and says
/// why.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, megabytes: u32) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let tmpfs = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(path)
            .output();
        if !tmpfs.as_ref().is_ok_and(|o| o.status.success()) {
            let image = path.with_extension("img");
            let ok = Command::new("truncate")
                .args(["-s", &format!("{megabytes}M")])
                .arg(&image)
                .status()
                .is_ok_and(|s| s.success())
                && Command::new("mkfs.ext4")
                    .args(["-q", "-F"])
                    .arg(&image)
                    .status()
                    .is_ok_and(|s| s.success())
                && Command::new("mount")
                    .args(["-o", "loop"])
                    .arg(&image)
                    .arg(path)
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(
                ok,
                "this test mounts a small filesystem (tmpfs, else a loop-mounted ext4 image) and needs root for it: {tmpfs:?}"
            );
        }
        SmallDisk {
            path: path.to_path_buf(),
        }
    }

    /// Fill the filesystem to the last byte.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", filler.display()))
            .stderr(Stdio::null())
            .status();
        // dd stops at the first short write; small files may still fit in the last blocks.
        for n in 0..10_000 {
            if std::fs::write(self.path.join(format!("filler-{n}")), [0u8; 512]).is_err() {
                break;
            }
        }
        filler
    }

    fn free(&self) {
        for e in std::fs::read_dir(&self.path).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with("filler") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn first_item_id(port: u16) -> String {
    let (s, body) = http_get(port, "/api/v1/repairs").unwrap();
    assert_eq!(s, 200, "{body}");
    json(&body)[0]["id"].as_str().unwrap().to_string()
}

fn note(port: u16, item: &str, note: &str) -> (u16, String) {
    http_post_json(
        port,
        &format!("/api/v1/repairs/{item}"),
        TOKEN,
        &serde_json::json!({ "note": note }).to_string(),
    )
    .expect("the server answers")
}

#[test]
fn a_full_disk_refuses_writes_with_503_nothing_half_applied_and_writes_recover_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), 8);
    let dir = disk.path.clone();
    prepare(&dir, PASSWORD, TOKEN);
    let log = tmp.path().join("serve.log");
    let port = free_port();
    let server = serve(&dir, port, &log);
    let item = first_item_id(port);
    let mut acknowledged = Vec::new();
    for n in 0..5 {
        let n = format!("before the disk filled {n}");
        assert_eq!(note(port, &item, &n).0, 200);
        acknowledged.push(n);
    }
    disk.fill();
    let mut refused = Vec::new();
    for n in 0..200 {
        let n = format!("while the disk is full {n} {}", "x".repeat(3000));
        let (status, body) = note(port, &item, &n);
        match status {
            200 => acknowledged.push(n),
            503 => {
                assert!(body.contains("the disk is full"), "{body}");
                refused.push(n);
            }
            other => panic!("a write on a full disk got {other}: {body}"),
        }
        if refused.len() >= 5 {
            break;
        }
    }
    assert_eq!(refused.len(), 5, "writes kept succeeding on a full disk");
    // Reads say what is wrong, or show only what was acknowledged; never a 500.
    let (s, body) = http_get(port, &format!("/api/v1/repairs/{item}")).unwrap();
    assert!(s == 200 || s == 503, "{s}: {body}");
    if s == 200 {
        assert!(!refused.iter().any(|r| body.contains(r.as_str())));
    }
    disk.free();
    let after = "after space came back".to_string();
    let (s, body) = note(port, &item, &after);
    assert_eq!(s, 200, "writes recover without a restart: {body}");
    acknowledged.push(after);
    drop(server);
    let _server = serve(&dir, port, &log);
    let (s, body) = http_get(port, &format!("/api/v1/repairs/{item}")).unwrap();
    assert_eq!(s, 200, "{body}");
    let history: Vec<String> = json(&body)["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["to"].as_str().map(str::to_string))
        .collect();
    for a in &acknowledged {
        assert!(
            history.contains(a),
            "an acknowledged write is gone: {}",
            &a[..a.len().min(40)]
        );
    }
    for r in &refused {
        assert!(!history.contains(r), "a refused write became visible");
    }
    println!(
        "full disk: {} writes acknowledged and kept, {} refused with 503 and not visible",
        acknowledged.len(),
        refused.len()
    );
}

#[test]
fn a_second_server_of_another_schema_version_does_not_touch_the_running_servers_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    prepare(&dir, PASSWORD, TOKEN);
    let log = dir.join("serve.log");
    let port = free_port();
    let first = serve(&dir, port, &log);
    let total = |port: u16| {
        let (s, body) = http_get(port, "/api/v1/search?q=impact").unwrap();
        assert_eq!(s, 200, "{body}");
        json(&body)["total"].as_u64().unwrap()
    };
    let before = total(port);
    assert!(before >= 5, "{before}");
    // What a newer binary sees: an index of another schema version.
    let version_file = dir.join("index/search/ikb-schema-version");
    let version = std::fs::read_to_string(&version_file).unwrap();
    std::fs::write(&version_file, "999").unwrap();
    let files_before = std::fs::read_dir(dir.join("index/search")).unwrap().count();
    let o = Command::new(env!("CARGO_BIN_EXE_ikb"))
        .arg("--index")
        .arg(dir.join("index"))
        .args(["serve", "--addr", &format!("127.0.0.1:{}", free_port())])
        .arg("--corpus")
        .arg(dir.join("corpus"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("in use by another process"),
        "{}",
        text(&o)
    );
    assert!(
        dir.join("index/search/meta.json").exists(),
        "the second server deleted the running server's index"
    );
    assert_eq!(
        std::fs::read_dir(dir.join("index/search")).unwrap().count(),
        files_before
    );
    assert!(!dir.join("index/search.building").exists());
    std::fs::write(&version_file, version).unwrap();
    drop(first);
    let _again = serve(&dir, port, &log);
    assert_eq!(
        total(port),
        before,
        "the restarted server serves the same index"
    );
}

/// Every file of a folder, by name, with its bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_commit_killed_after_writing_its_delete_file_does_not_block_the_next_commit() {
    use incident_kb::index::SearchIndex;
    use incident_kb::index::write::RepairFacets;
    let tmp = tempfile::tempdir().unwrap();
    let index_dir = ingested(tmp.path());
    let search = index_dir.join("search");
    let before = files(&search);
    let facets = RepairFacets {
        values: ["completed"].into_iter().collect(),
    };
    let refresh = || {
        let index = SearchIndex::open(&search).unwrap();
        let incident = index.get("2024-04-22-azure-dns").unwrap();
        index.refresh(&[(incident, facets.clone())])
    };
    refresh().unwrap();
    let after = files(&search);
    let deletes: Vec<&String> = after
        .keys()
        .filter(|f| f.ends_with(".del") && !before.contains_key(*f))
        .collect();
    assert!(!deletes.is_empty(), "the refresh wrote a delete file");
    // What a kill between writing the delete file and meta.json leaves: the old commit, the
    // file list tantivy keeps (it is written before each file), and the orphan file.
    for f in after.keys() {
        std::fs::remove_file(search.join(f)).unwrap();
    }
    for (f, bytes) in &before {
        std::fs::write(search.join(f), bytes).unwrap();
    }
    for f in deletes
        .iter()
        .copied()
        .chain([&".managed.json".to_string()])
    {
        std::fs::write(search.join(f), &after[f]).unwrap();
    }
    refresh().expect("the next commit is not blocked by the orphan file");
    let index = SearchIndex::open(&search).unwrap();
    assert!(index.damaged_files().unwrap().is_empty());
    assert_eq!(
        index.get("2024-04-22-azure-dns").unwrap().id,
        "2024-04-22-azure-dns"
    );
}

#[test]
fn a_damaged_tracking_store_is_an_error_with_advice_that_works_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let index = ingested(tmp.path());
    let backup = tmp.path().join("backup.json");
    let o = ikb(&index, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let items = json(&std::fs::read_to_string(&backup).unwrap())["records"]
        .as_array()
        .unwrap()
        .len();
    // A damaged snapshot: set aside, and the store opens from its log with every item.
    let tracking = index.join("tracking");
    let snapshots: Vec<PathBuf> = std::fs::read_dir(&tracking)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
        })
        .collect();
    assert!(
        !snapshots.is_empty(),
        "sled wrote a snapshot when it was reopened"
    );
    for s in &snapshots {
        let mut bytes = std::fs::read(s).unwrap();
        let mid = bytes.len() / 2;
        bytes.truncate(mid.max(1));
        bytes.iter_mut().for_each(|b| *b ^= 0x5a);
        std::fs::write(s, bytes).unwrap();
    }
    let o = ikb(&index, &["repairs", "--json"]);
    assert!(o.status.success(), "a damaged snapshot: {}", text(&o));
    assert_eq!(
        json(&String::from_utf8_lossy(&o.stdout))
            .as_array()
            .unwrap()
            .len(),
        items
    );
    // A truncated log (below what the snapshot covers): sled recovers what the log still
    // holds, or the command says the store is damaged and what to do; it never panics.
    let db = tracking.join("db");
    let len = std::fs::metadata(&db).unwrap().len();
    for keep in [len / 50, len / 3] {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len(keep)
            .unwrap();
        for args in [
            vec!["repairs"],
            vec!["backup"],
            vec!["restore", backup.to_str().unwrap(), "--replace"],
        ] {
            let o = ikb(&index, &args);
            let out = text(&o);
            assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {out}");
            assert!(!out.contains("panicked"), "{args:?}: {out}");
            if !o.status.success() {
                assert!(out.contains("ikb restore"), "{args:?}: {out}");
            }
        }
    }
    // The advice: move it aside and restore into a fresh store.
    std::fs::rename(&tracking, index.join("tracking.damaged")).unwrap();
    let o = ikb(&index, &["restore", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("restored {items} repair items")));
}

/// Flip one byte in the middle of the largest file of the index's segments.
fn damage_index(search: &Path) {
    let largest = std::fs::read_dir(search)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".idx") || name.ends_with(".store") || name.ends_with(".pos")
        })
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&largest).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&largest, bytes).unwrap();
}

#[test]
fn a_damaged_search_index_is_rebuilt_from_the_corpus_by_ingest_and_by_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let index = ingested(tmp.path());
    damage_index(&index.join("search"));
    let o = ikb(
        &index,
        &["ingest", "--corpus", common::seeds_dir().to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("(rebuilt)"),
        "ingest saw the damage: {}",
        text(&o)
    );
    let opened = incident_kb::index::SearchIndex::open(&index.join("search")).unwrap();
    assert!(opened.damaged_files().unwrap().is_empty());
    drop(opened);
    let o = ikb(&index, &["search", "--json", "nameservers"]);
    assert!(o.status.success(), "{}", text(&o));
    // The server checks at start, beside its first requests.
    let dir = tmp.path().join("served");
    prepare(&dir, PASSWORD, TOKEN);
    let log = dir.join("serve.log");
    let port = free_port();
    drop(serve(&dir, port, &log));
    damage_index(&dir.join("index/search"));
    let _server = serve(&dir, port, &log);
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("search index rebuilt")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no rebuild: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (s, body) = http_get(port, "/api/v1/search?q=nameservers").unwrap();
    assert_eq!(s, 200, "{body}");
    assert_eq!(json(&body)["hits"][0]["id"], "2024-04-22-azure-dns");
}

#[test]
fn a_search_that_fails_on_damaged_files_has_the_index_rebuilt_while_the_server_runs() {
    use std::io::{Seek, SeekFrom, Write};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    prepare(&dir, PASSWORD, TOKEN);
    let log = dir.join("serve.log");
    let port = free_port();
    let _server = serve(&dir, port, &log);
    let (s, _) = http_get(port, "/api/v1/search?q=nameservers").unwrap();
    assert_eq!(s, 200);
    // Zero half of the postings in place (the server has them mapped; no truncation), as a
    // failing disk would: searches then read garbage.
    for e in std::fs::read_dir(dir.join("index/search"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "idx") {
            let len = e.metadata().unwrap().len();
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(e.path())
                .unwrap();
            f.seek(SeekFrom::Start(0)).unwrap();
            f.write_all(&vec![0u8; (len / 2) as usize]).unwrap();
            f.sync_all().unwrap();
        }
    }
    let started = Instant::now();
    let mut failed = 0;
    loop {
        let (s, body) = http_get(port, "/api/v1/search?q=nameservers").unwrap();
        if s == 200 && json(&body)["hits"][0]["id"] == "2024-04-22-azure-dns" {
            break;
        }
        assert!(s == 500 || s == 200, "{s}: {body}");
        failed += 1;
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no rebuild: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(failed > 0, "the damage was not seen");
    // The rebuilt index answers before the line that says so is logged.
    wait_until("the rebuild's log line", || {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("search index rebuilt")
    });
}

fn write_backup(path: &Path, backup: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec(backup).unwrap()).unwrap();
}

#[test]
fn restore_checks_every_record_and_brings_the_status_facets_in_line() {
    let tmp = tempfile::tempdir().unwrap();
    let index = ingested(tmp.path());
    let file = tmp.path().join("backup.json");
    let o = ikb(&index, &["backup", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let backup = json(&std::fs::read_to_string(&file).unwrap());
    let count = backup["records"].as_array().unwrap().len();
    let completed = |index: &Path| -> Vec<String> {
        let o = ikb(
            index,
            &["search", "--json", "--status", "completed", "--limit", "50"],
        );
        assert!(o.status.success(), "{}", text(&o));
        json(&String::from_utf8_lossy(&o.stdout))["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    let incident = "2024-01-21-azure-resource-manager";
    assert!(!completed(&index).contains(&incident.to_string()));
    // Every item of one incident completed in the backup: after the restore the index's
    // status facets say so (they stayed stale, and ingest said "unchanged").
    let mut done = backup.clone();
    for r in done["records"].as_array_mut().unwrap() {
        if r["incident_id"] == incident {
            r["tracking"]["status"] = "completed".into();
        }
    }
    let done_file = tmp.path().join("done.json");
    write_backup(&done_file, &done);
    let o = ikb(
        &index,
        &["restore", done_file.to_str().unwrap(), "--replace"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(completed(&index).contains(&incident.to_string()));
    // Records the API would refuse are refused here too, and nothing changes.
    let bad = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut b = backup.clone();
        edit(&mut b);
        let f = tmp.path().join("bad.json");
        write_backup(&f, &b);
        let o = ikb(&index, &["restore", f.to_str().unwrap(), "--replace"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let o2 = ikb(&index, &["repairs", "--json"]);
        let stored = json(&String::from_utf8_lossy(&o2.stdout));
        assert_eq!(stored.as_array().unwrap().len(), count, "nothing changed");
        text(&o)
    };
    let out = bad(&|b| b["records"][0]["tracking"]["link"] = "javascript:alert(1)".into());
    assert!(
        out.contains("record 1") && out.contains("http:// or https://"),
        "{out}"
    );
    let out = bad(&|b| b["records"][1]["tracking"]["note"] = "n".repeat(100_000).into());
    assert!(
        out.contains("record 2") && out.contains("the limit is 4000"),
        "{out}"
    );
    let out = bad(&|b| {
        let first = b["records"][0].clone();
        b["records"].as_array_mut().unwrap().push(first);
    });
    assert!(out.contains("comes twice"), "{out}");
    let out = bad(&|b| b["records"] = serde_json::json!([]));
    assert!(out.contains("--force"), "{out}");
    let mut empty = backup.clone();
    empty["records"] = serde_json::json!([]);
    write_backup(&file, &empty);
    let o = ikb(
        &index,
        &["restore", file.to_str().unwrap(), "--replace", "--force"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("restored 0 repair items"));
}

#[test]
fn a_read_only_index_folder_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&tmp.path().join("disk"), 16);
    let index = ingested(&disk.path);
    let remount = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.path)
        .status()
        .unwrap();
    assert!(remount.success());
    let o = ikb(&index, &["search", "nameservers"]);
    let out = text(&o);
    assert!(!out.contains("in use by another writer"), "{out}");
    if !o.status.success() {
        assert!(out.contains("read-only"), "{out}");
    }
}
