//! Differential test: `npm-ci/lockfile-out-of-sync` on a uv.lock fires exactly when the real uv
//! (`uv lock --check --offline`, uv 0.13.9 from PyPI, installed by `.ci/run`) finds the lock out
//! of date, on a workspace made by uv and mutations of its pyproject.toml files.
//!
//! uv runs offline with an empty cache: a lock it accepts needs nothing else, and one it does
//! not accept cannot be re-resolved, so its exit code is the verdict. Nothing is built (the
//! fixture's metadata is static) and no network is reached.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{copy_fixture, run, workspace};

/// `(what, file, from, to, chainward misses it on purpose)`: a text edit of one file.
type Mutation = (&'static str, &'static str, &'static str, &'static str, bool);

const ROOT: &str = "pyproject.toml";
const MEMBER: &str = "packages/core/pyproject.toml";

const MUTATIONS: &[Mutation] = &[
    ("unchanged", ROOT, "", "", false),
    (
        "bump the project's version",
        ROOT,
        "version = \"0.3.0\"",
        "version = \"0.3.1\"",
        false,
    ),
    (
        "write the version with a zero more",
        ROOT,
        "version = \"0.3.0\"",
        "version = \"0.3.0.0\"",
        false,
    ),
    (
        "narrow a range",
        ROOT,
        "httpx>=0.27,<1",
        "httpx>=0.28,<1",
        false,
    ),
    (
        "reorder a range's specifiers",
        ROOT,
        "httpx>=0.27,<1",
        "httpx<1,>=0.27",
        false,
    ),
    (
        "space out a range",
        ROOT,
        "httpx>=0.27,<1",
        "httpx >= 0.27, < 1",
        false,
    ),
    (
        "write a name in capitals",
        ROOT,
        "httpx>=0.27,<1",
        "HTTPX>=0.27,<1",
        false,
    ),
    (
        "write a name with an underscore",
        ROOT,
        "\"mcp-demo-core\",",
        "\"MCP_Demo.Core\",",
        false,
    ),
    (
        "add a dependency",
        ROOT,
        "    \"mcp-demo-core\",\n",
        "    \"mcp-demo-core\",\n    \"sniffio>=1\",\n",
        false,
    ),
    (
        "remove a dependency",
        ROOT,
        "    \"tzdata; platform_system == 'Windows'\",\n",
        "",
        false,
    ),
    (
        "declare a name twice (uv merges them)",
        ROOT,
        "    \"mcp-demo-core\",\n",
        "    \"mcp-demo-core\",\n    \"httpx<2\",\n",
        false,
    ),
    (
        "quote a marker the other way",
        ROOT,
        "python_version >= '3.11'",
        "python_version >= \\\"3.11\\\"",
        false,
    ),
    (
        "write a marker as python_full_version",
        ROOT,
        "python_version >= '3.11'",
        "python_full_version >= '3.11'",
        false,
    ),
    (
        "change a marker",
        ROOT,
        "python_version >= '3.11'",
        "python_version >= '3.12'",
        false,
    ),
    (
        "add a marker requires-python implies",
        ROOT,
        "\"httpx>=0.27,<1\"",
        "\"httpx>=0.27,<1; python_version >= '3.9'\"",
        false,
    ),
    (
        "change a platform_system marker",
        ROOT,
        "platform_system == 'Windows'",
        "platform_system == 'Linux'",
        true,
    ),
    (
        "write an extra in capitals",
        ROOT,
        "anyio[trio]",
        "anyio[Trio]",
        false,
    ),
    (
        "drop an extra from a requirement",
        ROOT,
        "anyio[trio]",
        "anyio",
        false,
    ),
    (
        "change an optional dependency",
        ROOT,
        "click==8.1.7",
        "click==8.1.8",
        false,
    ),
    (
        "add an extra",
        ROOT,
        "cli = [\"click==8.1.7\"]",
        "cli = [\"click==8.1.7\"]\nui = [\"rich\"]",
        false,
    ),
    (
        "rename an extra",
        ROOT,
        "cli = [",
        "command-line = [",
        false,
    ),
    (
        "change a group's requirement",
        ROOT,
        "\"pytest>=8\"",
        "\"pytest>=8.1\"",
        false,
    ),
    (
        "change an included group's requirement",
        ROOT,
        "ruff==0.8.0",
        "ruff==0.8.1",
        false,
    ),
    (
        "add a group",
        ROOT,
        "lint = [\"ruff==0.8.0\"]",
        "lint = [\"ruff==0.8.0\"]\ndocs = [\"mkdocs\"]",
        false,
    ),
    (
        "change a member's dependency",
        MEMBER,
        "pydantic>=2,<3",
        "pydantic>=2.5,<3",
        false,
    ),
    (
        "add a member's dependency",
        MEMBER,
        "[\"pydantic>=2,<3\"]",
        "[\"pydantic>=2,<3\", \"anyio>=4\"]",
        false,
    ),
    (
        "bump a member's version",
        MEMBER,
        "version = \"0.3.0\"",
        "version = \"0.4.0\"",
        false,
    ),
    (
        "add a description",
        ROOT,
        "version = \"0.3.0\"\n",
        "version = \"0.3.0\"\ndescription = \"An MCP server\"\n",
        false,
    ),
    (
        "add a comment",
        ROOT,
        "[dependency-groups]\n",
        "# groups\n[dependency-groups]\n",
        false,
    ),
    (
        "write requires-python with a zero more",
        ROOT,
        "requires-python = \">=3.10\"",
        "requires-python = \">=3.10.0\"",
        false,
    ),
    (
        "raise requires-python",
        ROOT,
        "requires-python = \">=3.10\"",
        "requires-python = \">=3.11\"",
        false,
    ),
    (
        "set exclude-newer",
        ROOT,
        "[tool.uv.workspace]",
        "[tool.uv]\nexclude-newer = \"2025-06-01T00:00:00Z\"\n\n[tool.uv.workspace]",
        false,
    ),
    (
        "constrain a locked package",
        ROOT,
        "[tool.uv.workspace]",
        "[tool.uv]\nconstraint-dependencies = [\"idna<3.5\"]\n\n[tool.uv.workspace]",
        false,
    ),
    (
        "constrain a package that is not locked",
        ROOT,
        "[tool.uv.workspace]",
        "[tool.uv]\nconstraint-dependencies = [\"numpy<2\"]\n\n[tool.uv.workspace]",
        false,
    ),
    (
        "drop the workspace source",
        ROOT,
        "mcp-demo-core = { workspace = true }\n",
        "",
        false,
    ),
];

fn uv() -> PathBuf {
    workspace().join("target/tools/venv/bin/uv")
}

/// The real uv's verdict: `true` when `uv lock --check --offline` accepts the lock.
fn uv_accepts(dir: &Path, cache: &Path) -> (bool, String) {
    let out = Command::new(uv())
        .args(["lock", "--check", "--offline", "--no-progress"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cache)
        .env("UV_CACHE_DIR", cache)
        .env("XDG_CONFIG_HOME", cache)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_OFFLINE", "1")
        .output()
        .expect("run uv");
    let text = String::from_utf8_lossy(&out.stderr);
    let first = text
        .lines()
        .find(|l| l.starts_with("error") || l.contains("Resolved"))
        .unwrap_or_default()
        .to_string();
    (out.status.success(), first)
}

fn chainward_accepts(dir: &Path) -> bool {
    let out = run(dir, &["npm-ci", "--format", "json", "."]);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    !out.stdout.contains("npm-ci/lockfile-out-of-sync")
}

#[test]
fn uv_lock_check_agrees_with_uv() {
    assert!(
        uv().exists(),
        "uv is not at {}: run `.ci/run` (it installs uv 0.13.9 from PyPI)",
        uv().display()
    );
    let cache = tempfile::tempdir().expect("cache dir");
    let (mut agree, mut missed, mut wrong) = (0, Vec::new(), Vec::new());
    for (what, file, from, to, known_miss) in MUTATIONS {
        let tmp = copy_fixture("npm-ci/python/uv-workspace");
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{what}: `{from}` is not in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
        let (uv_ok, uv_says) = uv_accepts(tmp.path(), cache.path());
        let ours = chainward_accepts(tmp.path());
        if *what == "unchanged" {
            assert!(
                uv_ok && ours,
                "the fixture itself: uv {uv_ok} ({uv_says}), chainward {ours}"
            );
        }
        match (uv_ok, ours) {
            (a, b) if a == b => agree += 1,
            // A drift chainward does not see: only the documented ones.
            (false, true) if *known_miss => missed.push(*what),
            _ => wrong.push(format!(
                "{what}: uv {} ({uv_says}), chainward {}",
                if uv_ok { "accepts" } else { "rejects" },
                if ours { "accepts" } else { "rejects" }
            )),
        }
    }
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
    // Both verdicts are exercised.
    assert!(
        agree >= MUTATIONS.len() - 1,
        "{agree} agreements, missed {missed:?}"
    );
}

/// `chainward fix` pins an application's ranges to the versions uv.lock holds, in pyproject.toml
/// and in uv.lock's record of them: the real uv still accepts the lock, nothing is left to pin,
/// and a second run changes nothing.
#[test]
fn pinning_keeps_uv_lock_in_sync() {
    assert!(
        uv().exists(),
        "uv is not at {}: run `.ci/run`",
        uv().display()
    );
    let cache = tempfile::tempdir().expect("cache dir");
    let tmp = copy_fixture("npm-ci/python/uv-workspace");
    let before = run(tmp.path(), &["pin-check", "--format", "json", "."]);
    let ranges = before.stdout.matches("pin-check/range-specifier").count();
    assert!(ranges >= 5, "{}", before.stdout);
    let fixed = run(tmp.path(), &["fix", "."]);
    assert!(fixed.code == 0 || fixed.code == 1, "{}", fixed.snapshot());
    let pyproject = std::fs::read_to_string(tmp.path().join("pyproject.toml")).expect("read");
    assert!(
        pyproject.contains("\"anyio[trio]==4.16.0; python_version >= '3.11'\""),
        "{pyproject}"
    );
    let (ok, says) = uv_accepts(tmp.path(), cache.path());
    assert!(ok, "uv rejects the fixed lock: {says}");
    let after = run(tmp.path(), &["pin-check", "--format", "json", "."]);
    assert!(
        !after.stdout.contains("pin-check/range-specifier"),
        "{}",
        after.stdout
    );
    let lock = std::fs::read(tmp.path().join("uv.lock")).expect("read");
    let again = run(tmp.path(), &["fix", "."]);
    assert!(again.code == 0 || again.code == 1, "{}", again.snapshot());
    assert_eq!(
        std::fs::read(tmp.path().join("uv.lock")).expect("read"),
        lock
    );
}
