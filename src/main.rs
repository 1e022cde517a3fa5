//! The `chainward` binary: CLI, dispatch to built-in plugins and `chainward-<name>` executables,
//! exit codes (0 clean, 1 findings, 2 usage/config/I-O error).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches};

use chainward::cli::{CheckArgs, Cli, Command, ListFormat};
use chainward::{external, run};
use chainward_core::command::Mount;
use chainward_engine::registry;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A plugin and the commands it mounts.
type Mounted = (
    &'static dyn chainward_core::Plugin,
    Vec<(Mount, clap::Command)>,
);

fn main() -> ExitCode {
    let mut command = Cli::command();
    // `check` and `fix` (every run, every hook) use none of the plugins' commands: they are not
    // built for them (a plugin's subcommand repeats all of `check`'s arguments, and building
    // them all was most of the start-up before the walk).
    let own = matches!(
        std::env::args_os()
            .nth(1)
            .as_deref()
            .and_then(std::ffi::OsStr::to_str),
        Some("check" | "fix")
    );
    // The thread pool is started now, beside the parsing of the arguments and the config: by
    // the time the walk hands it the first file its threads are up, and not still starting
    // while the walk and git's index compete for the two cores.
    if own {
        rayon::spawn(|| {});
    }
    // Each plugin's commands, built once.
    let mounted: Vec<Mounted> = registry::PLUGINS
        .iter()
        .filter(|_| !own)
        .map(|plugin| (*plugin, plugin.commands()))
        .collect();
    // The plugins' own top-level commands (`sbom`, `allow-script`), after the CLI's.
    for (_, commands) in &mounted {
        for (mount, cmd) in commands {
            if *mount == Mount::Top {
                command = command.subcommand(cmd.clone());
            }
        }
    }
    // Every built-in plugin is a subcommand that runs it alone (with its own verbs and flags),
    // and may add commands of its own.
    for (plugin, commands) in &mounted {
        let mut sub = CheckArgs::augment_args(clap::Command::new(plugin.id()).about(format!(
            "Run only the {} plugin: {}",
            plugin.id(),
            plugin.summary()
        )));
        for (mount, cmd) in commands {
            match mount {
                Mount::Top => {}
                Mount::Plugin => {
                    sub = sub
                        .args_conflicts_with_subcommands(true)
                        .subcommand(cmd.clone())
                }
                Mount::Project => {
                    let help = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
                    // clap (without its `string` feature) takes `&'static str` names: one
                    // short name per flag, once per process.
                    let flag: &'static str = String::leak(cmd.get_name().to_string());
                    sub = sub.arg(
                        clap::Arg::new(flag)
                            .long(flag)
                            .action(clap::ArgAction::SetTrue)
                            .help(help),
                    );
                }
            }
        }
        command = command.subcommand(sub);
    }
    let matches = match command.try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match matches.subcommand() {
        Some((name, sub)) => match plugin_command(name, sub, &mounted) {
            Some(result) => result,
            None => match Cli::from_arg_matches(&matches) {
                Ok(cli) => dispatch(cli.command),
                Err(e) => {
                    let _ = e.print();
                    return ExitCode::from(2);
                }
            },
        },
        None => Ok(ExitCode::from(2)),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let _ = writeln!(chainward::stderr(), "error: {err}");
            ExitCode::from(2)
        }
    }
}

/// `chainward <plugin> …` (a check of that plugin alone, one of its verbs, or one of its
/// project flags) and the plugins' top-level commands; `None` for the CLI's own commands.
fn plugin_command(
    name: &str,
    sub: &clap::ArgMatches,
    mounted: &[Mounted],
) -> Option<Result<ExitCode, chainward_core::Error>> {
    if let Some(plugin) = registry::plugin(name) {
        if let Some((verb, m)) = sub.subcommand() {
            return Some(run::command(plugin, verb, m));
        }
        let args = match CheckArgs::from_arg_matches(sub) {
            Ok(args) => args,
            Err(e) => return Some(Err(chainward_core::Error::Usage(e.to_string()))),
        };
        let flag = mounted
            .iter()
            .filter(|(p, _)| p.id() == plugin.id())
            .flat_map(|(_, commands)| commands)
            .filter(|(mount, _)| *mount == Mount::Project)
            .map(|(_, cmd)| cmd.get_name().to_string())
            .find(|flag| sub.get_flag(flag));
        return Some(match flag {
            Some(flag) => run::project_command(&args, plugin, &flag),
            None => run::check(&args, Some(plugin), false),
        });
    }
    let (plugin, _) = mounted.iter().find(|(_, commands)| {
        commands
            .iter()
            .any(|(mount, cmd)| *mount == Mount::Top && cmd.get_name() == name)
    })?;
    Some(run::command(*plugin, name, sub))
}

fn dispatch(command: Command) -> Result<ExitCode, chainward_core::Error> {
    match command {
        Command::Check(args) => run::check(&args, None, false),
        Command::Fix(args) => run::check(&args, None, true),
        Command::Rules { format } => rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::External(args) => external::run(&args),
    }
}

fn rules(format: ListFormat) -> Result<ExitCode, chainward_core::Error> {
    let rules = registry::all_rules();
    let mut out = std::io::stdout().lock();
    let io = |e| chainward_core::Error::io(std::path::Path::new("<stdout>"), e);
    match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "code": r.code, "severity": r.default_severity,
                        "enabled": r.default_enabled, "fixable": r.fixable, "summary": r.summary,
                    })
                })
                .collect();
            let text = serde_json::to_string_pretty(&list).unwrap_or_default();
            writeln!(out, "{text}").map_err(io)?;
        }
        ListFormat::Text => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            writeln!(
                out,
                "{:<width$}  {:<6}  {:<7}  {:<9}  SUMMARY",
                "RULE", "CODE", "LEVEL", "FIXABLE"
            )
            .map_err(io)?;
            for r in &rules {
                let level = if r.default_enabled {
                    r.default_severity.as_str()
                } else {
                    "off"
                };
                let fixable = match r.fixable {
                    chainward_core::Fixability::None => "no",
                    chainward_core::Fixability::Sometimes => "sometimes",
                    chainward_core::Fixability::Always => "yes",
                };
                writeln!(
                    out,
                    "{:<width$}  {:<6}  {:<7}  {:<9}  {}",
                    r.id, r.code, level, fixable, r.summary
                )
                .map_err(io)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn explain(name: &str) -> Result<ExitCode, chainward_core::Error> {
    let Some(rule) = registry::rule(name) else {
        let hint = registry::did_you_mean(name)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(chainward_core::Error::Usage(format!(
            "unknown rule `{name}`{hint} (see `chainward rules`)"
        )));
    };
    let mut out = std::io::stdout().lock();
    let level = if rule.default_enabled {
        rule.default_severity.as_str()
    } else {
        "off"
    };
    let text = format!(
        "# {} ({})\n\n{}.\n\nDefault level: {}. Fixable: {}.\n\n{}\n",
        rule.id,
        rule.code,
        rule.summary,
        level,
        match rule.fixable {
            chainward_core::Fixability::None => "no",
            chainward_core::Fixability::Sometimes => "sometimes",
            chainward_core::Fixability::Always => "yes",
        },
        rule.doc.trim_end()
    );
    out.write_all(text.as_bytes())
        .map_err(|e| chainward_core::Error::io(std::path::Path::new("<stdout>"), e))?;
    Ok(ExitCode::SUCCESS)
}
