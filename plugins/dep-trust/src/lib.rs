//! dep-trust: every locked version judged by what the registry says of it — published too
//! recently (inside the cooldown), or published with weaker evidence of its origin than an
//! earlier version of the same package (pnpm's `trustPolicy: no-downgrade`, for every lockfile
//! format). The metadata comes from the registry with `--online` and is kept on disk; without
//! `--online` the cache is read and nothing else, and what is not cached is counted, never
//! guessed.

mod attest;
mod policy;
mod signatures;
mod uv;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use policy::{Policy, exempt};

use chainward_core::config::PluginConfig;
use chainward_core::finding::{Label, Location};
use chainward_core::online::{Metadata, registry_host};
use chainward_core::packument::{Packument, VersionMeta, format_time, now_ms, prerelease};
use chainward_core::{
    Check, Error, FileKind, Finding, Fixability, Plugin, Project, Rule, Severity, SourceFile,
};
use chainward_npm::lockfile::{AnyLock, PackageView, any_lockfile};

/// The dep-trust plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct DepTrust;

pub(crate) static TOO_NEW: Rule = Rule {
    id: "dep-trust/too-new",
    code: "DTR001",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A locked version was published less than the cooldown ago",
    doc: r#"Compromised releases are found and pulled within hours to a few days: the
`chalk`/`debug` releases of September 2025 were live for 2 h 44 min, the Shai-Hulud worm's
for about a day. A lockfile that already holds a version younger than that installs it on
every `npm ci`, whatever cooldown the package manager applies when it *resolves* (npm's
`min-release-age` is not applied by `npm ci` at all; pnpm before 11.1.3 and yarn check only
when resolving).

```text
warning[dep-trust/too-new]: `left-pad@1.4.0` was published 2026-12-03T22:10:00Z, 6 hours ago, inside the 3-day cooldown
```

The window is the cooldown the package manager that installs the lockfile reads from its own
file, in its own unit, read as pm-config reads it (the version in use must know the setting):
npm's `min-release-age` (days, .npmrc), pnpm's `minimumReleaseAge` (minutes,
pnpm-workspace.yaml), yarn's `npmMinimalAgeGate` (a duration, .yarnrc.yml), bun's `[install]
minimumReleaseAge` (seconds or a duration, bunfig.toml). Their exemptions apply too: npm's
`min-release-age-exclude[]` (names and `*` patterns), pnpm's `minimumReleaseAgeExclude` (names,
`*` patterns, `name@1.2.3 || 1.2.4`, evaluated in order as pnpm 11 does), yarn's
`npmPreapprovedPackages` (names or patterns, with an optional semver range) and bun's
`minimumReleaseAgeExcludes`. Only pnpm refuses to install such a lockfile (11.1.3 and later):
there the finding is an error; npm, yarn and bun apply their cooldown when they resolve, so it is
a warning. Where the package manager sets no cooldown, the window is `[dep-trust] cooldown-days`
(3 by default). `[dep-trust] exclude` exempts packages everywhere (pnpm's grammar). The publish
time is the registry's `time` field, read from metadata cached by `--online` (the rule says
nothing of a package whose metadata is not cached). Checked against pnpm 11 itself: the same
verdict on every case of the test suite's loopback registry.

**uv.lock** records when each distribution was uploaded (`upload-time`): its versions are
judged offline, with no metadata. A version's time is its newest file's; the window is the
project's relative `exclude-newer` (`[tool.uv]`, `"3 days"`, `"P3D"`) where it sets one, else
`cooldown-days`. uv applies `exclude-newer` when it resolves, not to a lock it installs: a
warning.

**Fix.** Lock the version the help names (the newest published before the window with the
same major version), or wait: the finding goes away once the version is old enough.
"#,
};

pub(crate) static TRUST_DOWNGRADE: Rule = Rule {
    id: "dep-trust/trust-downgrade",
    code: "DTR002",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A locked version has weaker publishing evidence than an earlier version of the package",
    doc: r#"A release published with a stolen token has none of what the package's CI
releases carry: no provenance attestation, no trusted publisher. pnpm's `trustPolicy:
no-downgrade` refuses such a version at resolution; this rule applies the same judgement to the
versions a lockfile already holds, for npm, pnpm, yarn and bun lockfiles alike.

Evidence is ranked as pnpm 11.5 ranks it: a staged publish approved by a maintainer
(`_npmUser.approver`), above a trusted publisher with provenance (`_npmUser.trustedPublisher`
and `dist.attestations.provenance`), above provenance alone, above nothing. A version is
compared with versions published *before* it (by publish time, not semver order); a stable
version is not compared with prereleases; equal evidence passes.

Where pnpm's `trustPolicy: no-downgrade` is on (the `pnpm-workspace.yaml` beside a
`pnpm-lock.yaml`), the comparison is pnpm's, with every earlier release, and the finding is an
error: pnpm 11 refuses that lockfile. Everywhere else it is a warning, and a version is compared
with the earlier releases of its own line only (its major; for 0.x, its minor): a maintenance
release of an old major published after the new major gained provenance (`semver@6.3.1` after
7.5) is how many release processes look, not a takeover.

```text
error[dep-trust/trust-downgrade]: `@scope/pkg@2.3.1` has no trust evidence, but `@scope/pkg@2.3.0`, published before it, had a trusted publisher
```

pnpm's `trustPolicyExclude` and `trustPolicyIgnoreAfter` (minutes since the version was
published) apply to a `pnpm-lock.yaml` beside the `pnpm-workspace.yaml` that sets them, and
`[dep-trust] exclude` everywhere (`name`, `name-*`, `name@1.2.3`). Checked against pnpm 11
itself, which refuses the same lockfile entries.

**Fix.** Check the release with the package's maintainers before installing it; lock the last
version with the stronger evidence meanwhile.
"#,
};

pub(crate) static METADATA_MISSING: Rule = Rule {
    id: "dep-trust/metadata-missing",
    code: "DTR003",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "Registry metadata for some locked versions is not cached, or is old",
    doc: r#"The other dep-trust rules judge what the registry says of each locked version.
Without `--online` they read only what an earlier `--online` run cached; this finding counts
the locked versions they could not judge, and says when the cache is older than
`[dep-trust] max-metadata-age-hours` (24 by default). When nothing at all is cached for the
project, dep-trust says nothing: run `chainward check --online` once to start.

**Fix.** Run `chainward check --online`.
"#,
};

pub(crate) static BAD_SIGNATURE: Rule = Rule {
    id: "dep-trust/bad-signature",
    code: "DTR004",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A locked version's registry signature does not verify, or the lockfile's integrity is not the one signed",
    doc: r#"npm's registry signs every version it serves: an ECDSA P-256 signature of
`<name>@<version>:<integrity>` in the document's `dist.signatures`, by a key the registry
publishes (`/-/npm/v1/keys`). `npm audit signatures` checks them, but only for what is installed
in `node_modules` and only online. This rule checks the versions a lockfile holds, from the
metadata `--online` cached:

- the signature must verify with the registry key it names, and that key must not have expired
  before the version was published (npm's rule);
- the integrity the lockfile records must be the one the registry signed (a lockfile edited to
  point at other bytes);
- where the document lists attestations (`dist.attestations`), the registry's attestations
  (`/-/npm/v1/attestations/<name>@<version>`, fetched once with `--online` and kept: they never
  change) must verify offline with chainward's Sigstore verifier against Sigstore's public-good
  trusted root: the SLSA provenance (Fulcio certificate, Rekor entry) and npm's publish
  attestation (the registry's key), each about `pkg:npm/<name>@<version>` with the tarball the
  lockfile pins as subject (the registry's sha512 for yarn berry, whose lockfile records its own
  checksum). A document that claims provenance must have one that verifies.

```text
error[dep-trust/bad-signature]: `left-pad@1.3.0`: the signature by SHA256:DhQ8… does not verify for left-pad@1.3.0 with integrity sha512-…
```

Signatures are checked for registry.npmjs.org, whose keys chainward knows, and for any registry
with `[dep-trust] npm-signatures = true` (a proxy that passes npm's documents through). Every
signature by a known key must verify. A version without any signature, or signed only by keys
chainward does not know (one the registry added since), is not judged: some mirrors strip
signatures. Attestations the registry did not serve are counted in one `metadata-missing`
finding, not guessed. Entries resolved from another registry (another host, or a scope `.npmrc` sends
elsewhere) are never judged by what this registry says of a package of the same name.

**Fix.** Do not install the version: regenerate the lockfile entry from the registry and compare.
"#,
};

pub(crate) static NO_PROVENANCE: Rule = Rule {
    id: "dep-trust/no-provenance",
    code: "DTR005",
    default_severity: Severity::Info,
    default_enabled: false,
    fixable: Fixability::None,
    summary: "A locked version was published without a provenance attestation",
    doc: r#"An inventory, off by default: every locked version whose registry metadata has no
provenance attestation (`dist.attestations.provenance`), so nothing ties the tarball to a source
repository, a commit and a build. Most packages on npm have none; the list says which of your
dependencies could not be traced if one were compromised, and is the starting point for asking
their maintainers to publish from CI with provenance (or for choosing another package).

```text
info[dep-trust/no-provenance]: `left-pad@1.3.0` was published without provenance: nothing ties it to a source repository and a build
```

Turn it on by name: `chainward check --select dep-trust/no-provenance`, or `"dep-trust/no-provenance"
= "info"` under `[rules]` (selecting the whole plugin does not). Read from metadata cached by
`--online`, like the other dep-trust rules.

**Fix.** Nothing to change in the project: ask the maintainers to publish with provenance (npm
trusted publishing does it by default), or prefer a package that does.
"#,
};

/// Every rule of this plugin, in code order.
pub static RULES: &[&Rule] = &[
    &TOO_NEW,
    &TRUST_DOWNGRADE,
    &METADATA_MISSING,
    &BAD_SIGNATURE,
    &NO_PROVENANCE,
];

/// Three days, as pm-config's default policy.
pub const DEFAULT_COOLDOWN_DAYS: u64 = 3;

const HOUR_MS: i64 = 3_600_000;

/// Options read from `[dep-trust]`.
#[derive(Debug, Clone)]
struct Options {
    cooldown_days: u64,
    max_metadata_age_hours: u64,
    /// `name` or `name@version`.
    exclude: Vec<String>,
    /// Check signatures with registry.npmjs.org's keys whatever the registry (a proxy of npm's
    /// that passes its documents through); `None`: for registry.npmjs.org only.
    npm_signatures: Option<bool>,
}

impl Options {
    fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config.deny_unknown_keys(
            "dep-trust",
            &[
                "cooldown-days",
                "max-metadata-age-hours",
                "exclude",
                "npm-signatures",
            ],
        )?;
        Ok(Self {
            cooldown_days: config
                .get_integer("cooldown-days", 0..=365)?
                .map_or(DEFAULT_COOLDOWN_DAYS, |d| d as u64),
            max_metadata_age_hours: config
                .get_integer("max-metadata-age-hours", 1..=24 * 365)?
                .map_or(24, |h| h as u64),
            exclude: config.get_string_list("exclude")?.unwrap_or_default(),
            npm_signatures: config.get_bool("npm-signatures")?,
        })
    }
}

impl Plugin for DepTrust {
    fn id(&self) -> &'static str {
        "dep-trust"
    }

    fn summary(&self) -> &'static str {
        "Locked versions too new or with weaker publishing evidence than their predecessors, from registry metadata cached on disk"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        Ok(Box::new(Options::from_config(config)?))
    }

    fn coverage(&self, project: &Project) -> chainward_core::Coverage {
        match project.metadata() {
            Some(m) if m.is_online() || m.has_cache() => {
                if project.files().iter().any(|f| f.kind.is_lockfile()) {
                    chainward_core::Coverage::Checked
                } else {
                    chainward_core::Coverage::NotApplicable
                }
            }
            // A uv.lock records its own upload times: judged without metadata, when there is
            // no other lockfile.
            _ if !project.files().iter().any(|f| f.kind.is_lockfile())
                && project.files_of(FileKind::UvLock).next().is_some() =>
            {
                chainward_core::Coverage::Checked
            }
            _ => chainward_core::Coverage::Skipped(
                "no registry metadata (run once with --online; later runs read the cache)".into(),
            ),
        }
    }

    fn reads(&self, kind: FileKind) -> bool {
        kind.is_lockfile() || matches!(kind, FileKind::UvLock | FileKind::PyProject)
    }
}

impl Locked<'_> {
    /// A finding at this entry's version in the lockfile, about `name@version`.
    fn at_version(&self, rule: &'static Rule, message: String) -> Finding {
        let text = self.file.text().unwrap_or_default();
        let span = self
            .lock
            .field_span(text, self.index, &self.view, "version");
        let mut finding = Finding::new(rule, self.file, span, message);
        finding.subject = Some(format!("{}@{}", self.view.name, self.version));
        finding
    }
}

/// A locked version from a registry, where the lockfile holds it.
struct Locked<'a> {
    file: &'a SourceFile,
    /// Index into the run's policies and direct dependencies (one per lockfile).
    policy: usize,
    lock: AnyLock<'a>,
    index: usize,
    view: PackageView<'a>,
    version: &'a str,
}

/// A direct dependency's findings point at its package.json spec too.
type Direct = chainward_npm::lockfile::DeclaredDependencies;

/// `direct` is read (every package.json the lockfile covers) the first time one of its entries
/// has a finding.
fn add_direct(
    project: &Project,
    direct: &std::sync::OnceLock<Direct>,
    l: &Locked<'_>,
    found: &mut [Finding],
) {
    if found.is_empty() {
        return;
    }
    let direct = direct.get_or_init(|| chainward_npm::lockfile::declared(project, l.file, l.lock));
    let key = (l.view.name.to_string(), l.version.to_string());
    if let Some(chainward_npm::lockfile::Declared { manifest, span, .. }) = direct.get(&key) {
        for f in found {
            f.secondary.push(Label {
                location: Location::new(manifest, span.clone()),
                message: "declared here".to_string(),
            });
        }
    }
}

/// Hosts that serve the same packages: npm's registry and yarn's front for it.
fn same_registry(a: &str, b: &str) -> bool {
    const NPM: &[&str] = &[
        "registry.npmjs.org",
        "registry.yarnpkg.com",
        "registry.npmjs.com",
    ];
    a == b || (NPM.contains(&a) && NPM.contains(&b))
}

/// Whether the entry was installed from the registry the metadata comes from, with a version:
/// a tarball URL of the registry's shape on its host or on npm's (which package managers fetch
/// from the registry they are configured with), or an entry that names no URL (pnpm, yarn
/// berry's `npm:`) whose scope `.npmrc` does not send elsewhere. A private registry's
/// package is never judged by what another registry says of a package of the same name.
fn from_registry<'a>(
    view: &PackageView<'a>,
    metadata_host: Option<&str>,
    scoped: &dyn Fn(&str) -> Option<String>,
) -> Option<&'a str> {
    if view.link || view.bundled || !chainward_npm::lockfile::is_package_name(view.name) {
        return None;
    }
    let version = view.version?;
    // npm, pnpm and yarn fetch an entry resolved on npm's registry from the registry they are
    // configured with (npm's `replace-registry-host`): those are the metadata registry's too.
    let host_ok = |host: Option<String>| match (host, metadata_host) {
        (Some(h), Some(r)) => same_registry(&h, r) || same_registry(&h, "registry.npmjs.org"),
        _ => false,
    };
    let ours = match view.resolved {
        Some(r) if r.starts_with("https://") || r.starts_with("http://") => {
            r.contains("/-/") && host_ok(registry_host(r))
        }
        Some(r) if !r.starts_with("npm:") => false,
        // No URL: the registry of its scope, if `.npmrc` names one, else the default.
        _ => {
            (view.resolved.is_some() || view.integrity.is_some())
                && view
                    .name
                    .split_once('/')
                    .filter(|_| view.name.starts_with('@'))
                    .and_then(|(scope, _)| scoped(scope))
                    .is_none_or(|url| host_ok(registry_host(&url)))
        }
    };
    ours.then_some(version)
}

/// `3 hours`, `2 days`: an age as the messages say it.
fn age(ms: i64) -> String {
    let hours = ms / HOUR_MS;
    if ms < HOUR_MS {
        let minutes = (ms / 60_000).max(0);
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    } else if hours < 48 {
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    } else {
        format!("{} days", hours / 24)
    }
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        // uv.lock carries its upload times: judged offline.
        let mut uv_findings = Vec::new();
        uv::check(project, self.cooldown_days, &self.exclude, &mut uv_findings);
        let Some(metadata) = project.metadata() else {
            return uv_findings;
        };
        // Never run online, nothing cached: nothing to judge, and nothing said.
        if !metadata.is_online() && !metadata.has_cache() {
            return uv_findings;
        }
        // The keys are registry.npmjs.org's.
        let keys = self
            .npm_signatures
            .unwrap_or_else(|| metadata.url().trim_end_matches('/') == "https://registry.npmjs.org")
            .then_some(signatures::NPM_KEYS);
        let metadata_host = registry_host(metadata.url());
        let own = Policy::own(self.cooldown_days, &self.exclude);
        let roots = chainward_npm::pm::roots(project);
        let mut policies: Vec<Policy> = Vec::new();
        let mut direct: Vec<std::sync::OnceLock<Direct>> = Vec::new();
        let mut locked: Vec<Locked<'_>> = Vec::new();
        for file in project.files() {
            if !file.kind.is_lockfile() || chainward_npm::workspaces::is_shadowed(project, file) {
                continue;
            }
            let Some(lock) = any_lockfile(file) else {
                continue;
            };
            policies.push(Policy::for_lockfile(project, file, &roots, &own));
            direct.push(std::sync::OnceLock::new());
            let policy = policies.len() - 1;
            // `@scope:registry=` in the .npmrc beside the lockfile.
            let dir = file.path.parent().unwrap_or(std::path::Path::new("."));
            let npmrc = project.file_at(&chainward_core::project::join(dir, ".npmrc"));
            let scoped = |scope: &str| -> Option<String> {
                let rc = chainward_npm::npmrc::npmrc(npmrc.as_deref()?)?;
                Some(
                    rc.get(&format!("{scope}:registry"))?
                        .value
                        .trim()
                        .to_string(),
                )
            };
            for (index, view) in lock.iter_packages() {
                if let Some(version) = from_registry(&view, metadata_host.as_deref(), &scoped) {
                    locked.push(Locked {
                        file,
                        policy,
                        lock,
                        index,
                        view,
                        version,
                    });
                }
            }
        }
        if locked.is_empty() {
            return uv_findings;
        }
        let names: BTreeSet<&str> = locked.iter().map(|l| l.view.name).collect();
        let names: Vec<&str> = names.into_iter().collect();
        metadata.prefetch(&names);
        let (attested, unread) = match keys {
            Some(keys) => attestations(metadata, &locked, keys),
            None => (HashMap::new(), 0),
        };
        let now = now_ms();
        let mut out = Vec::new();
        let (mut missing, mut found, mut oldest_fetch) = (0usize, 0usize, None::<i64>);
        for (position, l) in locked.iter().enumerate() {
            let (packument, fetched_at) = match metadata.packument(l.view.name) {
                Metadata::Found {
                    packument,
                    fetched_at,
                } => (packument, fetched_at),
                Metadata::NoSuchPackage => {
                    not_published(l, "the registry has no such package", &mut out);
                    continue;
                }
                Metadata::NotCached | Metadata::Failed(_) => {
                    missing += 1;
                    continue;
                }
            };
            let Some(meta) = packument.versions.get(l.version) else {
                if packument.unpublished.contains(l.version) {
                    not_published(l, "the version was unpublished", &mut out);
                } else if metadata.is_online() {
                    not_published(l, "the registry does not list this version", &mut out);
                } else {
                    // Offline, the cache may predate the version.
                    missing += 1;
                }
                continue;
            };
            found += 1;
            oldest_fetch = Some(oldest_fetch.map_or(fetched_at, |o: i64| o.min(fetched_at)));
            let before = out.len();
            let policy = &policies[l.policy];
            if let Some(keys) = keys {
                let attestation = attested.get(&position);
                bad_signature(l, meta, keys, attestation, &mut out);
            }
            if !meta.provenance {
                no_provenance(l, &mut out);
            }
            // No publish time: neither rule can judge it (pnpm refuses it under its policies).
            if meta.published.is_none() {
                missing += 1;
                add_direct(project, &direct[l.policy], l, &mut out[before..]);
                continue;
            }
            if !policy.age_exempt(l.view.name, l.version) {
                too_new(l, policy, &packument, meta, now, &mut out);
            }
            // `trustPolicyIgnoreAfter`: a version published longer ago than that is not compared.
            let settled = policy
                .trust_ignore_after_ms
                .is_some_and(|after| meta.published.is_some_and(|p| now - p > after));
            if !settled && !exempt(&policy.trust_exclude, l.view.name, l.version) {
                trust_downgrade(l, policy, &packument, meta, &mut out);
            }
            add_direct(project, &direct[l.policy], l, &mut out[before..]);
        }
        // Said once, on the first lockfile; not at all when nothing is cached (dep-trust was
        // never run online for this project) and the run is offline.
        let first = locked[0].file;
        if missing > 0 && (found > 0 || metadata.is_online()) {
            let total = locked.len();
            let message = if metadata.is_online() {
                format!(
                    "metadata for {missing} of {total} locked versions could not be read from the registry, or gives no publish time: they are not judged"
                )
            } else {
                format!(
                    "metadata for {missing} of {total} locked versions is not cached, or gives no publish time: they are not judged"
                )
            };
            out.push(
                Finding::new(&METADATA_MISSING, first, 0..0, message)
                    .with_help("run `chainward check --online` to fetch it"),
            );
        }
        if unread > 0 {
            out.push(
                Finding::new(
                    &METADATA_MISSING,
                    first,
                    0..0,
                    format!(
                        "the attestations of {unread} locked version{} could not be read ({}): their provenance is not verified",
                        if unread == 1 { "" } else { "s" },
                        if metadata.is_online() {
                            "the registry did not serve them"
                        } else {
                            "not cached"
                        }
                    ),
                )
                .with_help("run `chainward check --online` to fetch them"),
            );
        }
        let limit = i64::try_from(self.max_metadata_age_hours).unwrap_or(24) * HOUR_MS;
        if let Some(fetched) = oldest_fetch
            && !metadata.is_online()
            && now - fetched > limit
        {
            out.push(
                Finding::new(
                    &METADATA_MISSING,
                    first,
                    0..0,
                    format!(
                        "the cached package metadata was fetched {} ago, over `max-metadata-age-hours` ({})",
                        age(now - fetched),
                        self.max_metadata_age_hours
                    ),
                )
                .with_help("run `chainward check --online` to refresh it"),
            );
        }
        out.extend(uv_findings);
        out
    }
}

fn too_new(
    l: &Locked<'_>,
    policy: &Policy,
    packument: &Packument,
    meta: &VersionMeta,
    now: i64,
    out: &mut Vec<Finding>,
) {
    let Some(published) = meta.published else {
        return;
    };
    let cutoff = now - policy.window_ms;
    if published <= cutoff {
        return;
    }
    let name = l.view.name;
    let mut finding = l.at_version(
        &TOO_NEW,
        format!(
            "`{name}@{}` was published {}, {} ago, inside {}",
            l.version,
            format_time(published),
            age(now - published),
            policy.window_said
        ),
    );
    if policy.enforced {
        // The package manager refuses this lockfile.
        finding = finding.with_severity(Severity::Error);
    }
    // The last stable version published before the window, in the locked version's line
    // (its major; for 0.x, its minor).
    let older = packument
        .versions
        .iter()
        .filter(|(v, m)| {
            m.published.is_some_and(|p| p <= cutoff) && !prerelease(v) && same_line(v, l.version)
        })
        .max_by_key(|(_, m)| m.published);
    finding = match older {
            Some((v, m)) => finding.with_help(format!(
                "`{name}@{v}` (published {}) is the newest release of the same line outside the window",
                m.published.map(format_time).unwrap_or_default()
            )),
            None => finding.with_help(format!(
                "no release of the same line is older than {}: wait, or exempt this version after checking it",
                age(policy.window_ms)
            )),
        };
    out.push(finding);
}

/// `1.4.2` and `1.0.0` are one line (major 1); `0.3.1` and `0.3.0` (minor 3 of 0.x).
fn same_line(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Option<(u64, u64)> {
        let mut it = v.split(['.', '-', '+']);
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    };
    match (parts(a), parts(b)) {
        (Some((0, ma)), Some((0, mb))) => ma == mb,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// A locked version the registry does not have (any more): unpublished, or removed (npm
/// replaces malware with a placeholder). Said where the lockfile holds it.
fn not_published(l: &Locked<'_>, why: &str, out: &mut Vec<Finding>) {
    let finding = l.at_version(
        &METADATA_MISSING,
        format!("`{}@{}` is not judged: {why}", l.view.name, l.version),
    )
    .with_help("a version that was unpublished or removed (npm removes malware) installs only from a cache: check why it is gone");
    out.push(finding);
}

fn no_provenance(l: &Locked<'_>, out: &mut Vec<Finding>) {
    let finding = l.at_version(
        &NO_PROVENANCE,
        format!(
            "`{}@{}` was published without provenance: nothing ties it to a source repository and a build",
            l.view.name, l.version
        ),
    );
    out.push(finding);
}

/// A version and the tarball digest its attestations must name.
type Attested<'a> = (&'a str, &'a str, Option<String>);

/// Every locked version whose registry document says it has attestations: fetched (online)
/// and verified once per version and tarball digest, in parallel. The verdicts are by index into
/// `locked`; also the number of versions whose attestations could not be read.
fn attestations(
    metadata: &dyn chainward_core::online::Registry,
    locked: &[Locked<'_>],
    keys: &[signatures::RegistryKey],
) -> (HashMap<usize, attest::Verdict>, usize) {
    use chainward_core::online::Attestations;
    use rayon::prelude::*;
    // (name, version, digest) → the locked entries it covers. The digest is the lockfile's
    // sha512, else (yarn berry records its own checksum) the one the registry lists.
    let mut wanted: BTreeMap<Attested<'_>, Vec<usize>> = BTreeMap::new();
    for (i, l) in locked.iter().enumerate() {
        if let Metadata::Found { packument, .. } = metadata.packument(l.view.name)
            && let Some(meta) = packument.versions.get(l.version)
            && meta.attestations_url.is_some()
        {
            let digest = l
                .view
                .integrity
                .filter(|d| d.contains("sha512-"))
                .map(str::to_string)
                .or_else(|| meta.integrity.clone());
            wanted
                .entry((l.view.name, l.version, digest))
                .or_default()
                .push(i);
        }
    }
    if wanted.is_empty() {
        return (HashMap::new(), 0);
    }
    let pairs: BTreeSet<(&str, &str)> = wanted.keys().map(|(n, v, _)| (*n, *v)).collect();
    let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    metadata.prefetch_attestations(&pairs);
    let mut bodies: HashMap<(&str, &str), std::sync::Arc<str>> = HashMap::new();
    let mut unread = 0;
    for (name, version) in &pairs {
        match metadata.attestations(name, version) {
            Attestations::Found(body) => {
                bodies.insert((name, version), body);
            }
            Attestations::Missing | Attestations::NotCached | Attestations::Failed(_) => {
                unread += 1;
            }
        }
    }
    let Some(verifier) = (!bodies.is_empty()).then(attest::verifier).flatten() else {
        return (HashMap::new(), unread);
    };
    let keys = attest::npm_keys(keys);
    let jobs: Vec<(&Attested<'_>, &Vec<usize>, &str)> = wanted
        .iter()
        .filter_map(|(key, entries)| Some((key, entries, &**bodies.get(&(key.0, key.1))?)))
        .collect();
    let verdicts: Vec<(&Vec<usize>, attest::Verdict)> = jobs
        .par_iter()
        .map(|((name, version, digest), entries, body)| {
            let verdict = attest::verify(&verifier, &keys, name, version, digest.as_deref(), body);
            (*entries, verdict)
        })
        .collect();
    let mut out = HashMap::new();
    for (entries, verdict) in verdicts {
        for i in entries {
            out.insert(*i, verdict.clone());
        }
    }
    (out, unread)
}

fn bad_signature(
    l: &Locked<'_>,
    meta: &VersionMeta,
    keys: &[signatures::RegistryKey],
    attestation: Option<&attest::Verdict>,
    out: &mut Vec<Finding>,
) {
    let name = l.view.name;
    let mut problems = Vec::new();
    if let signatures::Verdict::Bad(why) = signatures::verify(name, l.version, meta, keys) {
        problems.push(why);
    }
    if let Some(attest::Verdict::Bad(why)) = attestation {
        problems.extend(why.iter().cloned());
    }
    // The same algorithm on both sides (old lockfiles record sha1).
    if let (Some(locked), Some(signed)) = (l.view.integrity, meta.integrity.as_deref())
        && locked.starts_with("sha512-")
        && signed.starts_with("sha512-")
        && locked != signed
    {
        problems.push(format!(
            "the lockfile records integrity {locked}, the registry signed {signed}"
        ));
    }
    if problems.is_empty() {
        return;
    }
    let text = l.file.text().unwrap_or_default();
    let span = l.lock.field_span(text, l.index, &l.view, "integrity");
    let mut finding = Finding::new(
        &BAD_SIGNATURE,
        l.file,
        span,
        format!("`{name}@{}`: {}", l.version, problems.join("; ")),
    )
    .with_help(
        "do not install it: regenerate this entry from the registry and compare what changed",
    );
    finding.subject = Some(format!("{name}@{}", l.version));
    out.push(finding);
}

fn trust_downgrade(
    l: &Locked<'_>,
    policy: &Policy,
    packument: &Packument,
    meta: &VersionMeta,
    out: &mut Vec<Finding>,
) {
    // pnpm's policy compares with every earlier release. Without it, with the earlier releases
    // of the same line only: a maintenance release of an old major published after the new one
    // gained provenance (semver@6.3.1 after 7.5) is how a project's release process looks,
    // not a takeover.
    let counts = |v: &str| policy.trust_enforced || same_line(v, l.version);
    let Some((earlier, baseline)) = packument.strongest_before(l.version, counts) else {
        return;
    };
    let current = meta.trust();
    if baseline.trust() <= current {
        return;
    }
    let name = l.view.name;
    let mut finding = l.at_version(
        &TRUST_DOWNGRADE,
        format!(
            "`{name}@{}` has {}, but `{name}@{earlier}`, published before it, had {}: possible package takeover",
            l.version,
            current.describe(),
            baseline.trust().describe(),
        ),
    )
    .with_help(
        "check this release with the package's maintainers before installing it; meanwhile lock the last version with the stronger evidence",
    );
    if policy.trust_enforced {
        // pnpm refuses this lockfile.
        finding = finding.with_severity(Severity::Error);
    }
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_lines() {
        assert_eq!(age(59 * 60_000), "59 minutes");
        assert_eq!(age(HOUR_MS), "1 hour");
        assert_eq!(age(47 * HOUR_MS), "47 hours");
        assert_eq!(age(72 * HOUR_MS), "3 days");
        assert!(same_line("1.4.2", "1.0.0"));
        assert!(!same_line("0.4.0", "0.3.1"));
        assert!(same_line("0.3.0", "0.3.9"));
    }

    #[test]
    fn own_exclusions_name_a_package_or_one_version() {
        let p = Policy::own(3, &["a".into(), "@s/b@1.0.0".into()]);
        assert!(exempt(&p.age_exclude, "a", "9.9.9"));
        assert!(exempt(&p.trust_exclude, "@s/b", "1.0.0"));
        assert!(!exempt(&p.trust_exclude, "@s/b", "1.0.1"));
        assert!(!exempt(&p.age_exclude, "ab", "1.0.0"));
        assert_eq!(p.window_ms, 3 * 24 * HOUR_MS);
    }
}
