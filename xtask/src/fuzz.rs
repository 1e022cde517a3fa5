//! `cargo xtask fuzz [--time SECONDS] [--target NAME]…`: every cargo-fuzz target in fuzz/ for
//! SECONDS each (default 30), seeded from the fixtures, new corpus entries kept in
//! fuzz/corpus/<target> (not committed). Prints executions per target; a crash stops the run
//! with libFuzzer's reproducer path.
//!
//! Stable Rust: `--sanitizer none` (chainward forbids unsafe code, so what is looked for is a
//! panic, a hang or runaway memory, which libFuzzer's `-timeout` and `-rss_limit_mb` catch).
//! cargo-fuzz is installed into target/fuzz-tools on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const CARGO_FUZZ: &str = "0.13.1";

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
    (
        "sbom",
        &["*.cdx.json", "*.spdx.json", "bom.json", "*.sbom.json"],
    ),
    ("sigstore", &["*.sigstore.json", "*.intoto.jsonl"]),
    ("fix_engine", &["package.json", "package-lock.json"]),
];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
    }
}

/// Fixture files whose names match `patterns` (at most 300, the smallest first: a seed corpus,
/// not the bench inputs).
fn seeds(root: &Path, patterns: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.join("fixtures")];
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
    let time: u64 = args
        .iter()
        .position(|a| a == "--time")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
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
    let mut rows = Vec::new();
    for (target, patterns) in targets {
        let corpus = root.join("fuzz/corpus").join(target);
        let seed_dir = root.join("target/fuzz-seeds").join(target);
        let _ = std::fs::remove_dir_all(&seed_dir);
        std::fs::create_dir_all(&corpus)?;
        std::fs::create_dir_all(&seed_dir)?;
        for (i, s) in seeds(&root, patterns).iter().enumerate() {
            std::fs::copy(s, seed_dir.join(format!("fixture-{i}")))?;
        }
        let regressions = root.join("fuzz/regressions").join(target);
        let mut cmd = Command::new(&fuzz);
        cmd.args(["run", "--sanitizer", "none", "--release", target])
            .arg(&corpus)
            .arg(&seed_dir);
        if regressions.is_dir() {
            cmd.arg(&regressions);
        }
        cmd.args([
            "--",
            &format!("-max_total_time={time}"),
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=262144",
            "-print_final_stats=1",
        ])
        .current_dir(&root)
        .env_remove("RUSTC_WRAPPER");
        let out = cmd.output().context("running cargo fuzz run")?;
        let log = String::from_utf8_lossy(&out.stderr);
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
        println!("{target:<16} {execs:>10} executions in {time} s  (cov {cov})");
        if !out.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for l in tail.into_iter().rev() {
                eprintln!("{l}");
            }
            bail!(
                "{target}: the fuzzer found a crash (see above; the input is under fuzz/artifacts/{target})"
            );
        }
        rows.push((target, execs));
    }
    let total: u64 = rows.iter().map(|r| r.1).sum();
    println!("all targets: {total} executions, no crash");
    Ok(())
}
