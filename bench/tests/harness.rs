//! The benchmark harness runs end to end on a tiny corpus, so it cannot rot. (Figures from a
//! run this small mean nothing; BENCHMARKS.md has the real ones.)

use std::process::Command;

/// `ikb-bench` run from the repository root (it reads `bench/queries.tsv` and `corpus/`).
fn ikb_bench() -> Command {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ikb-bench"));
    cmd.current_dir(root);
    cmd
}

/// Run it; it must succeed. Its standard output.
fn succeeds(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_harness_runs_on_a_tiny_corpus() {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("figures.json");
    let stdout = succeeds(
        ikb_bench()
            .args([
                "run",
                "--sizes",
                "40",
                "--rounds",
                "1",
                "--load-seconds",
                "1",
                "--from",
                "corpus",
                "--work",
            ])
            .arg(work.path().join("w"))
            .arg("--json")
            .arg(&json),
    );
    assert!(stdout.contains("### 40 incidents"), "{stdout}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let r = &v[0];
    assert_eq!(r["incidents"], 40);
    for key in [
        "ikb_p50_ms",
        "fts_p50_ms",
        "max_qps_search_page",
        "write_p50_ms",
        "fsync_p50_ms",
        "start_to_first_result_ms",
    ] {
        assert!(
            r[key].as_f64().is_some_and(|x| x > 0.0),
            "{key} = {}",
            r[key]
        );
    }
    assert_eq!(r["server_errors"], 0);

    // `profile` times the same queries alone, on the index the run kept.
    let stdout = succeeds(
        ikb_bench()
            .args(["profile", "--rounds", "1", "--slowest"])
            .arg(work.path().join("w/40/index/search")),
    );
    assert!(stdout.contains(" hits  "), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().starts_with("p50 "),
        "{stdout}"
    );
}

#[test]
fn the_soak_runs_briefly_without_errors() {
    let out = ikb_bench()
        .args(["soak", "--requests", "3000", "--connections", "8"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("| 5xx answers | 0 |"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("| malformed among them | 300 |"),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("acknowledged / in its history"))
        .unwrap();
    let nums: Vec<&str> = line
        .split('|')
        .nth(2)
        .unwrap()
        .split('/')
        .map(str::trim)
        .collect();
    assert_eq!(
        nums[0], nums[1],
        "every acknowledged write is in the history: {line}"
    );
}
