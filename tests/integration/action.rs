//! The GitHub Action (`action.yml`): each step's `run:` script is taken from the file and run
//! with bash as the runner would, with the step's `env:` names set and `cargo`, `curl` and `gh`
//! replaced by stubs on PATH (they record their arguments; nothing is built or fetched). The
//! check step runs in a real git repository whose `origin` is a local bare repository, so on a
//! pull request only what the branch introduced is annotated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chainward_core::yaml::{self, Yaml};

use crate::common::{copy_fixture, workspace};

/// The `run:` script and the `env:` names of each step of action.yml.
fn steps() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(workspace().join("action.yml")).expect("action.yml");
    let doc = yaml::parse(&text).expect("action.yml parses");
    let steps = doc
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Yaml::as_seq)
        .expect("runs.steps");
    steps
        .iter()
        .map(|step| {
            let run = step.get("run").and_then(Yaml::as_str).expect("run");
            let env = step
                .get("env")
                .map(|e| e.entries().map(|(k, _)| k.to_string()).collect())
                .unwrap_or_default();
            (run.to_string(), env)
        })
        .collect()
}

const CARGO: &str = r#"#!/bin/sh
echo "cargo $*" >> "$STUB_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = --root ]; then root=$2; fi
  shift
done
mkdir -p "$root/bin" && ln -sf "$CHAINWARD_BIN" "$root/bin/chainward"
"#;

const CURL: &str = r#"#!/bin/sh
echo "curl $*" >> "$STUB_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then out=$2; fi
  shift
done
tar -czf "$out" -C "$(dirname "$CHAINWARD_BIN")" chainward
"#;

const GH: &str = r#"#!/bin/sh
echo "gh $*" >> "$STUB_LOG"
exit "$GH_EXIT"
"#;

struct Runner {
    tmp: tempfile::TempDir,
    stubs: PathBuf,
}

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Runner {
    fn new() -> Runner {
        let tmp = tempfile::tempdir().expect("tmp");
        let stubs = tmp.path().join("stubs");
        std::fs::create_dir_all(&stubs).expect("stubs");
        for (name, script) in [("cargo", CARGO), ("curl", CURL), ("gh", GH)] {
            let path = stubs.join(name);
            std::fs::write(&path, script).expect("stub");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        std::fs::create_dir_all(tmp.path().join("runner")).expect("runner temp");
        Runner { tmp, stubs }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    /// Run step `index` in `dir` with `env` (every name the step declares must be given).
    fn step(&self, index: usize, dir: &Path, env: &[(&str, &str)]) -> Step {
        let (script, names) = &steps()[index];
        let given: BTreeMap<&str, &str> = env.iter().copied().collect();
        for name in names {
            assert!(
                given.contains_key(name.as_str()),
                "step {index} needs {name}"
            );
        }
        // The stubs, then chainward (the install step's GITHUB_PATH on a runner), then the rest.
        let chainward = Path::new(env!("CARGO_BIN_EXE_chainward"));
        let path = format!(
            "{}:{}:{}",
            self.stubs.display(),
            chainward.parent().expect("bin dir").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .args(["-e", "-c", script])
            .current_dir(dir)
            .env("PATH", path)
            .env("RUNNER_TEMP", self.file("runner"))
            .env("GITHUB_PATH", self.file("github_path"))
            .env("GITHUB_OUTPUT", self.file("github_output"))
            .env("STUB_LOG", self.file("stub.log"))
            .env("CHAINWARD_BIN", env!("CARGO_BIN_EXE_chainward"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .expect("bash");
        Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The install step's environment: the action's folder, `version`, `from-source`, the stub
/// `gh`'s exit code, and the runner's architecture.
fn install_env<'a>(
    action_path: &'a str,
    version: &'a str,
    from_source: &'a str,
    gh_exit: &'a str,
    arch: &'a str,
) -> [(&'a str, &'a str); 6] {
    [
        ("ACTION_PATH", action_path),
        ("VERSION", version),
        ("FROM_SOURCE", from_source),
        ("ARCH", arch),
        ("GH_TOKEN", "t"),
        ("GH_EXIT", gh_exit),
    ]
}

/// The check step's environment (`base` input empty: the pull request decides).
fn check_env<'a>(
    args: &'a str,
    fail_on: &'a str,
    sarif: &'a str,
    event: &'a str,
    base_ref: &'a str,
) -> [(&'a str, &'a str); 6] {
    [
        ("ARGS", args),
        ("BASE", ""),
        ("FAIL_ON", fail_on),
        ("SARIF", sarif),
        ("EVENT", event),
        ("BASE_REF", base_ref),
    ]
}

#[test]
fn no_expression_is_expanded_inside_a_script() {
    let steps = steps();
    assert_eq!(steps.len(), 2);
    for (script, env) in &steps {
        assert!(!script.contains("${{"), "template injection: {script}");
        assert!(!env.is_empty());
    }
}

#[test]
fn install_step_builds_the_checkout_or_verifies_a_release() {
    let ws = workspace();
    let action_path = ws.to_str().expect("utf-8 path");
    // from-source: the action's own checkout, with cargo.
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "0.2.0", "true", "0", "X64"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("chainward "), "{}", out.stdout);
    let log = r.read("stub.log");
    assert!(
        log.starts_with("cargo install --locked") && log.contains(&format!("--path {action_path}")),
        "{log}"
    );
    let bin = r.file("runner/chainward-bin");
    assert_eq!(r.read("github_path").trim(), bin.to_str().expect("utf-8"));

    // A release (the default path): downloaded, its provenance verified, then unpacked.
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "0.2.0", "false", "0", "X64"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = r.read("stub.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines[0].starts_with("curl --proto =https"), "{log}");
    assert!(
        lines[0].ends_with(
            "https://github.com/chainward/chainward/releases/download/v0.2.0/chainward-0.2.0-x86_64-unknown-linux-musl.tar.gz"
        ),
        "{log}"
    );
    assert!(
        lines[1].starts_with("gh attestation verify")
            && lines[1]
                .contains("--signer-workflow chainward/chainward/.github/workflows/release.yml"),
        "{log}"
    );
    // The file verified is the file downloaded.
    let downloaded = lines[0]
        .split(" -o ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("curl -o");
    assert!(
        lines[1].starts_with(&format!("gh attestation verify {downloaded} ")),
        "{log}"
    );
    assert!(r.file("runner/chainward-bin/chainward").exists());
    assert!(out.stdout.contains("chainward "), "{}", out.stdout);

    // Provenance that does not verify: nothing is unpacked, nothing is put on PATH.
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "0.2.0", "false", "1", "X64"),
    );
    assert_ne!(out.code, 0);
    assert!(!r.file("runner/chainward-bin/chainward").exists());
    assert!(r.read("github_path").is_empty());

    // An arm64 runner gets the arm64 build; an architecture without one stops before any URL.
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "0.2.0", "false", "0", "ARM64"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        r.read("stub.log")
            .contains("/v0.2.0/chainward-0.2.0-aarch64-unknown-linux-musl.tar.gz"),
        "{}",
        r.read("stub.log")
    );
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "0.2.0", "false", "0", "ARM"),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("::error::no chainward release binary"),
        "{}",
        out.stdout
    );
    assert!(r.read("stub.log").is_empty());

    // A version that is not one never reaches a URL.
    let r = Runner::new();
    let out = r.step(
        0,
        r.tmp.path(),
        &install_env(action_path, "1.0; rm -rf /", "false", "0", "X64"),
    );
    assert_eq!(out.code, 2);
    assert!(out.stdout.contains("::error::version"), "{}", out.stdout);
    assert!(r.read("stub.log").is_empty());
    for (version, from_source) in [("", "false"), ("0.2.0", "yes")] {
        let r = Runner::new();
        let out = r.step(
            0,
            r.tmp.path(),
            &install_env(action_path, version, from_source, "0", "X64"),
        );
        assert_eq!(out.code, 2, "{version:?} {from_source:?}");
        assert!(out.stdout.contains("::error::"), "{}", out.stdout);
        assert!(r.read("stub.log").is_empty());
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_step_annotates_only_what_a_pull_request_introduces() {
    // main: `ms` already a range; the pull request loosens `kleur` too.
    let tmp = copy_fixture("pin-check/clean");
    let work = tmp.path();
    let origin = tempfile::tempdir().expect("origin");
    git(origin.path(), &["init", "-q", "--bare", "-b", "main"]);
    let edit = |from: &str, to: &str| {
        let path = work.join("package.json");
        let text = std::fs::read_to_string(&path).expect("package.json");
        assert!(text.contains(from));
        std::fs::write(&path, text.replace(from, to)).expect("write");
    };
    edit("\"ms\": \"2.1.3\"", "\"ms\": \"^2.1.3\"");
    git(work, &["init", "-q", "-b", "main"]);
    git(work, &["add", "-A"]);
    git(work, &["commit", "-qm", "main"]);
    let url = format!("file://{}", origin.path().display());
    git(work, &["remote", "add", "origin", &url]);
    git(work, &["push", "-q", "origin", "main"]);
    git(work, &["update-ref", "-d", "refs/remotes/origin/main"]);
    git(work, &["checkout", "-q", "-b", "pr"]);
    edit("\"kleur\": \"4.1.5\"", "\"kleur\": \"~4.1.5\"");
    git(work, &["commit", "-qam", "pr"]);

    let r = Runner::new();
    let out = r.step(
        1,
        work,
        &check_env(".", "warning", "results.sarif", "pull_request", "main"),
    );
    // Findings fail the step (exit 1), after the annotations and the SARIF file.
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert!(
        annotations
            .iter()
            .any(|l| l.starts_with("::error file=package.json") && l.contains("`kleur`")),
        "{}",
        out.stdout
    );
    assert!(
        annotations.iter().all(|l| !l.contains("`ms`")),
        "a finding main already had was annotated:\n{}",
        out.stdout
    );
    assert_eq!(r.read("github_output").trim(), "sarif=results.sarif");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("results.sarif")).expect("sarif"))
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    // The SARIF file is the whole state of the branch, `ms` included: code scanning closes as
    // fixed every alert a pull request's upload leaves out, and itself shows only what the
    // pull request changes. The annotations above are what it introduced.
    let messages: Vec<&str> = results
        .iter()
        .filter_map(|r| r["message"]["text"].as_str())
        .collect();
    assert!(messages.iter().any(|m| m.contains("`ms`")), "{messages:#?}");
    assert!(
        messages.iter().any(|m| m.contains("`kleur`")),
        "{messages:#?}"
    );
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "chainward/");

    // A push (no base): every finding, `ms` included.
    std::fs::remove_file(work.join("results.sarif")).expect("rm");
    let r = Runner::new();
    let out = r.step(1, work, &check_env(".", "warning", "", "push", ""));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("`ms`") && out.stdout.contains("`kleur`"));
    assert!(r.read("github_output").is_empty());
    assert!(!work.join("results.sarif").exists());

    // `fail-on: error` where the selected rules report notices only: the step passes.
    let r = Runner::new();
    let out = r.step(
        1,
        work,
        &check_env(". --select npm-ci", "error", "", "push", ""),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("::notice file=package.json"),
        "{}",
        out.stdout
    );
}

/// By default the action downloads the release of its own version: the one this checkout builds.
#[test]
fn the_default_release_is_this_version() {
    let action = std::fs::read_to_string(workspace().join("action.yml")).expect("action.yml");
    let inputs = action
        .split("\n  version:\n")
        .nth(1)
        .expect("version input");
    let default = inputs
        .lines()
        .find_map(|l| l.trim().strip_prefix("default: "))
        .expect("default");
    assert_eq!(default, format!("\"{}\"", env!("CARGO_PKG_VERSION")));
}
