//! External plugins: `chainward-<name>` executables from PATH, run by `check` when the user
//! allows them (the project's config only names them), and looked up for `chainward <name>`.

use std::path::PathBuf;

/// The external-plugin protocol version: 2 names file kinds by their stable kebab-case names
/// (`package-json`), 1 sent Rust's enum names (`PackageJson`).
const PROTOCOL: u32 = 2;

/// `CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1` (or `true`) in the environment of the person running
/// chainward, which a scanned tree cannot set.
pub fn allowed_by_env() -> bool {
    std::env::var("CHAINWARD_ALLOW_EXTERNAL_PLUGINS")
        .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// `exe` in the first PATH entry that has it (`chainward <name>` runs what the user's PATH
/// finds, as cargo does).
pub fn find_on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(exe))
        .find(|p| is_executable(p))
}

/// `exe` in PATH for a plugin that the project's config names: only absolute entries, and none
/// inside the scanned tree `root` (an empty entry is the current folder, and `npm run` puts the
/// project's `node_modules/.bin` first), so that the tree cannot provide the program it names.
pub fn find_outside(exe: &str, root: &std::path::Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let root = chainward_core::links::canonical_root(root).ok()?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .filter(|dir| {
            // An entry that does not exist or cannot be resolved is not searched.
            std::fs::canonicalize(dir).is_ok_and(|real| !real.starts_with(&root))
        })
        .map(|dir| dir.join(exe))
        .find(|p| {
            // The executable itself may be a link into the tree.
            is_executable(p) && std::fs::canonicalize(p).is_ok_and(|real| !real.starts_with(&root))
        })
}

/// `chainward-*` executables on PATH, by command name.
pub fn commands() -> Vec<String> {
    let Some(path) = std::env::var_os("PATH") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if let Some(cmd) = name.to_str().and_then(|n| n.strip_prefix("chainward-"))
                && is_executable(&entry.path())
            {
                out.push(cmd.to_string());
            }
        }
    }
    out
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &std::path::Path) -> bool {
    p.is_file()
}

/// Where the config names external plugin `name`: its entry in `external-plugins`, else the
/// project root.
fn entry_location(
    project: &chainward_core::Project,
    config: &chainward_core::Config,
    span: Option<&std::ops::Range<usize>>,
) -> chainward_core::Location {
    let lc = chainward_core::span::LineCol { line: 1, column: 1 };
    match (&config.path, span) {
        (Some(path), Some(span)) => match config.line_col(span) {
            Some((s, e)) => chainward_core::Location::at(path.clone(), span.clone(), s, e),
            None => chainward_core::Location::at(path.clone(), 0..0, lc, lc),
        },
        _ => chainward_core::Location::at(project.root.clone(), 0..0, lc, lc),
    }
}

/// The finding for an external plugin that the config names and the user did not allow: it is
/// not run, and the report says its checks are missing.
pub fn not_allowed(
    name: &str,
    project: &chainward_core::Project,
    config: &chainward_core::Config,
    span: Option<std::ops::Range<usize>>,
) -> chainward_core::Finding {
    use chainward_core::rule::core_rules::EXTERNAL_PLUGIN_NOT_ALLOWED;
    chainward_core::Finding::at(
        &EXTERNAL_PLUGIN_NOT_ALLOWED,
        entry_location(project, config, span.as_ref()),
        format!("external plugin `{name}` was not run: the project's config names it, and external plugins were not allowed"),
    )
    .with_help(format!(
        "if you trust `chainward-{name}`, run with `--allow-external-plugins` (or CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1); it is looked up only in absolute PATH entries outside this tree"
    ))
}

/// How long an external plugin may run inside `chainward check`.
const PLUGIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Run the external plugin `chainward-<name>` as part of `check`: the project on stdin as JSON
/// (`version`, `root`, `files` with their kinds, the plugin's `config` section), findings JSON
/// (the `--format json` schema) on stdout. A plugin that is missing, crashes, hangs or prints
/// garbage yields one `chainward/plugin-failed` finding; the run goes on.
pub fn check_with(
    name: &str,
    project: &chainward_core::Project,
    config: &chainward_core::Config,
    span: Option<std::ops::Range<usize>>,
) -> Vec<chainward_core::Finding> {
    use chainward_core::rule::core_rules::PLUGIN_FAILED;
    use std::io::{Read, Write};

    let failed = |message: String| {
        vec![chainward_core::Finding::at(
            &PLUGIN_FAILED,
            entry_location(project, config, span.as_ref()),
            format!("external plugin `{name}`: {message}"),
        )]
    };
    let exe = format!("chainward-{name}");
    let Some(path) = find_outside(&exe, &project.root) else {
        return failed(format!(
            "`{exe}` is not in an absolute PATH entry outside the scanned tree (relative entries, empty entries and folders inside the project are never searched)"
        ));
    };
    let input = serde_json::json!({
        "version": PROTOCOL,
        "root": project.root.to_string_lossy(),
        "files": project.files().iter().map(|f| serde_json::json!({
            "path": f.path.to_string_lossy(),
            "kind": f.kind.name(),
        })).collect::<Vec<_>>(),
        "config": config.plugin(name).to_json(),
    });
    let me = std::env::current_exe().unwrap_or_default();
    let child = std::process::Command::new(&path)
        .arg(format!("--chainward-plugin-protocol={PROTOCOL}"))
        .env("CHAINWARD", me)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start {}: {e}", path.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.to_string().as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut buf = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.take(64 * 1024 * 1024).read_to_string(&mut buf);
        }
        buf
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > PLUGIN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return failed(format!(
                    "did not finish within {} s and was stopped",
                    PLUGIN_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(e) => return failed(format!("waiting for it failed: {e}")),
        }
    };
    let text = reader.join().unwrap_or_default();
    if !matches!(status.code(), Some(0 | 1)) {
        return failed(format!("exited with {status}"));
    }
    match chainward_report::parse_json(&text) {
        // Its findings are its own rules (`<name>/…`): one that speaks for another plugin, or
        // for chainward, is not believed.
        Ok(findings) => match findings.iter().find(|f| {
            f.rule
                .split_once('/')
                .is_none_or(|(plugin, _)| plugin != name)
        }) {
            Some(f) => failed(format!(
                "reported a finding of `{}`, which is not one of its rules (`{name}/…`)",
                f.rule
            )),
            None => findings,
        },
        Err(e) => {
            let head: String = text.chars().take(120).collect();
            failed(format!(
                "printed something that is not findings JSON ({e}): {head:?}"
            ))
        }
    }
}
