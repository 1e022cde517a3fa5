//! Dependency specifiers classified the way npm (npm-package-arg) classifies them, before any
//! semver parsing: node-semver rejects `latest`, `npm:` aliases, git/url/file specs and `""`.

use std::ops::Range;

/// What a specifier asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec<'a> {
    /// One exact version (`1.2.3`, `=1.2.3`, `v1.2.3`), normalised.
    Version(String),
    /// A semver range (`^1.2.3`, `~1`, `>=1 <2`, `1.x`, `*`, `""`, hyphen, `||`).
    Range(&'a str),
    /// A dist-tag (`latest`, `next`, `beta`).
    Tag(&'a str),
    /// `npm:name@spec`; `inner` is the spec after the `@`, at byte `inner_offset` of the spec.
    Alias {
        name: &'a str,
        inner: Box<Spec<'a>>,
        inner_offset: usize,
    },
    /// A git dependency; `committish` is what follows `#` (a branch, tag, SHA or `semver:`).
    Git { committish: Option<&'a str> },
    /// An http(s) tarball.
    Url { insecure: bool },
    /// `file:`, a relative or absolute path, a local tarball.
    File,
    /// `workspace:`, `link:`, `portal:`, `catalog:`, `patch:`, `jsr:`: resolved by the package
    /// manager from the project itself or its catalog.
    Protocol(&'a str),
    /// Not something npm can use; `span` is relative to the spec.
    Invalid { reason: String, span: Range<usize> },
}

impl Spec<'_> {
    /// Whether this spec (or an alias's inner spec) pins one version.
    pub fn is_exact(&self) -> bool {
        match self {
            Spec::Version(_) => true,
            Spec::Alias { inner, .. } => inner.is_exact(),
            Spec::Git { committish } => committish.is_some_and(is_full_sha),
            _ => false,
        }
    }
}

/// A full 40-hex commit SHA.
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

const PROTOCOLS: &[&str] = &[
    "workspace:",
    "link:",
    "portal:",
    "catalog:",
    "patch:",
    "jsr:",
    "exec:",
];
const GIT_PREFIXES: &[&str] = &[
    "git+ssh:",
    "git+https:",
    "git+http:",
    "git+file:",
    "git:",
    "github:",
    "gitlab:",
    "bitbucket:",
    "gist:",
];
const GIT_HOSTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "gist.github.com",
];

/// Classify `spec` as npm would.
pub fn classify(spec: &str) -> Spec<'_> {
    let trimmed = spec.trim();
    let lead = spec.len() - spec.trim_start().len();

    if let Some(rest) = trimmed.strip_prefix("npm:") {
        let from_scope = usize::from(rest.starts_with('@'));
        let (name, inner, inner_at) = match rest[from_scope..].find('@') {
            Some(i) => {
                let at = from_scope + i;
                (&rest[..at], &rest[at + 1..], lead + 4 + at + 1)
            }
            None => (rest, "", spec.len()),
        };
        if name.is_empty() || name.ends_with('/') {
            return Spec::Invalid {
                reason: "an `npm:` alias needs a package name: `npm:name@version`".into(),
                span: lead..spec.len(),
            };
        }
        let inner_spec = classify(inner);
        return match inner_spec {
            Spec::Version(_) | Spec::Range(_) | Spec::Tag(_) | Spec::Invalid { .. } => {
                Spec::Alias {
                    name,
                    inner: Box::new(shift(inner_spec, inner_at)),
                    inner_offset: inner_at,
                }
            }
            _ => Spec::Invalid {
                reason: "an `npm:` alias must point at a registry version, range or tag".into(),
                span: inner_at..spec.len(),
            },
        };
    }
    if let Some(p) = PROTOCOLS.iter().find(|p| trimmed.starts_with(**p)) {
        return Spec::Protocol(&p[..p.len() - 1]);
    }
    if let Some(committish) = git_committish(trimmed) {
        return Spec::Git { committish };
    }
    if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
        return Spec::Url {
            insecure: trimmed.starts_with("http://"),
        };
    }
    if is_file_spec(trimmed) {
        return Spec::File;
    }
    registry(spec, trimmed, lead)
}

fn shift(spec: Spec<'_>, by: usize) -> Spec<'_> {
    match spec {
        Spec::Invalid { reason, span } => Spec::Invalid {
            reason,
            span: span.start + by..span.end + by,
        },
        other => other,
    }
}

/// `Some(committish)` if `spec` is a git spec (the committish is `None` without `#`).
fn git_committish(spec: &str) -> Option<Option<&str>> {
    fn committish(s: &str) -> Option<&str> {
        s.split_once('#').map(|(_, c)| c).filter(|c| !c.is_empty())
    }
    if GIT_PREFIXES.iter().any(|p| spec.starts_with(p)) {
        return Some(committish(spec));
    }
    // scp-like `git@github.com:user/repo.git`
    if let Some((user_host, path)) = spec.split_once(':')
        && user_host.contains('@')
        && !user_host.contains('/')
        && !path.starts_with("//")
    {
        return Some(committish(spec));
    }
    // https URLs to known git hosts: `https://github.com/user/repo`
    for scheme in ["https://", "http://"] {
        if let Some(rest) = spec.strip_prefix(scheme) {
            let host = rest.split('/').next().unwrap_or_default();
            let host = host.rsplit('@').next().unwrap_or(host);
            let path = rest.split_once('/').map_or("", |(_, p)| p);
            let path = path.split('#').next().unwrap_or_default();
            let segments = path.trim_end_matches('/').split('/').count();
            if GIT_HOSTS.contains(&host)
                && (segments == 2 || path.ends_with(".git"))
                && !path.ends_with(".tgz")
            {
                return Some(committish(spec));
            }
            if path.ends_with(".git") {
                return Some(committish(spec));
            }
            return None;
        }
    }
    // GitHub shorthand `user/repo` or `user/repo#ref`
    let base = spec.split('#').next().unwrap_or_default();
    if let Some((user, repo)) = base.split_once('/')
        && !user.is_empty()
        && !repo.is_empty()
        && !user.starts_with(['.', '@', '~', '/'])
        && !repo.contains('/')
        && !base.contains(':')
        && !base.contains(char::is_whitespace)
    {
        return Some(committish(spec));
    }
    None
}

fn is_file_spec(spec: &str) -> bool {
    spec.starts_with("file:")
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.starts_with('/')
        || spec.starts_with("~/")
        || spec == "."
        || spec == ".."
        || spec.as_bytes().get(1..3) == Some(b":\\")
        || spec.ends_with(".tgz")
        || spec.ends_with(".tar.gz")
        || spec.ends_with(".tar")
}

fn registry<'a>(spec: &'a str, trimmed: &'a str, lead: usize) -> Spec<'a> {
    if trimmed.is_empty() {
        return Spec::Range(trimmed);
    }
    if let Some(v) = exact_version(trimmed) {
        return Spec::Version(v);
    }
    if let Some(zero) = leading_zero(trimmed) {
        return Spec::Invalid {
            reason: format!(
                "`{trimmed}` is not a valid semver range: `{}` has a leading zero (npm reads it only in loose mode; `semver.validRange` rejects it)",
                &trimmed[zero.clone()]
            ),
            span: lead + zero.start..lead + zero.end,
        };
    }
    // `^1.2.3`, `~1.2.3`, `>=1.2.3`: nearly every spec of a lockfile, valid without building
    // node-semver's range.
    if simple_bounds(trimmed).is_some() || parse_range(trimmed).is_some() {
        return Spec::Range(trimmed);
    }
    match node_semver::Range::parse(normalize_x_ranges(trimmed)) {
        Ok(_) => Spec::Range(trimmed),
        Err(err) => {
            if looks_like_range(trimmed) {
                let at = lead + err.offset().min(trimmed.len());
                let end = trimmed[at - lead..]
                    .find(char::is_whitespace)
                    .map_or(lead + trimmed.len(), |i| at + i)
                    .max(at + 1)
                    .min(spec.len().max(at));
                return Spec::Invalid {
                    reason: format!(
                        "`{trimmed}` is not a valid semver range: {}",
                        semver_reason(&err)
                    ),
                    span: at..end.max(at),
                };
            }
            if is_valid_tag(trimmed) {
                Spec::Tag(trimmed)
            } else {
                Spec::Invalid {
                    reason: format!(
                        "`{trimmed}` is neither a version, a range nor a valid dist-tag (tags may not contain characters that encodeURIComponent encodes)"
                    ),
                    span: lead..lead + trimmed.len(),
                }
            }
        }
    }
}

/// The first numeric identifier with a leading zero (`01`, `00`) outside build metadata: strict
/// semver (and npm's `semver.validRange`) rejects them, the Rust node-semver crate does not.
fn leading_zero(spec: &str) -> Option<Range<usize>> {
    let b = spec.as_bytes();
    let mut i = 0;
    let mut in_build = false;
    while i < b.len() {
        let c = b[i];
        if c == b'+' {
            in_build = true;
        } else if c.is_ascii_whitespace() || c == b'|' {
            in_build = false;
        }
        if c.is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let ends_identifier = i == b.len() || !b[i].is_ascii_alphabetic();
            if !in_build && ends_identifier && i - start > 1 && b[start] == b'0' {
                return Some(start..i);
            }
            continue;
        }
        i += 1;
    }
    None
}

fn semver_reason(err: &node_semver::SemverError) -> String {
    let kind = err.kind().to_string();
    let kind = kind.trim_end_matches('.');
    if kind.is_empty() {
        "cannot parse it".into()
    } else {
        kind.to_string()
    }
}

/// Whether a dependency's `spec` allows `version`, when the spec is a plain version or range
/// ([`classify`]); `None` for any other spec (a tag, an alias, a path, a protocol) or what does
/// not parse.
pub fn spec_allows(spec: &str, version: &str) -> Option<bool> {
    match classify(spec) {
        Spec::Version(_) | Spec::Range(_) => satisfies(version, spec),
        _ => None,
    }
}

/// Whether `version` satisfies the semver `range` (an empty range is `*`), as node-semver's
/// `satisfies` without options; `None` when either does not parse.
pub fn satisfies(version: &str, range: &str) -> Option<bool> {
    let v = node_semver::Version::parse(version).ok()?;
    Some(parse_range(range)?.satisfies(&v))
}

/// A semver range as node-semver reads it: `||` alternatives, each an AND of comparators. An
/// alternative whose comparators cannot all hold (`>=2 <1`, `>x 1.2.3`, `3.0.0 - 1.0.0`) matches
/// nothing; `None` stands for it.
#[derive(Debug, Clone)]
pub struct SemverRange(Vec<Option<node_semver::Range>>);

impl SemverRange {
    pub fn satisfies(&self, version: &node_semver::Version) -> bool {
        self.0.iter().flatten().any(|r| r.satisfies(version))
    }
}

/// A semver range, parsed by the node-semver crate. Every range chainward reads goes through
/// here, because the crate needs three corrections to read ranges as node-semver does, and a
/// package.json is attacker-controlled input:
/// - it panics (`unreachable!`) on x-ranges such as `~*`, `~1.x.3` or `~>*.1.9`, so they are
///   first rewritten as node-semver reads them: whatever follows an `x`, `X` or `*` component
///   is ignored (`1.x.3` is `1.x`), and a wildcard major is `*` (`<0.0.0-0`, nothing, after `>`
///   or `<`);
/// - when the comparators of an AND cannot all hold, it keeps them as alternatives (`>=2 <1`
///   would match everything); such an alternative matches nothing instead;
/// - an empty `||` alternative (`^1.2.3 ||`) is `*`, and so is an empty range.
pub fn parse_range(range: &str) -> Option<SemverRange> {
    if range.trim().is_empty()
        || (range.contains("||") && range.split("||").any(|alt| alt.trim().is_empty()))
    {
        return Some(SemverRange(vec![node_semver::Range::parse("*").ok()]));
    }
    range
        .split("||")
        .map(|alt| {
            match node_semver::Range::parse(normalize_x_ranges(alt)) {
                // The crate split an impossible AND into alternatives.
                Ok(r) if r.to_string().contains("||") => Some(None),
                Ok(r) => Some(Some(r)),
                // A valid range that matches nothing: a hyphen range upside down.
                Err(e)
                    if matches!(e.kind(), node_semver::SemverErrorKind::NoValidRanges)
                        && alt.split_once(" - ").is_some_and(|(lo, hi)| {
                            node_semver::Range::parse(normalize_x_ranges(lo)).is_ok()
                                && node_semver::Range::parse(normalize_x_ranges(hi)).is_ok()
                        }) =>
                {
                    Some(None)
                }
                Err(_) => None,
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(SemverRange)
}

/// See [`parse_range`]. Comparators are separated by whitespace (an operator may be followed by
/// spaces) and the hyphen of a hyphen range. Build metadata is dropped (it never counts); a
/// version's components are cut after the first wildcard; and a partial version after `>`,
/// `>=`, `<`, `<=` or `=` is spelled out as node-semver reads it (`<=1.2` is `<1.3.0-0`), since
/// the crate reads some of those differently.
fn normalize_x_ranges(range: &str) -> String {
    range
        .split("||")
        .map(normalize_alternative)
        .collect::<Vec<_>>()
        .join(" || ")
}

/// One `||` alternative of [`normalize_x_ranges`].
fn normalize_alternative(range: &str) -> String {
    let mut tokens: Vec<(String, &str)> = Vec::new();
    let mut pending_op = String::new();
    for raw in range.split_whitespace() {
        let op_len = raw
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '~' | '^'))
            .unwrap_or(raw.len());
        let (op, rest) = raw.split_at(op_len);
        if rest.is_empty() && !op.is_empty() {
            // `>= 1.2.3`: the operator stands alone.
            pending_op.push_str(op);
            continue;
        }
        tokens.push((format!("{pending_op}{op}"), rest));
        pending_op.clear();
    }
    let mut out: Vec<String> = Vec::with_capacity(tokens.len() + 1);
    for (i, (op, rest)) in tokens.iter().enumerate() {
        // The ends of a hyphen range keep their partial versions.
        let hyphen =
            tokens.get(i + 1).is_some_and(|t| t.1 == "-") || (i > 0 && tokens[i - 1].1 == "-");
        out.push(comparator(op, rest, hyphen));
    }
    if !pending_op.is_empty() {
        out.push(pending_op);
    }
    out.join(" ")
}

/// One comparator, rewritten as described in [`normalize_x_ranges`].
fn comparator(op: &str, version: &str, in_hyphen: bool) -> String {
    if op.is_empty() && version == "-" {
        return version.to_string();
    }
    let v = version.strip_prefix(['v', '=']).unwrap_or(version);
    let v = v.split('+').next().unwrap_or(v);
    let core_end = v.find('-').unwrap_or(v.len());
    let parts: Vec<&str> = v[..core_end].split('.').collect();
    let wild = |p: &str| matches!(p, "x" | "X" | "*");
    // `*1`, `x2`: not a version component to node-semver, and the crate reaches `unreachable!`
    // on some of them (`~*1.0.2`, found by fuzzing); make them a plain syntax error.
    if parts
        .iter()
        .any(|p| p.len() > 1 && p.starts_with(['x', 'X', '*']))
    {
        return "!".to_string();
    }
    let cut = parts.iter().position(|p| wild(p)).unwrap_or(parts.len());
    let numbers: Option<Vec<u64>> = parts[..cut].iter().map(|p| p.parse().ok()).collect();
    let bare_op = op.trim_start_matches('v');
    match (cut, numbers) {
        // A wildcard major: anything, or (`>*`, `<*`) nothing at all.
        (0, _) if matches!(bare_op, ">" | "<") => "<0.0.0-0".to_string(),
        (0, _) => "*".to_string(),
        // A partial version (no prerelease) after a comparison operator.
        (1 | 2, Some(n))
            if !in_hyphen
                && core_end == v.len()
                && matches!(bare_op, ">" | ">=" | "<" | "<=" | "=" | "") =>
        {
            let next = if n.len() == 1 {
                format!("{}.0.0", n[0].saturating_add(1))
            } else {
                format!("{}.{}.0", n[0], n[1].saturating_add(1))
            };
            let this = if n.len() == 1 {
                format!("{}.0.0", n[0])
            } else {
                format!("{}.{}.0", n[0], n[1])
            };
            match bare_op {
                ">" => format!(">={next}"),
                ">=" => format!(">={this}"),
                "<" => format!("<{this}-0"),
                "<=" => format!("<{next}-0"),
                _ => format!(">={this} <{next}-0"),
            }
        }
        (i, _) if i < parts.len() => format!("{op}{}", parts[..=i].join(".")),
        _ => format!("{op}{}", version.split('+').next().unwrap_or(version)),
    }
}

/// `1.2.3`, `=1.2.3`, `v1.2.3`, `1.2.3-beta.1+build` → the normalised version.
fn exact_version(spec: &str) -> Option<String> {
    let s = spec.trim_start_matches('=').trim_start();
    let s = s.strip_prefix('v').unwrap_or(s);
    if s.is_empty() || !s.as_bytes()[0].is_ascii_digit() || s.contains(char::is_whitespace) {
        return None;
    }
    let v = node_semver::Version::parse(s).ok()?;
    // node-semver is lenient about some forms (`1.2`); an exact spec has three numbers.
    let core = s.split(['-', '+']).next().unwrap_or_default();
    (core.split('.').count() == 3).then(|| v.to_string())
}

fn looks_like_range(spec: &str) -> bool {
    let first = spec.chars().next().unwrap_or(' ');
    first.is_ascii_digit()
        || matches!(first, '^' | '~' | '<' | '>' | '=' | '*')
        || spec.contains("||")
        || spec.contains(" - ")
        || ((first == 'v' || first == 'x' || first == 'X')
            && spec[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

/// npm: tag names may only contain characters `encodeURIComponent` leaves alone.
fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c))
}

/// A parsed semver range. The forms that make up nearly every lockfile edge (`^1.2.3`,
/// `~1.2.3`, `1.2.3`, `>=1.2.3`) are kept as plain bounds, a fraction of the size of
/// node-semver's `Range`; everything else is node-semver's.
pub enum Matcher<'a> {
    /// `lo <= version < hi`, for versions without a prerelease tag; the range text for the
    /// rest (node-semver decides those).
    Bounds {
        lo: [u64; 3],
        hi: [u64; 3],
        text: &'a str,
    },
    Full(SemverRange),
}

impl<'a> Matcher<'a> {
    /// Whether the range took the fast path (plain bounds).
    pub fn is_bounds(&self) -> bool {
        matches!(self, Matcher::Bounds { .. })
    }

    /// `^1.2.3`, `~1.2.3`, `>=1.2.3`, `=1.2.3` or `1.2.3`, exactly (no space around it): the
    /// plain bounds, found without classifying the spec. `None` for anything else.
    pub fn simple(text: &'a str) -> Option<Matcher<'a>> {
        if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
            return None;
        }
        simple_bounds(text).map(|(lo, hi)| Matcher::Bounds { lo, hi, text })
    }

    pub fn parse(text: &'a str) -> Option<Matcher<'a>> {
        if let Some((lo, hi)) = simple_bounds(text) {
            return Some(Matcher::Bounds { lo, hi, text });
        }
        parse_range(text).map(Matcher::Full)
    }

    /// `None` when the version does not parse.
    pub fn satisfies(&self, version: &str) -> Option<bool> {
        match self {
            Matcher::Bounds { lo, hi, text } => match plain_version(version) {
                Some(v) => Some(*lo <= v && v < *hi),
                None => satisfies(version, text),
            },
            Matcher::Full(r) => Some(r.satisfies(&node_semver::Version::parse(version).ok()?)),
        }
    }
}

/// `1.2.3` as numbers (no `v`, no prerelease or build; no leading zeros; no part above
/// node-semver's `MAX_SAFE_INTEGER`, which it rejects).
fn plain_version(s: &str) -> Option<[u64; 3]> {
    let mut parts = s.split('.');
    let mut out = [0u64; 3];
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty()
            || !p.bytes().all(|b| b.is_ascii_digit())
            || (p.len() > 1 && p.starts_with('0'))
        {
            return None;
        }
        *slot = p
            .parse()
            .ok()
            .filter(|&n| n <= node_semver::MAX_SAFE_INTEGER)?;
    }
    parts.next().is_none().then_some(out)
}

/// The bounds of `^1.2.3`, `~1.2.3`, `1.2.3` / `=1.2.3` and `>=1.2.3`.
fn simple_bounds(range: &str) -> Option<([u64; 3], [u64; 3])> {
    let r = range.trim();
    let (op, rest) = if let Some(rest) = r.strip_prefix(">=") {
        (">=", rest)
    } else if let Some(rest) = r.strip_prefix('^') {
        ("^", rest)
    } else if let Some(rest) = r.strip_prefix('~') {
        ("~", rest)
    } else if let Some(rest) = r.strip_prefix('=') {
        ("=", rest)
    } else {
        ("=", r)
    };
    let lo = plain_version(rest)?;
    let [x, y, z] = lo;
    let hi = match op {
        ">=" => [u64::MAX; 3],
        "^" if x > 0 => [x.checked_add(1)?, 0, 0],
        "^" if y > 0 => [0, y.checked_add(1)?, 0],
        "^" => [0, 0, z.checked_add(1)?],
        "~" => [x, y.checked_add(1)?, 0],
        _ => [x, y, z.checked_add(1)?],
    };
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::{parse_range, satisfies};

    /// Ranges the node-semver crate panicked on, or read differently from node-semver (found by
    /// the differential semver test): each is now read as node-semver reads it.
    #[test]
    fn ranges_the_crate_got_wrong() {
        for (range, version, want) in [
            ("~*", "1.2.3", true),
            ("~>*.1.9", "4.0.0", true),
            ("~1.x.3", "1.9.0", true),
            ("~1.x.3", "2.0.0", false),
            ("=v*", "0.0.1", true),
            (">x", "1.0.0", false),
            ("<=6.x", "6.10.8", true),
            ("<=2", "2.3.1", true),
            (">2", "2.9.9", false),
            (">=2.0.0 <1.0.0", "3.0.0", false),
            (">x >=5.7.x", "7.4.2", false),
            ("~1.2.3 ||", "9.9.9", true),
            ("3.0.0 - 1.0.0", "2.0.0", false),
            (">= 2+001", "6.1.6", true),
        ] {
            assert_eq!(
                satisfies(version, range),
                Some(want),
                "{version} in {range}"
            );
        }
        assert!(parse_range("^^1").is_none());
        // Found by fuzzing.
        assert!(parse_range("~*1.0.2").is_none());
        assert!(parse_range("=*94ldns").is_none());
        assert!(matches!(
            super::classify("~*1.0.2"),
            super::Spec::Invalid { .. }
        ));
        assert!(parse_range("x||=v*").is_some());
    }

    use super::*;

    fn kind(s: &str) -> &'static str {
        match classify(s) {
            Spec::Version(_) => "version",
            Spec::Range(_) => "range",
            Spec::Tag(_) => "tag",
            Spec::Alias { .. } => "alias",
            Spec::Git { .. } => "git",
            Spec::Url { .. } => "remote",
            Spec::File => "file",
            Spec::Protocol(_) => "protocol",
            Spec::Invalid { .. } => "invalid",
        }
    }

    /// Expected kinds come from npm-package-arg 13 (npm 11) run on the same specs, except
    /// `^1.12.00`, which npm accepts only in loose mode and `semver.validRange` rejects.
    #[test]
    fn classifies_like_npm_package_arg() {
        let cases = [
            ("latest", "tag"),
            ("", "range"),
            ("*", "range"),
            ("1.x", "range"),
            ("=1.2.3", "version"),
            ("v1.2.3", "version"),
            (" 1.2.3 ", "version"),
            ("1.2", "range"),
            ("1.2.3-beta.1", "version"),
            ("npm:ms@^2", "alias"),
            ("github:a/b", "git"),
            ("a/b#v1", "git"),
            ("a/b", "git"),
            ("git+https://github.com/a/b.git#main", "git"),
            ("https://github.com/a/b", "git"),
            ("git@github.com:a/b.git", "git"),
            ("https://x.org/a.tgz", "remote"),
            ("file:../a", "file"),
            ("./a", "file"),
            ("workspace:*", "protocol"),
            ("link:../a", "protocol"),
            ("catalog:", "protocol"),
            ("next", "tag"),
            ("foo bar", "invalid"),
            ("^1.2.3 || 2", "range"),
            ("1.0.0 - 2.0.0", "range"),
            (">=1 <2", "range"),
            ("~1.2", "range"),
            ("^1.12.00", "invalid"),
        ];
        for (spec, want) in cases {
            assert_eq!(kind(spec), want, "spec {spec:?}");
        }
    }

    #[test]
    fn alias_inner_offset_points_after_the_at() {
        let spec = "npm:@scope/pkg@^1.0.0";
        match classify(spec) {
            Spec::Alias {
                name,
                inner,
                inner_offset,
            } => {
                assert_eq!(name, "@scope/pkg");
                assert_eq!(*inner, Spec::Range("^1.0.0"));
                assert_eq!(&spec[inner_offset..], "^1.0.0");
            }
            other => panic!("not an alias: {other:?}"),
        }
    }

    #[test]
    fn invalid_range_span_points_into_the_spec() {
        let spec = "^1.12.00";
        let Spec::Invalid { span, .. } = classify(spec) else {
            panic!("must be invalid")
        };
        assert!(
            span.start < spec.len() && span.end <= spec.len(),
            "{span:?}"
        );
    }

    /// The plain-bounds fast path agrees with node-semver on every range form it takes, for
    /// versions around each bound (prereleases go to node-semver).
    #[test]
    fn bounds_agree_with_node_semver() {
        let ranges = [
            "^1.2.3",
            "^0.2.3",
            "^0.0.3",
            "^0.0.0",
            "~1.2.3",
            "~0.0.1",
            "1.2.3",
            "=1.2.3",
            ">=1.2.3",
            " ^2.0.0 ",
            "^10.20.30",
        ];
        let versions = [
            "0.0.0",
            "0.0.3",
            "0.0.4",
            "0.2.3",
            "0.2.9",
            "0.3.0",
            "1.2.2",
            "1.2.3",
            "1.2.4",
            "1.3.0",
            "1.9.9",
            "2.0.0",
            "2.0.1",
            "10.20.30",
            "10.99.0",
            "11.0.0",
            "1.2.4-beta.1",
            "1.2.3+build.5",
            "2.0.0-rc.1",
            "99.0.0",
        ];
        for range in ranges {
            let ours = Matcher::parse(range).expect("parses");
            assert!(matches!(ours, Matcher::Bounds { .. }), "{range}");
            let theirs = node_semver::Range::parse(range).expect("node-semver parses");
            for version in versions {
                let v = node_semver::Version::parse(version).expect("version");
                assert_eq!(
                    ours.satisfies(version),
                    Some(theirs.satisfies(&v)),
                    "{version} in {range}"
                );
            }
        }
        // Above node-semver's MAX_SAFE_INTEGER: not a version at all, on either path.
        for version in ["1.900719925474100.0", "2.18446744073709551615.0", "banana"] {
            assert_eq!(
                Matcher::parse("^1.2.3").and_then(|m| m.satisfies(version)),
                None,
                "{version}"
            );
        }
        for other in ["^1.2", "1.x", ">=1 <2", "^1.2.3-beta", "01.2.3", "*", ""] {
            assert!(
                !matches!(Matcher::parse(other), Some(Matcher::Bounds { .. })),
                "{other}"
            );
        }
    }
}
