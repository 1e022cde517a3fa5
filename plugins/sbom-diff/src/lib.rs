//! sbom-diff: CycloneDX and SPDX SBOMs from the lockfile of any format, offline and instant;
//! and (next) the supply-chain-aware diff of two SBOMs or two git revisions.

mod command;
// The reader, writer, validator and diff are the plugin's own; the fuzz targets and integration
// tests reach them with the `internals` feature.
#[cfg(feature = "internals")]
pub mod cyclonedx;
#[cfg(not(feature = "internals"))]
mod cyclonedx;
#[cfg(feature = "internals")]
pub mod diff;
#[cfg(not(feature = "internals"))]
mod diff;
mod generate;
mod model;
mod python;
#[cfg(feature = "internals")]
pub mod read;
#[cfg(not(feature = "internals"))]
mod read;
mod rules;
mod spdx;
#[cfg(feature = "internals")]
pub mod validate;
#[cfg(not(feature = "internals"))]
mod validate;

use std::time::{SystemTime, UNIX_EPOCH};

use chainward_core::config::PluginConfig;
use chainward_core::finding::Location;
use chainward_core::project::join;
use chainward_core::{Check, Error, Finding, Plugin, Project, Rule, SourceFile};
use chainward_npm::lockfile::{AnyLock, any_lockfile, any_lockfile_for};

pub use generate::Omit;
pub use model::Sbom;

/// The sbom-diff plugin: with `--base REF`, what the change does to each lockfile's SBOM.
#[derive(Debug, Default, Clone, Copy)]
pub struct SbomDiff;

impl Plugin for SbomDiff {
    fn id(&self) -> &'static str {
        "sbom-diff"
    }

    fn summary(&self) -> &'static str {
        "what a change does to the SBOM (with --base): new packages, changed hashes, new install scripts, source moves, downgrades, licence changes"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        rules::RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        config.deny_unknown_keys(self.id(), &[])?;
        Ok(Box::new(SbomDiff))
    }

    fn commands(&self) -> Vec<(chainward_core::command::Mount, clap::Command)> {
        command::commands()
    }

    fn run_command(
        &self,
        _name: &str,
        args: &clap::ArgMatches,
        context: &chainward_core::command::Context<'_>,
    ) -> Result<chainward_core::command::Output, Error> {
        command::run_command(args, context)
    }
}

impl Check for SbomDiff {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let Some(base) = project.base() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for file in project.files().iter().filter(|f| f.kind.is_lockfile()) {
            let old = base.files().iter().find(|f| f.path == file.path);
            // Most changes leave the lockfile alone: nothing to generate twice.
            if let (Some(old), Ok(now)) = (old, file.text())
                && old.text().is_ok_and(|t| t == now)
            {
                continue;
            }
            let Some(lock) = any_lockfile(file) else {
                continue;
            };
            let now = generate::generate(project, file, &lock, Omit::default());
            // The lockfile as it was (a lockfile new in this change: every package is new).
            let before = old
                .and_then(|old| {
                    let old_lock = any_lockfile(old)?;
                    Some(generate::generate(base, old, &old_lock, Omit::default()))
                })
                .unwrap_or_default();
            // A gained install script is install-scripts/new-install-script's in `check`
            // (with its approval status); reporting it twice helps no one.
            let changes: Vec<diff::Change> = diff::diff(&before, &now)
                .into_iter()
                .filter(|c| !matches!(c, diff::Change::InstallScriptAdded { .. }))
                .collect();
            let locate = |name: &str, version: &str| locate(file, &lock, &now, name, version);
            out.extend(rules::findings(&changes, &locate));
        }
        // uv.lock files the same way.
        for file in project.files_of(chainward_core::FileKind::UvLock) {
            let old = base.files().iter().find(|f| f.path == file.path);
            if let (Some(old), Ok(now)) = (old, file.text())
                && old.text().is_ok_and(|t| t == now)
            {
                continue;
            }
            let Ok(now) = uv_lock_sbom(project, &file.path, Omit::default()) else {
                continue;
            };
            let before = old
                .and_then(|old| uv_lock_sbom(base, &old.path, Omit::default()).ok())
                .unwrap_or_default();
            let changes = diff::diff(&before, &now);
            // Each package's place, by name and version (one lookup per change).
            let spans: std::collections::HashMap<(&str, &str), std::ops::Range<usize>> =
                chainward_python::uv_lock(file)
                    .map(|l| {
                        l.packages
                            .iter()
                            .map(|p| {
                                (
                                    (p.name.as_str(), p.version.as_deref().unwrap_or_default()),
                                    p.span.clone(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
            let locate = |name: &str, version: &str| {
                let span = spans.get(&(name, version)).cloned().unwrap_or(0..0);
                Location::new(file, span)
            };
            out.extend(rules::findings(&changes, &locate));
        }
        out
    }
}

/// A package's entry in the lockfile it came from.
pub fn locate(
    file: &SourceFile,
    lock: &AnyLock<'_>,
    sbom: &Sbom,
    name: &str,
    version: &str,
) -> Location {
    let path = sbom
        .components
        .iter()
        .find(|c| c.name == name && c.version == version)
        .and_then(|c| c.path.as_deref());
    let span = path.and_then(|p| lock.entry_span(p)).unwrap_or(0..0);
    Location::new(file, span)
}

/// The SBOM formats chainward writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx(cyclonedx::SpecVersion),
    Spdx,
}

/// The SBOM of the project rooted at `project.root`, from the lockfile that covers its
/// package.json; an error naming the file when there is none or it does not parse.
pub fn from_project(project: &Project, omit: Omit) -> Result<Sbom, Error> {
    let file = project_lockfile(project)?;
    let lock = parsed(&file)?;
    Ok(generate::generate(project, &file, &lock, omit))
}

/// Fill `sbom.vulnerabilities` from `db`: every component a registry served (not the project,
/// its workspaces, or git and tarball sources), each advisory once with every component it
/// affects.
/// The SBOM of the Python project at `project.root`, from its uv.lock.
pub fn from_uv_lock(project: &Project, omit: Omit) -> Result<Sbom, Error> {
    uv_lock_sbom(project, &join(&project.root, "uv.lock"), omit)
}

/// The SBOM of the uv.lock (or pylock.toml) at `path` (its project's pyproject.toml beside it
/// names the root).
pub fn uv_lock_sbom(project: &Project, path: &std::path::Path, omit: Omit) -> Result<Sbom, Error> {
    let dir = path
        .parent()
        .unwrap_or(std::path::Path::new(""))
        .to_path_buf();
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let poetry = file_name == "poetry.lock";
    let pylock = !poetry && file_name != "uv.lock";
    let kind = if poetry {
        chainward_core::FileKind::PoetryLock
    } else if pylock {
        chainward_core::FileKind::PyLock
    } else {
        chainward_core::FileKind::UvLock
    };
    let Some(file) = project.file_as(path, kind) else {
        return Err(Error::Usage(format!(
            "{}: no uv.lock here; an SBOM is made from the lockfile (`uv lock` writes one)",
            path.display()
        )));
    };
    let lock = if poetry {
        chainward_python::poetry_lock(&file).map(|p| &p.lock)
    } else if pylock {
        chainward_python::pylock(&file).map(|p| &p.lock)
    } else {
        chainward_python::uv_lock(&file)
    };
    let Some(lock) = lock else {
        let e = file.error().cloned();
        return Err(Error::Parse {
            path: file.path.clone(),
            location: e
                .as_ref()
                .map(|e| Location::new(&file, e.span.clone()).start)
                .map(|at| (at.line, at.column)),
            message: e.map(|e| e.message).unwrap_or_default(),
        });
    };
    let text = file.text().unwrap_or_default();
    let pyproject = project
        .file_as(
            &join(&dir, "pyproject.toml"),
            chainward_core::FileKind::PyProject,
        )
        .and_then(|f| {
            chainward_python::pyproject(&f).map(|p| {
                // Poetry 1 projects name themselves in `[tool.poetry]`.
                let poetry_field = |k: &str| {
                    chainward_core::toml::get(&p.doc, &["tool", "poetry", k])
                        .and_then(|i| i.as_str().map(str::to_string))
                };
                (
                    p.name.clone().or_else(|| poetry_field("name")),
                    p.version.clone().or_else(|| poetry_field("version")),
                    license_of(p),
                )
            })
        });
    let (name, version, license) = pyproject.unwrap_or_default();
    if !poetry {
        return Ok(python::generate(
            lock,
            text,
            name.as_deref(),
            license.as_deref(),
            omit,
        ));
    }
    // poetry.lock does not hold the project: its stand-in becomes the project.
    let mut sbom = python::generate(
        lock,
        text,
        Some(chainward_python::poetry::ROOT),
        license.as_deref(),
        omit,
    );
    if let Some(root) = &mut sbom.root {
        let old = root.bom_ref.clone();
        root.name = name.unwrap_or_else(|| "project".into());
        root.version = version.unwrap_or_default();
        root.purl = python::purl(&root.name, &root.version, None);
        root.bom_ref = root.purl.clone();
        for (from, _) in &mut sbom.dependencies {
            if *from == old {
                from.clone_from(&root.bom_ref);
            }
        }
        sbom.dependencies.sort();
    }
    Ok(sbom)
}

/// `project.license`: an SPDX expression string (PEP 639) or `{ text = "…" }`.
fn license_of(p: &chainward_python::PyProject) -> Option<String> {
    let item = chainward_core::toml::get(&p.doc, &["project", "license"])?;
    item.as_str().map(str::to_string).or_else(|| {
        item.as_table_like()?
            .get("text")?
            .as_str()
            .map(str::to_string)
    })
}

pub fn vulnerabilities(sbom: &mut Sbom, db: &dyn chainward_core::advisory::Advisories) {
    let mut by_id: std::collections::BTreeMap<String, model::Vulnerability> =
        std::collections::BTreeMap::new();
    for c in &sbom.components {
        if c.kind == model::Kind::Application
            || c.version.is_empty()
            || c.purl.contains("vcs_url=")
            || c.purl.contains("download_url=")
        {
            continue;
        }
        for m in db.affecting(&c.name, &c.version) {
            let a = &m.advisory;
            let v = by_id
                .entry(a.id.clone())
                .or_insert_with(|| model::Vulnerability {
                    id: a.id.clone(),
                    aliases: a
                        .aliases
                        .iter()
                        .chain(&m.merged)
                        .cloned()
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    url: a.url.clone(),
                    description: a.summary.clone(),
                    grade: a.grade,
                    cvss: a.cvss.as_ref().and_then(|vector| {
                        Some((
                            vector.clone(),
                            chainward_npm::osv::cvss3_base_score(vector)?,
                        ))
                    }),
                    malicious: a.malicious,
                    affects: Vec::new(),
                    fixed: Vec::new(),
                });
            v.affects.push((c.bom_ref.clone(), c.version.clone()));
            for f in &m.fixed {
                if !v.fixed.contains(f) {
                    v.fixed.push(f.clone());
                }
            }
        }
    }
    sbom.vulnerabilities = by_id.into_values().collect();
}

/// The lockfile that covers the project root's package.json.
pub fn project_lockfile(project: &Project) -> Result<std::sync::Arc<SourceFile>, Error> {
    let manifest = join(&project.root, "package.json");
    let Some((file, _)) = any_lockfile_for(project, &manifest) else {
        return Err(Error::Usage(format!(
            "{}: no lockfile covers this package.json; an SBOM is made from the lockfile (`npm install --package-lock-only --ignore-scripts` writes one)",
            manifest.display()
        )));
    };
    Ok(file)
}

/// The parsed lockfile, or its parse error as an error naming the file and line.
pub fn parsed(file: &SourceFile) -> Result<AnyLock<'_>, Error> {
    let Some(lock) = any_lockfile(file) else {
        return Err(match file.error() {
            Some(e) => {
                let at = Location::new(file, e.span.clone()).start;
                Error::Parse {
                    path: file.path.clone(),
                    location: Some((at.line, at.column)),
                    message: e.message.clone(),
                }
            }
            None => Error::Usage(format!(
                "{}: not a lockfile chainward reads",
                file.path.display()
            )),
        });
    };
    Ok(lock)
}

/// Render `sbom`. With `reproducible`, no wall-clock time and a serial number derived from the
/// content; otherwise now and a serial number unique to this run.
pub fn render(sbom: &Sbom, format: Format, reproducible: bool) -> String {
    let content = fingerprint(sbom);
    let (time, unique) = if reproducible {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(0);
        (epoch, content)
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let salt = fnv(
            format!("{}:{}:{}", now.as_nanos(), std::process::id(), content).as_bytes(),
            0,
        );
        (
            now.as_secs(),
            (content ^ u128::from(salt)) ^ (u128::from(salt) << 64),
        )
    };
    let uuid = uuid(unique);
    match format {
        Format::CycloneDx(spec) => cyclonedx::write(
            sbom,
            &cyclonedx::Meta {
                spec,
                serial: format!("urn:uuid:{uuid}"),
                timestamp: (!reproducible).then(|| rfc3339(time)),
            },
        ),
        Format::Spdx => {
            let name = sbom
                .root
                .as_ref()
                .map(|r| r.name.replace(['@', '/'], "-"))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "project".into());
            spdx::write(
                sbom,
                &spdx::Meta {
                    namespace: format!(
                        "https://spdx.org/spdxdocs/chainward/{}/{uuid}",
                        name.trim_matches('-')
                    ),
                    created: rfc3339(time),
                },
            )
        }
    }
}

/// 128 bits that change when anything in the SBOM does (two FNV-1a hashes).
fn fingerprint(sbom: &Sbom) -> u128 {
    let mut text = String::new();
    for c in sbom.root.iter().chain(&sbom.components) {
        text.push_str(&c.bom_ref);
        text.push('\u{1}');
        text.push_str(&c.purl);
        for (alg, hex) in &c.hashes {
            text.push_str(alg);
            text.push_str(hex);
        }
        if let Some(l) = &c.license {
            text.push_str(l.text());
        }
        text.push(match c.scope {
            model::Scope::Required => 'r',
            model::Scope::Optional => 'o',
            model::Scope::Excluded => 'x',
        });
        text.push('\n');
    }
    for v in &sbom.vulnerabilities {
        text.push_str(&v.id);
        for (r, _) in &v.affects {
            text.push(' ');
            text.push_str(r);
        }
        text.push('\n');
    }
    for (from, to) in &sbom.dependencies {
        text.push_str(from);
        for t in to {
            text.push(' ');
            text.push_str(t);
        }
        text.push('\n');
    }
    // Both halves in one pass (the two multiply chains run side by side): the same value as
    // `fnv(text, 0) << 64 | fnv(text, 1)`.
    let (mut high, mut low) = (fnv_start(0), fnv_start(1));
    for &b in text.as_bytes() {
        high = fnv_step(high, b);
        low = fnv_step(low, b);
    }
    (u128::from(high) << 64) | u128::from(low)
}

/// `value` as pretty-printed JSON, written into one buffer sized for `components` packages (a
/// large SBOM is megabytes: growing the buffer by doubling copied it over and over).
pub(crate) fn pretty_json<T: serde::Serialize>(value: &T, components: usize) -> String {
    let mut buf = Vec::with_capacity(4096 + components.saturating_mul(1536));
    if serde_json::to_writer_pretty(&mut buf, value).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(fnv_start(seed), |h, &b| fnv_step(h, b))
}

fn fnv_start(seed: u64) -> u64 {
    0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// A UUID-shaped string (version 5 nibble, RFC 4122 variant) from 128 bits.
fn uuid(bits: u128) -> String {
    let mut b = bits.to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_uuids_are_well_formed() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        let u = uuid(u128::MAX);
        assert_eq!(u, "ffffffff-ffff-5fff-bfff-ffffffffffff");
    }
}
