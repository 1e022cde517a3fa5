//! `cargo xtask fuzz [--time SECONDS | --runs N] [--jobs J] [--target NAME]…`: every cargo-fuzz
//! target in fuzz/ for SECONDS each (default 30), or for N inputs with a fixed seed (`--runs`:
//! deterministic, what CI uses), J targets at a time (default 1). Seeds: the fixture files of
//! each kind, and for the SBOM and Sigstore targets the public vectors in ../shared/vectors when
//! it is there (read from there, copied only into target/). New corpus entries are kept in
//! fuzz/corpus/<target> (not committed); inputs under fuzz/regressions/<target> (crashes found
//! and fixed) are replayed every time. J workers take targets from one queue, slowest first;
//! each target's libFuzzer log is in target/fuzz-logs/<target>.log while it runs. Prints
//! executions per target; a crash fails the run with the end of libFuzzer's log. The targets
//! themselves keep rayon to one thread (fuzz/src/lib.rs), so `--jobs 2` uses two cores.
//!
//! Stable Rust: `--sanitizer none` (chainward forbids unsafe code, so what is looked for is a
//! panic, a hang or runaway memory, which libFuzzer's `-timeout` and `-rss_limit_mb` catch).
//! cargo-fuzz is installed into target/fuzz-tools on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const CARGO_FUZZ: &str = "0.13.2";

/// Each target and the fixture files that seed it (by file name; `*` matches any run).
pub const TARGETS: &[(&str, &[&str])] = &[
    ("package_json", &["package.json"]),
    (
        "npm_lockfile",
        &["package-lock.json", "npm-shrinkwrap.json"],
    ),
    ("pnpm_lockfile", &["pnpm-lock.yaml"]),
    ("yarn_lockfile", &["yarn.lock"]),
    ("bun_lockfile", &["bun.lock"]),
    ("workflow", &["*.yml", "*.yaml"]),
    ("action", &["action.yml", "action.yaml"]),
    (
        "dockerfile",
        &["Dockerfile", "*.Dockerfile", "Dockerfile.*"],
    ),
    ("npmrc", &[".npmrc", ".yarnrc.yml"]),
    ("config", &["chainward.toml"]),
    ("sbom", &["*.json"]),
    (
        "sigstore",
        &["*.sigstore.json", "*.intoto.jsonl", "*.json", "*.sigstore"],
    ),
    ("fix_engine", &["package.json", "package-lock.json"]),
    ("osv", &["GHSA-*.json", "MAL-*.json"]),
    ("server_json", &["server.json"]),
    ("mcpb", &["*.mcpb"]),
    ("python_lock", &["uv.lock", "pylock.toml", "poetry.lock"]),
    ("pyproject", &["pyproject.toml", "requirements*.txt"]),
];

/// The order the queue takes them in: inputs per second, slowest first (measured).
const SLOWEST_FIRST: &[&str] = &[
    "npm_lockfile",
    "pnpm_lockfile",
    "yarn_lockfile",
    "workflow",
    "dockerfile",
    "sigstore",
    "package_json",
    "server_json",
    "python_lock",
    "pyproject",
    "mcpb",
    "action",
    "config",
    "sbom",
    "npmrc",
    "bun_lockfile",
    "osv",
    "fix_engine",
];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

/// Files whose names match `patterns` (at most 300, the smallest first: a seed corpus, not the
/// bench inputs): from the fixtures, and for the document targets from ../shared/vectors.
fn seeds(root: &Path, target: &str, patterns: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let vectors = root.join("../shared/vectors");
    let mut stack = match target {
        "sbom" => vec![vectors.join("sbom-examples")],
        "sigstore" => vec![
            vectors.join("sigstore-conformance"),
            vectors.join("npm-provenance"),
            vectors.join("slsa-verifier"),
        ],
        _ => vec![root.join("fixtures")],
    };
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "node_modules" && name != "bench" {
                    stack.push(path);
                }
            } else if patterns.iter().any(|p| matches(p, &name)) {
                let size = e.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
                if size <= 1 << 20 {
                    found.push((size, path));
                }
            }
        }
    }
    found.sort();
    found.into_iter().take(300).map(|(_, p)| p).collect()
}

fn cargo_fuzz(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/fuzz-tools");
    let bin = prefix.join("bin/cargo-fuzz");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "install",
                "--locked",
                "--quiet",
                "cargo-fuzz",
                "--version",
                CARGO_FUZZ,
                "--root",
            ])
            .arg(&prefix)
            .status()
            .context("running cargo install cargo-fuzz")?;
        if !status.success() {
            bail!("cargo install cargo-fuzz@{CARGO_FUZZ} failed");
        }
    }
    Ok(bin)
}

pub fn run(args: &[String]) -> Result<()> {
    let value = |flag: &str| -> Option<u64> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
    };
    let time = value("--time").unwrap_or(30);
    let runs = value("--runs");
    let jobs = value("--jobs").unwrap_or(1).max(1) as usize;
    let only: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| *i > 0 && args[i - 1] == "--target" && !a.starts_with("--"))
        .map(|(_, a)| a.as_str())
        .collect();
    let root = crate::workspace_root();
    let fuzz = cargo_fuzz(&root)?;
    let targets: Vec<&(&str, &[&str])> = TARGETS
        .iter()
        .filter(|(t, _)| only.is_empty() || only.contains(t))
        .collect();
    if targets.is_empty() {
        bail!(
            "no such target; the targets: {}",
            TARGETS.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
        );
    }
    // One build of every target first (the slow part), then the runs.
    let status = Command::new(&fuzz)
        .args(["build", "--sanitizer", "none", "--release"])
        .current_dir(&root)
        .env_remove("RUSTC_WRAPPER")
        .status()
        .context("running cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed");
    }
    // J workers take the next target from one queue, the slowest targets (whole lockfiles)
    // first, so no core idles while another still has two targets to go.
    let mut queue: Vec<(usize, &(&str, &[&str]))> = targets.iter().copied().enumerate().collect();
    queue.sort_by_key(|(_, (t, _))| {
        SLOWEST_FIRST
            .iter()
            .position(|s| s == t)
            .unwrap_or(usize::MAX)
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut rows: Vec<(usize, Result<Row>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                let (root, fuzz, queue, next) = (&root, &fuzz, &queue, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    while let Some((i, (target, patterns))) =
                        queue.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        done.push((*i, one(root, fuzz, target, patterns, time, runs)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    rows.sort_by_key(|(i, _)| *i);
    let rows = rows.into_iter().map(|(_, row)| row);
    let mut total = 0;
    let mut failed = Vec::new();
    for row in rows {
        match row {
            Ok((target, execs, cov)) => {
                total += execs;
                println!("{target:<16} {execs:>10} executions  (cov {cov})");
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    if !failed.is_empty() {
        bail!("{}", failed.join("\n"));
    }
    println!("all targets: {total} executions, no crash");
    Ok(())
}

/// A target's name, executions and final coverage.
type Row = (String, u64, String);

/// Run one target; `Err` with the end of libFuzzer's log when it found a crash.
fn one(
    root: &Path,
    fuzz: &Path,
    target: &str,
    patterns: &[&str],
    time: u64,
    runs: Option<u64>,
) -> Result<Row> {
    let corpus = root.join("fuzz/corpus").join(target);
    let seed_dir = root.join("target/fuzz-seeds").join(target);
    let _ = std::fs::remove_dir_all(&seed_dir);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&seed_dir)?;
    for (i, s) in seeds(root, target, patterns).iter().enumerate() {
        std::fs::copy(s, seed_dir.join(format!("seed-{i}")))?;
    }
    let regressions = root.join("fuzz/regressions").join(target);
    let mut cmd = Command::new(fuzz);
    cmd.args(["run", "--sanitizer", "none", "--release", target])
        .arg(&corpus)
        .arg(&seed_dir);
    if regressions.is_dir() {
        cmd.arg(&regressions);
    }
    let limit = match runs {
        Some(n) => vec![format!("-runs={n}"), "-seed=1".to_string()],
        None => vec![format!("-max_total_time={time}")],
    };
    cmd.arg("--")
        .args(limit)
        .args([
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=262144",
            "-print_final_stats=1",
        ])
        .current_dir(root)
        .env_remove("RUSTC_WRAPPER");
    // libFuzzer's log goes to a file, to follow a long run as it goes (`tail -f`).
    let logs = root.join("target/fuzz-logs");
    std::fs::create_dir_all(&logs)?;
    let log_path = logs.join(format!("{target}.log"));
    let status = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path)?)
        .status()
        .context("running cargo fuzz run")?;
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let execs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let cov = log
        .lines()
        .rev()
        .find_map(|l| l.split(" cov: ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    if !status.success() {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{target}: the fuzzer found a crash (the input is under fuzz/artifacts/{target}):\n{}",
            tail.join("\n")
        );
    }
    Ok((target.to_string(), execs, cov))
}
