//! pnpm-lock.yaml, lockfileVersion 6.x and 9.0, into the common [`Lockfile`] model.
//!
//! 6.x: importers (or the root's sections at the top level for a single project) with inline
//! `specifier`/`version`; `packages` keyed `/name@version(peers)` with `dev`, `optional`,
//! `requiresBuild` and the edges. 9.0: `packages` (metadata, keyed `name@version`) and
//! `snapshots` (edges, keyed with the peer suffix), `catalogs`.

use std::collections::BTreeMap;

use crate::FastMap;

use chainward_core::yaml::{self, Yaml};
use chainward_core::{ParseError, SourceFile};

use crate::lockfile::{
    CatalogEntry, Edge, Importer, ImporterDep, LockFormat, Lockfile, Package, Str, Texts,
    split_name,
};
use crate::manifest::Section;

const SECTIONS: [Section; 3] = [
    Section::Dependencies,
    Section::DevDependencies,
    Section::OptionalDependencies,
];

fn err(file: &SourceFile, node: &Yaml, message: impl Into<String>) -> ParseError {
    file.parse_error(node.span.start..node.span.start, message)
}

/// A package's edges: dependency name → locked version.
type Edges = Box<[Edge]>;

/// `packages` and `snapshots` entries, read one at a time. pnpm writes `packages` first, so a
/// snapshot's edges and `optional` flag go straight into its package and no list of snapshots
/// is kept (for a large lockfile, that list and its keys were a fifth of the peak).
struct Entries<'a> {
    /// Each package, `has_install_script` holding whether it records `requiresBuild: true`
    /// (kept only for 6.x once the version is known).
    packages: Vec<Package>,
    /// Whether the packages read so far are in strictly increasing order of their keys
    /// without peers, as pnpm writes them (checked up to `sorted_upto`): a snapshot's package
    /// is then found from where the last one's was, or by binary search, and no index is
    /// built (on a large lockfile the index was a twentieth of the peak).
    sorted: bool,
    sorted_upto: usize,
    /// The package the last snapshot was found in: snapshots come in the same order, so the
    /// next one is nearly always in it (a peer variant) or in the package after it.
    last: usize,
    /// Otherwise each package's key without peers → its index (the first of equal keys):
    /// extended with the packages read so far (up to `indexed`) whenever a snapshot arrives.
    index: FastMap<Str, usize>,
    indexed: usize,
    /// Whether a snapshot of each package was merged: several snapshots of one package (peer
    /// variants) share its edges' names, and the first one decides them (an empty one leaves
    /// the package's own).
    claimed: Vec<bool>,
    /// Snapshots read before their package (a `snapshots` section above `packages`), and every
    /// snapshot after the first of those: merged, in file order, once every package is read.
    /// Merged at once, a later snapshot could claim a package ahead of an earlier pending one
    /// (a file with two `snapshots` sections).
    pending: Vec<(Str, bool, Edges)>,
    error: Option<ParseError>,
    /// The file's text (spans point into it), and copies of the edges' strings it does not
    /// hold as they are.
    texts: Texts<'a>,
}

impl<'a> Entries<'a> {
    /// Room for the entries a lockfile of `len` bytes may hold, so that the list is not copied
    /// as it grows: every copy faulted in fresh pages, and the last one held the list twice. A
    /// package takes 300 to 600 bytes of a real lockfile; room left over is never touched, so
    /// it is never resident.
    fn for_text(text: &'a str) -> Self {
        Entries {
            packages: Vec::with_capacity(text.len() / 256),
            sorted: true,
            sorted_upto: 0,
            last: 0,
            index: FastMap::default(),
            indexed: 0,
            claimed: Vec::new(),
            pending: Vec::new(),
            error: None,
            texts: Texts::new(text),
        }
    }

    fn add(&mut self, file: &SourceFile, section: &str, key: &Yaml, value: &Yaml) {
        if self.error.is_some() {
            return;
        }
        let Some(name) = key.as_str() else {
            self.error = Some(err(file, key, "an entry key must be a string"));
            return;
        };
        match section {
            "packages" => match read_package(file, &mut self.texts, key, name, value) {
                Ok(entry) => self.packages.push(entry),
                Err(e) => self.error = Some(e),
            },
            _ => {
                let key = strip_peers(name);
                let (optional, edges) = (flag(value, "optional"), edges(value, &mut self.texts));
                if self.pending.is_empty()
                    && let Some(i) = self.find(key)
                {
                    self.merge(i, optional, edges);
                    return;
                }
                self.pending.push((key.into(), optional, edges));
            }
        }
    }

    /// The package a snapshot keyed `key` (without peers) belongs to, among those read so
    /// far: the first of equal keys.
    fn find(&mut self, key: &str) -> Option<usize> {
        self.claimed.resize(self.packages.len(), false);
        let texts = &self.texts;
        if self.sorted {
            let from = self.sorted_upto.max(1);
            self.sorted = (from..self.packages.len()).all(|i| {
                bare_key(texts, &self.packages[i - 1]) < bare_key(texts, &self.packages[i])
            });
            self.sorted_upto = self.packages.len();
        }
        if self.sorted {
            // No two keys are equal: the one found is the only one.
            let at = |i: usize| {
                self.packages
                    .get(i)
                    .is_some_and(|p| bare_key(texts, p) == key)
            };
            let found = [self.last, self.last + 1]
                .into_iter()
                .find(|&i| at(i))
                .or_else(|| {
                    self.packages
                        .binary_search_by(|p| bare_key(texts, p).cmp(key))
                        .ok()
                });
            if let Some(i) = found {
                self.last = i;
            }
            return found;
        }
        self.index_packages();
        self.index.get(key).copied()
    }

    /// Adds the packages read since the last call to the index.
    fn index_packages(&mut self) {
        let from = self.indexed;
        if from == self.packages.len() {
            return;
        }
        self.index.reserve(self.packages.len() - from);
        for (i, pkg) in self.packages.iter().enumerate().skip(from) {
            self.index
                .entry(bare_key(&self.texts, pkg).into())
                .or_insert(i);
        }
        self.indexed = self.packages.len();
    }

    fn merge(&mut self, i: usize, optional: bool, edges: Edges) {
        let pkg = &mut self.packages[i];
        pkg.optional |= optional;
        if !std::mem::replace(&mut self.claimed[i], true) && !edges.is_empty() {
            pkg.dependencies = edges;
        }
    }

    /// The packages, with the snapshots read before them merged in, and the texts their
    /// edges point to.
    fn finish(mut self) -> (Vec<Package>, Texts<'a>) {
        if !self.pending.is_empty() {
            for (key, optional, edges) in std::mem::take(&mut self.pending) {
                if let Some(i) = self.find(&key) {
                    self.merge(i, optional, edges);
                }
            }
        }
        (self.packages, self.texts)
    }
}

fn flag(node: &Yaml, key: &str) -> bool {
    node.get(key).and_then(Yaml::as_str) == Some("true")
}

/// A package's edges, in a list of exactly their number (collected blindly, a list had room
/// for twice as many on average, and there is one for each of thousands of packages).
fn edges(node: &Yaml, texts: &mut Texts<'_>) -> Edges {
    let sections =
        [Section::Dependencies, Section::OptionalDependencies].map(|s| node.get(s.key()));
    let all = || {
        sections
            .iter()
            .flatten()
            .flat_map(|m| m.as_map().unwrap_or_default())
            .filter_map(|(k, v)| Some((k.as_str()?, &k.span, v)))
    };
    let mut out = Vec::with_capacity(all().count());
    out.extend(all().map(|(dep, span, v)| {
        texts.edge(
            (dep, Some(span)),
            (v.as_str().unwrap_or_default(), Some(&v.span)),
        )
    }));
    out.into_boxed_slice()
}

/// pnpm 11 writes `pnpm-lock.yaml` as two YAML documents: the first holds only
/// `packageManagerDependencies` (pnpm itself), the second the lockfile proper. Where the one
/// that has `importers` (else the last) lies in the text; `None` for a text of one document.
fn main_document(text: &str) -> Option<std::ops::Range<usize>> {
    // Byte offsets of the lines that are document markers (`---`).
    let mut markers = Vec::new();
    let mut at = 0;
    for line in chainward_core::span::lines_inclusive(text) {
        if line.trim_end() == "---" {
            markers.push(at..at + line.len());
        }
        at += line.len();
    }
    if markers.is_empty() {
        return None;
    }
    // Documents: between markers (the first may start at 0 without one).
    let mut docs = Vec::new();
    let mut start = 0;
    for m in &markers {
        if m.start > start || (start == 0 && m.start == 0) {
            docs.push(start..m.start);
        }
        start = m.end;
    }
    docs.push(start..text.len());
    docs.retain(|d| !text[d.clone()].trim().is_empty());
    let has = |d: &std::ops::Range<usize>, key: &str| {
        text[d.clone()]
            .split('\n')
            .any(|line| line.starts_with(key) && line[key.len()..].starts_with(':'))
    };
    // pnpm's own entry (`packageManagerDependencies`, under `importers` or at the top) is not
    // the project's lockfile.
    let pnpm_only =
        |d: &std::ops::Range<usize>| text[d.clone()].contains("packageManagerDependencies:");
    docs.iter()
        .find(|d| !pnpm_only(d) && has(d, "importers"))
        .or_else(|| docs.iter().rev().find(|d| !pnpm_only(d)))
        .or(docs.last())
        .cloned()
}

/// The text with every byte outside `main` but its line breaks made a space: same length,
/// same lines, so that the full parser reads the one document with spans into the file.
fn blanked(text: &str, main: &std::ops::Range<usize>) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for (i, b) in bytes.iter_mut().enumerate() {
        if !main.contains(&i) && *b != b'\n' {
            *b = b' ';
        }
    }
    // Only ASCII spaces replaced whole characters' bytes: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// How strong an SRI hash is, by algorithm (sha1 < sha256 < sha384 < sha512).
fn integrity_strength(sri: &str) -> u8 {
    match sri.split('-').next().unwrap_or_default() {
        "sha512" => 4,
        "sha384" => 3,
        "sha256" => 2,
        _ => 1,
    }
}

pub fn parse(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    parse_in(file, text, true)
}

/// [`parse`], streaming the large sections or (`stream` false, for the tests that compare both
/// ways) reading the whole document as one tree as the full parser does.
fn parse_in(file: &SourceFile, text: &str, stream: bool) -> Result<Lockfile, ParseError> {
    // The document that is the lockfile: streamed from where it starts, in the text up to
    // where it ends (no copy of the file).
    let main = main_document(text);
    let (body, from) = main
        .as_ref()
        .map_or((text, 0), |m| (&text[..m.end], m.start));
    // The large sections are streamed entry by entry, never held as one tree; YAML outside
    // the fast subset goes through the full parser. `importers` is one of them: a workspace of
    // many projects writes as much there as in `packages` (a third of TanStack/router's
    // lockfile), and each importer is read as it is handed over.
    let mut entries = Entries::for_text(text);
    let mut streamed_importers = Vec::new();
    let streamed = stream
        .then(|| {
            yaml::stream_machine(
                body,
                from,
                &["importers", "packages", "snapshots"],
                &mut |section, k, v| match section {
                    "importers" => streamed_importers.push(importer_entry(file, k, v)),
                    _ => entries.add(file, section, k, v),
                },
            )
        })
        .flatten();
    let doc = match streamed {
        Some(doc) => doc,
        None => {
            entries = Entries::for_text(text);
            streamed_importers.clear();
            let blank = main.as_ref().map(|m| blanked(text, m));
            let doc = yaml::parse(blank.as_deref().unwrap_or(text))
                .map_err(|e| file.parse_error(e.span, e.message))?;
            for section in ["packages", "snapshots"] {
                if let Some(node) = doc.get(section) {
                    let map = node
                        .as_map()
                        .ok_or_else(|| err(file, node, format!("`{section}` must be a mapping")))?;
                    for (k, v) in map {
                        entries.add(file, section, k, v);
                    }
                }
            }
            doc
        }
    };
    if let Some(e) = entries.error.take() {
        return Err(e);
    }
    if doc.as_map().is_none() {
        return Err(file.parse_error(
            0..0,
            "not a pnpm lockfile: expected a mapping with `lockfileVersion`",
        ));
    }
    let version_node = doc.get("lockfileVersion").ok_or_else(|| {
        file.parse_error(0..0, "not a pnpm lockfile: `lockfileVersion` is missing")
    })?;
    let version = version_node
        .as_str()
        .ok_or_else(|| err(file, version_node, "`lockfileVersion` must be a string"))?
        .to_string();
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if !(6..=9).contains(&major) {
        return Err(err(
            file,
            version_node,
            format!("pnpm lockfileVersion {version} is not read by chainward (it reads 6.x and 9.0): this lockfile is not checked"),
        )
        .unsupported());
    }

    // Importers: `importers` (workspaces, and every v9 lockfile) or the top-level sections.
    let mut importers = BTreeMap::new();
    match doc.get("importers") {
        // Streamed: the tree holds an empty mapping in its place.
        Some(_) if !streamed_importers.is_empty() => {
            for entry in streamed_importers {
                let (path, importer) = entry?;
                importers.insert(path, importer);
            }
        }
        Some(node) => {
            let map = node
                .as_map()
                .ok_or_else(|| err(file, node, "`importers` must be a mapping"))?;
            for (key, value) in map {
                let (path, importer) = importer_entry(file, key, value)?;
                importers.insert(path, importer);
            }
        }
        None => {
            let mut importer = read_importer(file, &doc)?;
            importer.span = version_node.span.clone();
            importers.insert(String::new(), importer);
        }
    }

    // Catalogs (9.0).
    let mut catalogs = BTreeMap::new();
    if let Some(node) = doc.get("catalogs") {
        for (catalog, entries) in node.entries() {
            let mut out = BTreeMap::new();
            for (name, entry) in entries.entries() {
                let specifier = entry.get("specifier");
                out.insert(
                    name.to_string(),
                    CatalogEntry {
                        specifier: specifier.and_then(Yaml::as_str).unwrap_or_default().into(),
                        version: entry.get("version").and_then(Yaml::as_str).map(Into::into),
                        span: specifier.map_or(entry.span.clone(), |s| s.span.clone()),
                    },
                );
            }
            catalogs.insert(catalog.to_string(), out);
        }
    }

    if let Some(node) = doc.get("packages").filter(|n| n.as_map().is_none()) {
        return Err(err(file, node, "`packages` must be a mapping"));
    }
    // Packages, with 9.0's snapshots merged in for edges and the optional flag.
    let (mut packages, texts) = entries.finish();
    if major >= 9 {
        // 9.0 does not record install scripts at all.
        for pkg in &mut packages {
            pkg.has_install_script = None;
        }
    }
    let entries = |key: &str| -> BTreeMap<String, String> {
        doc.get(key)
            .map(|m| {
                m.entries()
                    .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut lock = texts.lockfile(LockFormat::Pnpm(version), importers, packages, file);
    lock.catalogs = catalogs;
    lock.overrides = entries("overrides");
    lock.settings = entries("settings");
    lock.patched = doc
        .get("patchedDependencies")
        .map(|m| m.entries().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    Ok(lock)
}

/// One entry of `importers`: the project's path (`""` for the root's `.`) and what it locks.
fn importer_entry(
    file: &SourceFile,
    key: &Yaml,
    value: &Yaml,
) -> Result<(String, Importer), ParseError> {
    let path = key
        .as_str()
        .ok_or_else(|| err(file, key, "an importer key must be a string"))?;
    let path = if path == "." { "" } else { path };
    let mut importer = read_importer(file, value)?;
    importer.span = key.span.clone();
    Ok((path.to_string(), importer))
}

fn read_importer(file: &SourceFile, node: &Yaml) -> Result<Importer, ParseError> {
    // Sized once: a workspace's hundreds of dependencies, without the slack of growing.
    let count = SECTIONS
        .iter()
        .filter_map(|s| node.get(s.key())?.as_map())
        .map(<[_]>::len)
        .sum();
    let mut deps = Vec::with_capacity(count);
    // lockfile 5.x kept the specifiers in a map of their own; 6.0 writes them inline.
    let old_specifiers = node.get("specifiers");
    for section in SECTIONS {
        let Some(entries) = node.get(section.key()) else {
            continue;
        };
        if entries.as_map().is_none() {
            return Err(err(
                file,
                entries,
                format!("`{}` must be a mapping", section.key()),
            ));
        }
        for (name, value) in entries.entries() {
            let (specifier, version, span) = match value.as_str() {
                Some(version) => {
                    let spec = old_specifiers.and_then(|s| s.get(name));
                    (
                        spec.and_then(Yaml::as_str).map(Str::from),
                        Some(Str::from(version)),
                        spec.map_or(value.span.clone(), |s| s.span.clone()),
                    )
                }
                None => {
                    let spec = value.get("specifier");
                    (
                        spec.and_then(Yaml::as_str).map(Str::from),
                        value.get("version").and_then(Yaml::as_str).map(Str::from),
                        spec.map_or(value.span.clone(), |s| s.span.clone()),
                    )
                }
            };
            deps.push(ImporterDep {
                section,
                name: Str::from(name),
                specifier,
                version,
                span,
            });
        }
    }
    Ok(Importer {
        deps,
        span: node.span.clone(),
    })
}

/// `/name@1.0.0(peer@2)(other@3)` → `/name@1.0.0`.
/// A package's key without its leading `/` (6.x) and peers.
fn bare_key<'a>(texts: &'a Texts<'_>, pkg: &Package) -> &'a str {
    let key = texts.get(pkg.key);
    strip_peers(key.strip_prefix('/').unwrap_or(key))
}

fn strip_peers(key: &str) -> &str {
    // The version never contains `(`; a scoped name never does either.
    key.find('(').map_or(key, |i| &key[..i])
}

/// A `packages` entry, and whether it records `requiresBuild: true`.
fn read_package(
    file: &SourceFile,
    texts: &mut Texts<'_>,
    key_node: &Yaml,
    key: &str,
    node: &Yaml,
) -> Result<Package, ParseError> {
    let bare = strip_peers(key.strip_prefix('/').unwrap_or(key));
    let (key_name, key_version) = split_name(bare).unwrap_or((bare, ""));
    let key_text = texts.read(key, Some(&key_node.span));
    // Where the entry writes them: its own `name:`/`version:`, else its key.
    let mut placed = |field: &str, in_key: &str| match node
        .get(field)
        .and_then(|n| Some((n.as_str()?, &n.span)))
    {
        Some((value, span)) => texts.read(value, Some(span)),
        None => texts.within(key_text.offset(), key, in_key),
    };
    let name = placed("name", key_name);
    let version = placed("version", key_version);

    let mut pkg = Package {
        key: key_text,
        name,
        version,
        span: key_node.span.clone().into(),
        ..Package::default()
    };
    let resolution = node
        .get("resolution")
        .ok_or_else(|| err(file, node, format!("package `{key}` has no `resolution`")))?;
    let field = |k: &str| resolution.get(k).filter(|v| v.as_str().is_some());
    let mut read = |node: &Yaml| {
        node.as_str().map_or(crate::lockfile::Text::ABSENT, |v| {
            texts.read(v, Some(&node.span))
        })
    };
    if let Some(integrity) = field("integrity") {
        pkg.integrity = read(integrity);
        pkg.integrity_span = Some(integrity.span.clone().into());
    }
    // pnpm 11 runtimes (`node@runtime:26.4.0`): one binary per platform, each with its own
    // integrity. The package has one when every variant has one; the weakest is kept.
    if resolution.get("type").and_then(Yaml::as_str) == Some("variations") {
        let hashes: Vec<&Yaml> = resolution
            .get("variants")
            .and_then(Yaml::as_seq)
            .unwrap_or_default()
            .iter()
            .map(|v| v.get("resolution").and_then(|r| r.get("integrity")))
            .collect::<Option<Vec<&Yaml>>>()
            .unwrap_or_default();
        if let Some(weakest) = hashes
            .iter()
            .filter(|h| h.as_str().is_some())
            .min_by_key(|h| integrity_strength(h.as_str().unwrap_or_default()))
        {
            pkg.integrity = read(weakest);
            pkg.integrity_span = Some(weakest.span.clone().into());
        }
    }
    if let Some(tarball) = field("tarball") {
        pkg.resolved = read(tarball);
        pkg.resolved_span = Some(tarball.span.clone().into());
    } else if let Some(repo) = field("repo") {
        let commit = resolution
            .get("commit")
            .and_then(Yaml::as_str)
            .unwrap_or_default();
        let repo = repo.as_str().unwrap_or_default();
        let git = if repo.starts_with("git") { "" } else { "git+" };
        pkg.resolved = texts.copy(compact_str::format_compact!("{git}{repo}#{commit}"));
        pkg.resolved_span = Some(resolution.span.clone().into());
    } else if let Some(dir) = field("directory") {
        pkg.resolved = texts.copy(compact_str::format_compact!(
            "file:{}",
            dir.as_str().unwrap_or_default()
        ));
        pkg.link = true;
    } else if key_version.starts_with("link:") || key_version.starts_with("file:") {
        pkg.link = key_version.starts_with("link:");
        pkg.resolved = texts.within(key_text.offset(), key, key_version);
    }
    pkg.dev = node.get("dev").and_then(Yaml::as_str).map(|d| d == "true");
    pkg.optional = flag(node, "optional");
    pkg.platform = ["os", "cpu", "libc"].iter().any(|k| node.get(k).is_some());
    pkg.dependencies = edges(node, texts);
    pkg.has_install_script = Some(flag(node, "requiresBuild"));
    Ok(pkg)
}

/// The cached parse of a pnpm-lock.yaml.
pub fn pnpm_lockfile(file: &SourceFile) -> Option<&Lockfile> {
    file.parsed(|f, t| parse(f, t).map(Lockfile::shrink))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    const V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

catalogs:
  default:
    picocolors:
      specifier: ^1.0.0
      version: 1.1.1

importers:

  .:
    dependencies:
      debug:
        specifier: ^4.3.4
        version: 4.4.3(supports-color@8.1.1)
  packages/a:
    dependencies:
      b:
        specifier: workspace:*
        version: link:../b

packages:

  debug@4.4.3:
    resolution: {integrity: sha512-aaa}
    peerDependencies:
      supports-color: '*'

  esbuild@0.21.5:
    resolution: {integrity: sha512-bbb}
    hasBin: true

  '@esbuild/darwin-arm64@0.21.5':
    resolution: {integrity: sha512-ccc}
    cpu: [arm64]
    os: [darwin]

  gitdep@https://codeload.github.com/u/gitdep/tar.gz/abc:
    resolution: {tarball: https://codeload.github.com/u/gitdep/tar.gz/abc}
    version: 1.0.0

snapshots:

  debug@4.4.3(supports-color@8.1.1):
    dependencies:
      ms: 2.1.3

  '@esbuild/darwin-arm64@0.21.5':
    optional: true
";

    /// Streamed section by section (importers, packages, snapshots each handed over entry by
    /// entry, on two cores when large) or read as one tree: the same lockfile, for every pnpm
    /// lockfile of the fixtures.
    #[test]
    fn streaming_reads_what_the_tree_reads() {
        let mut importers = 0;
        let mut files = 0;
        // A workspace of 600 projects: its `importers` (about 140 KB) is read on two cores.
        let mut made = String::from(
            "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      typescript:\n        specifier: ^5.0.0\n        version: 5.9.3\n",
        );
        for i in 0..600 {
            made.push_str(&format!("\n  packages/p{i}:\n    dependencies:\n      debug:\n        specifier: ^4.3.{}\n        version: 4.4.3\n      '@scope/p{}':\n        specifier: workspace:*\n        version: link:../p{}\n    devDependencies:\n      ms: {{specifier: 2.1.3, version: 2.1.3}}\n", i % 5, (i + 1) % 600, (i + 1) % 600));
        }
        made.push_str("\npackages:\n\n  debug@4.4.3:\n    resolution: {integrity: sha512-d}\n\n  ms@2.1.3:\n    resolution: {integrity: sha512-m}\n\n  typescript@5.9.3:\n    resolution: {integrity: sha512-t}\n\nsnapshots:\n\n  debug@4.4.3:\n    dependencies:\n      ms: 2.1.3\n\n  ms@2.1.3: {}\n\n  typescript@5.9.3: {}\n");
        assert!(made.len() > 128 * 1024, "{}", made.len());
        let texts = chainward_core::testing::fixture_texts(&["pnpm-lock.yaml"])
            .into_iter()
            .chain([("made".to_string(), made)]);
        for (path, text) in texts {
            let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text.clone());
            let read = |stream| {
                parse_in(&f, &text, stream)
                    .map(|l| (l.importers, l.packages, l.catalogs, l.copies, l.overrides))
            };
            match (read(true), read(false)) {
                (Ok(streamed), Ok(tree)) => {
                    assert!(streamed == tree, "{path}");
                    importers += streamed.0.len();
                    files += 1;
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{path}: {:?} / {:?}", a.is_ok(), b.is_ok()),
            }
        }
        assert!(
            files >= 20 && importers >= 630,
            "{files} lockfiles, {importers} importers"
        );
    }

    /// pnpm 11's two documents: the importers come from the second, and spans still point
    /// into the whole file. (Hand-made from the shape pnpm 11 writes; the real one is in
    /// fixtures/real-world/pnpm11-two-documents.)
    #[test]
    fn reads_the_document_with_the_importers() {
        let first = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n    packageManagerDependencies:\n      pnpm:\n        specifier: 11.0.0\n        version: 11.0.0\n\npackages:\n\n  pnpm@11.0.0:\n    resolution: {integrity: sha512-p}\n\nsnapshots:\n\n  pnpm@11.0.0: {}\n\n---\n";
        let text = format!("{first}{V9}");
        let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text.clone());
        let lock = pnpm_lockfile(&f).expect("parses");
        let debug = lock.importers[""].dep("debug").expect("debug");
        assert_eq!(&text[debug.span.clone()], "^4.3.4");
        assert!(lock.importers.contains_key("packages/a"));
        assert!(lock.packages.iter().any(|p| lock.name(p) == "esbuild"));
        assert!(!lock.packages.iter().any(|p| lock.name(p) == "pnpm"));
        // Read in place, the main document first or last, it gives what the old reading of the
        // file with the other document blanked out gave.
        let pnpm_doc = first.trim_start_matches("---\n").trim_end_matches("---\n");
        for text in [text.clone(), format!("{V9}---\n{pnpm_doc}")] {
            let main = main_document(&text).expect("two documents");
            let read = |text: String| {
                let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text);
                let lock = pnpm_lockfile(&f).expect("parses").clone();
                (lock.importers, lock.packages, lock.catalogs, lock.copies)
            };
            assert!(read(text.clone()) == read(blanked(&text, &main)), "{text}");
            let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text);
            let lock = pnpm_lockfile(&f).expect("parses");
            assert!(!lock.packages.iter().any(|p| lock.name(p) == "pnpm"));
        }
        // One document, with or without a leading marker: as before.
        let marked = format!("---\n{V9}");
        let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, marked.clone());
        let lock = pnpm_lockfile(&f).expect("parses");
        let debug = lock.importers[""].dep("debug").expect("debug");
        assert_eq!(&marked[debug.span.clone()], "^4.3.4");
    }

    #[test]
    fn reads_v9() {
        let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, V9);
        let lock = pnpm_lockfile(&f).expect("parses");
        assert_eq!(lock.format, LockFormat::Pnpm("9.0".into()));
        let root = &lock.importers[""];
        let debug = root.dep("debug").expect("debug");
        assert_eq!(debug.specifier.as_deref(), Some("^4.3.4"));
        assert_eq!(&V9[debug.span.clone()], "^4.3.4");
        assert_eq!(
            lock.importers["packages/a"].deps[0].version.as_deref(),
            Some("link:../b")
        );
        assert_eq!(lock.catalogs["default"]["picocolors"].specifier, "^1.0.0");
        let by_name = |n: &str| lock.packages.iter().find(|p| lock.name(p) == n).expect(n);
        assert_eq!(
            lock.edges(by_name("debug")).collect::<Vec<_>>(),
            [("ms", "2.1.3")]
        );
        assert!(lock.copies.is_empty());
        let darwin = by_name("@esbuild/darwin-arm64");
        assert!(darwin.optional && darwin.platform);
        assert_eq!(lock.version(darwin), Some("0.21.5"));
        let git = by_name("gitdep");
        assert_eq!(lock.version(git), Some("1.0.0"));
        assert!(lock.resolved(git).is_some_and(|r| r.contains("codeload")));
        assert_eq!(by_name("esbuild").has_install_script, None);
    }

    /// A snapshot's edges go into its package whether `snapshots` comes after `packages` (as
    /// pnpm writes it) or before: the first snapshot of a package decides its edges, even an
    /// empty one, and every snapshot's `optional` counts. (Hand-made.)
    #[test]
    fn snapshots_merge_in_either_order() {
        let packages = "packages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-a}\n\n  b@1.0.0:\n    resolution: {integrity: sha512-b}\n\n  c@1.0.0:\n    resolution: {integrity: sha512-c}\n\n";
        let snapshots = "snapshots:\n\n  a@1.0.0(p@1.0.0):\n    dependencies:\n      x: 1.0.0\n\n  a@1.0.0(p@2.0.0):\n    dependencies:\n      y: 1.0.0\n    optional: true\n\n  b@1.0.0: {}\n\n  b@1.0.0(p@1.0.0):\n    dependencies:\n      z: 1.0.0\n\n  gone@1.0.0:\n    dependencies:\n      w: 1.0.0\n\n";
        let head = "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n\n";
        let read = |text: String| {
            let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text);
            let lock = pnpm_lockfile(&f).expect("parses");
            // (name, optional, edges)
            type Row = (Str, bool, Vec<(String, String)>);
            let mut out: Vec<Row> = lock
                .packages
                .iter()
                .map(|p| {
                    let edges = lock.edges(p);
                    let edges = edges.map(|(n, s)| (n.to_string(), s.to_string()));
                    (Str::from(lock.name(p)), p.optional, edges.collect())
                })
                .collect();
            out.sort();
            out
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        let expected = vec![
            (Str::from("a"), true, vec![pair("x", "1.0.0")]),
            (Str::from("b"), false, vec![]),
            (Str::from("c"), false, vec![]),
        ];
        assert_eq!(read(format!("{head}{packages}{snapshots}")), expected);
        assert_eq!(read(format!("{head}{snapshots}{packages}")), expected);
        // Packages out of order: found through an index instead of by their order.
        let (a_b, c) = packages.split_at(packages.find("  c@1.0.0").expect("c"));
        let unsorted = format!("packages:\n\n{c}{}", &a_b["packages:\n\n".len()..]);
        assert_eq!(read(format!("{head}{unsorted}{snapshots}")), expected);
        // A snapshot past packages that have none: found by binary search.
        let late = "snapshots:\n\n  c@1.0.0(p@1.0.0):\n    dependencies:\n      q: 1.0.0\n";
        let c_edges = read(format!("{head}{packages}{late}"));
        assert_eq!(c_edges[2], ("c".into(), false, vec![pair("q", "1.0.0")]));
        assert!(c_edges[0].2.is_empty() && c_edges[1].2.is_empty());
        // Two `snapshots` sections around `packages` (not pnpm's, but YAML the fast path
        // reads): the first snapshot of `a` still decides its edges.
        let (first, rest) = snapshots.split_at(snapshots.find("  a@1.0.0(p@2.0.0)").expect("a"));
        assert_eq!(
            read(format!("{head}{first}{packages}snapshots:\n\n{rest}")),
            expected
        );
    }

    #[test]
    fn reads_v6_single_project() {
        let text = "lockfileVersion: '6.0'

dependencies:
  ms:
    specifier: ^2.1.0
    version: 2.1.3

packages:

  /ms@2.1.3:
    resolution: {integrity: sha512-aaa}
    dev: false

  /esbuild@0.18.0:
    resolution: {integrity: sha512-bbb}
    requiresBuild: true
    dev: true
";
        let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text);
        let lock = pnpm_lockfile(&f).expect("parses");
        assert_eq!(
            lock.importers[""]
                .dep("ms")
                .and_then(|d| d.specifier.as_deref()),
            Some("^2.1.0")
        );
        let esbuild = &lock.packages[1];
        assert_eq!(
            (
                lock.name(esbuild),
                lock.version(esbuild).unwrap_or_default()
            ),
            ("esbuild", "0.18.0")
        );
        assert_eq!(esbuild.has_install_script, Some(true));
        assert_eq!(esbuild.dev, Some(true));
        assert_eq!(lock.packages[0].has_install_script, Some(false));
    }

    /// Nested anchors that would expand to 10^12 nodes.
    fn bomb() -> String {
        let mut text =
            String::from("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let bomb = bomb();
        for (text, needle) in [
            (
                "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: [",
                "line",
            ),
            ("lockfileVersion: '5.4'\n", "is not read by chainward"),
            ("importers: {}\n", "lockfileVersion"),
            (bomb.as_ref(), "billion-laughs"),
            ("- 1\n", "not a pnpm lockfile"),
        ] {
            let f = SourceFile::in_memory("pnpm-lock.yaml", FileKind::PnpmLock, text);
            assert!(pnpm_lockfile(&f).is_none(), "{text}");
            let e = f.error().expect("error").to_string();
            assert!(e.contains(needle) || needle == "line", "{text:?}: {e}");
        }
    }
}
