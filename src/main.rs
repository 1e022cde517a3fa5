//! The `chainward` binary: CLI, dispatch to built-in plugins and `chainward-<name>` executables,
//! exit codes (0 clean, 1 findings, 2 usage/config/I-O error).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches};

use chainward::cli::{CheckArgs, Cli, Command, ListFormat};
use chainward::provenance_cmd::VerifyArgs;
use chainward::{external, run};
use chainward_engine::registry;

fn main() -> ExitCode {
    let mut command = Cli::command();
    for plugin in registry::PLUGINS {
        let mut sub = CheckArgs::augment_args(clap::Command::new(plugin.id()).about(format!(
            "Run only the {} plugin: {}",
            plugin.id(),
            plugin.summary()
        )));
        if plugin.id() == "provenance" {
            sub = sub
                .args_conflicts_with_subcommands(true)
                .subcommand(VerifyArgs::augment_args(clap::Command::new("verify").about(
                    "Verify an artifact's Sigstore bundle, npm attestations or SLSA provenance, offline",
                )))
                .subcommand(VerifyArgs::augment_args(clap::Command::new("show").about(
                    "Print what an artifact's provenance says (repository, workflow, ref, commit, builder, signer), and whether it verifies",
                )));
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
        Some(("provenance", sub)) if sub.subcommand().is_some() => match sub.subcommand() {
            Some((verb, m)) => VerifyArgs::from_arg_matches(m)
                .map_err(|e| chainward_core::Error::Usage(e.to_string()))
                .and_then(|args| chainward::provenance_cmd::run(&args, verb == "show")),
            None => Ok(ExitCode::from(2)),
        },
        Some((name, sub)) if registry::plugin(name).is_some() => CheckArgs::from_arg_matches(sub)
            .map_err(|e| chainward_core::Error::Usage(e.to_string()))
            .and_then(|args| run::check(&args, registry::plugin(name), false)),
        _ => match Cli::from_arg_matches(&matches) {
            Ok(cli) => dispatch(cli.command),
            Err(e) => {
                let _ = e.print();
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let _ = writeln!(chainward::stderr(), "error: {err}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> Result<ExitCode, chainward_core::Error> {
    match command {
        Command::Check(args) => run::check(&args, None, false),
        Command::Fix(args) => run::check(&args, None, true),
        Command::Rules { format } => rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::AllowScript(args) => chainward::allow_script::run(&args),
        Command::Sbom(args) => chainward::sbom::run(&args),
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
        let rules = registry::all_rules();
        let hint = chainward_core::rule::did_you_mean(name, rules.iter().map(|r| r.id))
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
