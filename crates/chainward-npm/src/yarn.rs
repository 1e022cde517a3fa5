//! yarn.lock: classic (v1, yarn's own indented format) and berry (yarn 2+, YAML with
//! `__metadata`), into the common [`Lockfile`] model.

use std::collections::BTreeMap;

use chainward_core::yaml::{self, Yaml};
use chainward_core::{ParseError, SourceFile};

use crate::lockfile::{
    Edge, Importer, ImporterDep, LockFormat, Lockfile, Package, Str, Text, Texts, split_name,
};
use crate::manifest::Section;

pub fn parse(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Berry files are YAML with `__metadata` (a line starting with it); classic files say
    // `# yarn lockfile v1`.
    let b = body.as_bytes();
    let is_berry = ["__metadata:", "\"__metadata\":"]
        .iter()
        .any(|key| memchr::memmem::find_iter(b, key).any(|at| at == 0 || b[at - 1] == b'\n'));
    if is_berry {
        parse_berry(file, text)
    } else {
        parse_classic(file, text)
    }
}

/// The cached parse of a yarn.lock.
pub fn yarn_lockfile(file: &SourceFile) -> Option<&Lockfile> {
    file.parsed(|f, t| parse(f, t).map(Lockfile::shrink))
}

/// How many lines of `text` start with neither a space nor `#` and are not blank: at most
/// one more than the entries of either format (berry's `__metadata`).
fn unindented_lines(text: &str) -> usize {
    let b = text.as_bytes();
    usize::from(unindented_at(b, 0))
        + memchr::memchr_iter(b'\n', b)
            .filter(|&nl| unindented_at(b, nl + 1))
            .count()
}

/// Whether the line starting at `at` starts with neither a space nor `#` and is not blank.
fn unindented_at(b: &[u8], at: usize) -> bool {
    b.get(at)
        .is_some_and(|c| !matches!(c, b' ' | b'#' | b'\n' | b'\r'))
}

// ---------------------------------------------------------------------------------------------
// classic

/// One token of a classic line: a quoted string (unescaped) or a bare word.
fn token(s: &str) -> Option<(Str, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        // Nearly every string has no escape: copied whole, into a string of its own size
        // (pushed a character at a time, an 88-byte integrity took a 128-byte string).
        if let Some(end) = memchr::memchr2(b'"', b'\\', rest.as_bytes())
            && rest.as_bytes()[end] == b'"'
        {
            return Some((Str::from(&rest[..end]), &rest[end + 1..]));
        }
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        out.push(e);
                    }
                }
                '"' => return Some((out.into(), &rest[i + 1..])),
                c => out.push(c),
            }
        }
        None
    } else {
        let end = s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
        Some((Str::from(&s[..end]), &s[end..]))
    }
}

/// `"a@^1", a@^1.2:` → the descriptors, each with where the key writes it (quotes included),
/// as a range of the key.
fn descriptors(key: &str) -> Option<Vec<(Str, std::ops::Range<usize>)>> {
    let mut out = Vec::new();
    let mut rest = key;
    loop {
        let start = key.len() - rest.trim_start().len();
        let (tok, after) = token(rest)?;
        let end = key.len() - after.len();
        let after = after.trim_start();
        let more = tok.ends_with(',');
        out.push(if more {
            let value = tok.trim_end_matches(',');
            let end = end - (tok.len() - value.len());
            (Str::from(value), start..end)
        } else {
            (tok, start..end)
        });
        if more {
            rest = after;
            continue;
        }
        match after.strip_prefix(',') {
            Some(more) => rest = more,
            None if after.is_empty() => return Some(out),
            None => return None,
        }
    }
}

/// A classic lockfile at least this long is read in pieces, on every core.
const PARALLEL_FROM: usize = 256 * 1024;
/// About how long each piece is: small enough that the cores finish close together.
const PIECE: usize = 64 * 1024;

fn parse_classic(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    let size = if text.len() < PARALLEL_FROM {
        usize::MAX
    } else {
        PIECE
    };
    parse_classic_in(file, text, &classic_pieces(text, size))
}

/// `text` cut into pieces of about `size` bytes, each but the first starting at an entry
/// header (an unindented line that is neither blank nor a comment), so that a piece reads on
/// its own as it does within the whole: a header ends the entry before it, and nothing of that
/// entry is read past it. Each piece comes with its count of [`unindented_lines`]: its
/// entries, but for a line the count and the reading take differently.
fn classic_pieces(text: &str, size: usize) -> Vec<(std::ops::Range<usize>, usize)> {
    let b = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let end = match start.checked_add(size).filter(|&at| at < b.len()) {
            // The first header at or past `at`.
            Some(at) => memchr::memchr_iter(b'\n', &b[at - 1..])
                .map(|nl| at + nl)
                .find(|&line| unindented_at(b, line))
                .unwrap_or(b.len()),
            None => b.len(),
        };
        pieces.push((start..end, unindented_lines(&text[start..end])));
        start = end;
    }
    pieces
}

/// Where a piece's entries go: the slots counted for it, in the list of every entry, then a
/// list of its own should it have more entries than counted.
struct Sink<'s> {
    slots: &'s mut [Package],
    filled: usize,
    more: Vec<Package>,
}

impl Sink<'_> {
    fn push(&mut self, package: Package) {
        match self.slots.get_mut(self.filled) {
            Some(slot) => {
                *slot = package;
                self.filled += 1;
            }
            None => self.more.push(package),
        }
    }

    fn last_mut(&mut self) -> Option<&mut Package> {
        if self.more.is_empty() {
            let last = self.filled.checked_sub(1)?;
            self.slots.get_mut(last)
        } else {
            self.more.last_mut()
        }
    }
}

/// A piece read: how many of its slots it filled, the entries past them, and its copies.
type Piece<'a> = (usize, Vec<Package>, Texts<'a>);

/// The lockfile `text`, its `pieces` (see [`classic_pieces`]) read side by side into one list
/// of entries, sized once: each piece fills its own slots of it. The error is the first the
/// whole text has, as when it is read line by line from the start.
fn parse_classic_in(
    file: &SourceFile,
    text: &str,
    pieces: &[(std::ops::Range<usize>, usize)],
) -> Result<Lockfile, ParseError> {
    let mut packages: Vec<Package> = vec![Package::default(); pieces.iter().map(|p| p.1).sum()];
    let mut slots = Vec::with_capacity(pieces.len());
    let mut rest = packages.as_mut_slice();
    for (_, count) in pieces {
        let (mine, after) = std::mem::take(&mut rest).split_at_mut(*count);
        slots.push(mine);
        rest = after;
    }
    let read = |((range, _), slots): (&(std::ops::Range<usize>, usize), &mut [Package])| {
        let mut sink = Sink {
            slots,
            filled: 0,
            more: Vec::new(),
        };
        read_classic_piece(file, text, range.clone(), &mut sink)
            .map(|texts| (sink.filled, sink.more, texts))
    };
    let read: Vec<Result<Piece<'_>, ParseError>> = if pieces.len() == 1 {
        pieces.iter().zip(slots).map(read).collect()
    } else {
        use rayon::prelude::*;
        pieces.par_iter().zip(slots).map(read).collect()
    };
    let mut texts = Texts::new(text);
    let mut parts = Vec::with_capacity(read.len());
    for piece in read {
        let (filled, more, piece_texts) = piece?;
        parts.push((filled, more, texts.append(piece_texts)));
    }
    // Each piece's copies follow the pieces' before it.
    let mut at = 0;
    let mut exact = true;
    for ((_, count), (filled, more, shift)) in pieces.iter().zip(&mut parts) {
        for pkg in packages[at..at + *filled].iter_mut().chain(more.iter_mut()) {
            pkg.shift_copies(*shift);
        }
        exact &= *filled == *count && more.is_empty();
        at += count;
    }
    if !exact {
        // A line the count took for no entry (a byte-order mark before a comment), or the
        // other way round: the entries gathered in order.
        let mut slots = packages.into_iter();
        let mut gathered = Vec::with_capacity(parts.iter().map(|p| p.0 + p.1.len()).sum());
        for ((_, count), (filled, more, _)) in pieces.iter().zip(parts) {
            let mut mine = slots.by_ref().take(*count);
            gathered.extend(mine.by_ref().take(filled));
            mine.for_each(drop);
            gathered.extend(more);
        }
        packages = gathered;
    }
    for pkg in &mut packages {
        // A local dependency (`file:`/`link:`) has no `resolved` and, by design, no integrity
        // in yarn 1: its source is the folder or tarball the spec names.
        if pkg.resolved.is_absent()
            && let Some(local) = pkg.descriptors.iter().find_map(|&d| {
                split_name(texts.get(d))
                    .map(|(_, range)| range)
                    .filter(|r| r.starts_with("file:") || r.starts_with("link:"))
                    .map(Str::from)
            })
        {
            pkg.link = local.starts_with("link:");
            pkg.resolved = texts.copy(local);
        }
    }
    for pkg in &packages {
        if texts.get(pkg.version).is_empty() {
            return Err(file.parse_error(
                pkg.span.range(),
                format!("entry `{}` has no `version`", texts.get(pkg.key)),
            ));
        }
    }
    Ok(texts.lockfile(LockFormat::YarnClassic, BTreeMap::new(), packages, file))
}

/// The entries of `text[range]`, read line by line into `sink`; the copies made of their
/// strings.
fn read_classic_piece<'a>(
    file: &SourceFile,
    text: &'a str,
    range: std::ops::Range<usize>,
    sink: &mut Sink<'_>,
) -> Result<Texts<'a>, ParseError> {
    let mut section: Option<Str> = None;
    // The edges of the entry being read, moved into it, in a list of their size, when the
    // next entry starts (a list grown edge by edge had room for about twice its edges). The
    // last entry takes this list itself; `Lockfile::shrink` gives back its room.
    let mut edges: Vec<Edge> = Vec::new();
    let mut texts = Texts::new(text);
    let mut offset = range.start;
    let bad = |at: usize, len: usize, m: String| file.parse_error(at..at + len, m);
    for raw in chainward_core::span::lines_inclusive(&text[range]) {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let line = if start == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('\t') {
            return Err(bad(
                start,
                line.len(),
                "tab indentation: not a yarn.lock v1 file".into(),
            ));
        }
        let indent = line.len() - content.len();
        let at = start + indent;
        match indent {
            0 => {
                let Some(key) = content.strip_suffix(':') else {
                    return Err(bad(
                        at,
                        content.len(),
                        format!("expected an entry header like `name@range:`, found `{content}`"),
                    ));
                };
                let descs = descriptors(key)
                    .filter(|d| !d.is_empty() && d.iter().all(|(d, _)| split_name(d).is_some()))
                    .ok_or_else(|| {
                        bad(at, content.len(), format!("malformed entry header `{content}`: expected `name@range` descriptors"))
                    })?;
                // An alias (`my-ms@npm:ms@^2`) installs the real package `ms`.
                let first = &descs[0].0;
                let name = match split_name(first) {
                    Some((_, range)) if range.starts_with("npm:") => {
                        split_name(&range[4..]).map_or(&range[4..], |(n, _)| n)
                    }
                    Some((n, _)) => n,
                    None => "",
                };
                if let Some(last) = sink.last_mut() {
                    last.dependencies = edges.as_slice().into();
                    edges.clear();
                }
                let descriptors: Box<[Text]> = descs
                    .iter()
                    .map(|(d, span)| texts.read(d, Some(&(at + span.start..at + span.end))))
                    .collect();
                // The name is read where the first descriptor writes it.
                let name = texts.within(descriptors[0].offset(), first, name);
                sink.push(Package {
                    key: texts.read(key, Some(&(at..at + key.len()))),
                    name,
                    descriptors,
                    span: (at..at + key.len()).into(),
                    ..Package::default()
                });
                section = None;
            }
            2 => {
                let Some(pkg) = sink.last_mut() else {
                    return Err(bad(
                        at,
                        content.len(),
                        "an indented field before any entry".into(),
                    ));
                };
                if let Some(name) = content.strip_suffix(':') {
                    section = Some(name.into());
                    continue;
                }
                section = None;
                let (field, rest) = token(content)
                    .ok_or_else(|| bad(at, content.len(), "unterminated string".into()))?;
                let value_at =
                    at + content.len() - rest.len() + (rest.len() - rest.trim_start().len());
                let (value, tail) = token(rest)
                    .filter(|(v, _)| !v.is_empty() || rest.trim_start().starts_with('"'))
                    .ok_or_else(|| {
                        bad(at, content.len(), format!("field `{field}` has no value"))
                    })?;
                if !tail.trim().is_empty() {
                    return Err(bad(
                        at,
                        content.len(),
                        format!("unexpected text after the value of `{field}`"),
                    ));
                }
                let value_span = value_at..at + content.len() - tail.len();
                match field.as_str() {
                    "version" => pkg.version = texts.read(&value, Some(&value_span)),
                    "resolved" => {
                        pkg.resolved = texts.read(&value, Some(&value_span));
                        pkg.resolved_span = Some(value_span.into());
                    }
                    "integrity" => {
                        pkg.integrity = texts.read(&value, Some(&value_span));
                        pkg.integrity_span = Some(value_span.into());
                    }
                    _ => {}
                }
            }
            4 => {
                let (Some(pkg), Some(sec)) = (sink.last_mut(), section.as_deref()) else {
                    return Err(bad(
                        at,
                        content.len(),
                        "an indented line outside of a `dependencies:` block".into(),
                    ));
                };
                let (name, rest) = token(content)
                    .ok_or_else(|| bad(at, content.len(), "unterminated string".into()))?;
                let (spec, tail) = token(rest)
                    .ok_or_else(|| bad(at, content.len(), "unterminated string".into()))?;
                if matches!(sec, "dependencies" | "optionalDependencies") {
                    // Where each is written, quotes included.
                    let end = at + content.len();
                    let name_span = at..end - rest.len();
                    let spec_span = end - rest.trim_start().len()..end - tail.len();
                    edges.push(texts.edge((&name, Some(&name_span)), (&spec, Some(&spec_span))));
                    if sec == "optionalDependencies" {
                        pkg.optional_dependencies.push(name);
                    }
                }
            }
            _ => {
                return Err(bad(
                    at,
                    content.len(),
                    format!("unexpected indentation of {indent} spaces"),
                ));
            }
        }
    }
    if let Some(last) = sink.last_mut() {
        last.dependencies = edges.into_boxed_slice();
    }
    Ok(texts)
}

// ---------------------------------------------------------------------------------------------
// berry

fn yerr(file: &SourceFile, node: &Yaml, m: impl Into<String>) -> ParseError {
    file.parse_error(node.span.start..node.span.start, m)
}

fn parse_berry(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    // The entries are read one by one (a large file on both cores), never held as one tree;
    // YAML outside the fast subset goes through the full parser.
    let mut berry = Berry::new(text);
    // Entry keys are the unindented lines: sized up front, the vector never regrows.
    berry.packages.reserve_exact(unindented_lines(text));
    match yaml::stream_entries(text, &mut |k, v| berry.add(file, k, v)) {
        Some(()) => berry.finish(file),
        None => berry_from_tree(file, text),
    }
}

/// A berry lockfile read from its whole tree: for text the entries could not be streamed
/// from (outside the fast subset, where the full parser also gives broken files' messages).
fn berry_from_tree(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    let doc = yaml::parse_machine(text).map_err(|e| file.parse_error(e.span, e.message))?;
    let map = doc
        .as_map()
        .ok_or_else(|| file.parse_error(0..0, "not a yarn lockfile: expected a mapping"))?;
    let mut berry = Berry::new(text);
    berry.packages.reserve_exact(map.len());
    for (k, v) in map {
        berry.add(file, k, v);
    }
    berry.finish(file)
}

/// A berry lockfile read entry by entry, in the file's order.
struct Berry<'a> {
    texts: Texts<'a>,
    packages: Vec<Package>,
    importers: BTreeMap<String, Importer>,
    /// `__metadata.version` (the first `__metadata` entry's), or why it is not a version.
    version: Option<Result<u64, ParseError>>,
    /// The first entry that could not be read.
    error: Option<ParseError>,
}

impl<'a> Berry<'a> {
    fn new(text: &'a str) -> Self {
        Berry {
            texts: Texts::new(text),
            packages: Vec::new(),
            importers: BTreeMap::new(),
            version: None,
            error: None,
        }
    }

    fn add(&mut self, file: &SourceFile, key_node: &Yaml, entry: &Yaml) {
        // `__metadata` is read even after an entry failed: its absence is reported first.
        if key_node.as_str() == Some("__metadata") {
            if self.version.is_none() {
                self.version = Some(
                    entry
                        .get("version")
                        .and_then(Yaml::as_str)
                        .and_then(|v| v.parse::<u64>().ok())
                        .ok_or_else(|| yerr(file, entry, "`__metadata.version` must be a number")),
                );
            }
            return;
        }
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.read(file, key_node, entry) {
            self.error = Some(e);
        }
    }

    /// What a whole tree's reading reports first: the file is not berry's (no version), then
    /// the first entry that could not be read.
    fn finish(mut self, file: &SourceFile) -> Result<Lockfile, ParseError> {
        let version = self.version.take().ok_or_else(|| {
            file.parse_error(0..0, "not a yarn berry lockfile: `__metadata` is missing")
        })??;
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(self.texts.lockfile(
            LockFormat::YarnBerry(version),
            self.importers,
            self.packages,
            file,
        ))
    }

    fn read(&mut self, file: &SourceFile, key_node: &Yaml, entry: &Yaml) -> Result<(), ParseError> {
        let Some(key) = key_node.as_str() else {
            return Err(yerr(file, key_node, "an entry key must be a string"));
        };
        if entry.as_map().is_none() {
            return Err(yerr(
                file,
                entry,
                format!("entry `{key}` must be a mapping"),
            ));
        }
        let texts = &mut self.texts;
        let resolution_node = entry
            .get("resolution")
            .ok_or_else(|| yerr(file, key_node, format!("entry `{key}` has no `resolution`")))?;
        let resolution = resolution_node.as_str().unwrap_or_default();
        let (name, reference) = split_name(resolution).ok_or_else(|| {
            yerr(
                file,
                resolution_node,
                format!("malformed resolution `{resolution}`"),
            )
        })?;
        // The descriptors are read where the key writes them, when the text holds the key as
        // it is.
        let key_text = texts.read(key, Some(&key_node.span));
        let mut from = 0;
        let descriptors = key
            .split(',')
            .map(|d| {
                let within = from + (d.len() - d.trim_start().len());
                from += d.len() + 1;
                let trimmed = d.trim();
                let span = key_text
                    .offset()
                    .map(|at| at + within..at + within + trimmed.len());
                texts.read(trimmed, span.as_ref())
            })
            .collect();
        // The name is read where the resolution writes it.
        let resolution_at = texts.offset_of(resolution, Some(&resolution_node.span));
        let name = texts.within(resolution_at, resolution, name);
        let version = entry
            .get("version")
            .and_then(|n| Some((n.as_str()?, &n.span)))
            .map_or(Text::ABSENT, |(v, span)| texts.read(v, Some(span)));
        let mut pkg = Package {
            key: key_text,
            name,
            version,
            descriptors,
            span: key_node.span.clone().into(),
            ..Package::default()
        };
        if let Some(checksum) = entry.get("checksum") {
            if let Some(value) = checksum.as_str() {
                pkg.integrity = texts.read(value, Some(&checksum.span));
            }
            pkg.integrity_span = Some(checksum.span.clone().into());
        }
        pkg.link = entry.get("linkType").and_then(Yaml::as_str) == Some("soft");
        if let Some(source) = berry_source(reference) {
            pkg.resolved = texts.copy(source);
            pkg.resolved_span = Some(resolution_node.span.clone().into());
        }
        pkg.platform = entry.get("conditions").is_some();
        pkg.optional = pkg.platform;
        let deps = entry
            .get("dependencies")
            .and_then(Yaml::as_map)
            .unwrap_or_default();
        pkg.dependencies = deps
            .iter()
            .filter_map(|(dep, spec)| {
                Some(texts.edge(
                    (dep.as_str()?, Some(&dep.span)),
                    (spec.as_str().unwrap_or_default(), Some(&spec.span)),
                ))
            })
            .collect();
        // `dependenciesMeta: { fsevents: { optional: true } }`: an optional edge.
        if let Some(meta) = entry.get("dependenciesMeta") {
            for (dep, flags) in meta.entries() {
                if flags.get("optional").and_then(Yaml::as_str) == Some("true") {
                    pkg.optional_dependencies.push(dep.into());
                }
            }
        }
        if let Some(path) = reference.strip_prefix("workspace:") {
            let path = if path == "." { "" } else { path };
            let deps = entry
                .get("dependencies")
                .map(|d| d.entries().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|(dep, spec)| ImporterDep {
                    section: Section::Dependencies,
                    name: Str::from(dep),
                    specifier: spec.as_str().map(Into::into),
                    version: None,
                    span: spec.span.clone(),
                })
                .collect();
            self.importers.insert(
                path.to_string(),
                Importer {
                    deps,
                    span: key_node.span.clone(),
                },
            );
        }
        self.packages.push(pkg);
        Ok(())
    }
}

/// Where a berry resolution fetches from: `None` for the registry (`npm:`), a URL for git and
/// tarballs, the protocol reference for workspaces and local folders.
fn berry_source(reference: &str) -> Option<Str> {
    if reference.starts_with("npm:") {
        return None;
    }
    if let Some(inner) = reference.strip_prefix("patch:") {
        // `patch:name@npm%3A1.0.0#…`: the patched package comes from the registry.
        let inner = inner.replace("%3A", ":");
        let (_, base) = split_name(&inner)?;
        return berry_source(base.split('#').next().unwrap_or(base));
    }
    let (url, commit) = match reference.split_once("#commit=") {
        Some((u, c)) => (u, Some(c)),
        None => (reference, None),
    };
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return Some(match commit {
            Some(c) => compact_str::format_compact!("git+{url}#{c}"),
            None => reference.into(),
        });
    }
    Some(reference.into())
}

/// The descriptor a manifest entry `name: range` becomes in a berry lockfile: semver ranges and
/// tags get the default `npm:` protocol.
pub fn berry_descriptor(name: &str, range: &str) -> String {
    let has_protocol = range.split_once(':').is_some_and(|(p, _)| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
    });
    if has_protocol {
        format!("{name}@{range}")
    } else {
        format!("{name}@npm:{range}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826b"
  integrity sha512-abc
  dependencies:
    "@babel/highlight" "^7.12.13"

debug@^4.3.4:
  version "4.4.3"
  resolved "https://registry.yarnpkg.com/debug/-/debug-4.4.3.tgz#c6ae432d"
  integrity sha512-def
  dependencies:
    ms "^2.1.3"
  optionalDependencies:
    fsevents "~2.3.1"
"#;

    #[test]
    fn reads_classic() {
        let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, CLASSIC);
        let lock = yarn_lockfile(&f).expect("parses");
        assert_eq!(lock.format, LockFormat::YarnClassic);
        let babel = &lock.packages[0];
        assert_eq!(lock.name(babel), "@babel/code-frame");
        assert_eq!(
            lock.descriptors(babel).collect::<Vec<_>>(),
            ["@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4"]
        );
        assert_eq!(lock.version(babel), Some("7.12.13"));
        let debug = &lock.packages[1];
        assert_eq!(
            lock.edges(debug).collect::<Vec<_>>(),
            [("ms", "^2.1.3"), ("fsevents", "~2.3.1")]
        );
        assert_eq!(debug.optional_dependencies, ["fsevents"]);
        assert!(lock.packages[0].optional_dependencies.is_empty());
        let span = debug.integrity_span.expect("span");
        assert_eq!(&CLASSIC[span.range()], "sha512-def");
        let span = debug.resolved_span.expect("span");
        assert!(CLASSIC[span.range()].starts_with("\"https://registry.yarnpkg.com/debug"));
    }

    /// Each entry keeps its own edges (they are gathered aside and moved in when the next entry
    /// starts), and quoted strings read the same with or without escapes. (Hand-made.)
    #[test]
    fn classic_edges_stay_with_their_entry() {
        let text = "a@^1:\n  version \"1.0.0\"\n  dependencies:\n    b \"^1\"\n    \"@s/c\" \"^2\"\n\nb@^1:\n  version \"1.0.0\"\n\n\"c@^2\", c@~2:\n  version \"2.0.0\"\n  dependencies:\n    d \"say \\\"hi\\\" \\\\ there\"\n";
        let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, text);
        let lock = yarn_lockfile(&f).expect("parses");
        let edges: Vec<Vec<(&str, &str)>> = lock
            .packages
            .iter()
            .map(|p| lock.edges(p).collect())
            .collect();
        assert_eq!(
            edges,
            [
                vec![("b", "^1"), ("@s/c", "^2")],
                vec![],
                vec![("d", "say \"hi\" \\ there")],
            ]
        );
        // Written as they are, quoted or not, edges are kept by place; the escaped spec is
        // the one copy.
        assert_eq!(lock.copies, ["say \"hi\" \\ there"]);
        assert_eq!(
            lock.descriptors(&lock.packages[2]).collect::<Vec<_>>(),
            ["c@^2", "c@~2"]
        );
        assert_eq!(token("\"x\\\"y\" z"), Some(("x\"y".into(), " z")));
        assert_eq!(token("\"x y\" z"), Some(("x y".into(), " z")));
        assert_eq!(token("\"x\\\""), None);
    }

    /// Read in pieces on every core, a classic lockfile reads as it does line by line from
    /// the start: the same entries, copies and first error, however it is cut.
    #[test]
    fn classic_read_in_pieces_is_read_line_by_line() {
        let mut texts = chainward_core::testing::fixture_texts(&["yarn.lock"]);
        texts.retain(|(_, t)| !t.contains("__metadata:"));
        assert!(
            texts.iter().any(|(_, t)| t.len() > 1_000_000),
            "the bench's yarn lockfile"
        );
        let escaped = "\"a\\\"b@^1\", c@^1:\n  version \"1.0.0\"\n  resolved \"x\\\"y\"\n  dependencies:\n    \"d\\\"e\" \"^1\"\n";
        for (name, text) in [
            ("CLASSIC", CLASSIC.to_string()),
            // A byte-order mark before a comment: a line counted for an entry that is not one.
            ("bom", format!("\u{feff}{CLASSIC}")),
            (
                "bom header",
                format!(
                    "\u{feff}{}",
                    &CLASSIC[CLASSIC.find("\"@babel").expect("entry")..]
                ),
            ),
            // Lines starting with a carriage return: entries the count leaves out.
            ("cr", CLASSIC.replace("\ndebug@", "\n\rdebug@")),
            ("cr blank", CLASSIC.replace("\n\n", "\n\r\n")),
            // Escaped strings: copies, numbered across pieces.
            ("escaped", format!("{escaped}\n{CLASSIC}\n{escaped}")),
            ("tab", CLASSIC.replace("\ndebug@", "\n\tdebug@")),
            ("no version", CLASSIC.replace("  version \"4.4.3\"\n", "")),
        ] {
            texts.push((name.to_string(), text));
        }
        let read = |text: &str, size: usize| {
            let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, text);
            parse_classic_in(&f, text, &classic_pieces(text, size))
        };
        let sizes = [1, 2, 50, 333, 4096, PIECE];
        let mut damage = chainward_core::testing::Damage::default();
        let (mut cut, mut damaged, mut read_ok) = (0, 0, 0);
        for (name, text) in &texts {
            let whole = read(text, usize::MAX);
            for size in sizes {
                cut += usize::from(classic_pieces(text, size).len() > 1);
                assert!(read(text, size) == whole, "{name} in pieces of {size}");
            }
            if text.len() > 200_000 {
                continue;
            }
            for (copy, at) in damage.copies(text, b"\n :\"#\\,@", b" \t\n#:x\r\"\\,", 60) {
                let whole = read(&copy, usize::MAX);
                damaged += 1;
                read_ok += usize::from(whole.is_ok());
                for size in [1, 50] {
                    assert!(
                        read(&copy, size) == whole,
                        "{name} damaged at {at}, in pieces of {size}: {:?}",
                        copy.get(at.saturating_sub(60)..(at + 60).min(copy.len()))
                    );
                }
            }
        }
        // Every text was cut, and the damaged copies both read and failed.
        assert!(cut > texts.len() * 3, "{cut}");
        assert!(
            damaged > 500 && read_ok > 50 && read_ok < damaged,
            "{read_ok} of {damaged}"
        );
        // A large lockfile is read in pieces; a small one whole.
        let large = texts
            .iter()
            .map(|(_, t)| t)
            .max_by_key(|t| t.len())
            .expect("large");
        let size = |t: &str| {
            if t.len() < PARALLEL_FROM {
                usize::MAX
            } else {
                PIECE
            }
        };
        assert!(classic_pieces(large, size(large)).len() > 10);
        assert_eq!(classic_pieces(CLASSIC, size(CLASSIC)).len(), 1);
    }

    #[test]
    fn broken_classic_entries_are_errors_with_a_line() {
        for (text, line) in [
            ("a@^1:\n  version \"1.0.0\"\nb@^1\n  version \"1\"\n", 3),
            ("  version \"1.0.0\"\n", 1),
            ("a@^1:\n  version \"1.0.0\n", 2),
            ("a@^1:\n  resolved \"x\"\n", 1),
            ("a@^1:\n      deep \"x\"\n", 2),
        ] {
            let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, text);
            assert!(yarn_lockfile(&f).is_none(), "{text}");
            let e = f.error().expect("error");
            assert_eq!(
                f.lines().line_col(text, e.span.start).line,
                line,
                "{text:?}: {e}"
            );
        }
    }

    const BERRY: &str = r#"__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    debug: "npm:^4.3.4"
    resolve: "npm:^1.20.0"
  languageName: unknown
  linkType: soft

"debug@npm:^4.3.4":
  version: 4.4.3
  resolution: "debug@npm:4.4.3"
  dependencies:
    fsevents: "npm:~2.3.1"
    ms: "npm:^2.1.3"
  dependenciesMeta:
    fsevents:
      optional: true
    ms:
      built: false
  checksum: 10c0/d791
  languageName: node
  linkType: hard

"resolve@patch:resolve@npm%3A^1.20.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  checksum: 10c0/0446
  languageName: node
  linkType: hard

"gitdep@https://github.com/u/gitdep.git":
  version: 1.0.0
  resolution: "gitdep@https://github.com/u/gitdep.git#commit=0123456789abcdef0123456789abcdef01234567"
  languageName: node
  linkType: hard
"#;

    #[test]
    fn reads_berry() {
        let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, BERRY);
        let lock = yarn_lockfile(&f).expect("parses");
        assert_eq!(lock.format, LockFormat::YarnBerry(8));
        let root = &lock.importers[""];
        assert_eq!(
            root.dep("debug").and_then(|d| d.specifier.as_deref()),
            Some("npm:^4.3.4")
        );
        assert!(lock.packages[0].link);
        assert_eq!(lock.resolved(&lock.packages[1]), None);
        // `dependenciesMeta.fsevents.optional`; `built: false` is not optional.
        assert_eq!(lock.packages[1].optional_dependencies, ["fsevents"]);
        assert_eq!(lock.packages[1].dependencies.len(), 2);
        assert_eq!(
            lock.resolved(&lock.packages[2]),
            None,
            "a patched registry package"
        );
        assert_eq!(
            lock.resolved(&lock.packages[3]),
            Some("git+https://github.com/u/gitdep.git#0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(berry_descriptor("debug", "^4.3.4"), "debug@npm:^4.3.4");
        assert_eq!(berry_descriptor("b", "workspace:*"), "b@workspace:*");
        assert!(lock.packages.iter().any(|p| {
            lock.descriptors(p)
                .any(|d| d == berry_descriptor("debug", "^4.3.4"))
        }));
    }

    /// Read entry by entry (on both cores when it is large), a berry lockfile gives exactly
    /// the model, or the error, that reading its whole tree gives: on every berry yarn.lock of
    /// the fixtures (the bench's 1.4 MB one included) and on damaged copies of them.
    #[test]
    fn berry_read_entry_by_entry_is_read_as_a_whole_tree() {
        let mut texts = chainward_core::testing::berry_lockfiles();
        texts.push(("BERRY".into(), BERRY.into()));
        assert!(
            texts.iter().any(|(_, t)| t.len() > 1_000_000),
            "the bench's berry lockfile"
        );
        let read = |text: &str| {
            let f = SourceFile::in_memory("yarn.lock", FileKind::YarnLock, text);
            (parse_berry(&f, text), berry_from_tree(&f, text))
        };
        let mut damage = chainward_core::testing::Damage::default();
        let (mut damaged, mut streamed, mut read_ok, mut fixtures_read) = (0, 0, 0, 0);
        for (name, text) in &texts {
            let (entries, tree) = read(text);
            assert!(entries == tree, "{name}");
            fixtures_read += usize::from(tree.is_ok());
            if text.len() > 200_000 {
                continue;
            }
            for (copy, at) in damage.copies(text, b"\n :-#'\"{}_", b" \t\n-#:x\r", 100) {
                let (entries, tree) = read(&copy);
                damaged += 1;
                if yaml::stream_entries(&copy, &mut |_, _| {}).is_some() {
                    streamed += 1;
                    read_ok += usize::from(entries.is_ok());
                }
                assert!(
                    entries == tree,
                    "{name} damaged at {at}: {:?}\n{entries:?}\n{tree:?}",
                    copy.get(at.saturating_sub(60)..(at + 60).min(copy.len()))
                );
            }
        }
        // The whole tree's reading reported the missing `__metadata` first, then the first
        // entry that could not be read.
        let error = |text: &str| read(text).0.expect_err("broken").message;
        let two = "__metadata:\n  version: 8\n\na@npm:1:\n  version: 1\n\nb@npm:1:\n  version: 1\n";
        assert_eq!(error(two), "entry `a@npm:1` has no `resolution`");
        assert_eq!(
            error(&two.replace("__metadata", "_metadata")),
            "not a yarn berry lockfile: `__metadata` is missing"
        );
        // An entry that fails before `__metadata` is still the first error.
        assert_eq!(
            error(&format!("~:\n  version: 1\n{two}")),
            "an entry key must be a string"
        );
        assert_eq!(
            error(&format!("~:\n  version: 1\n{}", two.replace("8", "x"))),
            "`__metadata.version` must be a number"
        );
        assert!(fixtures_read >= 10, "{fixtures_read} berry lockfiles read");
        assert!(
            damaged >= 1000 && streamed > damaged / 3 && read_ok > 0 && read_ok < streamed,
            "{damaged} damaged copies, {streamed} streamed, {read_ok} of those read"
        );
    }
}
