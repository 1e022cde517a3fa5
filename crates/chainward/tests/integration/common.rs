//! Shared harness: paths, running the binary, copying fixtures, snapshot settings.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    workspace().join("fixtures")
}

pub fn shared_vectors() -> PathBuf {
    workspace().join("../shared/vectors")
}

/// What one run printed.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The form snapshots take: exit code, stdout, stderr.
    pub fn snapshot(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A `chainward` command with a scrubbed environment, run in `dir`.
pub fn chainward(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    cmd
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    output(chainward(dir).args(args))
}

pub fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the chainward binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Copy a fixture tree into a fresh temporary folder.
pub fn copy_fixture(rel: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixtures().join(rel), tmp.path());
    tmp
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every fixture case under `fixtures/<plugin>/`: folders holding a package.json, a workflow
/// folder or a Dockerfile (nested groups such as `bad-input/` contribute their sub-folders).
pub fn cases(plugin: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_cases(&fixtures().join(plugin), "", &mut out);
    out.sort();
    out
}

fn collect_cases(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let p = entry.path();
        let is_case = std::fs::read_dir(&p)
            .map(|es| {
                es.flatten().any(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n == "package.json"
                        || n == ".github"
                        || n.to_ascii_lowercase().contains("dockerfile")
                        || n.ends_with(".json")
                        || n.ends_with(".yml")
                })
            })
            .unwrap_or(false);
        if is_case {
            out.push(rel);
        } else {
            collect_cases(&p, &rel, out);
        }
    }
}

/// Snapshot into `snapshots/<folder>/`.
#[macro_export]
macro_rules! snap {
    ($folder:expr, $name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($crate::common::workspace().join("snapshots").join($folder));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}

/// Snapshot-safe name for a case path.
pub fn snap_name(case: &str) -> String {
    case.replace('/', "__")
}
