//! advisories: every locked version of every lockfile format, matched offline against an
//! advisory database on disk (OSV records: GitHub's reviewed advisories, ossf/malicious-packages,
//! osv.dev's npm export). The runner loads and indexes the database (`--advisory-db`,
//! `[advisories] db`, or the cached one) and puts it on the project; this plugin only asks it.

use std::path::PathBuf;

use chainward_core::advisory::{Grade, Match};
use chainward_core::command::{Context, FileWrite, Mount, Output};
use chainward_core::config::PluginConfig;
use chainward_core::online::Downloaded;
use chainward_core::packument::{format_time, now_ms};
use chainward_core::{
    Check, Error, FileKind, Finding, Fixability, Plugin, Project, Rule, Severity, SourceFile,
};
use chainward_npm::lockfile::{
    AnyLock, Declared, DeclaredDependencies, LockFormat, PackageView, any_lockfile,
};

/// The advisories plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct Advisories;

pub(crate) static MALICIOUS_VERSION: Rule = Rule {
    id: "advisories/malicious-version",
    code: "ADV001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A locked version is known to be malicious",
    doc: r#"The lockfile holds a version that an advisory database lists as malicious: a
`MAL-*` record of the OpenSSF malicious-packages project, or a GitHub advisory for embedded
malicious code (CWE-506), such as `debug@4.4.2` and `chalk@5.6.1` of September 2025. Every
lockfile format is read (npm, pnpm, yarn classic and berry, bun), with its workspaces; records
that name each other (a MAL record and the GHSA it imports) are one finding.

```text
error[advisories/malicious-version]: `debug@4.4.2` is known to be malicious (MAL-2025-46974: Malicious code in debug (npm))
```

The database is read from disk, never from the network: `--advisory-db PATH` (a folder of OSV
JSON records at any depth, or a zip such as osv.dev's `npm/all.zip`), `[advisories] db` (a path
inside the project), or the cache's `advisories/npm` folder. Without a database the plugin says
nothing.

**Fix.** Remove the version: pin the last good one in package.json (or an override), regenerate
the lockfile and check that the version is gone from it. If it was ever installed, treat the
machine and every token it held (npm, GitHub, cloud) as exposed: rotate them from another
machine.
"#,
};

pub(crate) static VULNERABLE_VERSION: Rule = Rule {
    id: "advisories/vulnerable-version",
    code: "ADV002",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A locked version is affected by a known vulnerability",
    doc: r#"A locked version falls in the affected ranges of an advisory (OSV `SEMVER` and
`ECOSYSTEM` ranges with `introduced`, `fixed` and `last_affected` events, or an explicit version
list), read with npm's semver: build metadata is ignored, and a prerelease of the fixed version
is still affected. The severity follows the advisory's grade (GitHub's `database_specific`
severity, else the CVSS v3 base score): critical and high are errors, moderate a warning, low
informational; an advisory without a grade is a warning. `[advisories] audit-level` (`low`,
`moderate`, `high`, `critical`; default `low`) drops the grades below it, as `npm audit
--audit-level` does. Aliases (a GHSA and its CVE) are one finding.

```text
error[advisories/vulnerable-version]: `minimist@1.2.5` is affected by GHSA-xvch-5gv4-984h (critical): Prototype Pollution in minimist
```

**Fix.** Move to a version the help names as fixed. For a dependency a package.json declares,
the finding points at that spec too and says whether the range already allows the fix: then the
package manager's update command (`npm update minimist`, `pnpm update minimist`, `yarn up
minimist`, `bun update minimist`, for the lockfile at hand) takes it; otherwise change the
range. For a dependency of a dependency, the finding names the ranges the packages that depend
on it ask (npm: through Node's folder lookup; yarn: through the descriptors that resolve to it)
and says whether they all allow the fix: then `npm update`, `pnpm update` or `yarn up -R` takes
it (yarn classic: remove its entries from yarn.lock and install again); otherwise update the
package that asks, or add an override. pnpm lockfiles record versions, not ranges, for
dependencies of dependencies, and bun's nested keys do not say which copy a range reaches: there
the help says only that. chainward does not rewrite lockfile resolutions: that is the package
manager's work.
"#,
};

pub(crate) static DATABASE_STALE: Rule = Rule {
    id: "advisories/database-stale",
    code: "ADV003",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The advisory database is older than the allowed age",
    doc: r#"New malicious versions are listed within hours: a database that was last brought up
to date more than `[advisories] max-age-hours` ago (default 24) misses them. Its age is when
`chainward advisories update` last wrote it, else the newest `modified` time among its records.
Said once per run, never silently ignored.

**Fix.** Bring the database up to date (`chainward advisories update`, or your own copy of
osv.dev's export), or raise `max-age-hours` for a database you update on another schedule.
"#,
};

/// Every rule of this plugin, in code order.
pub static RULES: &[&Rule] = &[&MALICIOUS_VERSION, &VULNERABLE_VERSION, &DATABASE_STALE];

const HOUR_MS: i64 = 3_600_000;

/// Options read from `[advisories]`.
#[derive(Debug, Clone)]
struct Options {
    max_age_hours: u64,
    audit_level: Grade,
}

impl Options {
    fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config.deny_unknown_keys("advisories", &["db", "max-age-hours", "audit-level"])?;
        // `db` is read by the runner, which loads the database; it is checked there.
        let audit_level = match config.get_string("audit-level")? {
            None => Grade::Low,
            Some((text, span)) => Grade::parse(&text).ok_or_else(|| {
                config.error(
                    span,
                    format!("`audit-level` must be low, moderate, high or critical, not `{text}`"),
                )
            })?,
        };
        Ok(Self {
            max_age_hours: config
                .get_integer("max-age-hours", 1..=24 * 365)?
                .map_or(24, |h| h as u64),
            audit_level,
        })
    }
}

impl Plugin for Advisories {
    fn id(&self) -> &'static str {
        "advisories"
    }

    fn summary(&self) -> &'static str {
        "Known-malicious and known-vulnerable locked versions, from an OSV advisory database on disk"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        Ok(Box::new(Options::from_config(config)?))
    }

    fn coverage(&self, project: &Project) -> chainward_core::Coverage {
        if project.advisories().is_none() {
            return chainward_core::Coverage::Skipped(
                "no advisory database (`chainward advisories update`, or --advisory-db)".into(),
            );
        }
        if project.files().iter().any(|f| f.kind.is_lockfile()) {
            chainward_core::Coverage::Checked
        } else {
            chainward_core::Coverage::NotApplicable
        }
    }

    fn reads(&self, kind: FileKind) -> bool {
        kind.is_lockfile()
    }

    fn commands(&self) -> Vec<(Mount, clap::Command)> {
        vec![(
            Mount::Plugin,
            clap::Command::new("update")
                .about("Download the npm advisory database (osv.dev's npm export) into the cache, and record when")
                .arg(
                    clap::Arg::new("url")
                        .long("url")
                        .value_name("URL")
                        .default_value(DEFAULT_URL)
                        .help("Where the zip of OSV records is downloaded from"),
                )
                .arg(
                    clap::Arg::new("cache-dir")
                        .long("cache-dir")
                        .value_name("DIR")
                        .value_parser(clap::value_parser!(PathBuf))
                        .help("The cache folder [default: $CHAINWARD_CACHE_DIR, else $XDG_CACHE_HOME/chainward, else ~/.cache/chainward]"),
                )
                .arg(
                    clap::Arg::new("allow-http")
                        .long("allow-http")
                        .action(clap::ArgAction::SetTrue)
                        .help("Let the URL be plain http (a local mirror)"),
                ),
        )]
    }

    fn run_command(
        &self,
        name: &str,
        args: &clap::ArgMatches,
        context: &Context<'_>,
    ) -> Result<Output, Error> {
        if name != "update" {
            return Err(Error::Usage(format!("advisories has no command `{name}`")));
        }
        let url = args
            .get_one::<String>("url")
            .map_or(DEFAULT_URL, String::as_str);
        let Some(cache) = args
            .get_one::<PathBuf>("cache-dir")
            .map(PathBuf::as_path)
            .or(context.cache_dir)
        else {
            return Err(Error::Usage(
                "no cache folder: set --cache-dir (or CHAINWARD_CACHE_DIR, XDG_CACHE_HOME or HOME)"
                    .into(),
            ));
        };
        let dir = cache.join("advisories");
        let zip = dir.join("npm.zip");
        let etag_file = dir.join("npm.zip.etag");
        let etag = context
            .files
            .is_file(&zip)
            .then(|| context.files.read_text(&etag_file).ok())
            .flatten()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let downloader = (context.download)(args.get_flag("allow-http"));
        let done = downloader
            .download(url, &zip, etag.as_deref(), MAX_DOWNLOAD)
            .map_err(|e| Error::Usage(format!("advisories update: {e}")))?;
        let now = format_time(now_ms());
        let mut writes = vec![FileWrite {
            path: chainward_core::advisory::updated_record(&zip, false),
            text: format!("{now}\n"),
            original: None,
            within: None,
        }];
        let message = match done {
            Downloaded::Fresh { bytes, etag } => {
                writes.push(FileWrite {
                    path: etag_file,
                    text: etag.map(|e| format!("{e}\n")).unwrap_or_default(),
                    original: None,
                    within: None,
                });
                format!(
                    "downloaded {} ({:.1} MB) into {}",
                    url,
                    bytes as f64 / 1e6,
                    zip.display()
                )
            }
            Downloaded::NotModified => format!("{} is up to date ({url} unchanged)", zip.display()),
        };
        Ok(Output {
            stdout: format!("{message}; recorded as updated at {now}\n"),
            stdout_mode: Some(chainward_core::escape::Mode::Log),
            writes,
            messages: Vec::new(),
            exit: 0,
        })
    }
}

/// osv.dev's export of every npm record (GitHub's advisories and the malicious-packages
/// project's, among others).
pub const DEFAULT_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip";

/// The largest archive downloaded (the npm export is a few hundred MB).
const MAX_DOWNLOAD: u64 = 4 << 30;

/// An entry the registry served: registry tarballs, or formats that record no URL. Git,
/// folder and tarball-URL sources are other code under the same name.
fn from_registry<'a>(view: &PackageView<'a>) -> Option<&'a str> {
    if view.link || !chainward_npm::lockfile::is_package_name(view.name) {
        return None;
    }
    let ok = match view.resolved {
        None => true,
        Some(r) if r.starts_with("https://") || r.starts_with("http://") => r.contains("/-/"),
        Some(r) => r.starts_with("npm:"),
    };
    ok.then_some(view.version?)
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let Some(db) = project.advisories() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut first: Option<&SourceFile> = None;
        for file in project.files() {
            if !file.kind.is_lockfile() || chainward_npm::workspaces::is_shadowed(project, file) {
                continue;
            }
            let Some(lock) = any_lockfile(file) else {
                continue;
            };
            first.get_or_insert(file);
            let mut entries: Vec<(usize, PackageView<'_>)> = lock.iter_packages().collect();
            entries.sort_by(|a, b| a.1.key.cmp(b.1.key));
            // Where each direct dependency is declared: read only when something matched.
            let mut declared: Option<DeclaredDependencies> = None;
            for (index, view) in entries {
                let Some(version) = from_registry(&view) else {
                    continue;
                };
                for m in db.affecting(view.name, version) {
                    let declared = declared.get_or_insert_with(|| {
                        chainward_npm::lockfile::declared(project, file, lock)
                    });
                    let at = declared.get(&(view.name.to_string(), version.to_string()));
                    let site = Site {
                        file,
                        lock,
                        index,
                        view: &view,
                        version,
                        declared: at,
                    };
                    if let Some(f) = self.finding(&site, &m) {
                        out.push(f);
                    }
                }
            }
        }
        // The age, once, on the first lockfile (nothing to say for a project without one).
        if let Some(file) = first {
            let limit = i64::try_from(self.max_age_hours).unwrap_or(24) * HOUR_MS;
            let now = now_ms();
            match db.updated_at() {
                Some(at) if now - at > limit => out.push(
                    Finding::new(
                        &DATABASE_STALE,
                        file,
                        0..0,
                        format!(
                            "the advisory database ({} records, {}) was last updated {}, over `max-age-hours` ({}) ago: versions listed since are not found",
                            db.len(),
                            chainward_core::escape::visible(db.source()),
                            format_time(at),
                            self.max_age_hours
                        ),
                    )
                    .with_help("run `chainward advisories update`, or refresh the database you pass with --advisory-db"),
                ),
                Some(_) => {}
                None => out.push(
                    Finding::new(
                        &DATABASE_STALE,
                        file,
                        0..0,
                        format!(
                            "the advisory database ({}) does not say when it was updated: its age is unknown",
                            chainward_core::escape::visible(db.source())
                        ),
                    )
                    .with_help("run `chainward advisories update`, which records when"),
                ),
            }
        }
        out
    }
}

/// The command that moves a dependency of a dependency to a newer version its dependents'
/// ranges allow: npm's and pnpm's `update` reach the whole tree; yarn berry's `up` needs `-R`
/// for that. yarn classic and bun have none (`None`).
fn deep_update(format: &LockFormat, name: &str) -> Option<String> {
    match format {
        LockFormat::Npm(_) => Some(format!("npm update {name}")),
        LockFormat::Pnpm(_) => Some(format!("pnpm update {name}")),
        LockFormat::YarnBerry(_) => Some(format!("yarn up -R {name}")),
        LockFormat::YarnClassic | LockFormat::Bun(_) => None,
    }
}

/// The packages of the lockfile that depend on this entry, as `(name@version, the range they
/// ask)`: npm's through Node's folder lookup, yarn's through the descriptors that resolve to it.
/// `None` where the format records no ranges for them (pnpm records versions) or cannot tell
/// which copy a range leads to (bun).
fn dependents(lock: AnyLock<'_>, view: &PackageView<'_>) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    match lock {
        AnyLock::Npm(lf) => {
            for (key, pkg) in &lf.packages {
                let Some(spec) = pkg
                    .dependencies()
                    .get(view.name)
                    .or_else(|| pkg.optional_dependencies().get(view.name))
                else {
                    continue;
                };
                if key.is_empty() || lf.resolve(key, view.name).map(|(k, _)| k) != Some(view.key) {
                    continue;
                }
                let who = pkg
                    .name()
                    .unwrap_or_else(|| key.rsplit("node_modules/").next().unwrap_or(key));
                let version = pkg.version().unwrap_or("");
                out.push((format!("{who}@{version}"), spec.to_string()));
            }
        }
        AnyLock::Other(l) => {
            if !matches!(l.format, LockFormat::YarnClassic | LockFormat::YarnBerry(_)) {
                return None;
            }
            let entry = l.package_by_key(view.key)?;
            for p in &l.packages {
                for (dep, spec) in l.edges(p) {
                    if dep != view.name {
                        continue;
                    }
                    let descriptor = format!("{dep}@{spec}");
                    let berry = format!("{dep}@npm:{}", spec.trim_start_matches("npm:"));
                    if l.descriptors(entry).any(|d| d == descriptor || d == berry) {
                        out.push((
                            format!("{}@{}", l.name(p), l.version(p).unwrap_or_default()),
                            spec.trim_start_matches("npm:").to_string(),
                        ));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// A locked entry a finding is about: where it is, and where a package.json declares it.
struct Site<'a> {
    file: &'a SourceFile,
    lock: AnyLock<'a>,
    index: usize,
    view: &'a PackageView<'a>,
    version: &'a str,
    declared: Option<&'a Declared>,
}

impl Options {
    fn finding(&self, site: &Site<'_>, m: &Match) -> Option<Finding> {
        let Site {
            file,
            lock,
            index,
            view,
            version,
            declared,
        } = *site;
        let a = &m.advisory;
        let text = file.text().unwrap_or_default();
        let span = lock.field_span(text, index, view, "version");
        let name = view.name;
        let also = if m.merged.is_empty() {
            String::new()
        } else {
            format!(" (also {})", m.merged.join(", "))
        };
        let summary = chainward_core::escape::visible(&a.summary);
        let id = chainward_core::escape::visible(&a.id);
        let mut finding = if a.malicious {
            Finding::new(
                &MALICIOUS_VERSION,
                file,
                span,
                format!("`{name}@{version}` is known to be malicious ({id}{also}: {summary})"),
            )
            .with_help("remove it and regenerate the lockfile; if it was ever installed, treat that machine and every token it held as exposed and rotate them from another machine")
        } else {
            if a.grade.is_some_and(|g| g < self.audit_level)
                || (a.grade.is_none() && self.audit_level > Grade::Moderate)
            {
                return None;
            }
            let severity = match a.grade {
                Some(Grade::Critical | Grade::High) => Severity::Error,
                Some(Grade::Low) => Severity::Info,
                Some(Grade::Moderate) | None => Severity::Warning,
            };
            let grade = a.grade.map_or("severity not stated", Grade::name);
            let finding = Finding::new(
                &VULNERABLE_VERSION,
                file,
                span,
                format!("`{name}@{version}` is affected by {id}{also} ({grade}): {summary}"),
            )
            .with_severity(severity);
            if m.fixed.is_empty() {
                finding.with_help("no fixed version is listed: remove the dependency or replace it")
            } else {
                let update = match lock.format() {
                    LockFormat::Npm(_) => format!("npm update {name}"),
                    LockFormat::Pnpm(_) => format!("pnpm update {name}"),
                    LockFormat::YarnClassic => format!("yarn upgrade {name}"),
                    LockFormat::YarnBerry(_) => format!("yarn up {name}"),
                    LockFormat::Bun(_) => format!("bun update {name}"),
                };
                let fixed = m.fixed.join(", ");
                match declared {
                    Some(d) => {
                        let spec = chainward_core::escape::visible(&d.spec);
                        let allows = m.fixed.iter().find(|f| {
                            chainward_npm::spec::satisfies(f, &d.spec) == Some(true)
                        });
                        match allows {
                            Some(f) => finding.with_help(format!(
                                "fixed in {fixed}: package.json's `{spec}` allows {f}, so `{update}` takes it"
                            )),
                            None => finding.with_help(format!(
                                "fixed in {fixed}: package.json's `{spec}` does not allow it: change the range (`^{}`), then install",
                                m.fixed[0]
                            )),
                        }
                    }
                    None => match dependents(lock, view) {
                        Some(asks) if !asks.is_empty() => {
                            let allowed = m.fixed.iter().find(|f| {
                                asks.iter().all(|(_, spec)| {
                                    chainward_npm::spec::satisfies(f, spec) == Some(true)
                                })
                            });
                            let said = |asks: &[(String, String)]| -> String {
                                asks.iter()
                                    .take(3)
                                    .map(|(who, spec)| {
                                        format!(
                                            "`{}` asks `{}`",
                                            chainward_core::escape::visible(who),
                                            chainward_core::escape::visible(spec)
                                        )
                                    })
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            match allowed {
                                Some(f) => finding.with_help(match deep_update(&lock.format(), name) {
                                    Some(deep) => format!(
                                        "fixed in {fixed}: every package that depends on it allows {f} ({}), so `{deep}` takes it",
                                        said(&asks)
                                    ),
                                    None => format!(
                                        "fixed in {fixed}: every package that depends on it allows {f} ({}): remove its entries from the lockfile and install again",
                                        said(&asks)
                                    ),
                                }),
                                None => {
                                    let stuck: Vec<(String, String)> = asks
                                        .iter()
                                        .filter(|(_, spec)| {
                                            !m.fixed.iter().any(|f| {
                                                chainward_npm::spec::satisfies(f, spec)
                                                    == Some(true)
                                            })
                                        })
                                        .cloned()
                                        .collect();
                                    finding.with_help(format!(
                                        "fixed in {fixed}: {}, which {} not allow it: update the package that asks, or add an override for `{name}`",
                                        said(&stuck),
                                        if stuck.len() == 1 { "does" } else { "do" }
                                    ))
                                }
                            }
                        }
                        _ => finding.with_help(match deep_update(&lock.format(), name) {
                            Some(deep) => format!(
                                "fixed in {fixed}: `{deep}` takes it where the ranges of the packages that depend on it allow it; otherwise add an override"
                            ),
                            None => format!(
                                "fixed in {fixed}: a dependency of a dependency: add an override for `{name}`"
                            ),
                        }),
                    },
                }
            }
        };
        if let Some(d) = declared {
            finding = finding.with_label(
                chainward_core::Location::new(&d.manifest, d.span.clone()),
                "declared here",
            );
        }
        finding.subject = Some(format!("{name}@{version}"));
        let help = finding.help.take().unwrap_or_default();
        finding = finding.with_help(format!(
            "{help}; details: {}",
            chainward_core::escape::visible(&a.url)
        ));
        Some(finding)
    }
}
