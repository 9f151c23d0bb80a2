//! A synthetic corpus for benchmarks: N Markdown reports recombined from real ones (their
//! paragraphs, timeline steps and repair items, with services, regions, dates and statuses drawn
//! anew). The same sources and seed give the same files.

use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::incident::{Incident, SectionKind};
use crate::report::text::bullet;

const SYMPTOMS: &[&str] = &[
    "HTTP 429 errors",
    "HTTP 5xx errors",
    "elevated latency",
    "connection timeouts",
    "failed deployments",
    "virtual machine restarts",
    "DNS resolution failures",
    "authentication failures",
    "data plane errors",
    "control plane failures",
    "degraded performance",
    "intermittent availability",
    "replication lag",
    "certificate validation errors",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// What the generator recombines: paragraphs and lines of real reviews.
#[derive(Debug, Default)]
pub struct Pools {
    pub summaries: Vec<String>,
    pub root_causes: Vec<String>,
    pub responses: Vec<String>,
    pub steps: Vec<String>,
    pub repairs: Vec<String>,
    pub guidance: Vec<String>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
}

fn paragraphs(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| p.len() > 80 && !p.lines().any(|l| bullet(l).is_some()))
        .map(|p| p.replace('\n', " "))
}

impl Pools {
    /// Collect the pools from parsed incidents (current reviews), deduplicated and sorted so
    /// that file order does not matter.
    pub fn from_incidents(incidents: &[Incident]) -> Pools {
        let mut p = Pools::default();
        for i in incidents {
            let r = i.current();
            for s in &r.sections {
                let pool = match s.kind {
                    SectionKind::WhatHappened => &mut p.summaries,
                    SectionKind::RootCause => &mut p.root_causes,
                    SectionKind::Response => &mut p.responses,
                    SectionKind::CustomerGuidance => &mut p.guidance,
                    _ => continue,
                };
                // A paragraph with its own impact window would move the generated one.
                pool.extend(
                    paragraphs(&s.text).filter(|p| crate::report::time::find_windows(p).is_empty()),
                );
            }
            p.steps.extend(
                r.timeline
                    .iter()
                    .map(|t| t.text.replace('\n', " "))
                    .filter(|t| t.len() > 20),
            );
            p.repairs.extend(
                r.repair_items
                    .iter()
                    .map(|x| x.text.replace('\n', " "))
                    .filter(|t| t.len() > 20),
            );
            p.services.extend(r.services.iter().cloned());
            p.regions.extend(r.regions.iter().cloned());
        }
        for v in [
            &mut p.summaries,
            &mut p.root_causes,
            &mut p.responses,
            &mut p.steps,
            &mut p.repairs,
            &mut p.guidance,
            &mut p.services,
            &mut p.regions,
        ] {
            v.sort();
            v.dedup();
        }
        p
    }

    fn ready(&self) -> bool {
        [
            &self.summaries,
            &self.root_causes,
            &self.steps,
            &self.repairs,
            &self.services,
            &self.regions,
        ]
        .iter()
        .all(|v| !v.is_empty())
    }
}

fn pick<'a>(rng: &mut StdRng, v: &'a [String]) -> &'a str {
    v.choose(rng).map_or("", String::as_str)
}

/// One generated report, as Markdown with TOML front matter.
pub fn report(pools: &Pools, seed: u64, n: usize) -> String {
    let mut rng = StdRng::seed_from_u64(seed ^ (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let start_day =
        jiff::civil::date(2012, 1, 1) + jiff::Span::new().days(rng.random_range(0..5400));
    let start = start_day.at(rng.random_range(0..24), rng.random_range(0..60), 0, 0);
    let minutes: i64 = (rng.random_range(2.3f64..8.5)).exp() as i64;
    let end = start + jiff::Span::new().minutes(minutes);
    let service = pick(&mut rng, &pools.services).to_string();
    let mut services = vec![service.clone()];
    for _ in 0..rng.random_range(0..3) {
        let s = pick(&mut rng, &pools.services).to_string();
        if !services.contains(&s) {
            services.push(s);
        }
    }
    let mut regions: Vec<String> = Vec::new();
    for _ in 0..rng.random_range(1..4) {
        let r = pick(&mut rng, &pools.regions).to_string();
        if !regions.contains(&r) {
            regions.push(r);
        }
    }
    let symptom = *SYMPTOMS.choose(&mut rng).expect("symptoms");
    let stage = if rng.random_bool(0.06) {
        "preliminary"
    } else {
        "final"
    };
    let fmt = |t: jiff::civil::DateTime| {
        format!(
            "{:02}:{:02} UTC on {} {} {}",
            t.hour(),
            t.minute(),
            t.day(),
            MONTHS[t.month() as usize - 1],
            t.year()
        )
    };
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::with_capacity(4096);
    out.push_str("+++\n");
    out.push_str(&format!("id = \"gen-{seed}-{n:07}\"\n"));
    out.push_str(&format!(
        "title = \"{} – {symptom} in {}\"\n",
        quote(&service),
        quote(&regions.join(", "))
    ));
    out.push_str(&format!("stage = \"{stage}\"\nprovider = \"synthetic\"\n"));
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("\"{}\"", quote(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!(
        "services = [{}]\nregions = [{}]\n+++\n\n",
        list(&services),
        list(&regions)
    ));
    out.push_str(&format!(
        "# {service} – {symptom} in {}\n\n## What happened\n\n",
        regions.join(", ")
    ));
    out.push_str(&format!(
        "Between {} and {}, customers using {service} in {} experienced {symptom}.\n\n",
        fmt(start),
        fmt(end),
        regions.join(", ")
    ));
    for _ in 0..rng.random_range(1..3) {
        out.push_str(pick(&mut rng, &pools.summaries));
        out.push_str("\n\n");
    }
    out.push_str("## Root cause\n\n");
    for _ in 0..rng.random_range(1..4) {
        out.push_str(pick(&mut rng, &pools.root_causes));
        out.push_str("\n\n");
    }
    out.push_str("## Timeline\n\n");
    let steps = rng.random_range(3..12);
    for k in 0..steps {
        let at = start + jiff::Span::new().minutes(minutes * k / steps.max(1));
        out.push_str(&format!(
            "- {} – {}\n",
            fmt(at),
            pick(&mut rng, &pools.steps)
        ));
    }
    if !pools.responses.is_empty() && rng.random_bool(0.5) {
        out.push_str(&format!("\n{}\n", pick(&mut rng, &pools.responses)));
    }
    let items = rng.random_range(0..10);
    if items > 0 {
        out.push_str("\n## Action items\n\n");
        for _ in 0..items {
            let text = pick(&mut rng, &pools.repairs)
                .trim_end_matches('.')
                .to_string();
            let marker = match rng.random_range(0..10) {
                0..4 => "(Completed)".to_string(),
                4..9 => {
                    let due = start_day + jiff::Span::new().days(rng.random_range(20..400));
                    format!(
                        "(Estimated completion: {} {})",
                        MONTHS[due.month() as usize - 1],
                        due.year()
                    )
                }
                _ => "(Estimated completion: TBD)".to_string(),
            };
            out.push_str(&format!("- {text}. {marker}\n"));
        }
    }
    if !pools.guidance.is_empty() && rng.random_bool(0.3) {
        out.push_str(&format!(
            "\n## Customer guidance\n\n{}\n",
            pick(&mut rng, &pools.guidance)
        ));
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error(
        "the source reports give too little to recombine (need summaries, root causes, timeline steps, repair items, services and regions)"
    )]
    EmptyPools,
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Write `count` reports under `out` (1,000 per folder). Returns the bytes written.
pub fn write_corpus(pools: &Pools, seed: u64, count: usize, out: &Path) -> Result<u64, GenError> {
    if !pools.ready() {
        return Err(GenError::EmptyPools);
    }
    let mut bytes = 0u64;
    for n in 0..count {
        let dir = out.join(format!("{:04}", n / 1000));
        if n % 1000 == 0 {
            std::fs::create_dir_all(&dir).map_err(|source| GenError::Write {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let path = dir.join(format!("gen-{n:07}.md"));
        let text = report(pools, seed, n);
        let mut f = std::fs::File::create(&path).map_err(|source| GenError::Write {
            path: path.display().to_string(),
            source,
        })?;
        f.write_all(text.as_bytes())
            .map_err(|source| GenError::Write {
                path: path.display().to_string(),
                source,
            })?;
        bytes += text.len() as u64;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools() -> Pools {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let read = crate::ingest::corpus::read(
            &[root],
            &crate::catalog::Catalogue::bundled(),
            |_, _, _| {},
        )
        .unwrap();
        Pools::from_incidents(&read.incidents)
    }

    #[test]
    fn the_same_seed_gives_the_same_reports_and_they_parse() {
        let p = pools();
        assert_eq!(report(&p, 1, 5), report(&p, 1, 5));
        assert_ne!(report(&p, 1, 5), report(&p, 2, 5));
        let text = report(&p, 1, 5);
        let drafts = crate::report::parse_file("g.md", Path::new("g.md"), text.as_bytes()).unwrap();
        let d = &drafts[0];
        assert!(d.impact_start.is_some() && d.impact_end.is_some());
        assert!(d.timeline.len() >= 3);
        assert_eq!(
            d.front_matter.as_ref().unwrap().id.as_deref(),
            Some("gen-1-0000005")
        );
    }
}
