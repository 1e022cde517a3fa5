//! npm lockfiles: package-lock.json v1, v2 and v3 and npm-shrinkwrap.json, read into one shape
//! (the v2/v3 `packages` map keyed by install path), with Node's module resolution.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use crate::FastMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chainward_core::json;
use chainward_core::project::clean;
use chainward_core::span::LineIndex;
use chainward_core::{FileKind, ParseError, Project, SourceFile};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::manifest::Section;

/// One entry of `packages` (v2/v3), or a v1 `dependencies` entry converted to that shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockPackage {
    /// The real package name when it differs from the install folder (aliases, workspaces).
    pub name: Option<Box<str>>,
    pub version: Option<Box<str>>,
    pub resolved: Option<Box<str>>,
    pub integrity: Option<Box<str>>,
    #[serde(deserialize_with = "truthy")]
    pub link: bool,
    #[serde(deserialize_with = "truthy")]
    pub dev: bool,
    #[serde(deserialize_with = "truthy")]
    pub optional: bool,
    #[serde(deserialize_with = "truthy")]
    pub dev_optional: bool,
    #[serde(deserialize_with = "truthy")]
    pub peer: bool,
    #[serde(deserialize_with = "truthy")]
    pub in_bundle: bool,
    #[serde(deserialize_with = "truthy")]
    pub has_install_script: bool,
    pub dependencies: DepMap,
    pub dev_dependencies: DepMap,
    pub optional_dependencies: DepMap,
    pub peer_dependencies: DepMap,
    pub peer_dependencies_meta: OptionalPeers,
    #[serde(deserialize_with = "truthy")]
    pub extraneous: bool,
    /// The package's declared licence (v2/v3), as npm copied it from its package.json: an SPDX
    /// expression as a rule; the old `{"type": "MIT"}` form is read as its `type`.
    #[serde(deserialize_with = "license")]
    pub license: Option<Box<str>>,
    /// The commands the package puts in `node_modules/.bin`: the keys of its `bin` map (v2/v3
    /// record it; v1 does not).
    #[serde(deserialize_with = "bin_names")]
    pub bin: Box<[Box<str>]>,
    /// Byte range of the entry's value in the file text (v2/v3; empty for v1).
    #[serde(skip)]
    pub span: Range<usize>,
}

/// A small sorted map of dependency name → spec. Lockfile entries have thousands of these with
/// a handful of members each: the names and specs live in one string with their boundaries
/// beside it (two allocations per map instead of two per dependency and a tuple of `String`s,
/// which on a 6,000-entry lockfile was a quarter of the parsed model).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DepMap {
    /// Each name followed by its spec, in name order.
    text: Box<str>,
    /// Where each name ends and where its spec ends in `text`; a name starts where the previous
    /// spec ends.
    ends: Box<[(u32, u32)]>,
}

impl DepMap {
    fn entry(&self, i: usize) -> (&str, &str) {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1].1 as usize
        };
        let (name_end, spec_end) = self.ends[i];
        (
            &self.text[start..name_end as usize],
            &self.text[name_end as usize..spec_end as usize],
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (key, spec) = self.entry(mid);
            match key.cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(spec),
            }
        }
        None
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        (0..self.ends.len()).map(|i| self.entry(i))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        self.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Sorted by name; with duplicate names the last one wins, as in `JSON.parse`. `None` when
    /// the names and specs together pass 4 GiB (no file chainward reads is that large).
    fn from_pairs<K: AsRef<str>, S: AsRef<str>>(mut items: Vec<(K, S)>) -> Option<DepMap> {
        // A stable sort keeps duplicates in file order; keep the last of each run.
        items.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut kept: Vec<(K, S)> = Vec::with_capacity(items.len());
        for item in items {
            match kept.last_mut() {
                Some(last) if last.0.as_ref() == item.0.as_ref() => *last = item,
                _ => kept.push(item),
            }
        }
        let size = kept
            .iter()
            .map(|(k, s)| k.as_ref().len() + s.as_ref().len())
            .sum();
        let mut text = String::with_capacity(size);
        let mut ends = Vec::with_capacity(kept.len());
        for (name, spec) in &kept {
            text.push_str(name.as_ref());
            let name_end = u32::try_from(text.len()).ok()?;
            text.push_str(spec.as_ref());
            ends.push((name_end, u32::try_from(text.len()).ok()?));
        }
        Some(DepMap {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        })
    }
}

impl std::fmt::Debug for DepMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: AsRef<str>, S: AsRef<str>> FromIterator<(K, S)> for DepMap {
    /// Sorted by name; with duplicate names the last one wins, as in `JSON.parse`.
    fn from_iter<I: IntoIterator<Item = (K, S)>>(iter: I) -> Self {
        DepMap::from_pairs(iter.into_iter().collect()).unwrap_or_default()
    }
}

/// A licence field: a string, or an object with a string `type`; anything else is no licence
/// (never a parse error: the field is informational).
/// A flag as npm reads it: JavaScript truthiness (`"bundled": "true"`, written by some tools, is
/// true; so is any non-empty string or non-zero number; `null` is false).
fn truthy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::Null => false,
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => true,
    })
}

fn bin_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<[Box<str>]>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Object(map) => map.keys().map(|k| k.as_str().into()).collect(),
        _ => Box::default(),
    })
}

fn license<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<str>>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Box<str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a licence")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.into()))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut kind = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == "type" {
                    let value: serde_json::Value = map.next_value()?;
                    kind = value.as_str().map(Into::into);
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(kind)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Visit)
}

impl<'de> Deserialize<'de> for DepMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = DepMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of dependency names")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // Names and specs borrowed from the document unless they hold escapes.
                let mut items: Vec<(Cow<'de, str>, Cow<'de, str>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((Borrowed(name), Borrowed(spec))) =
                    map.next_entry::<Borrowed<'de>, Borrowed<'de>>()?
                {
                    items.push((name, spec));
                }
                DepMap::from_pairs(items).ok_or_else(|| {
                    serde::de::Error::custom("dependency names and specs over 4 GiB")
                })
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A string borrowed from the document when it has no escapes.
#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

/// The names in `peerDependenciesMeta` marked `optional`, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionalPeers(Box<[Box<str>]>);

impl OptionalPeers {
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| (**n).cmp(name)).is_ok()
    }
}

impl<'de> Deserialize<'de> for OptionalPeers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<Borrowed<'de>, PeerMeta> = BTreeMap::deserialize(d)?;
        Ok(OptionalPeers(
            map.into_iter()
                .filter(|(_, meta)| meta.optional)
                .map(|(Borrowed(name), _)| name.into())
                .collect(),
        ))
    }
}

/// `peerDependenciesMeta.<name>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PeerMeta {
    optional: bool,
}

impl LockPackage {
    pub fn section(&self, section: Section) -> Option<&DepMap> {
        match section {
            Section::Dependencies => Some(&self.dependencies),
            Section::DevDependencies => Some(&self.dev_dependencies),
            Section::OptionalDependencies => Some(&self.optional_dependencies),
            Section::PeerDependencies => Some(&self.peer_dependencies),
            _ => None,
        }
    }
}

/// A parsed npm lockfile.
#[derive(Debug, Clone)]
pub struct NpmLockfile {
    pub lockfile_version: u64,
    pub name: Option<String>,
    /// Keyed by install path: `""` (root), `node_modules/a`, `packages/x`,
    /// `packages/x/node_modules/a`, ...
    pub packages: FastMap<String, Box<LockPackage>>,
}

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u64>,
    name: Option<String>,
    #[serde(borrow, default, deserialize_with = "entries")]
    packages: Option<RawEntries<'a>>,
    #[serde(borrow)]
    dependencies: Option<&'a RawValue>,
}

/// Lockfile entries in document order, each value left raw.
type RawEntries<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// `packages` as its entries in document order, each value left raw: no map is built only to
/// be taken apart (a duplicate key is kept twice; the later one wins, as in a JSON object).
fn entries<'de, D>(de: D) -> Result<Option<RawEntries<'de>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Option<RawEntries<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of lockfile entries")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some((Key(key), value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                out.push((key, value));
            }
            Ok(Some(out))
        }
    }
    /// A key borrowed from the document when it has no escapes.
    #[derive(Deserialize)]
    struct Key<'a>(#[serde(borrow)] Cow<'a, str>);
    de.deserialize_any(Entries)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct V1Dep {
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(deserialize_with = "truthy")]
    dev: bool,
    #[serde(deserialize_with = "truthy")]
    optional: bool,
    #[serde(deserialize_with = "truthy")]
    bundled: bool,
    requires: BTreeMap<String, String>,
    dependencies: BTreeMap<String, V1Dep>,
}

impl NpmLockfile {
    pub fn parse(file: &SourceFile, text: &str) -> Result<NpmLockfile, ParseError> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        match crate::npm_split::parse(text, body) {
            Some(lock) => Ok(lock),
            None => Self::parse_slow(file, text),
        }
    }

    /// Every lockfile version, and every error, by serde over the whole document.
    fn parse_slow(file: &SourceFile, text: &str) -> Result<NpmLockfile, ParseError> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let shift = text.len() - body.len();
        let top: Top<'_> =
            serde_json::from_str(body).map_err(|e| serde_error(file, body, shift, &e))?;
        let lockfile_version = top.lockfile_version.ok_or_else(|| {
            file.parse_error(0..0, "not an npm lockfile: `lockfileVersion` is missing")
        })?;
        if !(1..=3).contains(&lockfile_version) {
            return Err(file
                .parse_error(
                    0..0,
                    format!(
                        "lockfileVersion {lockfile_version} is not read by chainward (it reads 1, 2 and 3): this lockfile is not checked"
                    ),
                )
                .unsupported());
        }
        let base = text.as_ptr() as usize;
        let mut packages = FastMap::default();
        match top.packages {
            Some(map) if lockfile_version >= 2 => {
                // Entries are independent: parse them on every core.
                let entries = map;
                // Boxed as they are parsed, so that the entries are never held twice.
                let parsed: Vec<(String, Box<LockPackage>)> = entries
                    .into_par_iter()
                    .map(|(key, raw)| {
                        let slice = raw.get();
                        let start = slice.as_ptr() as usize - base;
                        serde_json::from_str::<LockPackage>(slice)
                            .map(|mut pkg| {
                                pkg.span = start..start + slice.len();
                                (key.into_owned(), Box::new(pkg))
                            })
                            .map_err(|e| serde_error(file, slice, start, &e))
                    })
                    .collect::<Result<_, _>>()?;
                packages.reserve(parsed.len());
                packages.extend(parsed);
            }
            _ => {
                if let Some(raw) = top.dependencies {
                    let slice = raw.get();
                    let start = slice.as_ptr() as usize - base;
                    let deps: BTreeMap<String, V1Dep> = serde_json::from_str(slice)
                        .map_err(|e| serde_error(file, slice, start, &e))?;
                    flatten_v1("", deps, &mut packages);
                }
            }
        }
        Ok(NpmLockfile {
            lockfile_version,
            name: top.name,
            packages,
        })
    }

    /// Whether this lockfile records the specs of its importers (v2 and v3 do; v1 does not).
    pub fn records_specs(&self) -> bool {
        self.lockfile_version >= 2
    }

    /// The entry for an importer (`""` or a workspace folder).
    pub fn importer(&self, dir: &str) -> Option<&LockPackage> {
        self.packages.get(dir).map(|v| &**v)
    }

    /// The install path and entry Node would load for `name` when required from the package
    /// installed at `from` (`""` for the root, `packages/a` for a workspace): the nearest
    /// `node_modules/<name>` walking up the folders.
    pub fn resolve(&self, from: &str, name: &str) -> Option<(&str, &LockPackage)> {
        let mut dir = from.trim_end_matches('/');
        let mut key = String::with_capacity(dir.len() + name.len() + 16);
        loop {
            key.clear();
            if !dir.is_empty() {
                key.push_str(dir);
                key.push('/');
            }
            key.push_str("node_modules/");
            key.push_str(name);
            if let Some((k, p)) = self.packages.get_key_value(key.as_str()) {
                return Some((k.as_str(), p));
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent_dir(dir);
        }
    }

    /// [`Self::resolve`] for many edges: every entry indexed once by the name it is installed
    /// under, so that each lookup hashes a package name instead of building and hashing an
    /// install path for every folder it climbs.
    pub fn resolver(&self) -> Resolver<'_> {
        let n = self.packages.len();
        let mut resolver = Resolver {
            by_name: FastMap::default(),
            folders: FastMap::default(),
            dirs: Vec::with_capacity(n + 16),
            parent: Vec::with_capacity(n + 16),
            entries: Vec::with_capacity(n),
        };
        resolver.by_name.reserve(n);
        resolver.folders.reserve(n + 16);
        let mut scratch = Vec::new();
        resolver.intern("", &mut scratch);
        for (key, pkg) in &self.packages {
            let index = u32::try_from(resolver.entries.len()).unwrap_or(u32::MAX);
            resolver.entries.push((key.as_str(), &**pkg));
            // Every key is a folder a climb may start from; the folder it is installed in is
            // the one its climb goes to next.
            let own = resolver.intern(key.trim_end_matches('/'), &mut scratch);
            let above = resolver.parent[own as usize];
            // Every way the key reads as `<dir>/node_modules/<name>` (or `node_modules/<name>`),
            // as `resolve` would build it.
            for at in NODE_MODULES.find_iter(key.as_bytes()) {
                // `resolve` writes a folder and a `/` before `node_modules/`, or nothing: a key
                // starting `/node_modules/` is not one it ever builds.
                let dir = match at {
                    0 => "",
                    1 => continue,
                    _ if key.as_bytes()[at - 1] == b'/' => &key[..at - 1],
                    _ => continue,
                };
                let name = &key[at + "node_modules/".len()..];
                let folder = match resolver.dirs.get(above as usize) {
                    Some(d) if *d == dir => above,
                    _ => resolver.intern(dir, &mut scratch),
                };
                let install = (folder, index);
                match resolver.by_name.entry(name) {
                    Entry::Vacant(v) => {
                        v.insert(Installs::One(install));
                    }
                    Entry::Occupied(mut o) => match o.get_mut() {
                        Installs::One(first) => {
                            let first = *first;
                            o.insert(Installs::Many(vec![first, install]));
                        }
                        Installs::Many(all) => all.push(install),
                    },
                }
            }
        }
        // Sorted by folder: each folder climbed is a binary search over integers, even for a
        // name installed in thousands of places.
        for installed in resolver.by_name.values_mut() {
            if let Installs::Many(all) = installed {
                all.sort_unstable_by_key(|a| a.0);
            }
        }
        resolver
    }

    /// Follow a `link: true` entry to the folder it links to (a workspace).
    pub fn follow_link<'a>(&'a self, pkg: &'a LockPackage) -> &'a LockPackage {
        if pkg.link
            && let Some(target) = pkg.resolved.as_deref().and_then(|r| self.packages.get(r))
        {
            return target;
        }
        pkg
    }

    /// Span of the spec string (quotes included) of `name` in `section` of the entry `key`
    /// (an importer such as `""` or `packages/a`, or any installed package).
    pub fn importer_spec_span(
        &self,
        text: &str,
        key: &str,
        section: Section,
        name: &str,
    ) -> Option<Range<usize>> {
        self.field_span(text, key, &[section.key(), name])
    }

    /// Span of a value inside the entry `key`, following `path` (`["resolved"]`,
    /// `["dependencies", "ms"]`). Parses only that entry's text.
    pub fn field_span(&self, text: &str, key: &str, path: &[&str]) -> Option<Range<usize>> {
        let range = self
            .packages
            .get(key)
            .map(|p| p.span.clone())
            .filter(|r| !r.is_empty())?;
        let slice = text.get(range.clone())?;
        let entry = json::parse(slice).ok()?;
        let value = entry.pointer(path)?;
        Some(value.span.start + range.start..value.span.end + range.start)
    }

    /// The span of the entry `key`'s opening `{`, for findings about the whole entry.
    pub fn entry_span(&self, key: &str) -> Option<Range<usize>> {
        self.packages
            .get(key)
            .filter(|p| !p.span.is_empty())
            .map(|p| p.span.start..p.span.start + 1)
    }
}

/// See [`NpmLockfile::resolver`].
pub struct Resolver<'a> {
    /// Package name → (folder it is installed in, entry number), by folder.
    by_name: FastMap<&'a str, Installs>,
    /// Every folder an install sits in, every key, and every folder a climb from them passes
    /// through → its number.
    folders: FastMap<&'a str, u32>,
    /// Folder number → the folder.
    dirs: Vec<&'a str>,
    /// Folder number → the number of the folder the climb goes to next ([`Self::TOP`] above
    /// the root).
    parent: Vec<u32>,
    /// Entry number → install path and entry, every entry of the lockfile (importers too).
    entries: Vec<(&'a str, &'a LockPackage)>,
}

/// Where a name is installed: (folder number, entry number); most names in one place.
enum Installs {
    One((u32, u32)),
    /// By folder number.
    Many(Vec<(u32, u32)>),
}

impl Installs {
    fn as_slice(&self) -> &[(u32, u32)] {
        match self {
            Installs::One(one) => std::slice::from_ref(one),
            Installs::Many(all) => all,
        }
    }
}

impl<'a> Resolver<'a> {
    const TOP: u32 = u32::MAX;

    /// The number of `dir`, numbering it and the folders above it that have none yet
    /// (`chain` is scratch space).
    fn intern(&mut self, dir: &'a str, chain: &mut Vec<&'a str>) -> u32 {
        chain.clear();
        let mut d = dir;
        let mut above = loop {
            if let Some(&id) = self.folders.get(d) {
                break id;
            }
            chain.push(d);
            if d.is_empty() {
                break Self::TOP;
            }
            d = parent_dir(d);
        };
        for &d in chain.iter().rev() {
            let id = u32::try_from(self.parent.len()).unwrap_or(Self::TOP - 1);
            self.parent.push(above);
            self.dirs.push(d);
            self.folders.insert(d, id);
            above = id;
        }
        above
    }

    /// What [`NpmLockfile::resolve`] answers, climbing the same folders.
    pub fn resolve(&self, from: &str, name: &str) -> Option<(&'a str, &'a LockPackage)> {
        self.resolve_index(from, name).map(|i| self.entry(i))
    }

    /// Every entry of the lockfile, importers included, numbered as [`Self::resolve_index`]
    /// answers: install path and entry.
    pub fn entries(&self) -> &[(&'a str, &'a LockPackage)] {
        &self.entries
    }

    /// The entry numbered `index` (see [`Self::entries`]).
    pub fn entry(&self, index: u32) -> (&'a str, &'a LockPackage) {
        self.entries[index as usize]
    }

    /// [`Self::resolve`], answering with the entry's number in [`Self::entries`].
    pub fn resolve_index(&self, from: &str, name: &str) -> Option<u32> {
        let installed = self.by_name.get(name)?.as_slice();
        // Installed at the root alone: every climb ends there.
        if let [(0, index)] = installed {
            return Some(*index);
        }
        // A folder without a number has no install in it: climb by name until one has.
        let mut dir = from.trim_end_matches('/');
        let mut folder = loop {
            if let Some(&id) = self.folders.get(dir) {
                break id;
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent_dir(dir);
        };
        while folder != Self::TOP {
            if let Ok(i) = installed.binary_search_by_key(&folder, |a| a.0) {
                return Some(installed[i].1);
            }
            folder = self
                .parent
                .get(folder as usize)
                .copied()
                .unwrap_or(Self::TOP);
        }
        None
    }
}

/// `packages/a` → `packages`; `node_modules/x` → ``; `a/node_modules/@s/x` → `a`.
fn parent_dir(dir: &str) -> &str {
    let b = dir.as_bytes();
    // The folder above: what precedes the last `/` (nothing without one).
    let mut rest = memchr::memrchr(b'/', b).unwrap_or(0);
    // `…/node_modules/@scope/name`: the scope folder is not a package.
    let slash = memchr::memrchr(b'/', &b[..rest]);
    let segment = slash.map_or(0, |i| i + 1);
    if b.get(segment) == Some(&b'@')
        && segment < rest
        && b[..slash.unwrap_or(0)].ends_with(b"node_modules")
    {
        rest = slash.unwrap_or(0);
    }
    let rest = &dir[..rest];
    if rest == "node_modules" {
        ""
    } else {
        rest.strip_suffix("/node_modules").unwrap_or(rest)
    }
}

/// The root and workspace folders: every key not inside a node_modules folder.
pub fn is_importer(key: &str) -> bool {
    !(key.starts_with("node_modules/") || NODE_MODULES_DIR.find(key.as_bytes()).is_some())
}

/// The folder name a package is installed under: what follows the last `node_modules/` of its
/// key (`a/node_modules/@s/x` → `@s/x`), or the key itself when it has none.
pub fn installed_name(key: &str) -> &str {
    match NODE_MODULES_REV.rfind(key.as_bytes()) {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key,
    }
}

// Searchers built once: every key of a large lockfile is looked at several times.
static NODE_MODULES_DIR: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("/node_modules/"));
static NODE_MODULES: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("node_modules/"));
static NODE_MODULES_REV: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new("node_modules/"));

fn flatten_v1(
    prefix: &str,
    deps: BTreeMap<String, V1Dep>,
    out: &mut FastMap<String, Box<LockPackage>>,
) {
    for (name, dep) in deps {
        let key = if prefix.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{prefix}/node_modules/{name}")
        };
        let mut pkg = LockPackage {
            resolved: dep.resolved.map(Into::into),
            integrity: dep.integrity.map(Into::into),
            dev: dep.dev,
            optional: dep.optional,
            in_bundle: dep.bundled,
            dependencies: dep.requires.into_iter().collect(),
            ..LockPackage::default()
        };
        // v1 records aliases as `npm:real@1.2.3` and git/url deps as the resolved URL.
        match dep.version {
            Some(v) if v.starts_with("npm:") => {
                let rest = &v[4..];
                let from = usize::from(rest.starts_with('@'));
                if let Some(i) = rest[from..].find('@') {
                    pkg.name = Some(rest[..from + i].into());
                    pkg.version = Some(rest[from + i + 1..].into());
                }
            }
            Some(v) if v.contains(':') => {
                if pkg.resolved.is_none() {
                    pkg.resolved = Some(v.into());
                }
            }
            other => pkg.version = other.map(Into::into),
        }
        flatten_v1(&key, dep.dependencies, out);
        out.insert(key, Box::new(pkg));
    }
}

fn serde_error(
    file: &SourceFile,
    slice: &str,
    start: usize,
    err: &serde_json::Error,
) -> ParseError {
    let lines = LineIndex::new(slice);
    let at = lines
        .line_start(slice, err.line())
        .map_or(slice.len(), |s| {
            (s + err.column().saturating_sub(1)).min(slice.len())
        });
    let message = err.to_string();
    // serde_json appends " at line L column C" relative to what it parsed; the finding carries
    // the position in the whole file instead.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    file.parse_error(start + at..start + at, message)
}

/// The cached parse of an npm lockfile.
pub fn npm_lockfile(file: &SourceFile) -> Option<&NpmLockfile> {
    file.parsed(NpmLockfile::parse)
}

/// The folders from `dir` upwards, each with the path from it down to `dir` (`""` for `dir`
/// itself, `packages/a` for the root of a workspace `packages/a`). Relative paths climb past
/// `.` through `..` using the real folder names, so a workspace member scanned on its own still
/// finds its root.
pub fn ancestors(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut current = clean(dir);
    let mut climbed: Vec<String> = Vec::new();
    for _ in 0..64 {
        out.push((
            current.clone(),
            climbed.iter().rev().cloned().collect::<Vec<_>>().join("/"),
        ));
        let is_named = matches!(
            current.components().next_back(),
            Some(std::path::Component::Normal(_))
        );
        let (name, up) = if is_named {
            let name = current
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let parent = current
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty());
            (name, parent.unwrap_or_else(|| PathBuf::from(".")))
        } else {
            // `.` or a path ending in `..`: climb through the real folder names.
            let Ok(real) = std::fs::canonicalize(&current) else {
                break;
            };
            let up = if current == Path::new(".") {
                PathBuf::from("..")
            } else {
                current.join("..")
            };
            (
                real.file_name().map(|n| n.to_string_lossy().into_owned()),
                up,
            )
        };
        let Some(name) = name else { break };
        if let (Ok(a), Ok(b)) = (std::fs::canonicalize(&up), std::fs::canonicalize(&current))
            && a == b
        {
            break;
        }
        climbed.push(name);
        current = up;
    }
    out
}

/// The npm lockfile covering the package.json at `manifest`, and the importer key of that
/// package.json in it (`""` for the root, `packages/a` for a workspace member).
///
/// Looks in the package.json's folder, then walks up (a workspace member is covered by its
/// root's lockfile if that lockfile lists the member). `npm-shrinkwrap.json` wins over
/// package-lock.json, as in npm.
pub fn lockfile_for(project: &Project, manifest: &Path) -> Option<(Arc<SourceFile>, String)> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    for (folder, importer) in ancestors(dir) {
        for name in ["npm-shrinkwrap.json", "package-lock.json"] {
            let candidate = if folder == Path::new(".") {
                PathBuf::from(name)
            } else {
                folder.join(name)
            };
            if let Some(file) = project.file_at(&candidate) {
                if importer.is_empty() {
                    return Some((file, importer));
                }
                let lock = npm_lockfile(&file)?;
                return lock
                    .packages
                    .contains_key(&importer)
                    .then_some((file, importer));
            }
        }
    }
    None
}

/// Whether a file is an npm lockfile.
pub fn is_npm_lockfile(file: &SourceFile) -> bool {
    matches!(file.kind, FileKind::NpmLock | FileKind::NpmShrinkwrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every npm lockfile under `dir`.
    fn lockfiles(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("fixtures").flatten() {
            let path = entry.path();
            if path.is_dir() {
                lockfiles(&path, out);
            } else if matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("package-lock.json" | "npm-shrinkwrap.json")
            ) {
                out.push(path);
            }
        }
    }

    /// The fast path returns what serde over the whole document returns, or leaves the
    /// document to it: on every fixture lockfile, and on damaged copies of them (bytes removed,
    /// replaced and inserted where the scan looks: quotes, brackets, commas, escapes).
    #[test]
    fn fast_path_agrees_with_serde() {
        fn same(a: &NpmLockfile, b: &NpmLockfile) -> bool {
            let sorted = |l: &NpmLockfile| {
                let mut v: Vec<String> = l.packages.iter().map(|e| format!("{e:?}")).collect();
                v.sort();
                v
            };
            a.lockfile_version == b.lockfile_version && a.name == b.name && sorted(a) == sorted(b)
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut paths = Vec::new();
        lockfiles(&root, &mut paths);
        assert!(paths.len() >= 20, "fixture lockfiles: {}", paths.len());
        let (mut fast, mut mutants, mut left) = (0, 0, 0);
        // A fixed xorshift: the same damaged copies on every run.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for path in &paths {
            let text = std::fs::read_to_string(path).expect("fixture");
            let file = SourceFile::in_memory(path, FileKind::NpmLock, text.clone());
            let slow = NpmLockfile::parse_slow(&file, &text);
            match (crate::npm_split::parse(&text, &text), &slow) {
                (Some(f), Ok(s)) => {
                    assert!(same(&f, s), "{}", path.display());
                    fast += 1;
                }
                (Some(_), Err(e)) => panic!("{}: fast path accepted, serde: {e:?}", path.display()),
                (None, Ok(s)) => {
                    assert!(s.lockfile_version < 2, "{} left to serde", path.display())
                }
                (None, Err(_)) => {}
            }
            // Damage: at positions the scan cares about when the file is large enough.
            let bytes = text.as_bytes();
            let marks: Vec<usize> = (0..bytes.len())
                .filter(|&i| {
                    matches!(
                        bytes[i],
                        b'"' | b'{' | b'}' | b'[' | b']' | b',' | b':' | b'\\'
                    )
                })
                .collect();
            if marks.is_empty() || bytes.len() > 200_000 {
                continue;
            }
            for _ in 0..60 {
                let at = marks[next(marks.len())];
                let insert = [
                    b'"', b'{', b'}', b'[', b']', b',', b':', b'\\', b'1', b' ', b'n',
                ];
                let mut damaged = bytes.to_vec();
                match next(3) {
                    0 => {
                        damaged.remove(at);
                    }
                    1 => damaged[at] = insert[next(insert.len())],
                    _ => damaged.insert(at, insert[next(insert.len())]),
                }
                let Ok(damaged) = String::from_utf8(damaged) else {
                    continue;
                };
                mutants += 1;
                let file = SourceFile::in_memory(path, FileKind::NpmLock, damaged.clone());
                let slow = NpmLockfile::parse_slow(&file, &damaged);
                match (crate::npm_split::parse(&damaged, &damaged), slow) {
                    (Some(f), Ok(s)) => assert!(same(&f, &s), "{} damaged at {at}", path.display()),
                    (Some(_), Err(e)) => panic!(
                        "{} damaged at {at}: fast path accepted, serde: {e:?}\n{}",
                        path.display(),
                        &damaged[at.saturating_sub(80)..(at + 80).min(damaged.len())]
                    ),
                    (None, _) => left += 1,
                }
            }
        }
        assert!(fast >= 20, "fast path taken on {fast} fixture lockfiles");
        assert!(
            mutants >= 1000 && left > mutants / 2,
            "{mutants} damaged copies, {left} left to serde"
        );
    }

    #[test]
    fn dep_map_reads_like_the_object_it_was() {
        let entry: LockPackage = serde_json::from_str(
            r#"{"dependencies": {"b": "^2", "a\u0062c": "1.0.0", "a": "~1", "b": "^3", "": "x"},
                "peerDependencies": {}, "peerDependenciesMeta": {"p": {"optional": true}, "q": {}}}"#,
        )
        .expect("an entry");
        let deps = &entry.dependencies;
        // Sorted by name, the later of two duplicates kept, escapes decoded.
        assert_eq!(
            deps.iter().collect::<Vec<_>>(),
            [("", "x"), ("a", "~1"), ("abc", "1.0.0"), ("b", "^3")]
        );
        assert_eq!(deps.len(), 4);
        assert_eq!(deps.get("abc"), Some("1.0.0"));
        assert_eq!(deps.get("b"), Some("^3"));
        assert_eq!(deps.get(""), Some("x"));
        assert_eq!(deps.get("c"), None);
        assert_eq!(deps.get("ab"), None);
        assert!(entry.peer_dependencies.is_empty());
        assert_eq!(entry.peer_dependencies.get("a"), None);
        assert!(entry.peer_dependencies_meta.contains("p"));
        assert!(!entry.peer_dependencies_meta.contains("q"));
        let collected: DepMap = [("z", "1"), ("y", "2")].into_iter().collect();
        assert_eq!(collected.keys().collect::<Vec<_>>(), ["y", "z"]);
        assert_eq!(format!("{collected:?}"), r#"{"y": "2", "z": "1"}"#);
    }

    const V3: &str = r#"{
  "name": "x",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "x", "workspaces": ["packages/*"], "dependencies": { "ms": "^2.1.0" } },
    "node_modules/a": { "resolved": "packages/a", "link": true },
    "node_modules/ms": { "version": "2.1.3" },
    "packages/a": { "version": "1.0.0", "dependencies": { "ms": "~2.0.0" } },
    "packages/a/node_modules/ms": { "version": "2.0.0" }
  }
}"#;

    #[test]
    fn entries_keep_json_object_semantics() {
        // A duplicate key: the later entry wins, as when the object was a map.
        let text = r#"{"lockfileVersion": 3, "packages": {"node_modules/ms": {"version": "1.0.0"}, "node_modules/ms": {"version": "2.0.0"}}}"#;
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        let lock = npm_lockfile(&f).expect("parses");
        assert_eq!(lock.packages.len(), 1);
        assert_eq!(
            lock.packages["node_modules/ms"].version.as_deref(),
            Some("2.0.0")
        );
        // `null` is no entries; an array is an error naming where.
        let f = SourceFile::in_memory(
            "package-lock.json",
            FileKind::NpmLock,
            r#"{"lockfileVersion": 3, "packages": null}"#,
        );
        assert!(npm_lockfile(&f).expect("parses").packages.is_empty());
        let f = SourceFile::in_memory(
            "package-lock.json",
            FileKind::NpmLock,
            r#"{"lockfileVersion": 3, "packages": []}"#,
        );
        assert!(npm_lockfile(&f).is_none());
        assert!(f.error().is_some());
    }

    #[test]
    fn resolves_like_node() {
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, V3);
        let lock = npm_lockfile(&f).expect("parses");
        assert_eq!(
            lock.resolve("", "ms").map(|(k, p)| (k, p.version.clone())),
            Some(("node_modules/ms", Some("2.1.3".into())))
        );
        assert_eq!(
            lock.resolve("packages/a", "ms")
                .map(|(_, p)| p.version.clone()),
            Some(Some("2.0.0".into()))
        );
        let (_, a) = lock.resolve("", "a").expect("link");
        assert_eq!(lock.follow_link(a).version.as_deref(), Some("1.0.0"));
        let span = lock
            .importer_spec_span(V3, "packages/a", Section::Dependencies, "ms")
            .expect("span");
        assert_eq!(&V3[span], "\"~2.0.0\"");
    }

    /// The indexed resolver answers as `resolve` does, for every folder of a lockfile and every
    /// name, including keys that read as an install path more than one way.
    #[test]
    fn the_resolver_answers_as_resolve_does() {
        let text = r#"{"lockfileVersion": 3, "packages": {
          "": {"dependencies": {"a": "1"}},
          "packages/w": {"dependencies": {"a": "1"}},
          "packages/w/node_modules/a": {"version": "2.0.0"},
          "node_modules/a": {"version": "1.0.0"},
          "node_modules/a/node_modules/b": {"version": "1.0.0"},
          "node_modules/b": {"version": "2.0.0"},
          "node_modules/@s/x": {"version": "1.0.0"},
          "node_modules/@s/x/node_modules/@t/y": {"version": "1.0.0"},
          "node_modules/@s/node_modules/b": {"version": "3.0.0"},
          "node_modules/node_modules/b": {"version": "4.0.0"},
          "a//node_modules/b": {"version": "5.0.0"},
          "/node_modules/b": {"version": "7.0.0"},
          "xnode_modules/b": {"version": "6.0.0"}
        }}"#;
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        let lock = npm_lockfile(&f).expect("parses");
        let resolver = lock.resolver();
        let names = [
            "a",
            "b",
            "@s/x",
            "@t/y",
            "node_modules/b",
            "a/node_modules/b",
            "c",
            "",
        ];
        let mut froms: Vec<&str> = lock.packages.keys().map(String::as_str).collect();
        froms.extend(["a/", "a//", "node_modules/@s", "packages/w/"]);
        for from in froms {
            for name in names {
                assert_eq!(
                    resolver.resolve(from, name).map(|(k, _)| k),
                    lock.resolve(from, name).map(|(k, _)| k),
                    "{name} from {from:?}"
                );
            }
        }
        assert_eq!(
            resolver.resolve("packages/w", "a").map(|(k, _)| k),
            Some("packages/w/node_modules/a")
        );

        // And on every edge of every fixture lockfile (the 5,884-entry one among them), from
        // every folder for names installed in more than one place.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut paths = Vec::new();
        lockfiles(&root, &mut paths);
        let mut edges = 0;
        for path in &paths {
            let text = std::fs::read_to_string(path).expect("fixture");
            let file = SourceFile::in_memory(path, FileKind::NpmLock, text);
            let Some(lock) = npm_lockfile(&file) else {
                continue;
            };
            let resolver = lock.resolver();
            for (from, pkg) in &lock.packages {
                let names = pkg
                    .dependencies
                    .keys()
                    .chain(pkg.optional_dependencies.keys())
                    .chain(pkg.peer_dependencies.keys())
                    .chain(pkg.dev_dependencies.keys());
                for name in names {
                    edges += 1;
                    assert_eq!(
                        resolver.resolve(from, name).map(|(k, _)| k),
                        lock.resolve(from, name).map(|(k, _)| k),
                        "{name} from {from:?} in {}",
                        path.display()
                    );
                }
            }
        }
        assert!(edges > 14_000, "edges compared: {edges}");
    }

    /// What [`parent_dir`] computes, written plainly.
    fn parent_dir_plain(dir: &str) -> &str {
        fn up(d: &str) -> &str {
            d.rfind('/').map_or("", |i| &d[..i])
        }
        let mut rest = up(dir);
        if rest
            .rsplit('/')
            .next()
            .is_some_and(|seg| seg.starts_with('@'))
            && up(rest).ends_with("node_modules")
        {
            rest = up(rest);
        }
        if rest == "node_modules" {
            ""
        } else {
            rest.strip_suffix("/node_modules").unwrap_or(rest)
        }
    }

    #[test]
    fn parent_dir_answers_as_written_plainly() {
        let parts = ["", "a", "@s", "@", "node_modules", "x", "@t"];
        // Every path of up to five segments of those, with and without a leading or
        // doubled slash.
        let mut paths = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for p in &paths {
                for part in parts {
                    next.push(if p.is_empty() {
                        part.to_string()
                    } else {
                        format!("{p}/{part}")
                    });
                }
            }
            paths.extend(next);
        }
        for p in &paths {
            assert_eq!(parent_dir(p), parent_dir_plain(p), "{p:?}");
        }
        assert!(paths.len() > 19_000);
    }

    #[test]
    fn parent_dirs_skip_node_modules_and_scopes() {
        assert_eq!(parent_dir("packages/a"), "packages");
        assert_eq!(parent_dir("node_modules/x"), "");
        assert_eq!(parent_dir("a/node_modules/@s/x"), "a");
        assert_eq!(parent_dir("node_modules/@s/x"), "");
        assert_eq!(
            parent_dir("node_modules/x/node_modules/y"),
            "node_modules/x"
        );
        assert_eq!(
            parent_dir("node_modules/@s/x/node_modules/@t/y"),
            "node_modules/@s/x"
        );
    }

    #[test]
    fn v1_is_flattened_with_aliases() {
        let text = r#"{"lockfileVersion": 1, "requires": true, "dependencies": {
          "my-ms": {"version": "npm:ms@2.1.3", "integrity": "sha512-x"},
          "debug": {"version": "4.3.4", "requires": {"ms": "2.1.2"},
                    "dependencies": {"ms": {"version": "2.1.2"}}}}}"#;
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        let lock = npm_lockfile(&f).expect("parses");
        assert!(!lock.records_specs());
        let alias = &lock.packages["node_modules/my-ms"];
        assert_eq!(
            (alias.name.as_deref(), alias.version.as_deref()),
            (Some("ms"), Some("2.1.3"))
        );
        assert_eq!(
            lock.resolve("node_modules/debug", "ms").map(|(k, _)| k),
            Some("node_modules/debug/node_modules/ms")
        );
    }

    /// Flags as npm reads them (JavaScript truthiness): `"bundled": "true"` (a string, as some
    /// tools write it) is bundled, not a parse error. (Hand-made: no real lockfile with it was
    /// found; npm's arborist tests `if (lock.bundled)`.)
    #[test]
    fn flags_are_read_with_javascript_truthiness() {
        let text = r#"{"lockfileVersion": 1, "requires": true, "dependencies": {
          "a": {"version": "1.0.0", "bundled": "true", "dev": 1},
          "b": {"version": "1.0.0", "bundled": "", "optional": null}}}"#;
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        let lock = npm_lockfile(&f).expect("parses");
        let a = &lock.packages["node_modules/a"];
        assert!(a.in_bundle && a.dev);
        let b = &lock.packages["node_modules/b"];
        assert!(!b.in_bundle && !b.optional);
        let v3 = r#"{"lockfileVersion": 3, "packages": {"node_modules/c": {"version": "1.0.0", "inBundle": "true", "link": false}}}"#;
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, v3);
        assert!(npm_lockfile(&f).expect("parses").packages["node_modules/c"].in_bundle);
    }

    #[test]
    fn type_errors_point_into_the_file() {
        let text = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": { \"version\": 1 }\n  }\n}";
        let f = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        assert!(npm_lockfile(&f).is_none());
        let err = f.error().expect("error");
        assert_eq!(f.lines().line_col(text, err.span.start).line, 4, "{err:?}");
    }
}
