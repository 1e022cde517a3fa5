//! The release-age cooldown each package manager applies: read from its own file, in its own
//! unit, as the version in use reads it (or does not).
//!
//! Sources (checked against each package manager's published code and changelog):
//! - npm `min-release-age` (days) in the project .npmrc, since 11.10.0; no default. npm 10 and
//!   11.0–11.1 ignore an unknown key silently, 11.2+ warn (`@npmcli/config` `checkUnknown`).
//! - pnpm `minimumReleaseAge` (minutes), since 10.16.0: pnpm-workspace.yaml (10: also .npmrc
//!   `minimum-release-age`); default off in 10, 1440 in 11. pnpm 11 reads only auth, registry and
//!   network keys from .npmrc and no longer reads the package.json `pnpm` field.
//! - yarn `npmMinimalAgeGate` in .yarnrc.yml, since 4.10.0: a number of minutes in 4.10 (where
//!   `"1d"` is read as 1 minute), a duration (`3d`; a bare number is minutes) from 4.11; default
//!   0 until 4.14, `1d` from 4.15. Before 4.10 the key is unknown and yarn stops every command
//!   ("Unrecognized or legacy configuration settings found").
//! - bun `[install] minimumReleaseAge` (seconds) in bunfig.toml, since 1.3.0 (durations such as
//!   `"3d"` from 1.4.4); no default.

use std::ops::Range;
use std::sync::Arc;

use chainward_core::{Project, Severity, SourceFile, toml, yaml};

use super::{Pm, Root, Setting, Ver};

/// A setting the package manager in use does not apply as written: where, and why.
#[derive(Debug, Clone)]
pub struct Ignored {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
    pub message: String,
    /// `None`: the rule's own severity.
    pub severity: Option<Severity>,
    pub help: Option<&'static str>,
}

/// The cooldown in effect and where it came from.
#[derive(Debug, Clone)]
pub struct Effective {
    /// Minutes; `None`: no cooldown.
    pub minutes: Option<f64>,
    /// The version in use has none to offer: the first one that does.
    pub unsupported: Option<&'static str>,
    /// Where the value was read: the file, the span of the value, and the key as written.
    pub setting: Option<(Arc<SourceFile>, Range<usize>, String)>,
    /// "default of pnpm 11", "pnpm-workspace.yaml:3".
    pub from: String,
}

impl Effective {
    /// The version in use has no cooldown; `first` does.
    pub fn unsupported(first: &'static str) -> Effective {
        Effective {
            minutes: None,
            unsupported: Some(first),
            setting: None,
            from: "not supported".into(),
        }
    }

    /// Nothing set, and no default: `from` says why ("not set", "not a number").
    pub fn none(from: &str) -> Effective {
        Effective {
            minutes: None,
            unsupported: None,
            setting: None,
            from: from.into(),
        }
    }

    /// The version's own default.
    pub fn default_of(minutes: f64, from: &str) -> Effective {
        Effective {
            minutes: Some(minutes),
            ..Effective::none(from)
        }
    }

    /// Read from `file` at `span`, written as `value`.
    pub fn read(
        minutes: f64,
        file: Arc<SourceFile>,
        span: Range<usize>,
        value: String,
    ) -> Effective {
        Effective {
            minutes: Some(minutes),
            unsupported: None,
            from: file.rel.clone(),
            setting: Some((file, span, value)),
        }
    }
}

/// "3 days", "1 day", "10 minutes", "12 hours".
pub fn human(minutes: f64) -> String {
    let plural = |n: f64, unit: &str| {
        let rounded = (n * 10.0).round() / 10.0;
        if (rounded - 1.0).abs() < f64::EPSILON {
            format!("1 {unit}")
        } else if rounded.fract() == 0.0 {
            format!("{} {unit}s", rounded as u64)
        } else {
            format!("{rounded} {unit}s")
        }
    };
    if minutes >= 1440.0 {
        plural(minutes / 1440.0, "day")
    } else if minutes >= 60.0 {
        plural(minutes / 60.0, "hour")
    } else {
        plural(minutes, "minute")
    }
}

/// The cooldown in effect for `root`, and the settings written for it that are not in effect.
pub fn effective(project: &Project, root: &Root) -> (Effective, Vec<Ignored>) {
    let mut out = Vec::new();
    let eff = effective_into(project, root, &mut out);
    (eff, out)
}

fn effective_into(project: &Project, root: &Root, out: &mut Vec<Ignored>) -> Effective {
    let v = root.version;
    let pm = root.describe();
    let mut ignored = |file: &Arc<SourceFile>, span: Range<usize>, message: String| {
        out.push(Ignored {
            file: Arc::clone(file),
            span,
            message,
            severity: None,
            help: None,
        });
    };
    // Cooldowns written for a package manager this project does not use.
    for (other, name, key) in [
        (Pm::Pnpm, "pnpm-workspace.yaml", "minimumReleaseAge"),
        (Pm::YarnBerry, ".yarnrc.yml", "npmMinimalAgeGate"),
    ] {
        if root.pm.name() == other.name() {
            continue;
        }
        if let Some((file, span, _)) = root.yaml_setting(project, name, key) {
            ignored(
                &file,
                span,
                format!(
                    "`{key}` in {name} is {}'s setting, and this project is installed with {pm}: it has no effect",
                    other.name()
                ),
            );
        }
    }
    match root.pm {
        Pm::Npm => {
            let setting = root.npmrc_setting(project, "min-release-age");
            if !root.reads(Ver(11, 10, 0), setting.is_some()) {
                if let Some((file, span, _)) = &setting {
                    ignored(
                        file,
                        span.clone(),
                        format!(
                            "{pm} does not know `min-release-age` (npm 11.10 and later){}: no cooldown applies",
                            if v.at_least(11, 2, 0) {
                                ", and only warns about it"
                            } else {
                                " and ignores it silently"
                            }
                        ),
                    );
                }
                return Effective::unsupported("npm 11.10");
            }
            let mut conflict = None;
            if let (Some((file, span, _)), Some(_)) =
                (&setting, root.npmrc_setting(project, "before"))
            {
                // 11.10–11.14 declare the two exclusive (config load throws); from 11.15 `before`
                // wins within one file.
                let (severity, message) = if v.at_least(11, 15, 0) {
                    (
                        Severity::Warning,
                        format!(
                            "`before` in the same file wins over `min-release-age` ({pm} and later): installs stop at that fixed date, and the rolling cooldown is not applied"
                        ),
                    )
                } else if root.declared() {
                    (
                        Severity::Error,
                        format!(
                            "{pm} stops every command when `min-release-age` and `before` are both set (\"--min-release-age cannot be provided when using --before\", npm 11.10 to 11.14)"
                        ),
                    )
                } else {
                    (
                        Severity::Warning,
                        "`min-release-age` and `before` are both set: npm 11.10 to 11.14 stop every command on it, and from 11.15 `before` wins (a fixed date, not a rolling cooldown)".into(),
                    )
                };
                conflict = Some(Ignored {
                    file: Arc::clone(file),
                    span: span.clone(),
                    message,
                    severity: Some(severity),
                    help: Some(
                        "remove `before` from .npmrc; pass `--before` on the command line when you need a fixed date",
                    ),
                });
            }
            let eff = match setting {
                Some(setting) => {
                    let message = format!(
                        "`min-release-age={}` is not a number of days: npm applies no cooldown",
                        setting.2
                    );
                    numeric(setting, 1440.0, message, &mut ignored)
                }
                None => Effective::none("not set"),
            };
            out.extend(conflict);
            eff
        }
        Pm::Pnpm => pnpm(project, root, &mut ignored),
        Pm::YarnBerry => yarn(project, root, &mut ignored),
        Pm::YarnClassic => Effective::unsupported("yarn 4.10"),
        Pm::Bun => bun(project, root, &mut ignored),
    }
}

/// A YAML setting with its value as text (`""` for a value that is not a scalar).
fn scalar((file, span, node): Setting<yaml::Yaml>) -> Setting<String> {
    let value = node.as_str().unwrap_or_default().to_string();
    (file, span, value)
}

type Report<'a> = dyn FnMut(&Arc<SourceFile>, Range<usize>, String) + 'a;

/// A cooldown written as a number of units of `minutes_per_unit` minutes; a value that is not
/// a non-negative number is reported (`not_a_number`) and gives no cooldown.
fn numeric(
    (file, span, value): (Arc<SourceFile>, Range<usize>, String),
    minutes_per_unit: f64,
    not_a_number: String,
    ignored: &mut Report<'_>,
) -> Effective {
    match value.trim().parse::<f64>() {
        Ok(n) if n >= 0.0 && n.is_finite() => {
            Effective::read(n * minutes_per_unit, file, span, value)
        }
        _ => {
            ignored(&file, span, not_a_number);
            Effective::none("not a number")
        }
    }
}

fn pnpm(project: &Project, root: &Root, ignored: &mut Report<'_>) -> Effective {
    let v = root.version;
    let pm = root.describe();
    let eleven = v.at_least(11, 0, 0);
    let from_ws = root
        .yaml_setting(project, "pnpm-workspace.yaml", "minimumReleaseAge")
        .map(scalar);
    let from_rc = root.npmrc_setting(project, "minimum-release-age");
    // The package.json `pnpm` field never carried the cooldown.
    if let Some(manifest) = &root.manifest
        && let Some(pj) = crate::package_json(manifest)
        && let Some(node) = pj.json.pointer(&["pnpm", "minimumReleaseAge"])
    {
        ignored(
            manifest,
            node.span.clone(),
            format!(
                "pnpm does not read `minimumReleaseAge` from the package.json `pnpm` field{}: no cooldown comes from here; set it in pnpm-workspace.yaml",
                if eleven {
                    " (pnpm 11 reads nothing there)"
                } else {
                    ""
                }
            ),
        );
    }
    let supported = root.reads(Ver(10, 16, 0), from_ws.is_some() || from_rc.is_some());
    if !supported {
        for (file, span, key) in [
            from_ws
                .as_ref()
                .map(|(f, s, _)| (f, s, "minimumReleaseAge")),
            from_rc
                .as_ref()
                .map(|(f, s, _)| (f, s, "minimum-release-age")),
        ]
        .into_iter()
        .flatten()
        {
            ignored(
                file,
                span.clone(),
                format!("{pm} does not know `{key}` (pnpm 10.16 and later): no cooldown applies"),
            );
        }
        return Effective::unsupported("pnpm 10.16");
    }
    if eleven && let Some((file, span, _)) = &from_rc {
        ignored(
            file,
            span.clone(),
            format!(
                "{pm} reads only auth, registry and network settings from .npmrc: `minimum-release-age` here has no effect; set `minimumReleaseAge` in pnpm-workspace.yaml"
            ),
        );
    }
    // pnpm-workspace.yaml wins over .npmrc (pnpm 10); pnpm 11 reads the former only.
    let setting = from_ws.or(if eleven { None } else { from_rc });
    match setting {
        Some(setting) => {
            let message = format!(
                "`{}` is not a number of minutes, which is what pnpm reads: no cooldown applies (3 days is 4320)",
                setting.2
            );
            numeric(setting, 1.0, message, ignored)
        }
        None if eleven => Effective::default_of(1440.0, "pnpm 11's default"),
        None => Effective::none("not set"),
    }
}

/// `12 hours` → (12, "hours"): a non-negative number and what follows it, trimmed.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    Some((number.parse().ok()?, unit.trim()))
}

/// A yarn duration: a number is minutes; `ms`, `s`, `m`, `h`, `d`, `w` suffixes.
fn yarn_duration(text: &str) -> Option<f64> {
    let (n, unit) = number_and_unit(text)?;
    let factor = match unit {
        "" | "m" => 1.0,
        "ms" => 1.0 / 60_000.0,
        "s" => 1.0 / 60.0,
        "h" => 60.0,
        "d" => 1440.0,
        "w" => 10_080.0,
        _ => return None,
    };
    Some(n * factor)
}

fn yarn(project: &Project, root: &Root, ignored: &mut Report<'_>) -> Effective {
    let v = root.version;
    let pm = root.describe();
    let setting = root
        .yarnrc_setting(project, "npmMinimalAgeGate")
        .map(scalar);
    if !root.reads(Ver(4, 10, 0), setting.is_some()) {
        if let Some((file, span, _)) = &setting {
            ignored(
                file,
                span.clone(),
                format!(
                    "{pm} does not know `npmMinimalAgeGate` (yarn 4.10 and later) and stops every command on it (\"Unrecognized or legacy configuration settings found\")"
                ),
            );
        }
        return Effective::unsupported("yarn 4.10");
    }
    let default = if v.at_least(4, 15, 0) {
        Effective::default_of(1440.0, "yarn 4.15's default")
    } else {
        Effective::none("not set")
    };
    let Some((file, span, value)) = setting else {
        return default;
    };
    // 4.10 counts minutes; durations from 4.11 (a project that does not state its version and
    // writes a duration is taken to use a yarn that reads it).
    let minutes = if v.at_least(4, 11, 0) || !root.declared() {
        yarn_duration(&value)
    } else {
        // 4.10 parses an integer prefix: `1d` is 1 minute.
        let digits: String = value
            .trim()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let n = digits.parse::<f64>().ok();
        if n.is_some() && digits.len() != value.trim().len() {
            ignored(
                &file,
                span.clone(),
                format!(
                    "{pm} reads `npmMinimalAgeGate: {value}` as {} (durations are read from yarn 4.11; 4.10 counts minutes)",
                    human(n.unwrap_or_default())
                ),
            );
        }
        n
    };
    match minutes {
        Some(m) => Effective::read(m, file, span, value),
        None => {
            ignored(
                &file,
                span,
                format!(
                    "`npmMinimalAgeGate: {value}` is not a duration yarn reads (`3d`, or a number of minutes)"
                ),
            );
            default
        }
    }
}

fn bun(project: &Project, root: &Root, ignored: &mut Report<'_>) -> Effective {
    let v = root.version;
    let pm = root.describe();
    let setting = root.file(project, "bunfig.toml").and_then(|file| {
        let item = toml::get(toml::parsed(&file)?, &["install", "minimumReleaseAge"])?;
        let span = item.span()?;
        let value = item.as_value()?.clone();
        Some((file, span, value))
    });
    if !root.reads(Ver(1, 3, 0), setting.is_some()) {
        if let Some((file, span, _)) = &setting {
            ignored(
                file,
                span.clone(),
                format!(
                    "{pm} does not know `minimumReleaseAge` in bunfig.toml (bun 1.3 and later): no cooldown applies"
                ),
            );
        }
        return Effective::unsupported("bun 1.3");
    }
    let not_set = Effective::none("not set");
    let Some((file, span, value)) = setting else {
        return not_set;
    };
    let text = file.text().ok().map(|t| t[span.clone()].to_string());
    let seconds = match &value {
        toml_edit::Value::Integer(n) => Some(*n.value() as f64),
        toml_edit::Value::Float(n) => Some(*n.value()),
        // Durations from 1.4.4 (a project that does not state its version and writes one is
        // taken to use a bun that reads it).
        toml_edit::Value::String(d) if v.at_least(1, 4, 4) || !root.declared() => {
            bun_duration(d.value())
        }
        toml_edit::Value::String(d) => {
            ignored(
                &file,
                span,
                format!(
                    "{pm} reads `minimumReleaseAge` only as a number of seconds (\"Expected number of seconds for minimumReleaseAge\"); durations such as `{}` from bun 1.4.4",
                    d.value()
                ),
            );
            return not_set;
        }
        _ => None,
    };
    match seconds.filter(|s| *s >= 0.0 && s.is_finite()) {
        Some(seconds) => Effective::read(seconds / 60.0, file, span, text.unwrap_or_default()),
        None => {
            ignored(
                &file,
                span,
                "`minimumReleaseAge` in bunfig.toml is not a number of seconds (or, from bun 1.4.4, a duration such as `3d`): no cooldown applies".into(),
            );
            not_set
        }
    }
}

/// A bun duration (1.4.4+): a number of seconds, or a number with a unit (`90m`, `12 hours`,
/// `3d`, `2 weeks`); seconds.
fn bun_duration(text: &str) -> Option<f64> {
    let (n, unit) = number_and_unit(text)?;
    let factor = match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yarn_durations() {
        assert_eq!(yarn_duration("3d"), Some(4320.0));
        assert_eq!(yarn_duration("1440"), Some(1440.0));
        assert_eq!(yarn_duration("12h"), Some(720.0));
        assert_eq!(yarn_duration("1w"), Some(10_080.0));
        assert_eq!(yarn_duration("abc"), None);
        assert_eq!(yarn_duration("3 days"), None);
    }

    #[test]
    fn bun_durations() {
        assert_eq!(bun_duration("259200"), Some(259_200.0));
        assert_eq!(bun_duration("3d"), Some(259_200.0));
        assert_eq!(bun_duration("12 hours"), Some(43_200.0));
        assert_eq!(bun_duration("90m"), Some(5_400.0));
        assert_eq!(bun_duration("2 weeks"), Some(1_209_600.0));
        assert_eq!(bun_duration("soon"), None);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human(4320.0), "3 days");
        assert_eq!(human(1440.0), "1 day");
        assert_eq!(human(7.0), "7 minutes");
        assert_eq!(human(720.0), "12 hours");
    }
}
