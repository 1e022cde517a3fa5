//! An SBOM from a uv.lock: the workspace's own packages as applications (the root project as
//! the SBOM's subject), one component per locked package with `pkg:pypi` purls, every
//! distribution file (sdist and wheels) with its SHA-256, and the dependency graph. What the
//! members' `dependencies` reach is required; what only their extras reach is optional; what
//! only their dependency groups reach is for development.

use std::collections::{HashMap, VecDeque};

use chainward_core::escape::percent_encode;
use chainward_python::normalize_name;
use chainward_python::uvlock::{Artifact, DepKind, LockPackage, UvLock};

use crate::generate::Omit;
use crate::model::{Component, Kind, License, Sbom, Scope};

/// `pkg:pypi/<normalized name>@<version>`, qualified with where the package comes from when
/// that is not PyPI (`repository_url`, `vcs_url`, `download_url`).
pub fn purl(name: &str, version: &str, pkg: Option<&LockPackage>) -> String {
    let mut out = format!("pkg:pypi/{}", percent_encode(&normalize_name(name)));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&percent_encode(version));
    }
    if let Some(pkg) = pkg {
        let value = pkg.source.value.as_str();
        let qualifier = match pkg.source.kind.as_str() {
            "registry" if value.trim_end_matches('/') != "https://pypi.org/simple" => {
                Some("repository_url")
            }
            "git" => Some("vcs_url"),
            "url" => Some("download_url"),
            _ => None,
        };
        if let Some(q) = qualifier {
            out.push('?');
            out.push_str(q);
            out.push('=');
            out.push_str(&percent_encode(value));
        }
    }
    out
}

/// `sha256:<hex>` → `("SHA-256", hex)`; `text` is the lockfile's.
fn hash_of(a: &Artifact, text: &str) -> Vec<(String, String)> {
    let Some(h) = a.hash(text) else {
        return Vec::new();
    };
    let Some((alg, hex)) = h.split_once(':') else {
        return Vec::new();
    };
    let alg = match alg {
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        _ => return Vec::new(),
    };
    vec![(alg.to_string(), hex.to_ascii_lowercase())]
}

/// The SBOM of `lock`, read from `text`. `root` names the workspace root's project (`None` for a
/// workspace whose root is not a project: its members are then the applications).
pub fn generate(
    lock: &UvLock,
    text: &str,
    root: Option<&str>,
    license: Option<&str>,
    omit: Omit,
) -> Sbom {
    let packages = &lock.packages;
    // Packages by normalized name (a name locked at several versions has several).
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(normalize_name(&p.name)).or_default().push(i);
    }
    let target = |name: &str, version: Option<&str>| -> Option<usize> {
        let candidates = by_name.get(&normalize_name(name))?;
        match version {
            Some(v) => candidates
                .iter()
                .copied()
                .find(|&i| packages[i].version.as_deref() == Some(v)),
            None => candidates.first().copied(),
        }
    };
    // Edges: (to, kind) per package.
    let edges: Vec<Vec<(usize, &DepKind)>> = packages
        .iter()
        .map(|p| {
            p.dependencies
                .iter()
                .filter_map(|d| Some((target(&d.name, d.version.as_deref())?, &d.kind)))
                .collect()
        })
        .collect();
    // Scope: reached from a member through main edges (required), through an extra first
    // (optional), or only through a group (development).
    const REQUIRED: u8 = 0;
    const OPTIONAL: u8 = 1;
    const DEV: u8 = 2;
    const UNREACHED: u8 = 3;
    let mut scope = vec![UNREACHED; packages.len()];
    let members: Vec<usize> = (0..packages.len())
        .filter(|&i| packages[i].source.is_local())
        .collect();
    let mut queue = VecDeque::new();
    for &m in &members {
        scope[m] = REQUIRED;
        queue.push_back(m);
    }
    // A lock without a graph (pylock.toml need not record one): everything it installs is
    // required.
    if edges.iter().all(Vec::is_empty) {
        scope.fill(REQUIRED);
    }
    // Lower is stronger: a node is revisited when it is reached at a stronger scope.
    while let Some(i) = queue.pop_front() {
        for (to, kind) in &edges[i] {
            let via = match kind {
                DepKind::Main => scope[i],
                DepKind::Extra(_) => scope[i].max(OPTIONAL),
                DepKind::Dev(_) => scope[i].max(DEV),
            };
            if via < scope[*to] {
                scope[*to] = via;
                queue.push_back(*to);
            }
        }
    }
    let keep = |i: usize| -> bool {
        match scope[i] {
            DEV | UNREACHED => !omit.dev,
            OPTIONAL => !omit.optional,
            _ => true,
        }
    };
    // bom-refs: the purl, and a suffix for a duplicate.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let refs: Vec<String> = packages
        .iter()
        .map(|p| {
            let base = purl(&p.name, p.version.as_deref().unwrap_or_default(), Some(p));
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            if *n > 1 { format!("{base}#{n}") } else { base }
        })
        .collect();
    let root_index = root.and_then(|r| {
        let r = normalize_name(r);
        members
            .iter()
            .copied()
            .find(|&i| normalize_name(&packages[i].name) == r)
    });
    let mut sbom = Sbom::default();
    for (i, p) in packages.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let local = p.source.is_local();
        let files: Vec<&Artifact> = p.sdist.iter().chain(&p.wheels).collect();
        let primary = p.sdist.as_ref().or(p.wheels.first());
        let component = Component {
            bom_ref: refs[i].clone(),
            name: p.name.clone(),
            version: p.version.clone().unwrap_or_default(),
            purl: refs[i].split('#').next().unwrap_or_default().to_string(),
            hashes: primary.map(|a| hash_of(a, text)).unwrap_or_default(),
            license: if Some(i) == root_index {
                license.and_then(License::parse)
            } else {
                None
            },
            distribution: match p.source.kind.as_str() {
                "git" | "url" => Some(p.source.value.clone()),
                _ => None,
            },
            distributions: files
                .iter()
                .filter_map(|a| Some((a.url(text).or(a.path(text))?.to_string(), hash_of(a, text))))
                .collect(),
            scope: match scope[i] {
                REQUIRED => Scope::Required,
                OPTIONAL => Scope::Optional,
                _ => Scope::Excluded,
            },
            dev: matches!(scope[i], DEV | UNREACHED),
            path: None,
            yarn_checksum: None,
            has_install_script: None,
            kind: if local {
                Kind::Application
            } else {
                Kind::Library
            },
        };
        let deps: Vec<String> = edges[i]
            .iter()
            .filter(|(to, _)| keep(*to))
            .map(|(to, _)| refs[*to].clone())
            .collect();
        sbom.add(component, deps, Some(i) == root_index);
    }
    sbom.sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_are_normalized_and_qualified_off_pypi() {
        assert_eq!(
            purl("Typing_Extensions", "4.12.2", None),
            "pkg:pypi/typing-extensions@4.12.2"
        );
    }
}
