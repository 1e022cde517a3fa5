//! An SBOM from a lockfile of any format: one component per locked package (npm: per install
//! path, as `npm ls` and cyclonedx-npm see the tree), the project and its workspaces as
//! applications, and the dependency graph resolved the way each package manager resolves it.
//! Whether a package is only needed for development or only optional comes from the lockfile
//! where it records it (npm) and otherwise from the graph: what the project's production
//! dependencies reach is required, what only optional edges reach is optional, the rest is dev.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use chainward_core::project::join;
use chainward_core::{Project, SourceFile};
use chainward_npm::lockfile::{AnyLock, Lockfile};
use chainward_npm::manifest::Section;
use chainward_npm::npm::NpmLockfile;
use chainward_npm::package_json;

use crate::model::{Component, Kind, License, Sbom, Scope, Source, hashes, purl};

/// What to leave out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Omit {
    pub dev: bool,
    pub optional: bool,
}

/// How an edge is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Prod,
    Optional,
    Peer,
    Dev,
}

fn edge_of(section: Section) -> Option<Edge> {
    match section {
        Section::Dependencies => Some(Edge::Prod),
        Section::OptionalDependencies => Some(Edge::Optional),
        Section::PeerDependencies => Some(Edge::Peer),
        Section::DevDependencies => Some(Edge::Dev),
        _ => None,
    }
}

/// A node of the graph: a locked package or an importer (the project or a workspace).
#[derive(Debug, Clone)]
struct Node {
    name: String,
    version: String,
    /// npm: install path; others: lockfile key; importers: their folder.
    path: String,
    resolved: Option<String>,
    integrity: Option<String>,
    license: Option<String>,
    has_install_script: Option<bool>,
    importer: bool,
    /// The lockfile's own dev/optional flags, where it records them.
    dev: Option<bool>,
    optional: Option<bool>,
    edges: Vec<(usize, Edge)>,
}

/// The SBOM of one lockfile. `root_dir` is the lockfile's folder (for reading the
/// package.json files of importers whose dependencies the lockfile does not record).
pub fn generate(project: &Project, file: &SourceFile, lock: &AnyLock<'_>, omit: Omit) -> Sbom {
    let dir = file.path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut nodes = match lock {
        AnyLock::Npm(npm) => npm_nodes(npm),
        AnyLock::Other(other) => other_nodes(project, &dir, other),
    };
    // The root importer's name and version come from package.json when the lockfile lacks them.
    if let Some(root) = nodes.iter_mut().find(|n| n.importer && n.path.is_empty())
        && let Some(pj) = project
            .file_at(&join(&dir, "package.json"))
            .as_deref()
            .and_then(package_json)
    {
        if root.name.is_empty()
            && let Some(name) = pj.name()
        {
            root.name = name.to_string();
        }
        if root.version.is_empty()
            && let Some(version) = pj.version()
        {
            root.version = version.to_string();
        }
        if root.license.is_none() {
            root.license = pj
                .json
                .get("license")
                .and_then(|l| l.as_str())
                .map(str::to_string);
        }
    }
    let scopes = classify(&nodes);
    build(&mut nodes, &scopes, omit)
}

/// npm: every entry of `packages`; importers are `""` and the workspace folders; edges follow
/// Node's resolution from each install path; links lead to their workspace.
fn npm_nodes(lock: &NpmLockfile) -> Vec<Node> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(lock.packages.len());
    let mut nodes = Vec::with_capacity(lock.packages.len());
    for (key, p) in &lock.packages {
        if p.link {
            continue;
        }
        let importer = chainward_npm::npm::is_importer(key);
        index.insert(key.as_str(), nodes.len());
        let name = p.name().map(str::to_string).unwrap_or_else(|| {
            if importer {
                String::new()
            } else {
                chainward_npm::npm::installed_name(key).to_string()
            }
        });
        nodes.push(Node {
            name,
            version: p.version().unwrap_or_default().to_string(),
            path: key.clone(),
            resolved: lock.resolved(p).map(str::to_string),
            integrity: lock.integrity(p).map(str::to_string),
            license: p.license().map(str::to_string),
            has_install_script: (lock.lockfile_version >= 2 && !importer)
                .then_some(p.has_install_script),
            importer,
            dev: (!importer).then_some(p.dev || p.dev_optional),
            optional: (!importer).then_some(p.optional || p.dev_optional),
            edges: Vec::new(),
        });
    }
    // A workspace folder without a name takes its folder's.
    for n in nodes
        .iter_mut()
        .filter(|n| n.importer && n.name.is_empty() && !n.path.is_empty())
    {
        n.name = n.path.rsplit('/').next().unwrap_or(&n.path).to_string();
    }
    for (key, p) in &lock.packages {
        let Some(&from) = index.get(key.as_str()) else {
            continue;
        };
        let importer = nodes[from].importer;
        let mut edges = Vec::new();
        let sections = [
            (&p.dependencies(), Edge::Prod),
            (&p.optional_dependencies(), Edge::Optional),
            (&p.peer_dependencies(), Edge::Peer),
            (&p.dev_dependencies(), Edge::Dev),
        ];
        for (deps, kind) in sections {
            if kind == Edge::Dev && !importer {
                continue;
            }
            for name in deps.keys() {
                let Some((target_key, target)) = lock.resolve(key, name) else {
                    continue;
                };
                let target_key = if target.link {
                    lock.resolved(target).unwrap_or(target_key)
                } else {
                    target_key
                };
                if let Some(&to) = index.get(target_key) {
                    edges.push((to, kind));
                }
            }
        }
        nodes[from].edges = edges;
    }
    nodes
}

/// pnpm, yarn and bun: the packages, and the importers the lockfile records (or, where it does
/// not record their dependencies, their package.json files).
fn other_nodes(project: &Project, dir: &Path, lock: &Lockfile) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::with_capacity(lock.packages.len() + lock.importers.len());
    // The node of each package (links have none).
    let mut node_of: Vec<Option<usize>> = vec![None; lock.packages.len()];
    for (index, p) in lock.packages.iter().enumerate().filter(|(_, p)| !p.link) {
        node_of[index] = Some(nodes.len());
        nodes.push(Node {
            name: lock.name(p).to_string(),
            version: lock.version(p).unwrap_or_default().to_string(),
            path: lock.key(p).to_string(),
            resolved: lock.resolved(p).map(str::to_string),
            integrity: lock.integrity(p).map(str::to_string),
            license: None,
            has_install_script: p.has_install_script,
            importer: false,
            dev: p.dev,
            // Recorded as a flag by pnpm (snapshots) and for yarn berry's platform packages;
            // `None` lets the graph decide.
            optional: p.optional.then_some(true),
            edges: Vec::new(),
        });
    }
    // Importers: the root always, and every workspace the lockfile knows.
    let mut folders: Vec<String> = lock.importers.keys().cloned().collect();
    if !folders.iter().any(|f| f.is_empty()) {
        folders.insert(0, String::new());
    }
    let mut importer_index: HashMap<String, usize> = HashMap::new();
    for folder in &folders {
        let manifest = project
            .file_at(&join(dir, &format!("{folder}/package.json")))
            .and_then(|f| {
                package_json(&f).map(|pj| {
                    (
                        pj.name().unwrap_or_default().to_string(),
                        pj.version().unwrap_or_default().to_string(),
                        pj.json
                            .get("license")
                            .and_then(|l| l.as_str())
                            .map(str::to_string),
                    )
                })
            });
        let (name, version, license) = manifest.unwrap_or_default();
        let name = if name.is_empty() && !folder.is_empty() {
            folder.rsplit('/').next().unwrap_or(folder).to_string()
        } else {
            name
        };
        importer_index.insert(folder.clone(), nodes.len());
        nodes.push(Node {
            name,
            version,
            path: folder.clone(),
            resolved: None,
            integrity: None,
            license,
            has_install_script: None,
            importer: true,
            dev: None,
            optional: None,
            edges: Vec::new(),
        });
    }
    let edges = lock.edge_index();
    let resolve = |from_key: &str, name: &str, spec: &str| -> Option<usize> {
        node_of[edges.resolve(from_key, name, spec)?]
    };
    // Package edges.
    let packages: Vec<&chainward_npm::lockfile::Package> =
        lock.packages.iter().filter(|p| !p.link).collect();
    for (i, p) in packages.iter().enumerate() {
        let from_key = lock.key(p);
        nodes[i].edges = lock
            .edges(p)
            .filter_map(|(name, spec)| {
                let to = resolve(from_key, name, spec)?;
                let optional = p
                    .optional_dependencies
                    .binary_search_by(|o| o.as_str().cmp(name))
                    .is_ok();
                Some((to, if optional { Edge::Optional } else { Edge::Prod }))
            })
            .collect();
    }
    // Importer edges: pnpm records them with their section; bun and yarn berry record specs;
    // yarn classic records none, so the package.json files say.
    for folder in &folders {
        let at = importer_index[folder];
        let recorded = lock
            .importers
            .get(folder)
            .filter(|imp| !imp.deps.is_empty() && lock.format.records_importer_versions());
        let declared: Vec<(Section, String, String)> = match recorded {
            Some(imp) => imp
                .deps
                .iter()
                .map(|d| {
                    (
                        d.section,
                        d.name.to_string(),
                        d.version
                            .as_deref()
                            .or(d.specifier.as_deref())
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect(),
            None => manifest_deps(project, &join(dir, &format!("{folder}/package.json"))),
        };
        let mut edges = Vec::new();
        for (section, name, spec) in declared {
            let target = if let Some(rel) = spec.strip_prefix("link:").or_else(|| {
                spec.strip_prefix("workspace:")
                    .filter(|r| r.contains('/') || *r == ".")
            }) {
                importer_index.get(&normalize(folder, rel)).copied()
            } else if spec.starts_with("workspace:") {
                // `workspace:*`: the member with that name.
                nodes.iter().position(|n| n.importer && n.name == name)
            } else {
                // A member resolves from its own scope (bun's nested keys); the root from none.
                let from = if folder.is_empty() {
                    String::new()
                } else {
                    nodes[at].name.clone()
                };
                resolve(&from, &name, &spec)
            };
            if let (Some(to), Some(kind)) = (target, edge_of(section)) {
                edges.push((to, kind));
            }
        }
        nodes[at].edges = edges;
    }
    nodes
}

/// The dependencies a package.json declares: (section, name, spec).
fn manifest_deps(project: &Project, path: &Path) -> Vec<(Section, String, String)> {
    let Some(file) = project.file_at(path) else {
        return Vec::new();
    };
    let Some(pj) = package_json(&file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in [
        Section::Dependencies,
        Section::OptionalDependencies,
        Section::DevDependencies,
        Section::PeerDependencies,
    ] {
        for m in pj
            .json
            .get(section.key())
            .and_then(|v| v.as_object())
            .unwrap_or_default()
        {
            if let Some(spec) = m.value.as_str() {
                out.push((section, m.key.clone(), spec.to_string()));
            }
        }
    }
    out
}

/// `a/b` relative to the importer `folder`, as a lockfile folder key.
fn normalize(folder: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Each node's scope: walk from the importers' production edges (required), then optional
/// edges (optional); what only dev edges reach is excluded. The lockfile's own flags win
/// where it records them (npm).
fn classify(nodes: &[Node]) -> Vec<(Scope, bool)> {
    // A BFS per scope, best first: what the production edges reach is required; an optional
    // edge makes the rest of the way optional; a dev edge makes it excluded. Scopes only get
    // worse along a path, so the first scope a node is reached with is its best.
    let rank = |s: Scope| match s {
        Scope::Required => 0,
        Scope::Optional => 1,
        Scope::Excluded => 2,
    };
    let mut best: Vec<Option<Scope>> = vec![None; nodes.len()];
    let mut queues: [VecDeque<usize>; 3] = Default::default();
    for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.importer) {
        best[i] = Some(Scope::Required);
        for &(to, kind) in &n.edges {
            let scope = match kind {
                Edge::Prod | Edge::Peer => Scope::Required,
                Edge::Optional => Scope::Optional,
                Edge::Dev => Scope::Excluded,
            };
            queues[rank(scope)].push_back(to);
        }
    }
    for scope in [Scope::Required, Scope::Optional, Scope::Excluded] {
        while let Some(i) = queues[rank(scope)].pop_front() {
            if best[i].is_some() {
                continue;
            }
            // A package the lockfile marks optional (pnpm) is optional however it is reached.
            let here = if scope == Scope::Required && nodes[i].optional == Some(true) {
                Scope::Optional
            } else {
                scope
            };
            if here != scope {
                queues[rank(here)].push_back(i);
                continue;
            }
            best[i] = Some(scope);
            for &(to, kind) in &nodes[i].edges {
                let next = if kind == Edge::Optional && scope == Scope::Required {
                    Scope::Optional
                } else {
                    scope
                };
                queues[rank(next)].push_back(to);
            }
        }
    }
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let graph = best[i].unwrap_or(Scope::Excluded);
            // npm records dev and optional itself; its word wins.
            let scope = match (n.dev, n.optional) {
                (Some(true), _) => Scope::Excluded,
                (Some(false), Some(true)) => Scope::Optional,
                (Some(false), Some(false)) => Scope::Required,
                _ => graph,
            };
            (scope, scope == Scope::Excluded)
        })
        .collect()
}

/// Components and the dependency graph, with stable, unique bom-refs.
fn build(nodes: &mut [Node], scopes: &[(Scope, bool)], omit: Omit) -> Sbom {
    let keep: Vec<bool> = nodes
        .iter()
        .zip(scopes)
        .map(|(n, (scope, dev))| {
            n.importer || !((omit.dev && *dev) || (omit.optional && *scope == Scope::Optional))
        })
        .collect();
    // bom-ref: `name@version`, or with the path when several nodes share it.
    let mut count: HashMap<(String, String), usize> = HashMap::new();
    for n in nodes.iter() {
        *count
            .entry((n.name.clone(), n.version.clone()))
            .or_default() += 1;
    }
    let refs: Vec<String> = nodes
        .iter()
        .map(|n| {
            let base = if n.version.is_empty() {
                n.name.clone()
            } else {
                format!("{}@{}", n.name, n.version)
            };
            if count[&(n.name.clone(), n.version.clone())] > 1 {
                format!("{base}|{}", n.path)
            } else {
                base
            }
        })
        .collect();
    let mut sbom = Sbom::default();
    for (i, n) in nodes.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let source = Source::of(n.resolved.as_deref());
        let mut component = Component {
            bom_ref: refs[i].clone(),
            name: n.name.clone(),
            version: n.version.clone(),
            purl: purl(&n.name, &n.version, Some(&source)),
            hashes: n.integrity.as_deref().map(hashes).unwrap_or_default(),
            license: n.license.as_deref().and_then(License::parse),
            distribution: match &source {
                Source::Registry(url) => url.clone(),
                Source::Git(url) | Source::Url(url) => Some(url.clone()),
            },
            scope: scopes[i].0,
            dev: scopes[i].1,
            path: Some(n.path.clone()),
            yarn_checksum: None,
            distributions: Vec::new(),
            has_install_script: n.has_install_script,
            kind: if n.importer {
                Kind::Application
            } else {
                Kind::Library
            },
        };
        // yarn berry: `checksum: 10c0/<hex>` is not an SRI hash.
        if let Some(checksum) = n
            .integrity
            .as_deref()
            .filter(|i| i.contains('/') && !i.contains('-'))
        {
            component.yarn_checksum = Some(checksum.to_string());
        }
        // yarn's `#sha1` fragment, when there is no integrity.
        if component.hashes.is_empty()
            && let Some(sha1) = n
                .resolved
                .as_deref()
                .and_then(|r| r.split_once('#'))
                .map(|(_, h)| h)
            && sha1.len() == 40
            && sha1.bytes().all(|b| b.is_ascii_hexdigit())
            && !matches!(source, Source::Git(_))
        {
            component
                .hashes
                .push(("SHA-1".into(), sha1.to_ascii_lowercase()));
        }
        let deps: Vec<String> = n
            .edges
            .iter()
            .filter(|(to, _)| keep[*to])
            .map(|(to, _)| refs[*to].clone())
            .collect();
        sbom.add(component, deps, n.importer && n.path.is_empty());
    }
    sbom.sorted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importer_folders_normalize() {
        assert_eq!(normalize("packages/a", "../b"), "packages/b");
        assert_eq!(normalize("", "packages/b"), "packages/b");
    }
}
