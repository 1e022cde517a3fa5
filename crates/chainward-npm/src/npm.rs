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
use chainward_core::{FileKind, ParseError, Project, SharedText, SourceFile};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::manifest::Section;

/// One entry of `packages` (v2/v3), or a v1 `dependencies` entry converted to that shape.
///
/// A large lockfile has thousands of entries, so each keeps its strings in one allocation: the
/// five string fields, then the `bin` names, the four dependency maps (each name followed by
/// its spec) and the optional peers, one after another, with where each ends beside them. That
/// is two allocations per entry instead of one per string and two per map (the model of a
/// 6,000-entry lockfile went from twice the file's size to about its size).
#[derive(Clone)]
pub struct LockPackage {
    /// Every string of the entry, one after another.
    text: Box<str>,
    /// Where each string ends in `text` (each starts where the one before it ends): the
    /// [`FIELDS`] fields, then the parts in [`Part`] order.
    ends: Box<[u32]>,
    /// Where each [`Part`] ends in `ends` (the first starts after the fields).
    parts: [u32; PARTS],
    /// Which of the [`FIELDS`] fields the entry has (bit `i` for field `i`).
    present: u8,
    /// Which of them are not in `text` but in the lockfile's own text, at
    /// `at[i - RESOLVED]`: `resolved` and `integrity` written without escapes, most of an
    /// entry's bytes, are not copied (see [`NpmLockfile::resolved`]).
    in_lockfile: u8,
    at: [(u32, u32); 2],
    pub link: bool,
    /// `dev: true`
    pub dev: bool,
    /// `optional: true`
    pub optional: bool,
    /// `devOptional: true`
    pub dev_optional: bool,
    /// `peer: true`
    pub peer: bool,
    /// `inBundle: true`
    pub in_bundle: bool,
    pub has_install_script: bool,
    pub extraneous: bool,
    /// Byte range of the entry's value in the file text (v2/v3; empty for v1).
    pub span: Range<usize>,
}

/// The string fields, in the order they are kept: name, version, resolved, integrity, license.
const FIELDS: usize = 5;
const NAME: usize = 0;
const VERSION: usize = 1;
const RESOLVED: usize = 2;
const INTEGRITY: usize = 3;
const LICENSE: usize = 4;

/// The lists of an entry, in the order they are kept.
#[derive(Clone, Copy)]
enum Part {
    Bin,
    Dependencies,
    DevDependencies,
    OptionalDependencies,
    PeerDependencies,
    OptionalPeers,
}
const PARTS: usize = 6;

impl Default for LockPackage {
    fn default() -> Self {
        Builder::new(0, 0, [None; FIELDS])
            .finish()
            .unwrap_or_else(|| unreachable!("an empty entry fits"))
    }
}

impl LockPackage {
    /// The strings `ends[range]` ends, as a list.
    fn pieces(&self, range: Range<usize>) -> Pieces<'_> {
        let start = range
            .start
            .checked_sub(1)
            .and_then(|i| self.ends.get(i))
            .copied()
            .unwrap_or(0);
        Pieces {
            text: &self.text,
            ends: self.ends.get(range).unwrap_or_default(),
            start,
        }
    }

    fn field(&self, i: usize) -> Option<&str> {
        (self.present & (1 << i) != 0).then(|| self.pieces(i..i + 1).get(0))
    }

    fn part(&self, part: Part) -> Pieces<'_> {
        let k = part as usize;
        let start = if k == 0 {
            FIELDS
        } else {
            self.parts[k - 1] as usize
        };
        self.pieces(start..self.parts[k] as usize)
    }

    /// The real package name when it differs from the install folder (aliases, workspaces).
    pub fn name(&self) -> Option<&str> {
        self.field(NAME)
    }

    pub fn version(&self) -> Option<&str> {
        self.field(VERSION)
    }

    /// `resolved` or `integrity` as the entry holds it: its place in the lockfile where it
    /// was left there.
    fn debug_field(&self, i: usize) -> Option<String> {
        if self.in_lockfile & (1 << i) == 0 {
            return self.field(i).map(str::to_string);
        }
        let (at, len) = self.at[i - RESOLVED];
        Some(format!("<bytes {at}..{} of the lockfile>", at + len))
    }

    /// `resolved` or `integrity`, from `lockfile` (the text of the lockfile it was read
    /// from) where it was left there.
    fn text_field<'a>(&'a self, i: usize, lockfile: &'a str) -> Option<&'a str> {
        if self.in_lockfile & (1 << i) == 0 {
            return self.field(i);
        }
        let (at, len) = self.at[i - RESOLVED];
        lockfile.get(at as usize..at as usize + len as usize)
    }

    /// The package's declared licence (v2/v3), as npm copied it from its package.json: an SPDX
    /// expression as a rule; the old `{"type": "MIT"}` form is read as its `type`.
    pub fn license(&self) -> Option<&str> {
        self.field(LICENSE)
    }

    /// The commands the package puts in `node_modules/.bin`: the keys of its `bin` map (v2/v3
    /// record it; v1 does not).
    pub fn bin(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.part(Part::Bin).iter()
    }

    pub fn dependencies(&self) -> DepMap<'_> {
        DepMap(self.part(Part::Dependencies))
    }

    pub fn dev_dependencies(&self) -> DepMap<'_> {
        DepMap(self.part(Part::DevDependencies))
    }

    pub fn optional_dependencies(&self) -> DepMap<'_> {
        DepMap(self.part(Part::OptionalDependencies))
    }

    pub fn peer_dependencies(&self) -> DepMap<'_> {
        DepMap(self.part(Part::PeerDependencies))
    }

    /// The names in `peerDependenciesMeta` marked `optional`.
    pub fn peer_dependencies_meta(&self) -> OptionalPeers<'_> {
        OptionalPeers(self.part(Part::OptionalPeers))
    }

    pub fn section(&self, section: Section) -> Option<DepMap<'_>> {
        match section {
            Section::Dependencies => Some(self.dependencies()),
            Section::DevDependencies => Some(self.dev_dependencies()),
            Section::OptionalDependencies => Some(self.optional_dependencies()),
            Section::PeerDependencies => Some(self.peer_dependencies()),
            _ => None,
        }
    }
}

impl std::fmt::Debug for LockPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockPackage")
            .field("name", &self.name())
            .field("version", &self.version())
            .field("resolved", &self.debug_field(RESOLVED))
            .field("integrity", &self.debug_field(INTEGRITY))
            .field("link", &self.link)
            .field("dev", &self.dev)
            .field("optional", &self.optional)
            .field("dev_optional", &self.dev_optional)
            .field("peer", &self.peer)
            .field("in_bundle", &self.in_bundle)
            .field("has_install_script", &self.has_install_script)
            .field("dependencies", &self.dependencies())
            .field("dev_dependencies", &self.dev_dependencies())
            .field("optional_dependencies", &self.optional_dependencies())
            .field("peer_dependencies", &self.peer_dependencies())
            .field("peer_dependencies_meta", &self.peer_dependencies_meta())
            .field("extraneous", &self.extraneous)
            .field("license", &self.license())
            .field("bin", &self.bin().collect::<Vec<_>>())
            .field("span", &self.span)
            .finish()
    }
}

/// Strings kept one after another in an entry's text: string `j` ends at `ends[j]` and starts
/// where the one before it ends (the first at `start`).
#[derive(Clone, Copy)]
struct Pieces<'a> {
    text: &'a str,
    ends: &'a [u32],
    start: u32,
}

impl<'a> Pieces<'a> {
    fn get(&self, j: usize) -> &'a str {
        let start = match j.checked_sub(1) {
            Some(i) => self.ends.get(i).copied().unwrap_or(self.start),
            None => self.start,
        };
        let end = self.ends.get(j).copied().unwrap_or(start);
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(self) -> impl ExactSizeIterator<Item = &'a str> + Clone {
        (0..self.len()).map(move |j| self.get(j))
    }
}

/// A dependency map of an entry (name → spec), sorted by name.
#[derive(Clone, Copy)]
pub struct DepMap<'a>(Pieces<'a>);

impl<'a> DepMap<'a> {
    fn entry(&self, i: usize) -> (&'a str, &'a str) {
        (self.0.get(2 * i), self.0.get(2 * i + 1))
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        let (mut lo, mut hi) = (0, self.len());
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

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + Clone + 'a {
        let map = *self;
        (0..self.len()).map(move |i| map.entry(i))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        self.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() < 2
    }
}

impl std::fmt::Debug for DepMap<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The names in `peerDependenciesMeta` marked `optional`, sorted.
#[derive(Clone, Copy)]
pub struct OptionalPeers<'a>(Pieces<'a>);

impl OptionalPeers<'_> {
    pub fn contains(&self, name: &str) -> bool {
        let (mut lo, mut hi) = (0, self.0.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.0.get(mid).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

impl std::fmt::Debug for OptionalPeers<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// Builds a [`LockPackage`]: the fields, then the parts in order.
struct Builder {
    text: String,
    ends: Vec<u32>,
    parts: [u32; PARTS],
    present: u8,
    /// An offset did not fit in 32 bits (no entry chainward reads is 4 GiB).
    overflow: bool,
}

impl Builder {
    /// A builder with room for `text` bytes and `strings` strings after the fields, given the
    /// fields.
    fn new(text: usize, strings: usize, fields: [Option<&str>; FIELDS]) -> Self {
        let mut builder = Builder {
            text: String::with_capacity(text),
            ends: Vec::with_capacity(FIELDS + strings),
            parts: [0; PARTS],
            present: 0,
            overflow: false,
        };
        for (i, value) in fields.into_iter().enumerate() {
            if value.is_some() {
                builder.present |= 1 << i;
            }
            builder.push(value.unwrap_or_default());
        }
        builder.parts = [u32::try_from(FIELDS).unwrap_or(0); PARTS];
        builder
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        let end = u32::try_from(self.text.len()).unwrap_or_else(|_| {
            self.overflow = true;
            0
        });
        self.ends.push(end);
    }

    /// A part, its strings in order; parts are given in [`Part`] order, any left out empty.
    fn part<'s>(&mut self, part: Part, items: impl IntoIterator<Item = &'s str>) {
        for item in items {
            self.push(item);
        }
        let end = u32::try_from(self.ends.len()).unwrap_or_else(|_| {
            self.overflow = true;
            0
        });
        for later in &mut self.parts[part as usize..] {
            *later = end;
        }
    }

    /// A dependency map: sorted by name, and with duplicate names the last one wins, as in
    /// `JSON.parse`.
    fn map<K: AsRef<str>, S: AsRef<str>>(&mut self, part: Part, mut items: Vec<(K, S)>) {
        // A stable sort keeps duplicates in file order; keep the last of each run.
        items.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let last_of_run = |i: usize| {
            items
                .get(i + 1)
                .is_none_or(|next| next.0.as_ref() != items[i].0.as_ref())
        };
        self.part(
            part,
            (0..items.len())
                .filter(|&i| last_of_run(i))
                .flat_map(|i| [items[i].0.as_ref(), items[i].1.as_ref()]),
        );
    }

    /// The entry, every flag false (they are public fields, set by the caller).
    fn finish(self) -> Option<LockPackage> {
        if self.overflow {
            return None;
        }
        Some(LockPackage {
            text: self.text.into_boxed_str(),
            ends: self.ends.into_boxed_slice(),
            parts: self.parts,
            present: self.present,
            in_lockfile: 0,
            at: [(0, 0); 2],
            link: false,
            dev: false,
            optional: false,
            dev_optional: false,
            peer: false,
            in_bundle: false,
            has_install_script: false,
            extraneous: false,
            span: 0..0,
        })
    }
}

/// An entry as serde reads it, its strings borrowed from the document where they hold no
/// escapes; packed into a [`LockPackage`]. Named as the entry is in serde's messages.
#[derive(Default, Deserialize)]
#[serde(
    rename = "LockPackage",
    expecting = "struct LockPackage",
    rename_all = "camelCase",
    default
)]
struct Raw<'a> {
    #[serde(borrow)]
    name: Option<Borrowed<'a>>,
    #[serde(borrow)]
    version: Option<Borrowed<'a>>,
    #[serde(borrow)]
    resolved: Option<Borrowed<'a>>,
    #[serde(borrow)]
    integrity: Option<Borrowed<'a>>,
    #[serde(deserialize_with = "truthy")]
    link: bool,
    #[serde(deserialize_with = "truthy")]
    dev: bool,
    #[serde(deserialize_with = "truthy")]
    optional: bool,
    #[serde(deserialize_with = "truthy")]
    dev_optional: bool,
    #[serde(deserialize_with = "truthy")]
    peer: bool,
    #[serde(deserialize_with = "truthy")]
    in_bundle: bool,
    #[serde(deserialize_with = "truthy")]
    has_install_script: bool,
    #[serde(borrow)]
    dependencies: Pairs<'a>,
    #[serde(borrow)]
    dev_dependencies: Pairs<'a>,
    #[serde(borrow)]
    optional_dependencies: Pairs<'a>,
    #[serde(borrow)]
    peer_dependencies: Pairs<'a>,
    #[serde(borrow)]
    peer_dependencies_meta: Peers<'a>,
    #[serde(deserialize_with = "truthy")]
    extraneous: bool,
    #[serde(borrow, deserialize_with = "license")]
    license: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "bin_names")]
    bin: Vec<String>,
}

/// The string of an optional field.
fn field<'s>(s: &'s Option<Borrowed<'_>>) -> Option<&'s str> {
    s.as_ref().map(|b| &*b.0)
}

impl Raw<'_> {
    /// The entry packed. `resolved` and `integrity` borrowed from `lockfile` (the text of the
    /// whole lockfile, which the entry was read from) are left there, by place.
    fn pack(self, lockfile: Option<&str>) -> Option<LockPackage> {
        let place = |value: &Option<Borrowed<'_>>| -> Option<(u32, u32)> {
            let (Some(Borrowed(Cow::Borrowed(value))), Some(text)) = (value, lockfile) else {
                return None;
            };
            let at = (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
            if at + value.len() > text.len() {
                return None;
            }
            Some((u32::try_from(at).ok()?, u32::try_from(value.len()).ok()?))
        };
        let at = [place(&self.resolved), place(&self.integrity)];
        // Present, but not copied.
        let copied = |i: usize, value| {
            if at[i].is_some() {
                Some("")
            } else {
                field(value)
            }
        };
        let (resolved, integrity) = (copied(0, &self.resolved), copied(1, &self.integrity));
        let maps = [
            &self.dependencies,
            &self.dev_dependencies,
            &self.optional_dependencies,
            &self.peer_dependencies,
        ];
        let strings = |s: &Option<Borrowed<'_>>| s.as_ref().map_or(0, |b| b.0.len());
        let size = strings(&self.name)
            + strings(&self.version)
            + resolved.map_or(0, str::len)
            + integrity.map_or(0, str::len)
            + self.license.as_ref().map_or(0, |l| l.len())
            + self.bin.iter().map(String::len).sum::<usize>()
            + maps
                .iter()
                .flat_map(|m| m.0.iter())
                .map(|(n, s)| n.len() + s.len())
                .sum::<usize>()
            + self
                .peer_dependencies_meta
                .0
                .iter()
                .map(|n| n.len())
                .sum::<usize>();
        let strings = self.bin.len()
            + 2 * maps.iter().map(|m| m.0.len()).sum::<usize>()
            + self.peer_dependencies_meta.0.len();
        let mut builder = Builder::new(
            size,
            strings,
            [
                field(&self.name),
                field(&self.version),
                resolved,
                integrity,
                self.license.as_deref(),
            ],
        );
        builder.part(Part::Bin, self.bin.iter().map(String::as_str));
        builder.map(Part::Dependencies, self.dependencies.0);
        builder.map(Part::DevDependencies, self.dev_dependencies.0);
        builder.map(Part::OptionalDependencies, self.optional_dependencies.0);
        builder.map(Part::PeerDependencies, self.peer_dependencies.0);
        builder.part(
            Part::OptionalPeers,
            self.peer_dependencies_meta.0.iter().map(|n| &**n),
        );
        let mut pkg = builder.finish()?;
        pkg.link = self.link;
        pkg.dev = self.dev;
        pkg.optional = self.optional;
        pkg.dev_optional = self.dev_optional;
        pkg.peer = self.peer;
        pkg.in_bundle = self.in_bundle;
        pkg.has_install_script = self.has_install_script;
        pkg.extraneous = self.extraneous;
        for (i, place) in at.into_iter().enumerate() {
            if let Some(place) = place {
                pkg.in_lockfile |= 1 << (RESOLVED + i);
                pkg.at[i] = place;
            }
        }
        Some(pkg)
    }
}

impl LockPackage {
    /// The entry whose text is `entry`, a slice of `lockfile` (the text of the whole file).
    pub(crate) fn read(entry: &str, lockfile: &str) -> Result<LockPackage, serde_json::Error> {
        serde_json::from_str::<Raw<'_>>(entry)?
            .pack(Some(lockfile))
            .ok_or_else(|| serde::de::Error::custom(TOO_LARGE))
    }
}

const TOO_LARGE: &str = "a lockfile entry over 4 GiB";

impl<'de> Deserialize<'de> for LockPackage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Raw::deserialize(d)?
            .pack(None)
            .ok_or_else(|| serde::de::Error::custom(TOO_LARGE))
    }
}

/// A dependency map as written: (name, spec) in document order.
#[derive(Default)]
struct Pairs<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Vec<(Cow<'de, str>, Cow<'de, str>)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of dependency names")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // Names and specs borrowed from the document unless they hold escapes.
                let mut items = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((Borrowed(name), Borrowed(spec))) =
                    map.next_entry::<Borrowed<'de>, Borrowed<'de>>()?
                {
                    items.push((name, spec));
                }
                Ok(items)
            }
        }
        Ok(Pairs(d.deserialize_map(Visit)?))
    }
}

/// The names in `peerDependenciesMeta` marked `optional`, sorted.
#[derive(Default)]
struct Peers<'a>(Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Peers<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<Borrowed<'de>, PeerMeta> = BTreeMap::deserialize(d)?;
        Ok(Peers(
            map.into_iter()
                .filter(|(_, meta)| meta.optional)
                .map(|(Borrowed(name), _)| name)
                .collect(),
        ))
    }
}

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

fn bin_names<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    })
}

/// A licence field: a string, or an object with a string `type`; anything else is no licence
/// (never a parse error: the field is informational).
fn license<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a licence")
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_owned())))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut kind = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == "type" {
                    let value: serde_json::Value = map.next_value()?;
                    kind = value.as_str().map(|s| Cow::Owned(s.to_owned()));
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

/// A string borrowed from the document when it has no escapes.
#[derive(Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

/// `peerDependenciesMeta.<name>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PeerMeta {
    optional: bool,
}

/// A parsed npm lockfile.
#[derive(Debug, Clone)]
pub struct NpmLockfile {
    pub lockfile_version: u64,
    pub name: Option<String>,
    /// Keyed by install path: `""` (root), `node_modules/a`, `packages/x`,
    /// `packages/x/node_modules/a`, ...
    pub packages: FastMap<String, Box<LockPackage>>,
    /// The file's text, which the entries' `resolved` and `integrity` are read from.
    pub(crate) text: SharedText,
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
            Some(lock) => Ok(NpmLockfile {
                text: file.share(text),
                ..lock
            }),
            None => Self::parse_slow(file, text),
        }
    }

    /// An entry's `resolved`.
    pub fn resolved<'a>(&'a self, pkg: &'a LockPackage) -> Option<&'a str> {
        pkg.text_field(RESOLVED, &self.text)
    }

    /// An entry's `integrity`.
    pub fn integrity<'a>(&'a self, pkg: &'a LockPackage) -> Option<&'a str> {
        pkg.text_field(INTEGRITY, &self.text)
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
                        LockPackage::read(slice, text)
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
            text: file.share(text),
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
            entry_folders: Vec::with_capacity(n),
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
            resolver.entry_folders.push(own);
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
            && let Some(target) = self.resolved(pkg).and_then(|r| self.packages.get(r))
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
        let span = match crate::npm_split::value_span(slice, path) {
            Some(found) => found?,
            None => json::parse(slice).ok()?.pointer(path)?.span.clone(),
        };
        Some(span.start + range.start..span.end + range.start)
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
    /// Entry number → the number of its own folder (where a climb from it starts).
    entry_folders: Vec<u32>,
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
        let folder = loop {
            if let Some(&id) = self.folders.get(dir) {
                break id;
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent_dir(dir);
        };
        Self::climb(installed, folder, &self.parent)
    }

    /// [`Self::resolve_index`] from the folder of the entry numbered `entry` (its install
    /// path), without hashing that path again: the edges of every entry are resolved this way.
    pub fn resolve_from_entry(&self, entry: u32, name: &str) -> Option<u32> {
        let installed = self.by_name.get(name)?.as_slice();
        if let [(0, index)] = installed {
            return Some(*index);
        }
        let folder = *self.entry_folders.get(entry as usize)?;
        Self::climb(installed, folder, &self.parent)
    }

    /// The install of a name (`installed`, by folder) nearest to `folder`, climbing.
    fn climb(installed: &[(u32, u32)], mut folder: u32, parent: &[u32]) -> Option<u32> {
        while folder != Self::TOP {
            if let Ok(i) = installed.binary_search_by_key(&folder, |a| a.0) {
                return Some(installed[i].1);
            }
            folder = parent.get(folder as usize).copied().unwrap_or(Self::TOP);
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
        // v1 records aliases as `npm:real@1.2.3` and git/url deps as the resolved URL.
        let (mut name, mut version, mut resolved) = (None, None, dep.resolved.as_deref());
        match dep.version.as_deref() {
            Some(v) if v.starts_with("npm:") => {
                let rest = &v[4..];
                let from = usize::from(rest.starts_with('@'));
                if let Some(i) = rest[from..].find('@') {
                    name = Some(&rest[..from + i]);
                    version = Some(&rest[from + i + 1..]);
                }
            }
            Some(v) if v.contains(':') => {
                if resolved.is_none() {
                    resolved = Some(v);
                }
            }
            other => version = other,
        }
        let mut builder = Builder::new(
            0,
            2 * dep.requires.len(),
            [name, version, resolved, dep.integrity.as_deref(), None],
        );
        builder.map(Part::Dependencies, dep.requires.into_iter().collect());
        let Some(mut pkg) = builder.finish() else {
            continue; // over 4 GiB: never in a file chainward reads
        };
        pkg.dev = dep.dev;
        pkg.optional = dep.optional;
        pkg.in_bundle = dep.bundled;
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

    /// Every npm lockfile among the fixtures.
    fn lockfiles() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        chainward_core::testing::files_named(&root, &["package-lock.json", "npm-shrinkwrap.json"])
    }

    /// Where a finding points inside an entry is found by scanning it: the same span as the
    /// parsed entry's, for every entry of every fixture lockfile and the paths findings use,
    /// present or not, and on a hand-made entry with an escaped key, a key given twice (the
    /// last counts), nesting and values of every type.
    #[test]
    fn value_spans_scanned_are_those_parsed() {
        let mut entries: Vec<String> = Vec::new();
        for path in lockfiles() {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let file = SourceFile::in_memory(&path, FileKind::NpmLock, text.clone());
            let Ok(lock) = NpmLockfile::parse_slow(&file, &text) else {
                continue;
            };
            entries.extend(
                lock.packages
                    .values()
                    .filter_map(|p| text.get(p.span.clone()).filter(|s| !s.is_empty()))
                    .map(str::to_string),
            );
        }
        entries.push(r#" {"version": "1.0.0", "dependencies": {"b\u0063": "^1", "b": "^2", "b": {"x": [1, {"y": null}]}}, "optional": true, "n": -1.5e3, "s": "x\"}y", "e": {}} "#.to_string());
        let mut checked = 0;
        for slice in &entries {
            let parsed = json::parse(slice).expect("an entry serde read");
            let mut paths: Vec<Vec<&str>> = [
                &[][..],
                &["version"],
                &["resolved"],
                &["integrity"],
                &["hasInstallScript"],
                &["optional"],
                &["n"],
                &["s"],
                &["e"],
                &["e", "x"],
                &["nope"],
                &["version", "x"],
                &["dependencies", "nope"],
                &["dependencies", "bc"],
                &["dependencies", "b", "x"],
            ]
            .iter()
            .map(|p| p.to_vec())
            .collect();
            for section in ["dependencies", "optionalDependencies", "peerDependencies"] {
                for m in parsed
                    .get(section)
                    .and_then(|d| d.as_object())
                    .unwrap_or_default()
                {
                    paths.push(vec![section, m.key.as_str()]);
                }
            }
            for path in &paths {
                let theirs = parsed.pointer(path).map(|v| v.span.clone());
                let ours = crate::npm_split::value_span(slice, path).expect("scanned");
                assert_eq!(
                    ours,
                    theirs,
                    "{path:?} in {}",
                    &slice[..slice.len().min(200)]
                );
                checked += 1;
            }
        }
        let hand_made = entries.last().expect("one");
        assert_eq!(
            crate::npm_split::value_span(hand_made, &["dependencies", "b", "x"])
                .flatten()
                .map(|r| &hand_made[r]),
            Some("[1, {\"y\": null}]")
        );
        assert!(checked > 10_000, "{checked}");
        // Deeper than the scan goes: left to the parse.
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(150), "]".repeat(150));
        assert_eq!(crate::npm_split::value_span(&deep, &["a"]), None);
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
        let paths = lockfiles();
        assert!(paths.len() >= 20, "fixture lockfiles: {}", paths.len());
        let (mut fast, mut mutants, mut left) = (0, 0, 0);
        let mut damage = chainward_core::testing::Damage::default();
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
            if text.len() > 200_000 {
                continue;
            }
            for (damaged, at) in damage.copies(&text, b"\"{}[],:\\", b"\"{}[],:\\1 n", 60) {
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

    /// The scan finds a pretty-printed entry's end by its closing line. Every layout npm writes
    /// (two spaces, four, a tab, CRLF line ends) and one it does not (no line breaks) agree
    /// with serde and take the fast path; a layout that misleads the closing-line search, and
    /// an entry nested deeper than the scan's limit, are left to serde.
    #[test]
    fn the_scan_reads_every_layout() {
        fn layout(value: &serde_json::Value, indent: &[u8]) -> String {
            use serde::Serialize;
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent);
            let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
            value.serialize(&mut ser).expect("serialized");
            String::from_utf8(out).expect("UTF-8")
        }
        let agree = |text: &str, what: &str| {
            let file = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
            let slow = NpmLockfile::parse_slow(&file, text).expect("serde reads it");
            let fast = crate::npm_split::parse(text, text);
            let fast = fast.unwrap_or_else(|| panic!("{what}: left to serde"));
            let entries = |l: &NpmLockfile| {
                let mut v: Vec<String> = l.packages.iter().map(|e| format!("{e:?}")).collect();
                v.sort();
                v
            };
            assert_eq!(entries(&fast), entries(&slow), "{what}");
            fast.packages.len()
        };
        let mut read = 0;
        for path in lockfiles() {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if !matches!(value["lockfileVersion"].as_u64(), Some(2 | 3)) {
                continue;
            }
            let what = path.display();
            for indent in [&b"  "[..], b"    ", b"\t"] {
                let text = layout(&value, indent);
                read += agree(&text, &format!("{what}, indent {indent:?}"));
                read += agree(&text.replace('\n', "\r\n"), &format!("{what}, CRLF"));
            }
            read += agree(&value.to_string(), &format!("{what}, one line"));
        }
        assert!(read > 1000, "{read} entries read");

        // An inner object closes at the entry's own indent: the first such line is not the
        // entry's end, serde rejects the range, and the document is left to serde.
        let misleading = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\n        \"a\": \"1.0.0\"\n    }\n    },\n    \"node_modules/a\": {\n      \"version\": \"1.0.0\"\n    }\n  }\n}\n";
        let file = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, misleading);
        let slow = NpmLockfile::parse_slow(&file, misleading).expect("serde reads it");
        assert_eq!(slow.packages.len(), 2);
        assert!(crate::npm_split::parse(misleading, misleading).is_none());

        // Every entry's `{` ends its line and none closes on a line of its own: the first search
        // reads to the end and finds nothing, and the rest of the entries are not searched
        // (each search reading to the end would be quadratic: minutes for this file).
        let mut hostile = String::from("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
        for i in 0..40_000 {
            hostile.push_str(&format!(
                "    \"node_modules/p{i}\": {{\n      \"version\": \"1.0.0\"}},\n"
            ));
        }
        hostile.push_str("    \"node_modules/last\": {}\n  }\n}\n");
        let started = std::time::Instant::now();
        assert_eq!(agree(&hostile, "no closing lines"), 40_001);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );

        // Nesting inside an entry: at the scan's limit the fast path reads it, one level deeper
        // it is left to serde (whose limit counts the document's own levels too).
        for (depth, fast) in [
            (crate::npm_split::MAX_DEPTH, true),
            (crate::npm_split::MAX_DEPTH + 1, false),
        ] {
            let nested = format!("{}{}", "[".repeat(depth - 1), "]".repeat(depth - 1));
            let text = format!(
                "{{\n  \"lockfileVersion\": 3,\n  \"packages\": {{\n    \"node_modules/a\": {{\n      \"x\": {nested}\n    }}\n  }}\n}}\n"
            );
            assert_eq!(
                crate::npm_split::parse(&text, &text).is_some(),
                fast,
                "depth {depth}"
            );
        }
    }

    #[test]
    fn dep_map_reads_like_the_object_it_was() {
        let entry: LockPackage = serde_json::from_str(
            r#"{"dependencies": {"b": "^2", "a\u0062c": "1.0.0", "a": "~1", "b": "^3", "": "x"},
                "peerDependencies": {}, "peerDependenciesMeta": {"p": {"optional": true}, "q": {}}}"#,
        )
        .expect("an entry");
        let deps = &entry.dependencies();
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
        assert!(entry.peer_dependencies().is_empty());
        assert_eq!(entry.peer_dependencies().get("a"), None);
        assert!(entry.peer_dependencies_meta().contains("p"));
        assert!(!entry.peer_dependencies_meta().contains("q"));
        assert_eq!(
            format!("{deps:?}"),
            r#"{"": "x", "a": "~1", "abc": "1.0.0", "b": "^3"}"#
        );
    }

    /// `resolved` and `integrity` written without escapes stay in the lockfile's text, by
    /// place; an escaped one is copied. Both read back the same. (Hand-made.)
    #[test]
    fn sources_and_integrities_are_read_from_the_lockfile() {
        let text = r#"{"lockfileVersion": 3, "packages": {
            "node_modules/a": {"version": "1.0.0", "resolved": "https://r/a/-/a-1.0.0.tgz", "integrity": "sha512-\u0041A=="},
            "node_modules/b": {"version": "2.0.0", "resolved": "https://r/b/-/b-2.0.0.tgz", "integrity": "sha512-BB=="},
            "node_modules/c": {"version": "3.0.0"}}}"#;
        let file = SourceFile::in_memory("package-lock.json", FileKind::NpmLock, text);
        let lock = npm_lockfile(&file).expect("parses");
        let a = &lock.packages["node_modules/a"];
        assert_eq!(a.in_lockfile, 1 << RESOLVED);
        assert_eq!(lock.resolved(a), Some("https://r/a/-/a-1.0.0.tgz"));
        assert_eq!(lock.integrity(a), Some("sha512-AA=="));
        let b = &lock.packages["node_modules/b"];
        assert_eq!(b.in_lockfile, 1 << RESOLVED | 1 << INTEGRITY);
        assert_eq!(lock.integrity(b), Some("sha512-BB=="));
        // Only the name and the version are copied.
        assert_eq!(&*b.text, "2.0.0");
        let c = &lock.packages["node_modules/c"];
        assert_eq!((lock.resolved(c), lock.integrity(c)), (None, None));
        // The same, read the slow way (an entry serde reads from the whole document).
        let slow = NpmLockfile::parse_slow(&file, file.text().expect("text")).expect("parses");
        for key in ["node_modules/a", "node_modules/b", "node_modules/c"] {
            let (fast, slow_pkg) = (&lock.packages[key], &slow.packages[key]);
            assert_eq!(lock.resolved(fast), slow.resolved(slow_pkg));
            assert_eq!(lock.integrity(fast), slow.integrity(slow_pkg));
        }
    }

    #[test]
    fn an_entry_keeps_every_string_in_one_place() {
        // Every field and list present, one of them an empty string, one escaped.
        let full: LockPackage = serde_json::from_str(
            r#"{"name": "", "version": "1.0.0", "resolved": "https://r/x/-/x-1.0.0.tgz",
                "integrity": "sha512-\u0041A==", "license": {"type": "MIT"},
                "bin": {"x": "x.js", "a": "a.js"}, "dependencies": {"d": "^1"},
                "devDependencies": {"v": "2", "u": "1"}, "optionalDependencies": {"o": "*"},
                "peerDependencies": {"p": ">=1", "q": "^2"},
                "peerDependenciesMeta": {"q": {"optional": true}}, "dev": true, "link": 1}"#,
        )
        .expect("an entry");
        assert_eq!(full.name(), Some(""));
        assert_eq!(full.version(), Some("1.0.0"));
        // Read without its lockfile: every string copied.
        assert_eq!(full.in_lockfile, 0);
        assert_eq!(
            full.text_field(RESOLVED, ""),
            Some("https://r/x/-/x-1.0.0.tgz")
        );
        assert_eq!(full.text_field(INTEGRITY, ""), Some("sha512-AA=="));
        assert_eq!(full.license(), Some("MIT"));
        assert_eq!(full.bin().collect::<Vec<_>>(), ["a", "x"]);
        assert_eq!(
            full.dependencies().iter().collect::<Vec<_>>(),
            [("d", "^1")]
        );
        assert_eq!(
            full.dev_dependencies().iter().collect::<Vec<_>>(),
            [("u", "1"), ("v", "2")]
        );
        assert_eq!(full.optional_dependencies().get("o"), Some("*"));
        assert_eq!(full.peer_dependencies().len(), 2);
        assert!(full.peer_dependencies_meta().contains("q"));
        assert!(!full.peer_dependencies_meta().contains("p"));
        assert!(full.dev && full.link && !full.optional);
        assert_eq!(
            full.section(Section::DevDependencies).map(|m| m.len()),
            Some(2)
        );

        // Nothing present: every field absent, every list empty.
        let empty: LockPackage = serde_json::from_str("{}").expect("an entry");
        for entry in [&empty, &LockPackage::default()] {
            assert_eq!(
                (
                    entry.name(),
                    entry.version(),
                    entry.text_field(RESOLVED, "")
                ),
                (None, None, None)
            );
            assert_eq!(
                (entry.text_field(INTEGRITY, ""), entry.license()),
                (None, None)
            );
            assert_eq!(entry.bin().count(), 0);
            assert!(entry.dependencies().is_empty() && entry.peer_dependencies().is_empty());
            assert!(!entry.peer_dependencies_meta().contains(""));
        }

        // Only a late list present: the lists before it stay empty.
        let late: LockPackage =
            serde_json::from_str(r#"{"peerDependencies": {"p": "1"}}"#).expect("an entry");
        assert!(late.dependencies().is_empty() && late.bin().count() == 0);
        assert_eq!(late.peer_dependencies().get("p"), Some("1"));

        // serde's messages name the entry as they always did (they reach parse-error findings).
        let err = serde_json::from_str::<LockPackage>(r#""str""#).expect_err("not an entry");
        assert!(
            err.to_string().contains("expected struct LockPackage"),
            "{err}"
        );
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
        assert_eq!(lock.packages["node_modules/ms"].version(), Some("2.0.0"));
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
            lock.resolve("", "ms").map(|(k, p)| (k, p.version())),
            Some(("node_modules/ms", Some("2.1.3")))
        );
        assert_eq!(
            lock.resolve("packages/a", "ms").map(|(_, p)| p.version()),
            Some(Some("2.0.0"))
        );
        let (_, a) = lock.resolve("", "a").expect("link");
        assert_eq!(lock.follow_link(a).version(), Some("1.0.0"));
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
        let paths = lockfiles();
        let mut edges = 0;
        for path in &paths {
            let text = std::fs::read_to_string(path).expect("fixture");
            let file = SourceFile::in_memory(path, FileKind::NpmLock, text);
            let Some(lock) = npm_lockfile(&file) else {
                continue;
            };
            let resolver = lock.resolver();
            let numbers: FastMap<&str, u32> = (0u32..)
                .zip(resolver.entries())
                .map(|(i, (key, _))| (*key, i))
                .collect();
            for (from, pkg) in &lock.packages {
                let names = pkg
                    .dependencies()
                    .keys()
                    .chain(pkg.optional_dependencies().keys())
                    .chain(pkg.peer_dependencies().keys())
                    .chain(pkg.dev_dependencies().keys());
                for name in names {
                    edges += 1;
                    let expected = lock.resolve(from, name).map(|(k, _)| k);
                    assert_eq!(
                        resolver.resolve(from, name).map(|(k, _)| k),
                        expected,
                        "{name} from {from:?} in {}",
                        path.display()
                    );
                    assert_eq!(
                        resolver
                            .resolve_from_entry(numbers[from.as_str()], name)
                            .map(|i| resolver.entry(i).0),
                        expected,
                        "{name} from entry {from:?} in {}",
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
        assert_eq!((alias.name(), alias.version()), (Some("ms"), Some("2.1.3")));
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
