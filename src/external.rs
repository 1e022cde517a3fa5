//! `chainward <name> ARGS` for names that are not built in: run `chainward-<name>` from PATH,
//! as cargo runs `cargo-<name>`, with `CHAINWARD` set to our own executable.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use chainward_core::Error;
use chainward_core::rule::did_you_mean;
use chainward_engine::{external, registry};

/// The CLI's own command names, for did-you-mean (plugins and their commands are added).
const BUILTIN: &[&str] = &["check", "fix", "rules", "explain", "help"];

pub fn run(args: &[OsString]) -> Result<ExitCode, Error> {
    let Some(name) = args.first().and_then(|a| a.to_str()) else {
        return Err(Error::Usage("missing command".into()));
    };
    let exe = format!("chainward-{name}");
    let Some(path) = external::find_on_path(&exe) else {
        let mut known: Vec<String> = BUILTIN.iter().map(|s| s.to_string()).collect();
        known.extend(registry::plugin_ids().iter().map(|s| s.to_string()));
        known.extend(registry::PLUGINS.iter().flat_map(|p| {
            p.commands()
                .into_iter()
                .filter(|(mount, _)| *mount == chainward_core::command::Mount::Top)
                .map(|(_, cmd)| cmd.get_name().to_string())
        }));
        known.extend(external::commands());
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
