//! One model of every lockfile format: importers (workspace folder → declared specs) and
//! locked packages (name, version, where it resolves from, integrity, flags, edges).
//!
//! pnpm, yarn (classic and berry) and bun lockfiles are read straight into [`Lockfile`]. npm
//! lockfiles keep their own richer shape ([`NpmLockfile`], with Node's folder resolution) and
//! are seen through the same [`PackageView`]s, without a second copy in memory.

use std::collections::BTreeMap;
use std::ops::Range;

use chainward_core::{FileKind, SharedText, SourceFile};
use rayon::iter::Either;
use rayon::prelude::*;

use crate::manifest::Section;
use crate::npm::{NpmLockfile, is_importer};

/// Which package manager wrote a lockfile, and which version of its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockFormat {
    /// package-lock.json / npm-shrinkwrap.json, `lockfileVersion` 1–3.
    Npm(u64),
    /// pnpm-lock.yaml, `lockfileVersion` as written (`6.0`, `9.0`).
    Pnpm(String),
    /// yarn.lock v1 (yarn 1.x).
    YarnClassic,
    /// yarn.lock of yarn 2+ (`__metadata.version`).
    YarnBerry(u64),
    /// bun.lock (text), `lockfileVersion`.
    Bun(u64),
}

impl LockFormat {
    /// The field that records whether a package runs install scripts (pnpm 6: `requiresBuild`).
    pub fn install_script_field(&self) -> &'static str {
        match self {
            LockFormat::Pnpm(_) => "requiresBuild",
            _ => "hasInstallScript",
        }
    }

    /// Whether each importer's dependencies are recorded with the version they resolved to
    /// (pnpm), so the lockfile alone gives the importer's edges.
    pub fn records_importer_versions(&self) -> bool {
        matches!(self, LockFormat::Pnpm(_))
    }

    pub fn manager(&self) -> &'static str {
        match self {
            LockFormat::Npm(_) => "npm",
            LockFormat::Pnpm(_) => "pnpm",
            LockFormat::YarnClassic | LockFormat::YarnBerry(_) => "yarn",
            LockFormat::Bun(_) => "bun",
        }
    }
}

impl std::fmt::Display for LockFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockFormat::Npm(v) => write!(f, "npm lockfile v{v}"),
            LockFormat::Pnpm(v) => write!(f, "pnpm lockfile {v}"),
            LockFormat::YarnClassic => f.write_str("yarn.lock v1"),
            LockFormat::YarnBerry(v) => write!(f, "yarn berry lockfile v{v}"),
            LockFormat::Bun(v) => write!(f, "bun.lock v{v}"),
        }
    }
}

/// A dependency an importer declares, as the lockfile recorded it. Its strings are [`Str`]s: a
/// monorepo's lockfile records thousands of these (3,101 in pnpm/pnpm's), and nearly every name,
/// spec and version fits inline, without an allocation of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ImporterDep {
    pub section: Section,
    pub name: Str,
    /// The spec as written in package.json when the lockfile was made (pnpm `specifier`, bun,
    /// yarn berry workspace entries). `None` when the format does not record it.
    pub specifier: Option<Str>,
    /// What it resolved to (`2.1.3`, `link:../b`, `catalog:` entries resolved).
    pub version: Option<Str>,
    /// Span of the specifier (or of the entry) in the lockfile.
    pub span: Range<usize>,
}

/// One workspace folder's declared dependencies (`""` is the root).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Importer {
    pub deps: Vec<ImporterDep>,
    /// Span of the importer's key, for findings about the whole importer.
    pub span: Range<usize>,
}

impl Importer {
    pub fn dep(&self, name: &str) -> Option<&ImporterDep> {
        self.deps.iter().find(|d| d.name == name)
    }
}

/// A string of a locked package: up to 24 bytes inline (most names, versions and edges), longer
/// ones on the heap.
pub type Str = compact_str::CompactString;

/// The string `t` stands for in a lockfile of this text and these copies; `None` for
/// [`Text::ABSENT`].
fn get<'a>(text: &'a str, copies: &'a [Str], t: Text) -> Option<&'a str> {
    if t.len & COPY != 0 {
        return copies.get(t.at as usize).map(Str::as_str);
    }
    text.get(t.at as usize..t.at as usize + t.len as usize)
}

/// Where `text` holds `value` as it is, given the span it is written at (quotes included, if
/// any): `(offset, length)`, or `None` where the text at the span is anything else (escaped,
/// or not the value at all).
fn place(value: &str, span: Option<&Range<usize>>, text: &str) -> Option<(u32, u32)> {
    let span = span?;
    let written = text.get(span.clone())?;
    let at = if written == value {
        span.start
    } else {
        let quoted = written.len() == value.len() + 2
            && (written.starts_with('"') && written.ends_with('"')
                || written.starts_with('\'') && written.ends_with('\''));
        if !(quoted && &written[1..written.len() - 1] == value) {
            return None;
        }
        span.start + 1
    };
    Some((u32::try_from(at).ok()?, u32::try_from(value.len()).ok()?))
}

/// A string of a lockfile (a package's key, source or integrity, an edge's name or spec) in
/// 8 bytes: bytes `at..at + len` of its text where the text holds it as it is (plain, or quoted
/// without escapes), so that most of an entry's bytes are not copied; or, `len` with [`COPY`]
/// set, copy number `at` of the lockfile's copies (an escaped string, or one made up from
/// several parts: see [`Texts`]); or [`Text::ABSENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Text {
    at: u32,
    len: u32,
}

const COPY: u32 = 1 << 31;

impl Text {
    /// No string (a package recorded without a source): no copy has this number.
    pub(crate) const ABSENT: Text = Text {
        at: u32::MAX,
        len: u32::MAX,
    };

    pub(crate) fn is_absent(self) -> bool {
        self == Text::ABSENT
    }

    /// Where the text holds the string, if it does (not a copy, not absent).
    pub(crate) fn offset(self) -> Option<usize> {
        (self.len & COPY == 0).then_some(self.at as usize)
    }

    /// A copy's number moved up by `shift` (its copies appended to others: [`Texts::append`]).
    fn shifted(self, shift: u32) -> Text {
        if self.len & COPY == 0 || self.is_absent() {
            return self;
        }
        Text {
            // Never ABSENT (see [`Texts::copy`]).
            at: self.at.saturating_add(shift).min(u32::MAX - 1),
            len: self.len,
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::ABSENT
    }
}

/// An edge of a locked package: a dependency's name and its spec (or locked version), each
/// where the lockfile writes it: 16 bytes (as two strings, an edge took 48).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Edge {
    pub(crate) name: Text,
    pub(crate) spec: Text,
}

/// The [`Text`]s of a lockfile being read: its text, and a copy of each string it does not
/// hold as it is (an escaped one).
pub(crate) struct Texts<'a> {
    text: &'a str,
    copies: Vec<Str>,
}

impl<'a> Texts<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Texts {
            text,
            copies: Vec::new(),
        }
    }

    /// `value`, which the text has at `span` (quotes included, if any): kept by place where
    /// the text holds it as it is there, else copied (see [`Text`]).
    pub(crate) fn read(&mut self, value: &str, span: Option<&Range<usize>>) -> Text {
        match place(value, span, self.text) {
            Some((at, len)) if len < COPY => Text { at, len },
            _ => self.copy(value),
        }
    }

    /// Where the text holds `value` as it is, given the span it is written at (quotes
    /// included, if any); `None` where it does not (see [`place`]).
    pub(crate) fn offset_of(&self, value: &str, span: Option<&Range<usize>>) -> Option<usize> {
        place(value, span, self.text).map(|(at, _)| at as usize)
    }

    /// `part`, a slice of `whole`: kept by place when the text holds `whole` as it is at
    /// `whole_at`, else copied.
    pub(crate) fn within(&mut self, whole_at: Option<usize>, whole: &str, part: &str) -> Text {
        let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize);
        match (whole_at, offset) {
            (Some(at), Some(offset)) if offset + part.len() <= whole.len() => {
                match (u32::try_from(at + offset), u32::try_from(part.len())) {
                    (Ok(at), Ok(len)) if len < COPY => Text { at, len },
                    _ => self.copy(part),
                }
            }
            _ => self.copy(part),
        }
    }

    /// `value`, not written as it is in the text: copied.
    pub(crate) fn copy(&mut self, value: impl Into<Str>) -> Text {
        // Past `u32::MAX - 1` copies (more than memory holds), the last number: never ABSENT.
        let at = u32::try_from(self.copies.len()).map_or(u32::MAX - 1, |n| n.min(u32::MAX - 1));
        self.copies.push(value.into());
        Text { at, len: COPY }
    }

    /// `other`'s copies after these: the number [`Package::shift_copies`] adds to the copy
    /// numbers of what `other` read.
    pub(crate) fn append(&mut self, other: Texts<'a>) -> u32 {
        let shift = u32::try_from(self.copies.len()).unwrap_or(u32::MAX - 1);
        self.copies.extend(other.copies);
        shift
    }

    /// The string `t` stands for (`""` for [`Text::ABSENT`]).
    pub(crate) fn get(&self, t: Text) -> &str {
        get(self.text, &self.copies, t).unwrap_or_default()
    }

    pub(crate) fn edge(
        &mut self,
        (name, name_span): (&str, Option<&Range<usize>>),
        (spec, spec_span): (&str, Option<&Range<usize>>),
    ) -> Edge {
        Edge {
            name: self.read(name, name_span),
            spec: self.read(spec, spec_span),
        }
    }

    /// The lockfile read with these texts (see [`Lockfile::new`]).
    pub(crate) fn lockfile(
        self,
        format: LockFormat,
        importers: BTreeMap<String, Importer>,
        packages: Vec<Package>,
        file: &SourceFile,
    ) -> Lockfile {
        let mut lock = Lockfile::new(format, importers, packages, file.share(self.text));
        lock.copies = self.copies;
        lock
    }
}

/// A byte range of a lockfile's text in 8 bytes (a `Range<usize>` takes 16, and an
/// `Option` of one 24): three in each of thousands of packages. [`Span::range`] gives it back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Past 4 GiB (no lockfile chainward reads is that large), the end of that range.
impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Span {
            start: at(r.start),
            end: at(r.end),
        }
    }
}

/// A locked package (pnpm, yarn, bun).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    /// The entry's key as written in the lockfile (`ms@2.1.3`, `"ms@^2.1.0", ms@^2.0.0`).
    /// Read with [`Lockfile::key`].
    pub(crate) key: Text,
    /// The package's name. Read with [`Lockfile::name`].
    pub(crate) name: Text,
    /// The locked version; absent (or empty) where the entry records none. Read with
    /// [`Lockfile::version`].
    pub(crate) version: Text,
    /// Where it is fetched from: a tarball URL, `git+https://…#sha`, `file:…`, `link:…`,
    /// `workspace:…`. Absent for a registry package recorded without its URL. Read with
    /// [`Lockfile::resolved`].
    pub(crate) resolved: Text,
    /// SRI integrity (`sha512-…`), or yarn berry's `checksum` (`10c0/<hex>`). Read with
    /// [`Lockfile::integrity`].
    pub(crate) integrity: Text,
    /// `Some(true)` for dev-only packages where the format records it (pnpm 6).
    pub dev: Option<bool>,
    pub optional: bool,
    /// Restricted to some platforms (`os`, `cpu` or `libc` recorded).
    pub platform: bool,
    /// Whether the package runs install scripts, where the format records it.
    pub has_install_script: Option<bool>,
    /// A workspace member or a linked folder, not fetched.
    pub link: bool,
    /// Edges: dependency name → spec (or locked version, as the format records it). Read
    /// with [`Lockfile::edges`].
    pub(crate) dependencies: Box<[Edge]>,
    /// The names among `dependencies` that are optional edges, sorted: yarn classic's
    /// `optionalDependencies:`, yarn berry's `dependenciesMeta.<name>.optional`, bun's
    /// `optionalDependencies` (pnpm flags the packages themselves instead).
    pub optional_dependencies: Vec<Str>,
    /// Descriptors (`name@range`) that resolve to this entry (yarn). Read with
    /// [`Lockfile::descriptors`].
    pub(crate) descriptors: Box<[Text]>,
    /// Span of the key.
    pub span: Span,
    /// Where `resolved` and `integrity` are written (quotes included).
    pub resolved_span: Option<Span>,
    pub integrity_span: Option<Span>,
}

impl Package {
    /// Every string of the package that is a copy, its number moved up by `shift` (see
    /// [`Texts::append`]).
    pub(crate) fn shift_copies(&mut self, shift: u32) {
        if shift == 0 {
            return;
        }
        for t in [
            &mut self.key,
            &mut self.name,
            &mut self.version,
            &mut self.resolved,
            &mut self.integrity,
        ]
        .into_iter()
        .chain(self.descriptors.iter_mut())
        {
            *t = t.shifted(shift);
        }
        for edge in self.dependencies.iter_mut() {
            edge.name = edge.name.shifted(shift);
            edge.spec = edge.spec.shifted(shift);
        }
    }
}

/// A catalog entry of a pnpm lockfile: `catalogs.<catalog>.<name>`.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    pub specifier: String,
    pub version: Option<String>,
    pub span: Range<usize>,
}

/// A pnpm, yarn or bun lockfile in the common shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Lockfile {
    pub format: LockFormat,
    /// Keyed by folder relative to the lockfile, `/`-separated; `""` for the root.
    pub importers: BTreeMap<String, Importer>,
    pub packages: Vec<Package>,
    /// pnpm: `catalogs` (`default` for the unnamed `catalog`).
    pub catalogs: BTreeMap<String, BTreeMap<String, CatalogEntry>>,
    /// Whether the lockfile records importers' specs (so sync against package.json can be
    /// judged). yarn classic does not.
    pub records_importers: bool,
    /// pnpm `settings` (`autoInstallPeers`, `excludeLinksFromLockfile`), as strings.
    pub settings: BTreeMap<String, String>,
    /// pnpm: the `overrides` the lockfile was made with (selector → spec).
    pub overrides: BTreeMap<String, String>,
    /// pnpm: the keys of `patchedDependencies` (`name@version`).
    pub patched: Vec<String>,
    /// The file's text, which the packages' sources and integrities are read from.
    pub(crate) text: SharedText,
    /// The strings of edges the text does not hold as they are (see [`Text`]).
    pub(crate) copies: Vec<Str>,
    /// yarn: every descriptor (and a local source's before its `::locator=`), sorted, with the
    /// package it names: `(package, descriptor number, length)`. Looked up for every dependency
    /// of every workspace's package.json: a search through every package for each was most of
    /// a large yarn check, and grew with the workspaces times the packages.
    by_descriptor: Cached<Box<[(u32, u32, u32)]>>,
    /// The packages' numbers sorted by key (then number), for the same reason.
    by_key: Cached<Box<[u32]>>,
}

/// An index of a lockfile's packages, made when first asked. Equal whatever it holds: a cache
/// of the packages, not part of the lockfile.
#[derive(Debug, Clone, Default)]
struct Cached<T>(std::sync::OnceLock<T>);

impl<T> PartialEq for Cached<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Lockfile {
    /// A lockfile of `format` with these importers and packages, and none of pnpm's extras.
    /// `text` is the file's text (see [`SourceFile::share`]), which `packages` were read from.
    pub fn new(
        format: LockFormat,
        importers: BTreeMap<String, Importer>,
        mut packages: Vec<Package>,
        text: SharedText,
    ) -> Self {
        for pkg in &mut packages {
            pkg.optional_dependencies.sort_unstable();
            pkg.optional_dependencies.dedup();
        }
        Lockfile {
            records_importers: format != LockFormat::YarnClassic,
            format,
            importers,
            packages,
            catalogs: BTreeMap::new(),
            settings: BTreeMap::new(),
            overrides: BTreeMap::new(),
            patched: Vec::new(),
            text,
            copies: Vec::new(),
            by_descriptor: Cached::default(),
            by_key: Cached::default(),
        }
    }

    /// bun: the package a workspace member (named `member`; `None` for the root) gets for
    /// `name`: the member's own copy (keyed `<member>/<name>`), else the hoisted one (`<name>`).
    pub fn bun_package(&self, member: Option<&str>, name: &str) -> Option<&Package> {
        member
            .and_then(|m| self.package_by_key(&format!("{m}/{name}")))
            .or_else(|| self.package_by_key(name))
    }

    /// The first package, in the lockfile's order, whose key is `key`.
    pub fn package_by_key(&self, key: &str) -> Option<&Package> {
        let index = self.by_key.0.get_or_init(|| {
            let mut all: Vec<u32> = (0..self.packages.len())
                .filter_map(|i| u32::try_from(i).ok())
                .collect();
            all.sort_unstable_by(|&a, &b| self.key_of(a).cmp(self.key_of(b)).then(a.cmp(&b)));
            all.into_boxed_slice()
        });
        let at = index.partition_point(|&i| self.key_of(i) < key);
        index
            .get(at)
            .filter(|&&i| self.key_of(i) == key)
            .and_then(|&i| self.packages.get(i as usize))
    }

    fn key_of(&self, package: u32) -> &str {
        self.packages
            .get(package as usize)
            .map_or("", |p| self.key(p))
    }

    /// The first package, in the lockfile's order, with the descriptor `descriptor` (a local
    /// source's also without its `::locator=`).
    pub(crate) fn package_of_descriptor(&self, descriptor: &str) -> Option<usize> {
        self.descriptor_entries(descriptor)
            .first()
            .map(|e| e.0 as usize)
    }

    /// Whether a package has the descriptor `descriptor` (yarn) or, with `locator_less`, has
    /// it before a `::locator=` (berry's local sources).
    pub fn has_descriptor(&self, descriptor: &str, locator_less: bool) -> bool {
        self.descriptor_entries(descriptor)
            .iter()
            .any(|&(package, k, len)| {
                locator_less || self.indexed((package, k, u32::MAX)).len() == len as usize
            })
    }

    /// The entries of the descriptor index that stand for `descriptor`, the first package's
    /// first.
    fn descriptor_entries(&self, descriptor: &str) -> &[(u32, u32, u32)] {
        let index = self.by_descriptor.0.get_or_init(|| {
            let mut all = Vec::new();
            for (i, p) in self.packages.iter().enumerate() {
                for (k, d) in self.descriptors(p).enumerate() {
                    let (i, k) = (u32::try_from(i).ok(), u32::try_from(k).ok());
                    let (Some(i), Some(k)) = (i, k) else { continue };
                    all.push((i, k, u32::try_from(d.len()).unwrap_or(u32::MAX)));
                    if let Some(at) = d.find("::locator=") {
                        all.push((i, k, u32::try_from(at).unwrap_or(u32::MAX)));
                    }
                }
            }
            all.sort_unstable_by(|a, b| self.indexed(*a).cmp(self.indexed(*b)).then(a.0.cmp(&b.0)));
            all.into_boxed_slice()
        });
        let from = index.partition_point(|e| self.indexed(*e) < descriptor);
        let to = from + index[from..].partition_point(|e| self.indexed(*e) == descriptor);
        &index[from..to]
    }

    /// The string an entry of the descriptor index stands for.
    fn indexed(&self, (package, k, len): (u32, u32, u32)) -> &str {
        let d = self.packages[package as usize]
            .descriptors
            .get(k as usize)
            .map_or("", |&t| self.str(t));
        d.get(..len as usize).unwrap_or(d)
    }

    /// A package's edges: (dependency name, spec or locked version), as the lockfile orders
    /// them.
    pub fn edges<'a>(
        &'a self,
        pkg: &'a Package,
    ) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        pkg.dependencies
            .iter()
            .map(|e| (self.str(e.name), self.str(e.spec)))
    }

    fn str(&self, t: Text) -> &str {
        get(&self.text, &self.copies, t).unwrap_or_default()
    }

    /// A package's key, as the lockfile writes it (see [`Package`]).
    pub fn key<'a>(&'a self, pkg: &'a Package) -> &'a str {
        self.str(pkg.key)
    }

    /// A package's name.
    pub fn name<'a>(&'a self, pkg: &'a Package) -> &'a str {
        self.str(pkg.name)
    }

    /// A package's locked version, where the entry records one.
    pub fn version<'a>(&'a self, pkg: &'a Package) -> Option<&'a str> {
        get(&self.text, &self.copies, pkg.version).filter(|v| !v.is_empty())
    }

    /// A package's source (see [`Package`]).
    pub fn resolved<'a>(&'a self, pkg: &'a Package) -> Option<&'a str> {
        get(&self.text, &self.copies, pkg.resolved)
    }

    /// A package's integrity (see [`Package`]).
    pub fn integrity<'a>(&'a self, pkg: &'a Package) -> Option<&'a str> {
        get(&self.text, &self.copies, pkg.integrity)
    }

    /// The descriptors (`name@range`) that resolve to a package (yarn).
    pub fn descriptors<'a>(
        &'a self,
        pkg: &'a Package,
    ) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        pkg.descriptors.iter().map(|&d| self.str(d))
    }

    /// Give back the slack of the vectors grown while parsing (a large lockfile's model is
    /// otherwise up to twice its size).
    pub fn shrink(mut self) -> Self {
        for pkg in &mut self.packages {
            pkg.optional_dependencies.shrink_to_fit();
        }
        self.packages.shrink_to_fit();
        self
    }
}

/// A locked package of any format, borrowed from the parsed lockfile.
#[derive(Debug, Clone, Copy)]
pub struct PackageView<'a> {
    /// The entry's key (npm: install path; others: the lockfile's key).
    pub key: &'a str,
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub resolved: Option<&'a str>,
    pub integrity: Option<&'a str>,
    pub dev: Option<bool>,
    pub optional: bool,
    pub platform: bool,
    pub has_install_script: Option<bool>,
    pub link: bool,
    /// Shipped inside another package's tarball (npm `inBundle`).
    pub bundled: bool,
}

/// Any parsed lockfile.
#[derive(Debug, Clone, Copy)]
pub enum AnyLock<'a> {
    Npm(&'a NpmLockfile),
    Other(&'a Lockfile),
}

impl<'a> AnyLock<'a> {
    pub fn format(&self) -> LockFormat {
        match self {
            AnyLock::Npm(l) => LockFormat::Npm(l.lockfile_version),
            AnyLock::Other(l) => l.format.clone(),
        }
    }

    /// Every locked package (importers and workspace folders excluded), in a stable order.
    pub fn packages(&self) -> Vec<PackageView<'a>> {
        let mut out: Vec<PackageView<'a>> = self.iter_packages().map(|(_, p)| p).collect();
        if let AnyLock::Npm(_) = self {
            out.sort_by(|a, b| a.key.cmp(b.key));
        }
        out
    }

    /// Every locked package, in no particular order and without collecting them (large
    /// lockfiles): with its index in [`Lockfile::packages`] for the non-npm formats (0 for npm).
    pub fn iter_packages(&self) -> Box<dyn Iterator<Item = (usize, PackageView<'a>)> + 'a> {
        match *self {
            AnyLock::Npm(lock) => Box::new(
                lock.packages
                    .iter()
                    .filter_map(move |(key, p)| lock.package_view(key, p)),
            ),
            AnyLock::Other(lock) => {
                Box::new(lock.packages.iter().map(|p| lock.view(p)).enumerate())
            }
        }
    }

    /// [`Self::iter_packages`] on every core, each entry's view made on the core that reads it
    /// (for a large npm lockfile, making the views one after another took a millisecond).
    pub fn par_packages(&self) -> impl ParallelIterator<Item = (usize, PackageView<'a>)> + 'a {
        match *self {
            AnyLock::Npm(lock) => Either::Left(
                lock.packages
                    .par_iter()
                    .filter_map(move |(key, p)| lock.package_view(key, p)),
            ),
            AnyLock::Other(lock) => {
                Either::Right(lock.packages.par_iter().map(|p| lock.view(p)).enumerate())
            }
        }
    }
}

impl Lockfile {
    /// The format-independent view of one of its packages.
    pub fn view<'a>(&'a self, pkg: &'a Package) -> PackageView<'a> {
        PackageView {
            key: self.key(pkg),
            name: self.name(pkg),
            version: self.version(pkg),
            resolved: self.resolved(pkg),
            integrity: self.integrity(pkg),
            dev: pkg.dev,
            optional: pkg.optional,
            platform: pkg.platform,
            has_install_script: pkg.has_install_script,
            link: pkg.link,
            bundled: false,
        }
    }
}

impl crate::npm::NpmLockfile {
    /// An entry as [`AnyLock::iter_packages`] gives it (0, then its view); `None` for an
    /// importer.
    fn package_view<'a>(
        &'a self,
        key: &'a str,
        p: &'a crate::npm::LockPackage,
    ) -> Option<(usize, PackageView<'a>)> {
        (!is_importer(key)).then(|| (0, self.view(key, p)))
    }

    /// The format-independent view of the entry `key` of this lockfile.
    pub fn view<'a>(&'a self, key: &'a str, p: &'a crate::npm::LockPackage) -> PackageView<'a> {
        PackageView {
            key,
            name: p.name().unwrap_or_else(|| crate::npm::installed_name(key)),
            version: p.version(),
            resolved: self.resolved(p),
            integrity: self.integrity(p),
            dev: Some(p.dev || p.dev_optional),
            optional: p.optional || p.dev_optional,
            platform: false,
            has_install_script: (self.lockfile_version >= 2).then_some(p.has_install_script),
            link: p.link,
            bundled: p.in_bundle,
        }
    }
}

/// The parsed lockfile of `file`, whatever its format; `None` for non-lockfiles, `bun.lockb`
/// (binary) and files that failed to parse (the error is on the file).
pub fn any_lockfile(file: &SourceFile) -> Option<AnyLock<'_>> {
    match file.kind {
        FileKind::NpmLock | FileKind::NpmShrinkwrap => {
            crate::npm::npm_lockfile(file).map(AnyLock::Npm)
        }
        FileKind::PnpmLock => crate::pnpm::pnpm_lockfile(file).map(AnyLock::Other),
        FileKind::YarnLock => crate::yarn::yarn_lockfile(file).map(AnyLock::Other),
        FileKind::BunLock => crate::bun::bun_lockfile(file).map(AnyLock::Other),
        _ => None,
    }
}

/// The lockfile of any format covering the package.json at `manifest`, and the importer key of
/// that package.json in it (`""` for the root, `packages/a` for a workspace member). npm's
/// lockfiles are looked for first (with npm's rules, see [`crate::npm::lockfile_for`]), then
/// pnpm-lock.yaml, bun.lock and yarn.lock in the package.json's folder and upwards; a workspace
/// member is covered when the lockfile has an importer for it (yarn classic records none, so
/// its root lockfile covers every member).
pub fn any_lockfile_for(
    project: &chainward_core::Project,
    manifest: &std::path::Path,
) -> Option<(std::sync::Arc<SourceFile>, String)> {
    if let Some(found) = crate::npm::lockfile_for(project, manifest) {
        return Some(found);
    }
    let dir = manifest.parent().unwrap_or(std::path::Path::new("."));
    for (folder, importer) in crate::npm::ancestors(dir) {
        for name in ["pnpm-lock.yaml", "bun.lock", "yarn.lock"] {
            let candidate = if folder == std::path::Path::new(".") {
                std::path::PathBuf::from(name)
            } else {
                folder.join(name)
            };
            let Some(file) = project.file_at(&candidate) else {
                continue;
            };
            // A member's own lockfile that its workspace root's lockfile shadows is not the one
            // installs read: look further up.
            if importer.is_empty()
                && crate::workspaces::shadowing_root(project, &folder, name).is_some()
            {
                continue;
            }
            if importer.is_empty() {
                return Some((file, importer));
            }
            let AnyLock::Other(lock) = any_lockfile(&file)? else {
                return None;
            };
            return (!lock.records_importers || lock.importers.contains_key(&importer))
                .then_some((file, importer));
        }
    }
    None
}

/// Whether `name` can be an npm package name: `name` or `@scope/name`, each part made of
/// letters, digits and `-._~`, not starting with `.`, at most 214 characters in all (npm's
/// limit). Names from lockfiles and the command line pass here before they reach a URL, a cache
/// path or an allowlist, so nothing like `..` or a second `/` gets through.
pub fn is_package_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    };
    name.len() <= 214
        && match name.strip_prefix('@') {
            Some(scoped) => scoped
                .split_once('/')
                .is_some_and(|(scope, rest)| part(scope) && part(rest)),
            None => part(name),
        }
}

/// Split `name@rest` at the `@` after the name (scoped names start with `@`).
pub fn split_name(s: &str) -> Option<(&str, &str)> {
    let from = usize::from(s.starts_with('@'));
    let at = s[from..].find('@')? + from;
    Some((&s[..at], &s[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is kept by place only where the text holds it as it is; anything else is a
    /// copy, so a span that does not hold the value never gives a wrong string. (Hand-made.)
    #[test]
    fn strings_are_kept_by_place_only_where_written_as_they_are() {
        let text = r#"a: sha512-x, b: "https://r/b.tgz", c: 'c d', e: "x\"y""#;
        let at = |s: &str| {
            let i = text.find(s).expect(s);
            i..i + s.len()
        };
        let mut texts = Texts::new(text);
        let cases = [
            ("sha512-x", Some(at("sha512-x")), Some(3)),
            (
                "https://r/b.tgz",
                Some(at(r#""https://r/b.tgz""#)),
                Some(17),
            ),
            ("c d", Some(at("'c d'")), Some(39)),
            // Escaped: written otherwise.
            ("x\"y", Some(at(r#""x\"y""#)), None),
            // A span that holds something else, or none at all.
            ("sha512-y", Some(at("sha512-x")), None),
            ("sha512-x", Some(0..text.len() + 1), None),
            ("v", None, None),
        ];
        let read: Vec<Text> = cases
            .iter()
            .map(|(value, span, _)| texts.read(value, span.as_ref()))
            .collect();
        for ((value, _, offset), &t) in cases.iter().zip(&read) {
            assert_eq!(t.offset(), *offset, "{value}");
            assert!(!t.is_absent(), "{value}");
            assert_eq!(texts.get(t), *value);
        }
        let copied = texts.copy("git+https://h/r#abc");
        assert_eq!(copied.offset(), None);
        assert_eq!(texts.get(copied), "git+https://h/r#abc");
        assert_eq!(get(text, &texts.copies, Text::ABSENT), None);
        assert_eq!(texts.get(Text::ABSENT), "");
    }

    /// yarn classic's and pnpm's sources and integrities are not copied. (Hand-made.)
    #[test]
    fn lockfile_fields_are_read_from_the_text() {
        let yarn = "ms@^2:\n  version \"2.1.3\"\n  resolved \"https://r/ms/-/ms-2.1.3.tgz#abc\"\n  integrity sha512-ms==\n";
        let pnpm = "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n\npackages:\n\n  ms@2.1.3:\n    resolution: {integrity: sha512-ms==, tarball: 'https://r/ms.tgz'}\n\nsnapshots:\n\n  ms@2.1.3: {}\n";
        for (name, kind, text, resolved) in [
            (
                "yarn.lock",
                FileKind::YarnLock,
                yarn,
                "https://r/ms/-/ms-2.1.3.tgz#abc",
            ),
            (
                "pnpm-lock.yaml",
                FileKind::PnpmLock,
                pnpm,
                "https://r/ms.tgz",
            ),
        ] {
            let f = SourceFile::in_memory(name, kind, text);
            let Some(AnyLock::Other(lock)) = any_lockfile(&f) else {
                panic!("{name} parses");
            };
            let ms = &lock.packages[0];
            assert!(
                [ms.key, ms.resolved, ms.integrity]
                    .iter()
                    .all(|t| t.offset().is_some()),
                "{name}"
            );
            assert_eq!(
                (lock.resolved(ms), lock.integrity(ms)),
                (Some(resolved), Some("sha512-ms=="))
            );
        }
    }

    /// The descriptor index names the package the search through every package named: the
    /// first, in the lockfile's order, with the descriptor, or whose local source's descriptor
    /// is it before its `::locator=` (and whether any has it, whole or not). On every fixture
    /// yarn.lock (classic and berry), for every descriptor, its part before a locator, and
    /// descriptors no package has.
    #[test]
    fn descriptors_index_finds_what_a_search_finds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let (mut checked, mut locators) = (0, 0);
        for path in chainward_core::testing::files_named(&root, &["yarn.lock"]) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let file = SourceFile::in_memory(&path, FileKind::YarnLock, text);
            let Some(AnyLock::Other(lock)) = any_lockfile(&file) else {
                continue;
            };
            let search = |c: &str| {
                lock.packages.iter().position(|p| {
                    lock.descriptors(p)
                        .any(|d| d == c || d.split("::locator=").next() == Some(c))
                })
            };
            let mut asked: Vec<String> = vec!["nope@^1".into(), String::new()];
            for p in &lock.packages {
                for d in lock.descriptors(p) {
                    asked.push(d.to_string());
                    if let Some((bare, _)) = d.split_once("::locator=") {
                        asked.push(bare.to_string());
                        locators += 1;
                    }
                    asked.push(format!("{d}x"));
                }
            }
            for c in &asked {
                assert_eq!(
                    lock.package_of_descriptor(c),
                    search(c),
                    "{}: {c}",
                    path.display()
                );
                let whole = lock
                    .packages
                    .iter()
                    .any(|p| lock.descriptors(p).any(|d| d == c));
                assert_eq!(lock.has_descriptor(c, true), search(c).is_some(), "{c}");
                assert_eq!(lock.has_descriptor(c, false), whole, "{c}");
                checked += 1;
            }
        }
        assert!(checked > 5_000 && locators > 0, "{checked} {locators}");
    }

    /// A package found by its key through the index is the one a search finds: the first
    /// with that key, on every fixture pnpm, yarn and bun lockfile, for every key and keys no
    /// package has.
    #[test]
    fn keys_index_finds_what_a_search_finds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut checked = 0;
        let names = ["pnpm-lock.yaml", "yarn.lock", "bun.lock"];
        for path in chainward_core::testing::files_named(&root, &names) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let kind = FileKind::classify(&path.to_string_lossy()).expect("a lockfile");
            let file = SourceFile::in_memory(&path, kind, text);
            let Some(AnyLock::Other(lock)) = any_lockfile(&file) else {
                continue;
            };
            let mut asked: Vec<String> = vec!["nope".into(), String::new()];
            for p in &lock.packages {
                asked.push(lock.key(p).to_string());
                asked.push(format!("{}x", lock.key(p)));
            }
            for k in &asked {
                let search = lock.packages.iter().find(|p| lock.key(p) == k);
                let found = lock.package_by_key(k);
                assert!(
                    match (found, search) {
                        (Some(a), Some(b)) => std::ptr::eq(a, b),
                        (None, None) => true,
                        _ => false,
                    },
                    "{}: {k}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 5_000, "{checked}");
    }

    /// A package's name and version are read where the lockfile writes them (its key, a
    /// descriptor, its resolution or a field), not copied: on every fixture pnpm, yarn and bun
    /// lockfile.
    #[test]
    fn names_and_versions_are_read_in_place() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let (mut placed, mut copied) = (0, Vec::new());
        let names = ["pnpm-lock.yaml", "yarn.lock", "bun.lock"];
        for path in chainward_core::testing::files_named(&root, &names) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let kind = FileKind::classify(&path.to_string_lossy()).expect("a lockfile");
            let file = SourceFile::in_memory(&path, kind, text.clone());
            let Some(AnyLock::Other(lock)) = any_lockfile(&file) else {
                continue;
            };
            for p in &lock.packages {
                for (t, s) in [(p.name, lock.name(p)), (p.version, lock.str(p.version))] {
                    match t.offset() {
                        Some(at) => {
                            assert_eq!(&text[at..at + s.len()], s, "{}", path.display());
                            placed += 1;
                        }
                        None if t.is_absent() => {}
                        None => copied.push(format!("{}: {s}", path.display())),
                    }
                }
            }
        }
        assert!(copied.is_empty(), "{copied:#?}");
        assert!(placed > 2_000, "{placed}");
    }

    /// Thousands of packages are held at once: a field that grows one shows here. (Its strings
    /// are 8-byte places in the text; see [`Text`].)
    #[test]
    fn a_package_stays_small() {
        assert!(std::mem::size_of::<Package>() <= 136);
        assert_eq!(std::mem::size_of::<Text>(), 8);
    }

    #[test]
    fn names_split_after_the_scope() {
        assert_eq!(split_name("ms@2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(
            split_name("@types/node@22.0.0"),
            Some(("@types/node", "22.0.0"))
        );
        assert_eq!(split_name("@types/node"), None);
        assert_eq!(split_name("ms@npm:^2.1.0"), Some(("ms", "npm:^2.1.0")));
    }
}

/// Where a package.json declares a dependency: the file, the span of the spec, the spec.
#[derive(Debug, Clone)]
pub struct Declared {
    pub manifest: std::sync::Arc<SourceFile>,
    pub span: std::ops::Range<usize>,
    pub spec: String,
}

/// The dependencies the project's package.json files declare (the root's and every workspace
/// member's `lockfile` covers), by the package and version the lockfile installs for them: where
/// each is declared (the first declaration, in path order).
pub type DeclaredDependencies = std::collections::HashMap<(String, String), Declared>;

/// See [`DeclaredDependencies`].
pub fn declared(
    project: &chainward_core::Project,
    lockfile: &SourceFile,
    lock: AnyLock<'_>,
) -> DeclaredDependencies {
    let mut out = DeclaredDependencies::new();
    for manifest in project.files() {
        if manifest.kind != FileKind::PackageJson {
            continue;
        }
        let Some((covering, importer)) = any_lockfile_for(project, &manifest.path) else {
            continue;
        };
        if covering.path != lockfile.path {
            continue;
        }
        let Some(pkg) = crate::package_json(manifest) else {
            continue;
        };
        let member = pkg.name();
        for section in [
            crate::Section::Dependencies,
            crate::Section::DevDependencies,
            crate::Section::OptionalDependencies,
        ] {
            for entry in pkg.deps(section) {
                let Some(spec) = entry.spec else { continue };
                if let Ok(locked) = lock.locked(&importer, member, entry.name, spec) {
                    out.entry((locked.name, locked.version))
                        .or_insert_with(|| Declared {
                            manifest: std::sync::Arc::clone(manifest),
                            span: entry.spec_span.clone(),
                            spec: spec.to_string(),
                        });
                }
            }
        }
    }
    out
}
