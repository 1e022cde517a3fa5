//! `chainward <name> ARGS` for names that are not built in: run `chainward-<name>` from PATH,
//! as cargo runs `cargo-<name>`, with `CHAINWARD` set to our own executable.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use chainward_core::Error;
use chainward_core::rule::did_you_mean;

/// Built-in command names, for did-you-mean.
pub const BUILTIN: &[&str] = &["check", "fix", "rules", "explain", "help"];

pub fn run(args: &[OsString]) -> Result<ExitCode, Error> {
    let Some(name) = args.first().and_then(|a| a.to_str()) else {
        return Err(Error::Usage("missing command".into()));
    };
    let exe = format!("chainward-{name}");
    let Some(path) = find_on_path(&exe) else {
        let mut known: Vec<String> = BUILTIN.iter().map(|s| s.to_string()).collect();
        known.extend(crate::registry::plugin_ids().iter().map(|s| s.to_string()));
        known.extend(external_commands());
        let hint = did_you_mean(name, known.iter().map(String::as_str))
            .map(|s| format!("\n\n  tip: a similar command exists: `{s}`"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "no such command: `{name}`{hint}\n\n  `chainward <name>` runs `chainward-{name}` from PATH; see `chainward --help` for the built-in commands"
        )));
    };
    let me = std::env::current_exe().map_err(|e| Error::io(&PathBuf::from("chainward"), e))?;
    let status = std::process::Command::new(&path)
        .args(&args[1..])
        .env("CHAINWARD", me)
        .status()
        .map_err(|e| Error::io(&path, e))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code.clamp(1, 255)).unwrap_or(2)),
        None => ExitCode::from(2),
    })
}

fn find_on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(exe))
        .find(|p| is_executable(p))
}

/// `chainward-*` executables on PATH, by command name.
fn external_commands() -> Vec<String> {
    let Some(path) = std::env::var_os("PATH") else { return Vec::new() };
    let mut out = Vec::new();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
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
