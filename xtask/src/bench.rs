//! `cargo xtask bench`: whole-process wall time of `chainward check` and `chainward sbom` on real
//! projects, side by side with peer tools (lockfile-lint, cyclonedx-npm) on the same input in the
//! same run, reported as ratios.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

struct Target {
    name: &'static str,
    dir: &'static str,
    lockfile: &'static str,
    /// lockfile-lint's `--type`, or `None` where it cannot read the format (pnpm, uv).
    peer_type: Option<&'static str>,
    /// A tiny project of the same ecosystem: the same code paths paged in, for the memory the
    /// lockfile itself costs.
    tiny: &'static str,
}

const TINY_NPM: &str = "fixtures/pin-check/clean";

const TARGETS: &[Target] = &[
    Target {
        name: "mcp-server (typical)",
        dir: "fixtures/pin-check/mcp-server",
        lockfile: "package-lock.json",
        peer_type: Some("npm"),
        tiny: TINY_NPM,
    },
    Target {
        name: "large npm lockfile",
        dir: "fixtures/bench/large",
        lockfile: "package-lock.json",
        peer_type: Some("npm"),
        tiny: TINY_NPM,
    },
    Target {
        name: "large pnpm lockfile",
        dir: "fixtures/bench/large-pnpm",
        lockfile: "pnpm-lock.yaml",
        peer_type: None,
        tiny: "fixtures/npm-ci/formats/pnpm-v9",
    },
    Target {
        name: "large yarn lockfile",
        dir: "fixtures/bench/large-yarn",
        lockfile: "yarn.lock",
        peer_type: Some("yarn"),
        tiny: "fixtures/npm-ci/formats/yarn-classic",
    },
    Target {
        name: "large yarn berry lockfile",
        dir: "fixtures/bench/large-berry",
        lockfile: "yarn.lock",
        peer_type: Some("yarn"),
        tiny: "fixtures/npm-ci/formats/yarn-berry",
    },
    Target {
        name: "large uv lockfile",
        dir: "fixtures/bench/large-uv",
        lockfile: "uv.lock",
        peer_type: None,
        tiny: "fixtures/bench/tiny-uv",
    },
];

pub fn run(args: &[String]) -> Result<()> {
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let peers = !args.iter().any(|a| a == "--no-peers");
    let root = crate::workspace_root();
    let exe = crate::release_binary(&root)?;
    if args.iter().any(|a| a == "--hostile") {
        return crate::hostile::run(&root, &exe);
    }
    println!("chainward bench: {runs} runs each, min / median wall time of the whole process\n");
    for target in TARGETS {
        let dir = root.join(target.dir);
        let lock = dir.join(target.lockfile);
        if !lock.is_file() {
            println!("{}: {} missing, skipped", target.name, lock.display());
            continue;
        }
        let bytes = std::fs::metadata(&lock).map(|m| m.len()).unwrap_or(0);
        let packages = count_packages(&lock);
        println!(
            "== {} ({}: {} bytes, {} packages)",
            target.name, target.lockfile, bytes, packages
        );
        let ours = time(runs, || {
            Command::new(&exe)
                .args(["check", "--quiet", "--color", "never", "."])
                .current_dir(&dir)
                .output()
        })?;
        report("chainward check", &ours, None);
        // One batch of `perf stat` is at the mercy of whatever else the machine does for its
        // few hundred milliseconds: several batches, their median and spread.
        let batches: Vec<(f64, f64)> = (0..CPU_BATCHES)
            .filter_map(|_| cpus_utilized(&exe, &dir, runs))
            .collect();
        if let Some((cpu, cpus, low, high)) = spread(&batches) {
            println!(
                "  perf stat: {cpu:.1} ms of CPU, {cpus:.2} CPUs utilized (median of {} batches of {runs}; {low:.2} to {high:.2})",
                batches.len()
            );
        }
        // Peak memory attributable to the lockfile: above a run on an empty folder, and above
        // a run on a tiny project of the same ecosystem (same code paths paged in, a lockfile of
        // a few kilobytes).
        let empty = root.join("target/bench-empty");
        let _ = std::fs::create_dir_all(&empty);
        let tiny = root.join(target.tiny);
        if let Some((rss, above_empty, above_tiny)) = peak_rss_above(&exe, &dir, &empty, &tiny) {
            let mib = |k: u64| k as f64 / 1024.0;
            let ratio = |above: u64| (above * 1024) as f64 / bytes.max(1) as f64;
            println!(
                "  peak RSS {:.1} MiB: {:.1} MiB above an empty run ({:.2}x the lockfile), {:.1} MiB above a tiny project ({:.2}x)",
                mib(rss),
                mib(above_empty),
                ratio(above_empty),
                mib(above_tiny),
                ratio(above_tiny),
            );
        }
        // SBOM generation, side by side with cyclonedx-npm on the npm lockfiles.
        let sbom = time(runs, || {
            Command::new(&exe)
                .args(["sbom", "--reproducible", "."])
                .current_dir(&dir)
                .output()
        })?;
        report("chainward sbom", &sbom, None);
        if peers && target.lockfile == "package-lock.json" {
            match cyclonedx_npm(&root) {
                Ok(bin) => {
                    let out = root.join("target/bench-tools/bom.json");
                    let peer = time(runs.clamp(1, 3), || {
                        Command::new("node")
                            .arg(&bin)
                            .args([
                                "--package-lock-only",
                                "--output-reproducible",
                                "--ignore-npm-errors",
                                "--output-file",
                            ])
                            .arg(&out)
                            .current_dir(&dir)
                            .output()
                    });
                    match peer {
                        Ok(peer) => report("cyclonedx-npm 4.2 (node)", &peer, Some(&sbom)),
                        Err(e) => println!("  cyclonedx-npm: not run ({e})"),
                    }
                }
                Err(e) => println!("  cyclonedx-npm: not installed ({e})"),
            }
        }
        if let (true, Some(peer_type)) = (peers, target.peer_type) {
            // lockfile-lint validates hosts, https, integrity and package names of an npm
            // lockfile: the closest peer (the flags issue 3 names).
            // Installed once under target/ and run with node directly (no npx start-up cost).
            match lockfile_lint(&root) {
                Ok(bin) => {
                    let peer = time(runs.min(10), || {
                        Command::new("node")
                            .arg(&bin)
                            .args([
                                "--path",
                                target.lockfile,
                                "--type",
                                peer_type,
                                "--allowed-hosts",
                                "npm",
                                "--validate-https",
                                "--validate-integrity",
                                "--validate-package-names",
                            ])
                            .current_dir(&dir)
                            .output()
                    });
                    match peer {
                        Ok(peer) => report("lockfile-lint 4 (node)", &peer, Some(&ours)),
                        Err(e) => println!("  lockfile-lint: not run ({e})"),
                    }
                }
                Err(e) => println!("  lockfile-lint: not installed ({e})"),
            }
        }
        println!();
    }
    workspaces(&root, &exe, runs)?;
    pre_commit_path(&root, &exe, runs, peers)?;
    verify(&root, &exe, runs)?;
    crate::hostile::run(&root, &exe)
}

/// Batches of `perf stat` runs for the CPU figures of each target.
const CPU_BATCHES: usize = 5;

/// The median ms of CPU and CPUs utilized of `batches`, and the lowest and highest CPUs
/// utilized among them.
fn spread(batches: &[(f64, f64)]) -> Option<(f64, f64, f64, f64)> {
    let cpus: Vec<f64> = batches.iter().map(|b| b.1).collect();
    let low = cpus.iter().copied().reduce(f64::min)?;
    let high = cpus.iter().copied().reduce(f64::max)?;
    Some((
        median(batches.iter().map(|b| b.0).collect())?,
        median(cpus)?,
        low,
        high,
    ))
}

/// `perf stat`'s task-clock (ms of CPU) and "CPUs utilized" of `chainward check` in `dir`, when
/// perf is installed.
fn cpus_utilized(exe: &Path, dir: &Path, runs: usize) -> Option<(f64, f64)> {
    let out = Command::new("perf")
        .args(["stat", "-x,", "-e", "task-clock", "-r", &runs.to_string()])
        .arg(exe)
        .args(["check", "--quiet", "--color", "never", "."])
        .current_dir(dir)
        .output()
        .ok()?;
    // `45.24,msec,task-clock,…,1.06,CPUs utilized`
    let line = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.contains("task-clock"))?
        .to_string();
    let fields: Vec<&str> = line.split(',').collect();
    let cpu: f64 = fields.first()?.parse().ok()?;
    let at = fields.iter().position(|f| f.starts_with("CPUs utilized"))?;
    let cpus: f64 = fields.get(at.checked_sub(1)?)?.parse().ok()?;
    Some((cpu, cpus))
}

/// A generated npm monorepo of `n` workspaces: the root declares `packages/*`; each workspace
/// depends on two registry packages and on the previous workspace; the lockfile (v3, written
/// here the way npm writes it) links each workspace and locks the shared packages once.
fn write_monorepo(dir: &Path, n: usize) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join(".github/workflows"))?;
    std::fs::write(
        dir.join("package.json"),
        "{\n  \"name\": \"mono\",\n  \"private\": true,\n  \"workspaces\": [\"packages/*\"]\n}\n",
    )?;
    std::fs::write(
        dir.join(".github/workflows/ci.yml"),
        "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm ci --ignore-scripts\n",
    )?;
    let mut packages =
        vec!["    \"\": {\"name\": \"mono\", \"workspaces\": [\"packages/*\"]}".to_string()];
    for i in 0..n {
        let name = format!("p{i:04}");
        let prev = if i > 0 {
            format!(", \"p{:04}\": \"1.0.0\"", i - 1)
        } else {
            String::new()
        };
        let deps = format!("\"ms\": \"2.1.3\", \"left-pad\": \"1.3.0\"{prev}");
        let folder = dir.join("packages").join(&name);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(
            folder.join("package.json"),
            format!(
                "{{\n  \"name\": \"{name}\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{{deps}}}\n}}\n"
            ),
        )?;
        packages.push(format!(
            "    \"node_modules/{name}\": {{\"resolved\": \"packages/{name}\", \"link\": true}}"
        ));
        packages.push(format!(
            "    \"packages/{name}\": {{\"name\": \"{name}\", \"version\": \"1.0.0\", \"dependencies\": {{{deps}}}}}"
        ));
    }
    packages.push("    \"node_modules/left-pad\": {\"version\": \"1.3.0\", \"resolved\": \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\", \"integrity\": \"sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEwYqBoUUbF1CHxhrzT/vPCb6Ts3ms0lADOPvi/Xl26TcZw==\"}".to_string());
    packages.push("    \"node_modules/ms\": {\"version\": \"2.1.3\", \"resolved\": \"https://registry.npmjs.org/ms/-/ms-2.1.3.tgz\", \"integrity\": \"sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==\"}".to_string());
    std::fs::write(
        dir.join("package-lock.json"),
        format!(
            "{{\n  \"name\": \"mono\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n{}\n  }}\n}}\n",
            packages.join(",\n")
        ),
    )?;
    Ok(())
}

/// `chainward check` on generated monorepos of 10, 100 and 1,000 workspaces: time and peak
/// memory per workspace should stay flat (linear in files).
fn workspaces(root: &Path, exe: &Path, runs: usize) -> Result<()> {
    println!("== monorepo: n workspaces (generated; each a package.json, one shared lockfile)");
    for n in [10usize, 100, 1000] {
        let dir = root.join(format!("target/bench-monorepo-{n}"));
        write_monorepo(&dir, n)?;
        let times = time(runs, || {
            Command::new(exe)
                .args(["check", "--quiet", "--color", "never", "."])
                .current_dir(&dir)
                .output()
        })?;
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        let rss = peak_rss(&exe.to_path_buf(), &dir)
            .map(|k| format!("peak RSS {:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_default();
        let cpus = cpus_utilized(exe, &dir, runs)
            .map(|(_, c)| format!(", {c:.2} CPUs"))
            .unwrap_or_default();
        println!(
            "  {n:>5} workspaces: median {:>8.2} ms ({:.3} ms per workspace), {rss}{cpus}",
            ms(median),
            ms(median) / n as f64
        );
    }
    println!();
    Ok(())
}

/// The pre-commit hook's command (`chainward check` on the repository root) on a typical MCP
/// server repository: the fixture committed to a fresh git repository, as a hook sees it (the
/// lockfile-committed check reads git's index). Side by side with `zizmor --offline` on the same
/// tree: zizmor audits only the workflows; chainward checks those and package.json, the
/// lockfile, the Dockerfile and .npmrc.
fn pre_commit_path(root: &Path, exe: &Path, runs: usize, peers: bool) -> Result<()> {
    let repo = root.join("target/bench-precommit");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo)?;
    let status = Command::new("cp")
        .arg("-R")
        .arg(root.join("fixtures/pin-check/mcp-server/."))
        .arg(&repo)
        .status()?;
    if !status.success() {
        bail!("copying the MCP server fixture failed");
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-q",
            "-m",
            "x",
        ],
    ] {
        Command::new("git").args(args).current_dir(&repo).output()?;
    }
    println!("== pre-commit path: MCP server repository (git, 97 KB lockfile, 2 workflows)");
    let ours = time(runs, || {
        Command::new(exe)
            .args(["check", "--color", "never"])
            .current_dir(&repo)
            .output()
    })?;
    report("chainward check (hook)", &ours, None);
    if peers {
        match zizmor(root) {
            Ok(bin) => {
                let peer = time_any(runs, || {
                    Command::new(&bin)
                        .args(["--offline", "--no-progress", "."])
                        .current_dir(&repo)
                        .output()
                });
                match peer {
                    Ok(peer) => report("zizmor --offline", &peer, Some(&ours)),
                    Err(e) => println!("  zizmor: not run ({e})"),
                }
            }
            Err(e) => println!("  zizmor: not installed ({e})"),
        }
    }
    println!();
    Ok(())
}

/// Install zizmor (PyPI) once into a venv under target/bench-tools and return its executable.
fn zizmor(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/bench-tools/venv");
    let bin = venv.join("bin/zizmor");
    if !bin.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("running python3 -m venv")?
            .success()
            && Command::new(venv.join("bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "zizmor==1.32.0",
                ])
                .status()
                .context("running pip install zizmor")?
                .success();
        if !ok {
            bail!("pip install zizmor==1.32.0 failed");
        }
    }
    Ok(bin)
}

/// `chainward provenance verify` on a real npm package and its attestations (SLSA provenance and
/// the publish attestation, from ../shared/vectors), and on a 10 MB artifact against the same
/// provenance bundle. The 10 MB run does every check (the whole file hashed, the chain, the SCT,
/// the log entry, the DSSE signature) and fails at the last one, the subject digest: no public
/// vector signs a 10 MB artifact (the tests' own PKI proves the passing path).
fn verify(root: &Path, exe: &Path, runs: usize) -> Result<()> {
    let vectors = root.join("../shared/vectors");
    let npm = vectors.join("npm-provenance/npm-cli-audit-fixtures");
    if !npm.is_dir() {
        println!("provenance verify: ../shared/vectors absent, skipped");
        return Ok(());
    }
    let bundle = npm.join("sigstore-1.0.0.attestations.json");
    let keys = vectors.join("npm-registry-keys/npm-v1-keys.json");
    let trusted = vectors.join("sigstore-trust/production/trusted_root.json");
    let big = root.join("target/bench-verify/artifact-10MB.bin");
    if std::fs::metadata(&big).map(|m| m.len()).unwrap_or(0) != 10 << 20 {
        std::fs::create_dir_all(big.parent().unwrap_or(root))?;
        // Deterministic, incompressible-looking bytes (xorshift).
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes: Vec<u8> = (0..10 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        std::fs::write(&big, bytes)?;
    }
    println!("== provenance verify (sigstore-1.0.0: SLSA provenance + npm publish attestation)");
    let go = |artifact: &Path, extra: &[&str]| {
        let mut cmd = Command::new(exe);
        cmd.args(["provenance", "verify"])
            .arg(artifact)
            .arg("--bundle")
            .arg(&bundle)
            .arg("--trusted-root")
            .arg(&trusted)
            .args(extra);
        cmd
    };
    let tarball = npm.join("sigstore-1.0.0.tgz");
    let keys = keys.to_string_lossy().into_owned();
    let small = time(runs, || {
        go(
            &tarball,
            &[
                "--npm-keys",
                &keys,
                "--source-uri",
                "github.com/sigstore/sigstore-js",
            ],
        )
        .output()
    })?;
    report("verify, 2 bundles (pass)", &small, None);
    let large = time(runs, || {
        go(&big, &["--source-uri", "github.com/sigstore/sigstore-js"]).output()
    })?;
    report("verify, 10 MB artifact", &large, Some(&small));
    println!();
    Ok(())
}

/// Install cyclonedx-npm once into target/bench-tools and return its entry script.
fn cyclonedx_npm(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/bench-tools");
    let bin = prefix.join("node_modules/@cyclonedx/cyclonedx-npm/bin/cyclonedx-npm-cli.js");
    if !bin.is_file() {
        let status = Command::new("npm")
            .args([
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&prefix)
            .arg("@cyclonedx/cyclonedx-npm@4.2.1")
            .status()
            .context("running npm install @cyclonedx/cyclonedx-npm")?;
        if !status.success() {
            bail!("npm install @cyclonedx/cyclonedx-npm@4.2.1 failed");
        }
    }
    Ok(bin)
}

/// Install lockfile-lint once into target/bench-tools and return its entry script.
fn lockfile_lint(root: &Path) -> Result<PathBuf> {
    let prefix = root.join("target/bench-tools");
    let bin = prefix.join("node_modules/lockfile-lint/bin/lockfile-lint.js");
    if !bin.is_file() {
        let status = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--prefix",
            ])
            .arg(&prefix)
            .arg("lockfile-lint@4")
            .status()
            .context("running npm install lockfile-lint")?;
        if !status.success() || !bin.is_file() {
            bail!("npm install lockfile-lint@4 failed");
        }
    }
    Ok(bin)
}

fn count_packages(lock: &Path) -> usize {
    std::fs::read_to_string(lock)
        .ok()
        .and_then(|t| serde_json_count(&t))
        .unwrap_or(0)
}

/// The package count without a parser in xtask: npm's `"node_modules/` keys, pnpm's
/// two-space-indented keys under `packages:`, uv's `[[package]]` headers, yarn's unindented entry
/// headers.
fn serde_json_count(text: &str) -> Option<usize> {
    if text.starts_with("version = ") {
        return Some(text.lines().filter(|l| *l == "[[package]]").count());
    }
    if text.trim_start().starts_with('{') {
        return Some(text.matches("\"node_modules/").count());
    }
    if text.starts_with("lockfileVersion:") {
        let packages = text.split("\npackages:\n").nth(1)?;
        let packages = packages.split("\nsnapshots:\n").next()?;
        return Some(
            packages
                .lines()
                .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
                .count(),
        );
    }
    Some(
        text.lines()
            .filter(|l| {
                !l.starts_with([' ', '#']) && l.ends_with(':') && !l.starts_with("__metadata")
            })
            .count(),
    )
}

fn time(
    runs: usize,
    f: impl FnMut() -> std::io::Result<std::process::Output>,
) -> Result<Vec<Duration>> {
    timed(runs, f, 1)
}

/// `time` for a peer whose exit code says how many findings there were (zizmor: up to 14).
fn time_any(
    runs: usize,
    f: impl FnMut() -> std::io::Result<std::process::Output>,
) -> Result<Vec<Duration>> {
    timed(runs, f, 14)
}

fn timed(
    runs: usize,
    mut f: impl FnMut() -> std::io::Result<std::process::Output>,
    max_ok: i32,
) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(runs);
    // One warm-up run, not counted (page cache).
    let first = f().context("running the command")?;
    if first.status.code().is_none_or(|c| c > max_ok) {
        bail!(
            "exited with {:?}: {}",
            first.status.code(),
            String::from_utf8_lossy(&first.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        out.push(start.elapsed());
    }
    out.sort();
    Ok(out)
}

fn report(name: &str, times: &[Duration], baseline: Option<&[Duration]>) {
    let min = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let ratio = baseline
        .and_then(|b| b.get(b.len() / 2))
        .map(|b| {
            format!(
                "  ({:.0}x chainward's median)",
                median.as_secs_f64() / b.as_secs_f64().max(1e-9)
            )
        })
        .unwrap_or_default();
    println!(
        "  {name:<26} min {:>8.2} ms   median {:>8.2} ms{ratio}",
        ms(min),
        ms(median)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident set size in KiB, from `/usr/bin/time -v`, if available: the median of 7 runs
/// (one run's figure moves by a few hundred KiB with thread scheduling).
fn peak_rss(exe: &PathBuf, dir: &Path) -> Option<u64> {
    let runs = (0..7)
        .map(|_| one_peak_rss(exe, dir))
        .collect::<Option<Vec<u64>>>()?;
    median(runs)
}

/// The middle value of `v` (of an even count, the upper one); `None` for none.
fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<T> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied()
}

/// The peak RSS (KiB) of one `chainward check` of `dir`.
fn one_peak_rss(exe: &PathBuf, dir: &Path) -> Option<u64> {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(exe)
        .args(["check", "--quiet", "--color", "never", "."])
        .current_dir(dir)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

/// The peak RSS of a run on `dir`, and how far it is above a run on `empty` and on `tiny`
/// (KiB): medians of 9 rounds, each round running the three one after the other and taking
/// the differences within it. A run's peak moves by up to 500 KiB from one run to the next, and
/// the machine drifts between blocks of runs; paired in rounds, the drift cancels.
fn peak_rss_above(exe: &PathBuf, dir: &Path, empty: &Path, tiny: &Path) -> Option<(u64, u64, u64)> {
    let mut rounds = Vec::with_capacity(9);
    for _ in 0..9 {
        let rss = one_peak_rss(exe, dir)?;
        let (base, small) = (one_peak_rss(exe, empty)?, one_peak_rss(exe, tiny)?);
        rounds.push((rss, base, small));
    }
    paired_medians(&rounds)
}

/// Of rounds of (peak, empty run's peak, tiny project's peak): the median peak, and the
/// medians of the differences taken within each round (of an even count, the upper median).
fn paired_medians(rounds: &[(u64, u64, u64)]) -> Option<(u64, u64, u64)> {
    let column = |pick: fn(&(u64, u64, u64)) -> u64| median(rounds.iter().map(pick).collect());
    Some((
        column(|r| r.0)?,
        column(|r| r.0.saturating_sub(r.1))?,
        column(|r| r.0.saturating_sub(r.2))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::{paired_medians, spread};

    #[test]
    fn memory_differences_are_taken_within_each_round() {
        // The machine drifts by 1,000 KiB between rounds; the differences do not.
        let rounds = [
            (15_000, 11_000, 13_000),
            (16_000, 12_100, 14_050),
            (14_000, 10_050, 12_000),
        ];
        assert_eq!(paired_medians(&rounds), Some((15_000, 3_950, 2_000)));
        // A median of each column alone would say 15,000 - 11,000 = 4,000.
        assert_eq!(paired_medians(&[]), None);
    }

    #[test]
    fn spread_is_the_median_and_the_range_of_the_batches() {
        let batches = [(21.0, 1.6), (19.0, 1.4), (20.0, 1.5), (30.0, 1.7)];
        // Of an even count, the upper median.
        assert_eq!(spread(&batches), Some((21.0, 1.6, 1.4, 1.7)));
        assert_eq!(spread(&[(20.0, 1.5)]), Some((20.0, 1.5, 1.5, 1.5)));
        assert_eq!(spread(&[]), None);
    }
}
