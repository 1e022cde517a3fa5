//! The fast path of [`NpmLockfile::parse`](crate::NpmLockfile::parse) for v2/v3 lockfiles: the
//! document is split into its members and `packages` into its entries by a structural scan
//! (strings, brackets, commas and colons; no value is decoded; a pretty-printed object's end is
//! found by its closing line, see [`closing_line`]), then every entry is parsed by serde on every
//! core while the other top-level values are checked to be JSON beside them.
//!
//! serde's own pass over the whole document (to find the entries) was the one serial stretch of
//! a large lockfile's parse, about 40% of it. The scan is strict about the syntax it walks (the
//! objects' braces, keys, colons and commas) and leaves every value to serde; anything it does
//! not expect (another lockfile version, a `packages` that is not an object, nesting deeper than
//! [`MAX_DEPTH`], a duplicate known key, any value serde rejects) makes it give up, and the
//! caller parses the document the slow way, which gives the error, so that errors are exactly
//! what serde reports on the whole document. A test compares both ways on every fixture lockfile
//! and on thousands of damaged copies.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::IgnoredAny;

use crate::FastMap;
use crate::npm::{LockPackage, NpmLockfile};

/// Deeper nesting is left to the slow path, which applies serde's limit (128) to the whole
/// document; entries are parsed from inside it, where serde would count two levels fewer.
pub(crate) const MAX_DEPTH: usize = 100;

/// The lockfile parsed, or `None` when the slow path must decide. `body` is `text` without its
/// byte-order mark; spans are offsets in `text`.
pub(crate) fn parse<'a>(text: &str, body: &'a str) -> Option<NpmLockfile> {
    let b = body.as_bytes();
    let start = skip_ws(b, 0);
    let base = text.as_ptr() as usize;
    // `packages` is split into its entries as the document is, in one pass over the text; each
    // batch of entries is handed to serde on another core as soon as the scan has passed it,
    // and every other top-level value is checked to be JSON once the scan is over.
    // Each batch parsed, with its place in the document.
    let parsed: Mutex<Vec<(usize, Vec<Entry>)>> = Mutex::default();
    let rejected = AtomicBool::new(false);
    let scanned = rayon::scope(|scope| {
        let (parsed, rejected) = (&parsed, &rejected);
        let mut batches = 0;
        let mut sink = |batch: Members<'a>| {
            let index = batches;
            batches += 1;
            scope.spawn(move |_| {
                let entries = batch
                    .into_iter()
                    .map(|(key, range)| {
                        let slice = &body[range];
                        let at = slice.as_ptr() as usize - base;
                        let mut pkg = LockPackage::read(slice, text).ok()?;
                        pkg.span = at..at + slice.len();
                        Some((key.into_owned(), Box::new(pkg)))
                    })
                    .collect::<Option<Vec<_>>>();
                match entries {
                    Some(entries) => parsed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((index, entries)),
                    None => rejected.store(true, Ordering::Relaxed),
                }
            });
        };
        let (top, end, split) = members(body, start, Some("packages"), &mut sink)?;
        // Everything but the known keys (v1's `dependencies`, which v2 repeats for npm 6,
        // among them) is not read, only checked to be JSON.
        for (key, value) in &top {
            if !matches!(key.as_ref(), "lockfileVersion" | "name" | "packages") {
                let slice = &body[value.clone()];
                scope.spawn(move |_| {
                    if serde_json::from_str::<IgnoredAny>(slice).is_err() {
                        rejected.store(true, Ordering::Relaxed);
                    }
                });
            }
        }
        Some((top, end, split))
    });
    let (top, end, split) = scanned?;
    if rejected.into_inner() || skip_ws(b, end) != b.len() {
        return None;
    }
    let mut version = None;
    let mut name = None;
    let mut packages = None;
    for (key, value) in &top {
        let slice = &body[value.clone()];
        // serde rejects a known field given twice.
        let duplicate = match key.as_ref() {
            "lockfileVersion" => version
                .replace(serde_json::from_str::<Option<u64>>(slice).ok()?)
                .is_some(),
            "name" => name
                .replace(serde_json::from_str::<Option<String>>(slice).ok()?)
                .is_some(),
            "packages" => packages.replace(()).is_some(),
            _ => false,
        };
        if duplicate {
            return None;
        }
    }
    let version = version.flatten()?;
    if !(2..=3).contains(&version) {
        return None;
    }
    // A `packages` that is not an object (`null`, or what serde rejects) is left to serde.
    packages?;
    if !split {
        return None;
    }
    let mut parsed = parsed.into_inner().unwrap_or_else(|e| e.into_inner());
    parsed.sort_unstable_by_key(|(index, _)| *index);
    let mut packages = FastMap::default();
    packages.reserve(parsed.iter().map(|(_, batch)| batch.len()).sum());
    // A duplicate key: the later entry wins, as in a JSON object.
    packages.extend(parsed.into_iter().flat_map(|(_, batch)| batch));
    Some(NpmLockfile {
        lockfile_version: version,
        name: name.flatten(),
        packages,
        // The caller's.
        text: chainward_core::SharedText::default(),
    })
}

/// An entry parsed: its key and its package.
type Entry = (String, Box<LockPackage>);

/// Entries are handed to serde in batches of this many.
const BATCH: usize = 256;

type Members<'a> = Vec<(Cow<'a, str>, Range<usize>)>;

/// The members of the object that opens at `at`, each key decoded and each value's byte range
/// (not checked beyond its extent), where the object ends, and whether a member named `split`
/// was an object: its members are given to `sink` in batches, in order, as they are found.
fn members<'a>(
    text: &'a str,
    at: usize,
    split: Option<&str>,
    sink: &mut dyn FnMut(Members<'a>),
) -> Option<(Members<'a>, usize, bool)> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b'{') {
        return None;
    }
    // The members of `split` go to the sink; the object's own are returned.
    let streamed = split.is_none();
    let mut out = Vec::new();
    let mut inner = false;
    // Where the whitespace before the current key starts.
    let mut gap = at + 1;
    // Whether a closing line may still be found (see [`closing_line`]).
    let mut by_line = true;
    let mut i = skip_ws(b, gap);
    if b.get(i) == Some(&b'}') {
        return Some((out, i + 1, inner));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_start = i;
        let key_end = skip_string(b, i)?;
        let key = key(&text[i..key_end])?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_end = match split {
            Some(name) if key == name && b.get(i) == Some(&b'{') => {
                let (rest, end, _) = members(text, i, None, sink)?;
                debug_assert!(rest.is_empty());
                inner = true;
                end
            }
            _ => match closing_line(b, gap, key_start, i, &mut by_line) {
                Some(end) => end,
                None => skip_value(b, i, MAX_DEPTH)?,
            },
        };
        out.push((key, i..value_end));
        if streamed && out.len() == BATCH {
            sink(std::mem::take(&mut out));
        }
        i = skip_ws(b, value_end);
        match b.get(i)? {
            b',' => {
                gap = i + 1;
                i = skip_ws(b, gap);
            }
            b'}' => {
                if streamed && !out.is_empty() {
                    sink(std::mem::take(&mut out));
                }
                return Some((out, i + 1, inner));
            }
            _ => return None,
        }
    }
}

/// Where the value at `path` (object keys) lies in `text`, a JSON value serde has read (an
/// entry of a lockfile), as [`chainward_core::json::Json::pointer`] finds it: the last of equal
/// keys. `Some(None)` where the path is not there; `None` where the scan gives up (nesting
/// deeper than [`MAX_DEPTH`]), and the caller parses. A finding's span was found by parsing its
/// entry into a tree, about ten microseconds for a large one, for each finding.
pub(crate) fn value_span(text: &str, path: &[&str]) -> Option<Option<Range<usize>>> {
    let b = text.as_bytes();
    let mut at = skip_ws(b, 0);
    for name in path {
        if b.get(at) != Some(&b'{') {
            return Some(None);
        }
        let mut found = None;
        let mut i = skip_ws(b, at + 1);
        if b.get(i) != Some(&b'}') {
            loop {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let key_end = skip_string(b, i)?;
                let matched = key(&text[i..key_end])? == *name;
                i = skip_ws(b, key_end);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = skip_ws(b, i + 1);
                if matched {
                    found = Some(i);
                }
                i = skip_ws(b, skip_value(b, i, MAX_DEPTH)?);
                match b.get(i)? {
                    b',' => i = skip_ws(b, i + 1),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        match found {
            Some(value) => at = value,
            None => return Some(None),
        }
    }
    Some(Some(at..skip_value(b, at, MAX_DEPTH)?))
}

/// A key (quotes included) decoded: borrowed when it holds nothing to decode.
pub(crate) fn key(quoted: &str) -> Option<Cow<'_, str>> {
    let inner = &quoted[1..quoted.len() - 1];
    if inner.bytes().all(|c| c != b'\\' && c >= 0x20) {
        Some(Cow::Borrowed(inner))
    } else {
        serde_json::from_str::<String>(quoted).ok().map(Cow::Owned)
    }
}

pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Where the string whose opening quote is at `at` ends (after its closing quote).
pub(crate) fn skip_string(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        let found = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[found] == b'"' {
            return Some(found + 1);
        }
        // An escape: the next byte is never the string's end.
        i = found + 2;
    }
}

/// Where the object that opens at `at` ends, when the document is laid out as npm writes it: its
/// key (at `key`, after the whitespace that starts at `gap`) begins a line, the `{` ends it, and
/// the object closes at the first line that holds only the key's indent and `}` (strings hold no
/// line breaks, so that line is never inside one). `None` when the layout is not that, or when
/// the object may nest deeper than [`MAX_DEPTH`]: [`skip_value`] decides then.
///
/// A search that reaches the end of the text without a closing line clears `search`, and no
/// other is made for the object's members: each would read to the end again (quadratic on a
/// hostile file of many `{`-ended lines and no closing ones).
///
/// The end found may be wrong only where the layout is not npm's (an inner object closing at the
/// same indent), and then the range is not one JSON value: serde, which reads every range the
/// scan gives, rejects it, and the caller parses the document the slow way. Where serde accepts
/// the range, it is the value's own extent, the one [`skip_value`] would have found.
fn closing_line(b: &[u8], gap: usize, key: usize, at: usize, search: &mut bool) -> Option<usize> {
    if !*search || b.get(at) != Some(&b'{') {
        return None;
    }
    let eol = at + 1 + usize::from(b.get(at + 1) == Some(&b'\r'));
    if b.get(eol) != Some(&b'\n') {
        return None;
    }
    let indent = &b[gap + memchr::memrchr(b'\n', b.get(gap..key)?)? + 1..key];
    // The first `}` that follows a line break and the indent.
    let found = memchr::memchr_iter(b'}', &b[eol..])
        .map(|i| eol + i)
        .find(|&close| {
            close.checked_sub(indent.len() + 1).is_some_and(|line| {
                line >= eol && b[line] == b'\n' && &b[line + 1..close] == indent
            })
        });
    *search = found.is_some();
    let end = found? + 1;
    // Fewer brackets than the limit, strings' among them, cannot nest deeper than it.
    (memchr::memchr2_iter(b'{', b'[', &b[at..end]).count() <= MAX_DEPTH).then_some(end)
}

/// Where the value that starts at `at` ends: a string, a bracketed value (brackets matched by
/// depth only; its parse checks the rest) or a scalar up to the next delimiter. `None` past
/// `max_depth`, or at a `/` outside a string: never JSON, and in JSONC a comment, which could
/// hide a bracket (bun.rs reads bun.lock's values with this too).
pub(crate) fn skip_value(b: &[u8], at: usize, max_depth: usize) -> Option<usize> {
    match *b.get(at)? {
        b'"' => skip_string(b, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'/' => return None,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > max_depth {
                            return None;
                        }
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = b[at..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'/'))
                .unwrap_or(b.len() - at);
            (len > 0).then_some(at + len)
        }
    }
}
