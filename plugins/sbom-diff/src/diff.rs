//! The supply-chain-aware diff of two SBOMs. Components are matched by their purl without the
//! version (and without qualifiers), so an upgrade is one row, not an add and a remove; where
//! one name is installed at several versions, versions present on both sides are compared and
//! the rest are paired in order (lowest with lowest) before what is left counts as added or
//! removed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Component, Sbom, Source};

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    Added {
        name: String,
        version: String,
        purl: String,
    },
    Removed {
        name: String,
        version: String,
        purl: String,
    },
    Upgraded {
        name: String,
        from: String,
        to: String,
    },
    Downgraded {
        name: String,
        from: String,
        to: String,
    },
    /// Same name and version, another hash: what was published under that version changed, or
    /// the lockfile was tampered with.
    HashChanged {
        name: String,
        version: String,
        algorithm: String,
        from: String,
        to: String,
    },
    LicenseChanged {
        name: String,
        version: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// Where it is fetched from changed kind (registry → git or URL) or host.
    SourceChanged {
        name: String,
        version: String,
        from: String,
        to: String,
    },
    InstallScriptAdded {
        name: String,
        version: String,
    },
    InstallScriptRemoved {
        name: String,
        version: String,
    },
    /// Moved between development-only and shipped.
    DevToProd {
        name: String,
        version: String,
    },
    ProdToDev {
        name: String,
        version: String,
    },
    /// A dependency edge, by package name.
    EdgeAdded {
        from: String,
        to: String,
    },
    EdgeRemoved {
        from: String,
        to: String,
    },
    /// An added package, and one package that requires it (one per edge).
    RequiredBy {
        name: String,
        by: String,
    },
}

impl Change {
    /// The package the change is about (the edge's target for edges).
    pub fn subject(&self) -> &str {
        match self {
            Change::Added { name, .. }
            | Change::Removed { name, .. }
            | Change::Upgraded { name, .. }
            | Change::Downgraded { name, .. }
            | Change::HashChanged { name, .. }
            | Change::LicenseChanged { name, .. }
            | Change::SourceChanged { name, .. }
            | Change::InstallScriptAdded { name, .. }
            | Change::InstallScriptRemoved { name, .. }
            | Change::DevToProd { name, .. }
            | Change::ProdToDev { name, .. } => name,
            Change::EdgeAdded { to, .. } | Change::EdgeRemoved { to, .. } => to,
            Change::RequiredBy { name, .. } => name,
        }
    }

    /// The kind, as written in JSON (`hash-changed`).
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Added { .. } => "added",
            Change::Removed { .. } => "removed",
            Change::Upgraded { .. } => "upgraded",
            Change::Downgraded { .. } => "downgraded",
            Change::HashChanged { .. } => "hash-changed",
            Change::LicenseChanged { .. } => "license-changed",
            Change::SourceChanged { .. } => "source-changed",
            Change::InstallScriptAdded { .. } => "install-script-added",
            Change::InstallScriptRemoved { .. } => "install-script-removed",
            Change::DevToProd { .. } => "dev-to-prod",
            Change::ProdToDev { .. } => "prod-to-dev",
            Change::EdgeAdded { .. } => "edge-added",
            Change::EdgeRemoved { .. } => "edge-removed",
            Change::RequiredBy { .. } => "required-by",
        }
    }
}

/// `pkg:npm/%40s/a@1.0.0?x=y#z` → `pkg:npm/%40s/a`.
pub fn purl_key(purl: &str) -> &str {
    let end = purl.find(['?', '#']).unwrap_or(purl.len());
    let base = &purl[..end];
    // The version follows the last `@` after the last `/` (a scope's `@` is encoded as %40).
    let slash = base.rfind('/').unwrap_or(0);
    match base[slash..].find('@') {
        Some(at) => &base[..slash + at],
        None => base,
    }
}

fn source_label(c: &Component) -> String {
    match Source::of(c.distribution.as_deref()) {
        Source::Registry(Some(url)) => format!("registry {}", host(&url)),
        Source::Registry(None) => "registry".into(),
        Source::Git(url) => format!("git {url}"),
        Source::Url(url) => format!("url {url}"),
    }
}

fn host(url: &str) -> &str {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest.split('/').next().unwrap_or(rest))
}

fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    match (
        node_semver::Version::parse(a).ok(),
        node_semver::Version::parse(b).ok(),
    ) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// The differences from `old` to `new`, in a stable order (by package, then kind).
pub fn diff(old: &Sbom, new: &Sbom) -> Vec<Change> {
    let index = |s: &'_ Sbom| -> BTreeMap<String, Vec<Component>> {
        let mut out: BTreeMap<String, Vec<Component>> = BTreeMap::new();
        for c in &s.components {
            out.entry(purl_key(&c.purl).to_string())
                .or_default()
                .push(c.clone());
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| cmp_versions(&a.version, &b.version));
            list.dedup_by(|a, b| a.version == b.version && a.hashes == b.hashes);
        }
        out
    };
    let (before, after) = (index(old), index(new));
    // Who requires each component (names), to pair copies by their place in the tree.
    let requirers = |s: &Sbom| -> BTreeMap<String, BTreeSet<String>> {
        let names = names_by_ref(s);
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, tos) in &s.dependencies {
            let Some(from) = names.get(from.as_str()) else {
                continue;
            };
            for to in tos {
                out.entry(to.clone())
                    .or_default()
                    .insert((*from).to_string());
            }
        }
        out
    };
    let (req_old, req_new) = (requirers(old), requirers(new));
    let mut changes = Vec::new();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let empty = Vec::new();
        let olds = before.get(key).unwrap_or(&empty);
        let news = after.get(key).unwrap_or(&empty);
        let mut left: Vec<&Component> = Vec::new();
        let mut right: Vec<&Component> = news.iter().collect();
        for o in olds {
            match right.iter().position(|n| n.version == o.version) {
                Some(i) => compare(o, right.remove(i), &mut changes),
                None => left.push(o),
            }
        }
        // Copies in the same place pair first: the same install path (npm's
        // `node_modules/semver`), then the most requirers in common; then the rest in order
        // (lowest with lowest). So `semver` 7.6.3 becoming 7.8.4 at the top plus 5.7.2 nested is
        // an upgrade and an addition, not a downgrade to 5.7.2.
        let mut paired: Vec<(&Component, &Component)> = Vec::new();
        left.retain(|o| {
            let place = o.path.as_deref().filter(|p| !p.is_empty());
            match right
                .iter()
                .position(|n| place.is_some() && n.path.as_deref() == place)
            {
                Some(i) => {
                    paired.push((o, right.remove(i)));
                    false
                }
                None => true,
            }
        });
        let empty_set = BTreeSet::new();
        left.retain(|o| {
            let from = req_old.get(&o.bom_ref).unwrap_or(&empty_set);
            let best = right
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let to = req_new.get(&n.bom_ref).unwrap_or(&empty_set);
                    (from.intersection(to).count(), i)
                })
                .filter(|&(shared, _)| shared > 0)
                .max_by_key(|&(shared, i)| (shared, std::cmp::Reverse(i)));
            match best {
                Some((_, i)) => {
                    paired.push((o, right.remove(i)));
                    false
                }
                None => true,
            }
        });
        let pairs = left.len().min(right.len());
        paired.extend(left.iter().copied().zip(right.iter().copied()).take(pairs));
        for (o, n) in paired {
            let (from, to) = (o.version.clone(), n.version.clone());
            changes.push(match cmp_versions(&to, &from) {
                std::cmp::Ordering::Less => Change::Downgraded {
                    name: n.name.clone(),
                    from,
                    to,
                },
                _ => Change::Upgraded {
                    name: n.name.clone(),
                    from,
                    to,
                },
            });
            compare_attributes(o, n, &mut changes);
        }
        for o in &left[pairs..] {
            changes.push(Change::Removed {
                name: o.name.clone(),
                version: o.version.clone(),
                purl: o.purl.clone(),
            });
        }
        for n in &right[pairs..] {
            changes.push(Change::Added {
                name: n.name.clone(),
                version: n.version.clone(),
                purl: n.purl.clone(),
            });
            if n.has_install_script == Some(true) {
                changes.push(Change::InstallScriptAdded {
                    name: n.name.clone(),
                    version: n.version.clone(),
                });
            }
        }
    }
    // Edges by package name: a new path to a package shows up even when no version changed.
    let edges = |s: &Sbom| -> BTreeSet<(String, String)> {
        let names = names_by_ref(s);
        s.dependencies
            .iter()
            .flat_map(|(from, tos)| tos.iter().map(move |to| (from, to)))
            .filter_map(|(from, to)| {
                Some((
                    names.get(from.as_str())?.to_string(),
                    names.get(to.as_str())?.to_string(),
                ))
            })
            .collect()
    };
    // Only edges between packages present on both sides: an edge to or from a package that
    // is itself added or removed says nothing its own row does not (the finding for an added
    // package names what requires it).
    let names = |s: &Sbom| -> BTreeSet<String> {
        s.root
            .iter()
            .chain(&s.components)
            .map(|c| c.name.clone())
            .collect()
    };
    let both: BTreeSet<String> = names(old).intersection(&names(new)).cloned().collect();
    let (e_old, e_new) = (edges(old), edges(new));
    let mut edge_changes = Vec::new();
    for (from, to) in e_new.difference(&e_old) {
        if both.contains(from) && both.contains(to) {
            edge_changes.push(Change::EdgeAdded {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    for (from, to) in e_old.difference(&e_new) {
        if both.contains(from) && both.contains(to) {
            edge_changes.push(Change::EdgeRemoved {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    // Who requires each added package, for the findings.
    for (from, to) in e_new.difference(&e_old) {
        if !both.contains(to) {
            edge_changes.push(Change::RequiredBy {
                name: to.clone(),
                by: from.clone(),
            });
        }
    }
    changes.extend(edge_changes);
    changes
}

/// Each component's name by its `bom_ref` (the project's too).
fn names_by_ref(s: &Sbom) -> BTreeMap<&str, &str> {
    s.root
        .iter()
        .chain(&s.components)
        .map(|c| (c.bom_ref.as_str(), c.name.as_str()))
        .collect()
}

/// The same version on both sides.
fn compare(o: &Component, n: &Component, out: &mut Vec<Change>) {
    for (alg, hex) in &n.hashes {
        // A document may list an algorithm twice: a value is changed only if the old side has
        // that algorithm and not that value (found by fuzzing: an SBOM differed from itself).
        let same_alg = || o.hashes.iter().filter(|(a, _)| a == alg);
        if !same_alg().any(|(_, h)| h == hex)
            && let Some((_, before)) = same_alg().next()
        {
            out.push(Change::HashChanged {
                name: n.name.clone(),
                version: n.version.clone(),
                algorithm: alg.clone(),
                from: before.clone(),
                to: hex.clone(),
            });
            return compare_attributes(o, n, out);
        }
    }
    // Each distribution file (Python's sdist and wheels), by file name.
    let file = |url: &str| url.rsplit('/').next().unwrap_or(url).to_string();
    for (url, hashes) in &n.distributions {
        let Some((_, before)) = o.distributions.iter().find(|(u, _)| file(u) == file(url)) else {
            continue;
        };
        for (alg, hex) in hashes {
            let same_alg = || before.iter().filter(|(a, _)| a == alg);
            if !same_alg().any(|(_, h)| h == hex)
                && let Some((_, was)) = same_alg().next()
            {
                out.push(Change::HashChanged {
                    name: n.name.clone(),
                    version: n.version.clone(),
                    algorithm: format!("{alg} of {}", file(url)),
                    from: was.clone(),
                    to: hex.clone(),
                });
                return compare_attributes(o, n, out);
            }
        }
    }
    if let (Some(before), Some(after)) = (&o.yarn_checksum, &n.yarn_checksum)
        && before != after
    {
        out.push(Change::HashChanged {
            name: n.name.clone(),
            version: n.version.clone(),
            algorithm: "yarn checksum".into(),
            from: before.clone(),
            to: after.clone(),
        });
    }
    compare_attributes(o, n, out);
}

/// A purl qualifier's value with `%XX` escapes decoded (for messages).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What can change with or without a version change.
fn compare_attributes(o: &Component, n: &Component, out: &mut Vec<Change>) {
    let (name, version) = (n.name.clone(), n.version.clone());
    let lic = |c: &Component| c.license.as_ref().map(|l| l.text().to_string());
    if o.license.is_some() && n.license.is_some() && lic(o) != lic(n) {
        out.push(Change::LicenseChanged {
            name: name.clone(),
            version: version.clone(),
            from: lic(o),
            to: lic(n),
        });
    }
    // A Python package's index, repository or URL is in its purl's qualifier.
    let qualifier = |c: &Component| -> Option<String> {
        c.purl.strip_prefix("pkg:pypi/").map(|p| {
            p.split_once('?')
                .map_or("pypi.org".to_string(), |(_, q)| q.to_string())
        })
    };
    if let (Some(from), Some(to)) = (qualifier(o), qualifier(n))
        && from != to
    {
        out.push(Change::SourceChanged {
            name: name.clone(),
            version: version.clone(),
            from: decode(&from),
            to: decode(&to),
        });
    }
    let (from, to) = (source_label(o), source_label(n));
    let comparable = o.distribution.is_some() && n.distribution.is_some()
        || !from.starts_with("registry")
        || !to.starts_with("registry");
    if comparable && from != to {
        out.push(Change::SourceChanged {
            name: name.clone(),
            version: version.clone(),
            from,
            to,
        });
    }
    match (o.has_install_script, n.has_install_script) {
        (Some(false) | None, Some(true)) => out.push(Change::InstallScriptAdded {
            name: name.clone(),
            version: version.clone(),
        }),
        (Some(true), Some(false)) => out.push(Change::InstallScriptRemoved {
            name: name.clone(),
            version: version.clone(),
        }),
        _ => {}
    }
    match (o.dev, n.dev) {
        (true, false) => out.push(Change::DevToProd { name, version }),
        (false, true) => out.push(Change::ProdToDev { name, version }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(name: &str, version: &str, hash: &str) -> Component {
        Component {
            bom_ref: format!("{name}@{version}"),
            name: name.into(),
            version: version.into(),
            purl: crate::model::purl(name, version, None),
            hashes: vec![("SHA-512".into(), hash.into())],
            ..Component::default()
        }
    }

    /// Found by fuzzing: a component listing SHA-512 twice made an SBOM differ from itself.
    #[test]
    fn an_sbom_never_differs_from_itself() {
        let mut c = comp("a", "1.0.0", "aa");
        c.hashes.push(("SHA-512".into(), "bb".into()));
        let doc = Sbom {
            root: None,
            components: vec![c.clone()],
            dependencies: Vec::new(),
            vulnerabilities: Vec::new(),
        };
        assert!(diff(&doc, &doc).is_empty());
        let mut changed = c;
        changed.hashes = vec![("SHA-512".into(), "cc".into())];
        let new = Sbom {
            components: vec![changed],
            ..doc.clone()
        };
        assert_eq!(diff(&doc, &new).len(), 1);
    }

    /// semver 7.6.3 at the top level becoming 7.8.4 at the top level plus 5.7.2 nested (seen on
    /// a real repository): an upgrade of the top-level copy and an added nested one, paired by
    /// install path (npm) or by requirer (formats whose keys carry the version).
    #[test]
    fn copies_pair_by_their_place_in_the_tree() {
        let at = |version: &str, path: &str| {
            let mut c = comp("semver", version, version);
            c.path = Some(path.into());
            c
        };
        let old = Sbom {
            components: vec![at("7.6.3", "node_modules/semver")],
            ..Sbom::default()
        };
        let new = Sbom {
            components: vec![
                at("5.7.2", "node_modules/x/node_modules/semver"),
                at("7.8.4", "node_modules/semver"),
            ],
            ..Sbom::default()
        };
        let kinds: Vec<(&str, String)> = diff(&old, &new)
            .iter()
            .map(|c| (c.kind(), format!("{c:?}")))
            .collect();
        assert!(
            kinds
                .iter()
                .any(|(k, d)| *k == "upgraded" && d.contains("7.8.4")),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|(k, d)| *k == "added" && d.contains("5.7.2")),
            "{kinds:?}"
        );
        assert!(!kinds.iter().any(|(k, _)| *k == "downgraded"), "{kinds:?}");
        // Keys with versions (pnpm): paired by who requires them.
        let by = |version: &str| comp("semver", version, version);
        let parent = |name: &str, dep: &str| (format!("{name}@1.0.0"), vec![dep.to_string()]);
        let old = Sbom {
            components: vec![comp("app", "1.0.0", "p"), by("7.6.3")],
            dependencies: vec![parent("app", "semver@7.6.3")],
            ..Sbom::default()
        };
        let new = Sbom {
            components: vec![
                comp("app", "1.0.0", "p"),
                comp("x", "1.0.0", "q"),
                by("5.7.2"),
                by("7.8.4"),
            ],
            dependencies: vec![parent("app", "semver@7.8.4"), parent("x", "semver@5.7.2")],
            ..Sbom::default()
        };
        let kinds: Vec<&str> = diff(&old, &new).iter().map(Change::kind).collect();
        assert!(!kinds.contains(&"downgraded"), "{kinds:?}");
        assert!(kinds.contains(&"upgraded"), "{kinds:?}");
    }

    #[test]
    fn purl_keys_drop_version_and_qualifiers() {
        assert_eq!(purl_key("pkg:npm/%40s/a@1.0.0?vcs_url=x"), "pkg:npm/%40s/a");
        assert_eq!(purl_key("pkg:npm/a@1.0.0"), "pkg:npm/a");
        assert_eq!(purl_key("pkg:npm/a"), "pkg:npm/a");
    }

    #[test]
    fn upgrades_are_one_row_and_tampering_is_seen() {
        let old = Sbom {
            components: vec![
                comp("a", "1.0.0", "aa"),
                comp("b", "2.0.0", "bb"),
                comp("c", "1.0.0", "cc"),
            ],
            ..Sbom::default()
        };
        let new = Sbom {
            components: vec![
                comp("a", "1.1.0", "a2"),
                comp("b", "2.0.0", "XX"),
                comp("d", "1.0.0", "dd"),
            ],
            ..Sbom::default()
        };
        let changes = diff(&old, &new);
        let kinds: Vec<(&str, &str)> = changes.iter().map(|c| (c.kind(), c.subject())).collect();
        assert_eq!(
            kinds,
            [
                ("upgraded", "a"),
                ("hash-changed", "b"),
                ("removed", "c"),
                ("added", "d")
            ]
        );
        assert!(diff(&new, &new).is_empty());
        let down: Vec<&str> = diff(&new, &old).iter().map(Change::kind).collect();
        assert!(down.contains(&"downgraded"));
    }
}
