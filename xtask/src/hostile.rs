//! `cargo xtask bench --hostile`: inputs built to make a linter slow or hungry (issue 15):
//! thousands of findings on one minified line, a huge .gitignore, a 50 MB workflow line. Each
//! must finish under 10 s and 300 MB; the table gives wall time and peak RSS of the whole
//! `chainward check` (text format, the slowest renderer), and the run fails past the bar.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The bar from DESIGN.md.
const MAX_SECONDS: f64 = 10.0;
const MAX_MIB: f64 = 300.0;
/// A case that has not finished by then is stopped (it has failed the bar long before).
const KILL_AFTER: Duration = Duration::from_secs(120);

struct Case {
    name: &'static str,
    /// Writes the tree into the folder; returns the bytes of the hostile file.
    make: fn(&Path) -> Result<usize>,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "minified lockfile, 10,000 http: packages",
        make: minified_lockfile,
        args: &["check", "--color", "never", "."],
    },
    Case {
        name: "one-line package.json, 20,000 ranges",
        make: one_line_manifest,
        args: &["check", "--color", "never", "."],
    },
    Case {
        name: "4.8 MB .gitignore",
        make: huge_gitignore,
        args: &["check", "--color", "never", "."],
    },
    Case {
        name: "51 MB workflow line",
        make: huge_workflow_line,
        args: &["check", "--color", "never", "."],
    },
    Case {
        name: "10,000 findings as GitHub annotations",
        make: minified_lockfile,
        args: &["check", "--format", "github", "."],
    },
];

pub fn run(root: &Path, exe: &Path) -> Result<()> {
    println!("== hostile inputs (bar: under {MAX_SECONDS} s and {MAX_MIB} MB each)");
    println!(
        "  {:<42} {:>12} {:>10} {:>12} {:>9}",
        "case", "input", "wall", "peak RSS", "findings"
    );
    let mut failed = Vec::new();
    for case in CASES {
        let dir = root.join("target/bench-hostile").join(slug(case.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let bytes = (case.make)(&dir)?;
        let (wall, rss, lines) = measure(exe, &dir, case.args)?;
        let mib = rss as f64 / 1024.0;
        let ok = wall.as_secs_f64() < MAX_SECONDS && mib < MAX_MIB;
        println!(
            "  {:<42} {:>9.1} MB {:>8.2} s {:>8.1} MiB {:>9}{}",
            case.name,
            bytes as f64 / 1e6,
            wall.as_secs_f64(),
            mib,
            lines,
            if ok { "" } else { "  OVER THE BAR" }
        );
        if !ok {
            failed.push(case.name);
        }
    }
    println!();
    if !failed.is_empty() {
        bail!("over the hostile-input bar: {}", failed.join(", "));
    }
    Ok(())
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Wall time and peak RSS (KiB, from `/usr/bin/time -v`) of one run, and how many findings it
/// printed (lines starting a finding).
fn measure(exe: &Path, dir: &Path, args: &[&str]) -> Result<(Duration, u64, usize)> {
    let out_file = dir.join("../out.txt");
    let err_file = dir.join("../time.txt");
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(exe)
        .args(args)
        .current_dir(dir)
        .stdout(std::fs::File::create(&out_file)?)
        .stderr(std::fs::File::create(&err_file)?)
        .spawn()
        .context("running /usr/bin/time (apt-get install time)")?;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = start.elapsed();
    let rss = std::fs::read_to_string(&err_file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let printed = std::fs::read_to_string(&out_file).unwrap_or_default();
    let findings = printed
        .lines()
        .filter(|l| {
            l.starts_with("error[")
                || l.starts_with("warning[")
                || l.starts_with("info[")
                || l.starts_with("::")
        })
        .count();
    Ok((wall, rss, findings))
}

fn write(path: PathBuf, text: &str) -> Result<usize> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(text.len())
}

/// A package-lock.json v3 on one line, 10,000 packages fetched over plain http (each one a
/// finding, each finding on the same 2 MB line).
fn minified_lockfile(dir: &Path) -> Result<usize> {
    let mut deps = String::new();
    let mut packages =
        String::from("\"\":{\"name\":\"hostile\",\"version\":\"1.0.0\",\"dependencies\":{");
    for i in 0..10_000 {
        let _ = write!(deps, "{}\"p{i}\":\"1.0.0\"", if i > 0 { "," } else { "" });
    }
    packages.push_str(&deps);
    packages.push_str("}}");
    for i in 0..10_000 {
        let _ = write!(
            packages,
            ",\"node_modules/p{i}\":{{\"version\":\"1.0.0\",\"resolved\":\"http://registry.example.com/p{i}/-/p{i}-1.0.0.tgz\",\"integrity\":\"sha512-{}\"}}",
            "A".repeat(86) + "=="
        );
    }
    let lock = format!(
        "{{\"name\":\"hostile\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,\"packages\":{{{packages}}}}}"
    );
    write(
        dir.join("package.json"),
        &format!("{{\"name\":\"hostile\",\"version\":\"1.0.0\",\"dependencies\":{{{deps}}}}}\n"),
    )?;
    write(dir.join("package-lock.json"), &lock)
}

/// A package.json on one line with 20,000 dependencies declared by range, and no lockfile.
fn one_line_manifest(dir: &Path) -> Result<usize> {
    let mut deps = String::new();
    for i in 0..20_000 {
        let _ = write!(
            deps,
            "{}\"dep-{i}\":\"^1.{i}.0\"",
            if i > 0 { "," } else { "" }
        );
    }
    write(
        dir.join("package.json"),
        &format!("{{\"name\":\"hostile\",\"version\":\"1.0.0\",\"dependencies\":{{{deps}}}}}"),
    )
}

/// A 4.8 MB .gitignore of distinct glob patterns, beside an ordinary project.
fn huge_gitignore(dir: &Path) -> Result<usize> {
    let mut text = String::new();
    let mut i = 0u64;
    while text.len() < 4_800_000 {
        let _ = writeln!(
            text,
            "build-{i}/**/*.{}",
            ["js", "map", "tmp", "log"][(i % 4) as usize]
        );
        i += 1;
    }
    write(
        dir.join("package.json"),
        "{\"name\":\"hostile\",\"version\":\"1.0.0\"}\n",
    )?;
    write(dir.join(".gitignore"), &text)
}

/// A workflow whose one `run:` line is 51 MB long.
fn huge_workflow_line(dir: &Path) -> Result<usize> {
    let mut text = String::from(
        "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ",
    );
    text.push_str(&"A".repeat(51_000_000));
    text.push('\n');
    write(dir.join(".github/workflows/ci.yml"), &text)
}
