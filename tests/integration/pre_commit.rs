//! The pre-commit hooks, with the real pre-commit (installed by `.ci/run` into
//! target/tools/venv; never fetched by a test): a throwaway repository points at this checkout's
//! `.pre-commit-hooks.yaml` (a path repo at the committed HEAD), pre-commit installs the hook
//! (`language: python`: the chainward wheel, offline from a local folder; `language: rust`:
//! `cargo install --path .`, offline), a commit that adds a `^` range is blocked with
//! chainward's message, and after the fix hook the commit goes through.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{copy_fixture, workspace};

fn pre_commit_bin() -> PathBuf {
    workspace().join("target/tools/venv/bin/pre-commit")
}

struct Run {
    ok: bool,
    text: String,
}

/// A command in the throwaway repository, with pre-commit's state and cargo's build folder
/// kept apart from the user's, and no network.
fn command(dir: &Path, home: &Path, program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("PRE_COMMIT_HOME", home)
        .env("PRE_COMMIT_COLOR", "never")
        .env("CARGO_NET_OFFLINE", "true")
        // The hook's `cargo install` builds in one reusable folder, unoptimized: this test is
        // about the hook wiring, and a clean optimized build would cost CI minutes. Not
        // incremental: its session files grew that folder by 270 MB a run (4.5 GB here).
        .env("CARGO_TARGET_DIR", workspace().join("target/pre-commit"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("CHAINWARD_CONFIG")
        .env_remove("NO_COLOR");
    cmd
}

fn go(mut cmd: Command) -> Run {
    let out = cmd.output().expect("spawn");
    Run {
        ok: out.status.success(),
        text: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The hooks users get by default: `language: python`, which installs the chainward wheel (here
/// the one `cargo xtask dist` built around the binary under test, found through pip's
/// `--find-links`, with no index and no build isolation: nothing is fetched).
#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
fn pre_commit_blocks_a_range_and_the_fix_hook_repairs_it() {
    let wheels = crate::dist::wheels();
    hooks_block_and_fix(
        "chainward",
        "chainward-fix",
        &[
            ("PIP_FIND_LINKS", wheels.as_os_str()),
            ("PIP_NO_INDEX", "1".as_ref()),
            // pip's inverted spelling of --no-build-isolation: the venv's own setuptools builds
            // the hook package (pyproject.toml), offline.
            ("PIP_NO_BUILD_ISOLATION", "0".as_ref()),
        ],
    );
}

/// The same with the hooks that build this checkout with cargo (`language: rust`).
#[test]
fn pre_commit_rust_hooks_block_a_range_and_repair_it() {
    hooks_block_and_fix("chainward-rust", "chainward-fix-rust", &[]);
}

fn hooks_block_and_fix(check: &str, fix_id: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let pre_commit = pre_commit_bin();
    assert!(
        pre_commit.exists(),
        "pre-commit is not installed at {}: run `.ci/run`, or `python3 -m venv target/tools/venv && target/tools/venv/bin/pip install pre-commit`",
        pre_commit.display()
    );
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(workspace())
        .output()
        .expect("git rev-parse");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(head.len(), 40, "this checkout has no commit");

    let tmp = copy_fixture("pin-check/clean");
    let repo = tmp.path();
    let home = tempfile::tempdir().expect("tmp");
    let git = |args: &[&str]| {
        let mut cmd = command(repo, home.path(), Path::new("git"));
        cmd.args(args).envs(env.iter().copied());
        go(cmd)
    };
    // The user's config: the hooks of this checkout; the fix hook on demand (manual stage).
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {head}\n    hooks:\n      - id: {check}\n      - id: {fix_id}\n        stages: [manual]\n",
            workspace().display()
        ),
    )
    .expect("write config");
    assert!(git(&["init", "-q", "-b", "main"]).ok);
    let mut install = command(repo, home.path(), &pre_commit);
    install.arg("install").envs(env.iter().copied());
    let installed = go(install);
    assert!(installed.ok, "{}", installed.text);

    // A clean project commits (pre-commit builds the hook here: cargo install --path .).
    assert!(git(&["add", "-A"]).ok);
    let first = git(&["commit", "-q", "-m", "clean project"]);
    assert!(first.ok, "{}", first.text);
    assert!(first.text.contains("chainward check"), "{}", first.text);

    // A commit that loosens a pin to a range is blocked, with chainward's finding.
    let manifest = repo.join("package.json");
    let pinned = std::fs::read_to_string(&manifest).expect("package.json");
    let described = pinned.replace(
        "\"private\": true,",
        "\"private\": true,\n  \"description\": \"a clean project\",",
    );
    let ranged = described.replace("\"ms\": \"2.1.3\"", "\"ms\": \"^2.1.3\"");
    assert_ne!(described, pinned);
    assert_ne!(ranged, pinned);
    std::fs::write(&manifest, &ranged).expect("write");
    assert!(git(&["add", "package.json"]).ok);
    let blocked = git(&["commit", "-q", "-m", "loosen ms"]);
    assert!(!blocked.ok, "the commit went through:\n{}", blocked.text);
    assert!(
        blocked.text.contains("pin-check/range-specifier")
            && blocked
                .text
                .contains("`ms` in `dependencies` is declared with the range `^2.1.3`"),
        "{}",
        blocked.text
    );
    assert_eq!(
        git(&["log", "--format=%s"]).text.trim(),
        "clean project",
        "nothing was committed"
    );

    // chainward-fix pins it back to the locked version; pre-commit fails the run because the
    // hook changed a file (that is how the user sees the change), and the commit then passes.
    let mut fix = command(repo, home.path(), &pre_commit);
    fix.args([
        "run",
        "--hook-stage",
        "manual",
        fix_id,
        "--show-diff-on-failure",
    ])
    .envs(env.iter().copied());
    let fixed = go(fix);
    assert!(!fixed.ok, "{}", fixed.text);
    assert!(
        fixed.text.contains("files were modified by this hook")
            && fixed.text.contains("+    \"ms\": \"2.1.3\""),
        "{}",
        fixed.text
    );
    assert_eq!(
        std::fs::read_to_string(&manifest).expect("package.json"),
        described,
        "the fix changed only the range"
    );
    assert!(git(&["add", "package.json"]).ok);
    let passed = git(&["commit", "-q", "-m", "describe the project"]);
    assert!(passed.ok, "{}", passed.text);
    assert!(passed.text.contains("chainward check"), "{}", passed.text);
}

/// Paths that are not in the fixtures: case, prefixes, suffixes and near-misses.
const PATHS: &[&str] = &[
    "pyproject.toml",
    "src/pkg/pyproject.toml",
    "pyproject.toml.bak",
    "uv.lock",
    "servers/a/uv.lock",
    "uv.lock.orig",
    "pylock.toml",
    "poetry.lock",
    "packages/python/poetry.lock",
    "pylock.dev.toml",
    "a/pylock.toml.bak",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements.in",
    "docs/requirements_docs.txt",
    "constraints.txt",
    "requirements/base.txt",
    "requirements/prod.in",
    "requirements/README.md",
    "a/requirements/sub/x.txt",
    "dev-requirements.txt",
    "requirements.txt.lock",
    "Dockerfile",
    "docker/Dockerfile.prod",
    "api.Dockerfile",
    "DOCKERFILE",
    "build/DockerFile",
    "Containerfile",
    "x.containerfile",
    "dockerfile.",
    "a.dockerfile.b",
    "docs/Dockerfile-guide.md",
    "dockerfiles/readme.md",
    ".github/workflows/ci.yaml",
    ".github/workflows/.yml",
    "packages/a/.github/workflows/release.yml",
    ".github/workflows/sub/x.yml",
    ".github/workflows/x.yml.orig",
    ".github/workflow/x.yml",
    "workflows/x.yml",
    "bun.lockb",
    "bun.lock",
    "bun.lock.bak",
    ".yarnrc.yml",
    ".yarnrc",
    "pnpm-workspace.yaml",
    "dist/pkg.tgz.sigstore.json",
    ".sigstore.json",
    "sigstore.json",
    "x.sigstore.json.bak",
    "attestation.intoto.jsonl",
    "action.yaml",
    "sub/action.yml",
    "src/action.ts",
    ".npmrc",
    ".npmrc.bak",
    "npm-shrinkwrap.json",
    "package.json.bak",
    "my-package.json",
    "Package.json",
    "package.json5",
    "yarn.lock.orig",
    "chainward.toml",
    "sub/chainward.toml",
    "scripts/ci.sh",
    "install.bash",
    "scripts/sh",
    "x.shell",
    // Case folding is ASCII only, as in chainward (U+0131 dotless i, U+212A Kelvin sign).
    "dockerf\u{131}le",
    "x.doc\u{212a}erfile",
];

fn files_under(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read fixtures").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, root, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The hooks' `files:` patterns, read by pre-commit's own Python (its `re.search` and PyYAML,
/// in the venv `.ci/run` makes), against chainward's file classifier: over every fixture path
/// and the near-misses above, both hooks run for a commit exactly when it touches a file
/// chainward reads: what discovery finds, the configuration, and shell scripts.
#[test]
fn hooks_run_for_exactly_the_files_chainward_reads() {
    let python = workspace().join("target/tools/venv/bin/python");
    assert!(
        python.exists(),
        "pre-commit's Python is not at {}: run `.ci/run`",
        python.display()
    );
    let mut paths = Vec::new();
    files_under(&workspace().join("fixtures"), &workspace(), &mut paths);
    paths.sort();
    paths.extend(PATHS.iter().map(ToString::to_string));
    let script = r#"
import re, sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
patterns = [re.compile(hook["files"]) for hook in hooks]
for line in sys.stdin.buffer.read().decode("utf-8").split("\n"):
    print("".join("1" if p.search(line) else "0" for p in patterns))
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .arg(workspace().join(".pre-commit-hooks.yaml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn python");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(paths.join("\n").as_bytes())
            .expect("write paths");
    }
    let out = child.wait_with_output().expect("python");
    assert!(out.status.success(), "python failed");
    let answers: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(answers.len(), paths.len());
    let (mut read, mut wrong) = (0, Vec::new());
    for (path, answer) in paths.iter().zip(&answers) {
        // What discovery reads, the configuration at the root, and shell scripts (read when a
        // workflow or action runs them).
        let is_read = chainward_core::project::FileKind::classify(path).is_some()
            || path == "chainward.toml"
            || path.ends_with(".sh")
            || path.ends_with(".bash");
        read += usize::from(is_read);
        let expected = if is_read { "1111" } else { "0000" };
        if answer != expected {
            wrong.push(format!(
                "{path}: chainward {} it, the hooks say {answer}",
                if is_read { "reads" } else { "ignores" }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Both sides of the line are exercised, many times.
    assert!(
        read > 100 && paths.len() - read > 100,
        "{read} of {}",
        paths.len()
    );
}
