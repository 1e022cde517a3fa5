//! Every entry of an npm lockfile: integrity present and strong, resolved from an allowed host
//! over https, under its own name; git dependencies and v1 lockfiles called out.

use chainward_core::{Finding, Fixability, Rule, Severity, SourceFile};
use chainward_npm::{AnyLock, any_lockfile};
use rayon::prelude::*;

use crate::Options;

pub(crate) static MISSING_INTEGRITY: Rule = Rule {
    id: "npm-ci/missing-integrity",
    code: "NCI004",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A registry package in the lockfile has no integrity hash",
    doc: r#"`integrity` is what makes `npm ci` reject a tarball whose bytes changed after the lockfile
was written (a compromised registry, mirror or proxy). An entry without it installs whatever it
is served. Git, `file:` and linked entries carry no hash by design and are not reported, nor are
bundled (`inBundle`) packages or optional platform packages recorded without a tarball.

Every format is checked: npm's `integrity`, pnpm's `resolution.integrity`, yarn classic's
`integrity`, yarn berry's `checksum`, the fourth element of a bun.lock entry, and the `hash` of
every sdist and wheel of a uv.lock package from an index (uv checks it on install).

Regenerate the entry with `npm install --package-lock-only` (or your package manager's
equivalent) against the real registry.
"#,
};

pub(crate) static WEAK_INTEGRITY: Rule = Rule {
    id: "npm-ci/weak-integrity",
    code: "NCI005",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A lockfile entry's integrity is SHA-1 only",
    doc: r#"SHA-1 is broken for collision resistance; an integrity of only `sha1-…` (lockfiles written
from very old registry metadata) protects far less than `sha512-…`. Regenerate the entry so npm
records the SHA-512 the registry publishes.
"#,
};

pub(crate) static DISALLOWED_HOST: Rule = Rule {
    id: "npm-ci/disallowed-host",
    code: "NCI006",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A lockfile entry resolves from a host that is not an allowed registry",
    doc: r#"A `resolved` URL pointing somewhere other than your registry (a typo-squatted mirror, a
personal server, a tarball on a CDN) is a classic way to slip a package past review. Allowed by
default: `registry.npmjs.org` and `registry.yarnpkg.com`. Configure your own:

```toml
[npm-ci]
allowed-hosts = ["registry.npmjs.org", "npm.internal.example.com"]
```

For uv.lock, each package's index (`source = { registry = "…" }`) must be an allowed one: PyPI
(`https://pypi.org/simple`) by default, every index the workspace root's pyproject.toml declares
(`[[tool.uv.index]]`, `index-url`, `extra-index-url`), and those configured:

```toml
[npm-ci]
allowed-indexes = ["https://pypi.org/simple", "https://pypi.internal.example.com/simple"]
```

Entries without `resolved` (lockfiles written with `omit-lockfile-registry-resolved`) install
from the configured registry and are not reported, nor are JSR packages (`jsr:` specs, locked as
`@jsr/…` from `npm.jsr.io`, where the package manager fetches them by design).
"#,
};

pub(crate) static INSECURE_PROTOCOL: Rule = Rule {
    id: "npm-ci/insecure-protocol",
    code: "NCI007",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A lockfile entry is fetched over plain http: or git:",
    doc: r#"`http:` and `git:` are unauthenticated and unencrypted: anyone on the network path can
substitute the package. Use `https:` (or `git+https:`/`git+ssh:`).
"#,
};

pub(crate) static NAME_MISMATCH: Rule = Rule {
    id: "npm-ci/name-mismatch",
    code: "NCI008",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A lockfile entry's registry URL names a different package",
    doc: r#"`node_modules/lodash` resolved from `…/lodash-malicious/-/lodash-malicious-4.17.21.tgz`
installs another package under a trusted name: a hand-edited or poisoned lockfile. npm aliases
(`"name": "real-package"` in the entry) and scoped names are taken into account.
"#,
};

pub(crate) static GIT_DEPENDENCY: Rule = Rule {
    id: "npm-ci/git-dependency",
    code: "NCI009",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A lockfile entry is resolved from git",
    doc: r#"Git dependencies have no integrity hash, bypass the registry (and its malware scanning),
and run their `prepare` script at install time, even with `--ignore-scripts` in some npm versions.
A uv.lock package with a `git` source is reported too (pinned to a commit, but built from the
repository at install time, with no hash). Prefer a published version.
"#,
};

pub(crate) static LOCKFILE_V1: Rule = Rule {
    id: "npm-ci/lockfile-v1",
    code: "NCI010",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The lockfile is npm 5/6's format (lockfileVersion 1)",
    doc: r#"npm 7 and later must fetch every package's metadata to upgrade a v1 lockfile before
installing, so `npm ci` is neither offline nor exactly reproducible with it, and chainward cannot
check it against package.json offline. Upgrade with `npm install --package-lock-only
--ignore-scripts` (npm ≥ 7) and commit the result.
"#,
};

pub(crate) fn check(file: &SourceFile, opts: &Options, out: &mut Vec<Finding>) {
    let Some(lock) = any_lockfile(file) else {
        return;
    };
    let Ok(text) = file.text() else { return };
    if let AnyLock::Npm(npm) = lock
        && npm.lockfile_version == 1
    {
        let span = text
            .find("\"lockfileVersion\"")
            .map_or(0..1, |i| i..i + "\"lockfileVersion\"".len());
        out.push(Finding::new(&LOCKFILE_V1, file, span, "lockfileVersion 1: npm 7+ must fetch metadata to upgrade it, so `npm ci` is not offline-reproducible")
            .with_help("run `npm install --package-lock-only --ignore-scripts` with npm 7 or later and commit the v3 lockfile"));
    }
    // Entries are independent: viewed and checked on every core (no view of every entry is
    // kept at once).
    out.par_extend(
        lock.par_packages()
            .filter(|(_, pkg)| !(pkg.link || pkg.bundled))
            .flat_map_iter(|(index, pkg)| {
                let mut found = Vec::new();
                check_package(file, text, lock, index, &pkg, opts, &mut found);
                // `--base` matches these by package, wherever its entry moved.
                for finding in &mut found {
                    finding.subject = Some(pkg.key.to_string());
                }
                found
            }),
    );
}

fn check_package(
    file: &SourceFile,
    text: &str,
    lock: AnyLock<'_>,
    index: usize,
    pkg: &chainward_npm::PackageView<'_>,
    opts: &Options,
    out: &mut Vec<Finding>,
) {
    // npm entries are named by install path; the others by name@version.
    // Only formatted into a finding's message: most entries have none.
    let key = Label(lock, pkg);
    let span_of = |field: &str| lock.field_span(text, index, pkg, field);
    let resolved = pkg.resolved.unwrap_or_default();
    let kind = Source::of(resolved);
    match kind {
        Source::Git => {
            out.push(Finding::new(&GIT_DEPENDENCY, file, span_of("resolved"), format!("`{key}` is resolved from git ({resolved}): no integrity hash, and its `prepare` script runs at install")));
            if resolved.starts_with("git:") || resolved.starts_with("git+http:") {
                out.push(Finding::new(
                    &INSECURE_PROTOCOL,
                    file,
                    span_of("resolved"),
                    format!(
                        "`{key}` is fetched over unencrypted `{}`",
                        resolved.split(':').next().unwrap_or("git")
                    ),
                ));
            }
        }
        Source::Http { insecure, host } => {
            if insecure {
                out.push(Finding::new(
                    &INSECURE_PROTOCOL,
                    file,
                    span_of("resolved"),
                    format!("`{key}` is fetched over plain http from {host}"),
                ));
            }
            // JSR packages (`jsr:` specs, installed as `@jsr/scope__name`) come from JSR's npm
            // endpoint by the package manager's own design: the project chose that registry.
            let jsr = host.eq_ignore_ascii_case("npm.jsr.io") && pkg.name.starts_with("@jsr/");
            if !jsr
                && !opts
                    .allowed_hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(host))
            {
                out.push(
                        Finding::new(&DISALLOWED_HOST, file, span_of("resolved"), format!("`{key}` resolves from {host}, which is not an allowed registry"))
                            .with_help(format!("allowed: {}; add the host to `allowed-hosts` under [npm-ci] if it is yours", opts.allowed_hosts.join(", "))),
                    );
            } else if let Some(url_name) = registry_name(resolved)
                && url_name != pkg.name
            {
                out.push(Finding::new(
                    &NAME_MISMATCH,
                    file,
                    span_of("resolved"),
                    format!(
                        "`{key}` is `{}`, but its tarball URL is for the package `{url_name}`",
                        pkg.name
                    ),
                ));
            }
        }
        Source::File | Source::Other => {}
    }
    let registry_package =
        matches!(kind, Source::Http { .. }) || (resolved.is_empty() && pkg.version.is_some());
    match pkg.integrity {
        None if registry_package && !(pkg.optional && resolved.is_empty()) => {
            out.push(Finding::new(
                &MISSING_INTEGRITY,
                file,
                span_of("version"),
                format!("`{key}` has no integrity hash: a changed tarball would install unnoticed"),
            ));
        }
        Some(integrity)
            if !integrity
                .split_whitespace()
                .any(|h| !h.starts_with("sha1-")) =>
        {
            out.push(Finding::new(
                &WEAK_INTEGRITY,
                file,
                span_of("integrity"),
                format!("`{key}` is protected by SHA-1 only"),
            ));
        }
        _ => {}
    }
}

/// How a finding names an entry ([`AnyLock::label`]), formatted only when a finding is made.
struct Label<'a>(AnyLock<'a>, &'a chainward_npm::PackageView<'a>);

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.label(self.1))
    }
}

enum Source<'a> {
    Git,
    Http { insecure: bool, host: &'a str },
    File,
    Other,
}

impl<'a> Source<'a> {
    fn of(resolved: &'a str) -> Self {
        // Git hosts' tarball endpoints are git dependencies too (pnpm writes them so).
        if resolved.starts_with("git")
            || resolved.starts_with("github:")
            || resolved.starts_with("https://codeload.github.com/")
            || resolved.starts_with("https://gitlab.com/")
                && resolved.contains("/repository/archive")
        {
            Source::Git
        } else if let Some(rest) = resolved
            .strip_prefix("https://")
            .or_else(|| resolved.strip_prefix("http://"))
        {
            let authority = rest.split('/').next().unwrap_or_default();
            let host_port = authority.rsplit('@').next().unwrap_or(authority);
            let host = host_port.split(':').next().unwrap_or(host_port);
            Source::Http {
                insecure: resolved.starts_with("http://"),
                host,
            }
        } else if resolved.starts_with("file:") || resolved.is_empty() {
            Source::File
        } else {
            Source::Other
        }
    }
}

/// The package a registry tarball URL names: `…/@scope/name/-/name-1.0.0.tgz` (also with the
/// scope's slash encoded as `%2f`) → `@scope/name`.
fn registry_name(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    // A plain byte search: a searcher built per call cost more than the search on URLs this short.
    let dash = url.as_bytes().windows(3).position(|w| w == b"/-/")?;
    let before = &url[..dash];
    let path = before.split_once("://").map_or(before, |(_, p)| p);
    let path = path.split_once('/').map_or("", |(_, p)| p);
    let name_start = match path.rfind('/') {
        // `@scope/name`: keep the scope.
        Some(i)
            if path[..i]
                .rsplit('/')
                .next()
                .is_some_and(|s| s.starts_with('@')) =>
        {
            path[..i].rfind('/').map_or(0, |j| j + 1)
        }
        Some(i) => i + 1,
        None => 0,
    };
    let name = &path[name_start..];
    if name.contains('%') {
        Some(
            name.replace("%2f", "/")
                .replace("%2F", "/")
                .replace("%40", "@")
                .into(),
        )
    } else {
        Some(name.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_from_urls() {
        assert_eq!(
            registry_name("https://registry.npmjs.org/ms/-/ms-2.1.3.tgz").as_deref(),
            Some("ms")
        );
        assert_eq!(
            registry_name("https://registry.npmjs.org/@types/node/-/node-22.0.0.tgz").as_deref(),
            Some("@types/node")
        );
        assert_eq!(
            registry_name("https://registry.npmjs.org/@types%2fnode/-/node-22.0.0.tgz").as_deref(),
            Some("@types/node")
        );
        assert_eq!(registry_name("https://example.com/a.tgz"), None);
    }
}
