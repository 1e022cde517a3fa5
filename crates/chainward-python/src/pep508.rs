//! PEP 508 dependency specifiers (`name[extra]>=1,<2; python_version < "3.11"`), PEP 440
//! version specifiers and PEP 503 names: parsed as written, compared in normal form.

use std::fmt;

/// One PEP 508 requirement, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The distribution name as written (see [`normalize_name`]).
    pub name: String,
    /// Extras as written.
    pub extras: Vec<String>,
    pub version: VersionReq,
    /// The environment marker after `;`, trimmed, as written.
    pub marker: Option<String>,
    /// Where the version part is in the parsed text: the specifiers (with their parentheses,
    /// if any), the URL, or an empty span after the name and extras when there is none.
    pub version_span: std::ops::Range<usize>,
}

/// What a requirement asks of the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionReq {
    /// No constraint: any version.
    Any,
    /// PEP 440 specifiers (`>=1.0`, `==2.*`), in the order written.
    Specifiers(Vec<Specifier>),
    /// A direct reference (`name @ https://…`, `name @ git+https://…`, `name @ file:///…`).
    Url(String),
}

/// A PEP 440 comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Equal,
    ArbitraryEqual,
    NotEqual,
    Compatible,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equal => "==",
            Op::ArbitraryEqual => "===",
            Op::NotEqual => "!=",
            Op::Compatible => "~=",
            Op::Less => "<",
            Op::LessEqual => "<=",
            Op::Greater => ">",
            Op::GreaterEqual => ">=",
        }
    }
}

/// One version specifier (`>=1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifier {
    pub op: Op,
    /// The version as written (may end in `.*` after `==`/`!=`).
    pub version: String,
}

impl fmt::Display for Specifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.op.as_str(), self.version)
    }
}

impl Requirement {
    /// The PEP 503 normal form of the name.
    pub fn normalized_name(&self) -> String {
        normalize_name(&self.name)
    }

    /// The exact version this requirement pins (`==1.2.3` or `===1.2.3`, no wildcard), if it
    /// pins one.
    pub fn pinned_version(&self) -> Option<&str> {
        match &self.version {
            VersionReq::Specifiers(s) => match s.as_slice() {
                [one]
                    if matches!(one.op, Op::Equal | Op::ArbitraryEqual)
                        && !one.version.ends_with(".*") =>
                {
                    Some(&one.version)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

/// A PEP 508 string that does not parse: what is wrong and the byte offset in the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The PEP 503 normal form of a distribution or extra name: lowercase, each run of `-`, `_`
/// and `.` one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Parse one PEP 508 requirement.
pub fn parse(text: &str) -> Result<Requirement, Error> {
    let err = |message: &str, offset: usize| Error {
        message: message.to_string(),
        offset,
    };
    let bytes = text.as_bytes();
    let mut i = skip_ws(text, 0);
    let start = i;
    while i < text.len() && is_name_char(bytes[i] as char) {
        i += 1;
    }
    let name = &text[start..i];
    if name.is_empty() {
        return Err(err("expected a package name", start));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(err(
            "a package name starts and ends with a letter or digit",
            start,
        ));
    }
    let mut after_name = i;
    i = skip_ws(text, i);
    let mut extras = Vec::new();
    if bytes.get(i) == Some(&b'[') {
        let close = text[i..]
            .find(']')
            .map(|o| i + o)
            .ok_or_else(|| err("unclosed `[` of the extras", i))?;
        for extra in text[i + 1..close].split(',') {
            let extra = extra.trim();
            if extra.is_empty() {
                continue;
            }
            if !extra.chars().all(is_name_char) {
                return Err(err("an extra is a name", i + 1));
            }
            extras.push(extra.to_string());
        }
        after_name = close + 1;
        i = skip_ws(text, close + 1);
    }
    let mut version = VersionReq::Any;
    let mut version_span = after_name..after_name;
    if bytes.get(i) == Some(&b'@') {
        i = skip_ws(text, i + 1);
        let end = text[i..]
            .find(char::is_whitespace)
            .map(|o| i + o)
            .unwrap_or(text.len());
        let url = &text[i..end];
        if url.is_empty() {
            return Err(err("expected a URL after `@`", i));
        }
        version = VersionReq::Url(url.to_string());
        version_span = i..end;
        i = skip_ws(text, end);
    } else {
        let (end, inner_start, inner_end) = if bytes.get(i) == Some(&b'(') {
            let close = text[i..]
                .find(')')
                .map(|o| i + o)
                .ok_or_else(|| err("unclosed `(`", i))?;
            (close + 1, i + 1, close)
        } else {
            let end = text[i..].find(';').map(|o| i + o).unwrap_or(text.len());
            (end, i, end)
        };
        let inner = &text[inner_start..inner_end];
        if !inner.trim().is_empty() {
            version = VersionReq::Specifiers(
                parse_specifiers(inner).map_err(|e| err(&e.message, inner_start + e.offset))?,
            );
            version_span = if inner_start > i {
                i..end
            } else {
                let lead = inner.len() - inner.trim_start().len();
                inner_start + lead..inner_start + inner.trim_end().len()
            };
        }
        i = skip_ws(text, end);
    }
    let mut marker = None;
    if i < text.len() {
        if bytes[i] != b';' {
            return Err(err("expected `;` and an environment marker", i));
        }
        let m = text[i + 1..].trim();
        if m.is_empty() {
            return Err(err("expected an environment marker after `;`", i + 1));
        }
        if let Err(e) = Marker::parse(m) {
            let at = text[i + 1..].find(m).unwrap_or(0) + i + 1;
            return Err(err(&e.message, at + e.offset));
        }
        marker = Some(m.to_string());
    }
    Ok(Requirement {
        name: name.to_string(),
        extras,
        version,
        marker,
        version_span,
    })
}

fn skip_ws(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// Parse a comma-separated list of PEP 440 specifiers (`>=1.0, <2`).
pub fn parse_specifiers(text: &str) -> Result<Vec<Specifier>, Error> {
    let mut out = Vec::new();
    let mut offset = 0;
    for part in text.split(',') {
        let lead = part.len() - part.trim_start().len();
        let p = part.trim();
        let (op, rest) = [
            ("===", Op::ArbitraryEqual),
            ("==", Op::Equal),
            ("!=", Op::NotEqual),
            ("~=", Op::Compatible),
            ("<=", Op::LessEqual),
            (">=", Op::GreaterEqual),
            ("<", Op::Less),
            (">", Op::Greater),
        ]
        .iter()
        .find_map(|(s, op)| p.strip_prefix(s).map(|r| (*op, r.trim())))
        .ok_or_else(|| Error {
            message: format!("expected a version specifier (`>=1.0`), found `{p}`"),
            offset: offset + lead,
        })?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(Error {
                message: format!("expected a version after `{}`", op.as_str()),
                offset: offset + lead,
            });
        }
        out.push(Specifier {
            op,
            version: rest.to_string(),
        });
        offset += part.len() + 1;
    }
    Ok(out)
}

/// The PEP 440 normal form of a version, for comparison: lowercase, no leading `v`, the
/// pre/post/dev spellings unified, trailing `.0`s of the release dropped (`1.0` equals
/// `1.0.0`), leading zeros dropped. A string that is not a version is returned lowercased.
pub fn normalize_version(v: &str) -> String {
    let v = v.trim().to_ascii_lowercase();
    let v = v.strip_prefix('v').unwrap_or(&v);
    let (v, local) = match v.split_once('+') {
        Some((a, l)) => (a, Some(l.replace(['-', '_'], "."))),
        None => (v, None),
    };
    let (v, wildcard) = match v.strip_suffix(".*") {
        Some(r) => (r, true),
        None => (v, false),
    };
    let Some((release, rest)) = split_release(v) else {
        return v.to_string();
    };
    let mut nums: Vec<u64> = release;
    if !wildcard {
        while nums.len() > 1 && nums.last() == Some(&0) {
            nums.pop();
        }
    }
    let mut out = nums
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let mut rest = rest;
    for (spellings, canon) in [
        (&["alpha", "a"][..], "a"),
        (&["beta", "b"][..], "b"),
        (&["preview", "pre", "rc", "c"][..], "rc"),
        (&["post", "rev", "r"][..], ".post"),
        (&["dev"][..], ".dev"),
    ] {
        let r = rest.trim_start_matches(['.', '-', '_']);
        if let Some(after) = spellings.iter().find_map(|s| r.strip_prefix(s)) {
            let after = after.trim_start_matches(['.', '-', '_']);
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let n: u64 = after[..digits].parse().unwrap_or(0);
            out.push_str(canon);
            out.push_str(&n.to_string());
            rest = &after[digits..];
        }
    }
    if let Some(stripped) = rest.strip_prefix('-')
        && !stripped.is_empty()
        && stripped.chars().all(|c| c.is_ascii_digit())
    {
        out.push_str(".post");
        out.push_str(&stripped.parse::<u64>().unwrap_or(0).to_string());
        rest = "";
    }
    if !rest.is_empty() {
        return v.to_string();
    }
    if wildcard {
        out.push_str(".*");
    }
    if let Some(l) = local {
        out.push('+');
        out.push_str(&l);
    }
    out
}

/// `1!2.3.4rc1` → ([2, 3, 4], "rc1") (an epoch is kept in the numbers' string form only when
/// zero; a non-zero epoch is not a version this comparison understands).
fn split_release(v: &str) -> Option<(Vec<u64>, &str)> {
    let v = v.strip_prefix("0!").unwrap_or(v);
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (release, rest) = v.split_at(end);
    let release = release.strip_suffix('.').unwrap_or(release);
    let rest = if end > release.len() {
        &v[end - 1..]
    } else {
        rest
    };
    if release.is_empty() {
        return None;
    }
    let nums = release
        .split('.')
        .map(|n| n.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()?;
    Some((nums, rest))
}

/// The specifiers in normal form, order-free: what uv compares (it sorts them and reads
/// versions by value).
pub fn normalized_specifiers(specs: &[Specifier]) -> Vec<(Op, String)> {
    let mut out: Vec<(Op, String)> = specs
        .iter()
        .map(|s| (s.op, normalize_version(&s.version)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// An environment marker, read into a form that compares as uv's canonical markers do, when
/// it is one this reader understands: a disjunction of conjunctions of `variable op 'value'`
/// (no parentheses), with `python_version` rewritten as `python_full_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Each alternative: its clauses, sorted.
    pub alternatives: Vec<Vec<Clause>>,
}

/// One marker comparison in normal form: the variable on the left.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clause {
    pub variable: String,
    pub op: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Op(&'a str),
    LParen,
    RParen,
}

const VARIABLES: &[&str] = &[
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "extras",
    "dependency_groups",
    // Legacy spellings (PEP 345) that pip and uv still read.
    "os.name",
    "sys.platform",
    "platform.version",
    "platform.machine",
    "platform.python_implementation",
    "python_implementation",
];

fn tokenize(text: &str) -> Result<Vec<(Tok<'_>, usize)>, Error> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' => i += 1,
            b'(' => {
                out.push((Tok::LParen, i));
                i += 1
            }
            b')' => {
                out.push((Tok::RParen, i));
                i += 1
            }
            b'\'' | b'"' => {
                let close = text[i + 1..].find(c as char).ok_or(Error {
                    message: "unclosed string in the marker".into(),
                    offset: i,
                })?;
                out.push((Tok::Str(&text[i + 1..i + 1 + close]), i));
                i += close + 2;
            }
            b'<' | b'>' | b'=' | b'!' | b'~' => {
                let len = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
                    .iter()
                    .find(|o| text[i..].starts_with(**o))
                    .map(|o| o.len())
                    .ok_or(Error {
                        message: "unknown operator in the marker".into(),
                        offset: i,
                    })?;
                out.push((Tok::Op(&text[i..i + len]), i));
                i += len;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let end = text[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'))
                    .map(|o| i + o)
                    .unwrap_or(text.len());
                out.push((Tok::Ident(&text[i..end]), i));
                i = end;
            }
            _ => {
                return Err(Error {
                    message: format!("unexpected `{}` in the marker", c as char),
                    offset: i,
                });
            }
        }
    }
    Ok(out)
}

impl Marker {
    /// Check the marker's syntax (PEP 508's grammar, with parentheses), and read it into the
    /// comparable form when it is a flat `… and … or …` (`Ok(None)` otherwise).
    pub fn parse(text: &str) -> Result<Option<Marker>, Error> {
        let toks = tokenize(text)?;
        // Syntax: expr := atom (('and'|'or') atom)*; atom := '(' expr ')' | value op value.
        let mut pos = 0;
        syntax_expr(&toks, &mut pos, text.len(), 0)?;
        if pos != toks.len() {
            return Err(Error {
                message: "unexpected text after the marker".into(),
                offset: toks[pos].1,
            });
        }
        if toks.iter().any(|(t, _)| matches!(t, Tok::LParen)) {
            return Ok(None);
        }
        let mut alternatives = vec![Vec::new()];
        let mut i = 0;
        while i < toks.len() {
            match &toks[i].0 {
                Tok::Ident("and") => i += 1,
                Tok::Ident("or") => {
                    alternatives.push(Vec::new());
                    i += 1;
                }
                _ => {
                    let (clauses, next) = clause(&toks, i)?;
                    let Some(clauses) = clauses else {
                        return Ok(None);
                    };
                    alternatives
                        .last_mut()
                        .expect("at least one")
                        .extend(clauses);
                    i = next;
                }
            }
        }
        for alt in &mut alternatives {
            alt.sort();
            alt.dedup();
        }
        alternatives.sort();
        alternatives.dedup();
        Ok(Some(Marker { alternatives }))
    }

    /// This marker and `extra == 'name'` (how uv records an optional dependency).
    pub fn with_extra(marker: Option<&Marker>, extra: &str) -> Marker {
        let clause = Clause {
            variable: "extra".into(),
            op: "==".into(),
            value: normalize_name(extra),
        };
        let mut alternatives = match marker {
            Some(m) => m.alternatives.clone(),
            None => vec![Vec::new()],
        };
        for alt in &mut alternatives {
            alt.push(clause.clone());
            alt.sort();
        }
        alternatives.sort();
        Marker { alternatives }
    }
}

/// Parentheses deeper than this are refused (no real marker comes close; a hostile one must not
/// exhaust the stack).
const MAX_DEPTH: usize = 32;

fn syntax_expr(
    toks: &[(Tok<'_>, usize)],
    pos: &mut usize,
    end: usize,
    depth: usize,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error {
            message: format!("the marker nests parentheses deeper than {MAX_DEPTH}"),
            offset: toks.get(*pos).map_or(end, |t| t.1),
        });
    }
    loop {
        syntax_atom(toks, pos, end, depth)?;
        match toks.get(*pos) {
            Some((Tok::Ident("and" | "or"), _)) => *pos += 1,
            _ => return Ok(()),
        }
    }
}

fn syntax_atom(
    toks: &[(Tok<'_>, usize)],
    pos: &mut usize,
    end: usize,
    depth: usize,
) -> Result<(), Error> {
    let at = |p: usize| toks.get(p).map(|t| t.1).unwrap_or(end);
    match toks.get(*pos) {
        Some((Tok::LParen, _)) => {
            *pos += 1;
            syntax_expr(toks, pos, end, depth + 1)?;
            match toks.get(*pos) {
                Some((Tok::RParen, _)) => {
                    *pos += 1;
                    Ok(())
                }
                _ => Err(Error {
                    message: "expected `)` in the marker".into(),
                    offset: at(*pos),
                }),
            }
        }
        _ => {
            for step in 0..3 {
                let ok = match (step, toks.get(*pos).map(|t| &t.0)) {
                    (1, Some(Tok::Op(_))) => true,
                    (1, Some(Tok::Ident("in"))) => true,
                    (1, Some(Tok::Ident("not")))
                        if matches!(toks.get(*pos + 1), Some((Tok::Ident("in"), _))) =>
                    {
                        *pos += 1;
                        true
                    }
                    (0 | 2, Some(Tok::Str(_))) => true,
                    (0 | 2, Some(Tok::Ident(v))) => VARIABLES.contains(v),
                    _ => false,
                };
                if !ok {
                    return Err(Error {
                        message: if step == 1 {
                            "expected a comparison operator in the marker".into()
                        } else {
                            "expected a marker variable (`python_version`, `sys_platform`, …) or a quoted string".into()
                        },
                        offset: at(*pos),
                    });
                }
                *pos += 1;
            }
            Ok(())
        }
    }
}

/// One comparison at `i` in normal form (`None`: a comparison this reader does not put in
/// normal form), and the index after it.
#[allow(clippy::type_complexity)]
fn clause(toks: &[(Tok<'_>, usize)], i: usize) -> Result<(Option<Vec<Clause>>, usize), Error> {
    let (lhs, mut j) = (&toks[i].0, i + 1);
    let mut op = match toks.get(j).map(|t| &t.0) {
        Some(Tok::Op(o)) => o.to_string(),
        Some(Tok::Ident("in")) => "in".to_string(),
        Some(Tok::Ident("not")) => {
            j += 1;
            "not in".to_string()
        }
        _ => unreachable!("checked by the syntax pass"),
    };
    let rhs = &toks[j + 1].0;
    let next = j + 2;
    let (var, value) = match (lhs, rhs) {
        (Tok::Ident(v), Tok::Str(s)) => (*v, *s),
        (Tok::Str(s), Tok::Ident(v)) => {
            op = match op.as_str() {
                "<" => ">".into(),
                ">" => "<".into(),
                "<=" => ">=".into(),
                ">=" => "<=".into(),
                "==" | "!=" => op,
                _ => return Ok((None, next)),
            };
            (*v, *s)
        }
        _ => return Ok((None, next)),
    };
    let var = match var {
        "os.name" => "os_name",
        "sys.platform" => "sys_platform",
        "platform.version" => "platform_version",
        "platform.machine" => "platform_machine",
        "platform.python_implementation" | "python_implementation" => {
            "platform_python_implementation"
        }
        v => v,
    };
    let one = |variable: &str, op: &str, value: String| Clause {
        variable: variable.into(),
        op: op.into(),
        value,
    };
    let clauses = match var {
        "python_version" | "python_full_version" | "implementation_version"
            if matches!(op.as_str(), "in" | "not in" | "===" | "~=") =>
        {
            return Ok((None, next));
        }
        "python_version" => {
            let v = normalize_version(value);
            let Some((major, minor)) = v
                .split_once('.')
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                .or_else(|| Some((v.parse::<u64>().ok()?, 0)))
            else {
                return Ok((None, next));
            };
            if v.matches('.').count() > 1 {
                return Ok((None, next));
            }
            let this = normalize_version(&format!("{major}.{minor}"));
            let next_minor = format!("{major}.{}", minor + 1);
            match op.as_str() {
                "<" | ">=" => vec![one("python_full_version", &op, this)],
                "<=" => vec![one("python_full_version", "<", next_minor)],
                ">" => vec![one("python_full_version", ">=", next_minor)],
                // uv writes `python_version == '3.11'` as `python_full_version == '3.11.*'`.
                "==" | "!=" => vec![one(
                    "python_full_version",
                    &op,
                    format!("{major}.{minor}.*"),
                )],
                _ => return Ok((None, next)),
            }
        }
        // uv rewrites `platform_system == 'Windows'` as `sys_platform == 'win32'` (and the
        // like): not put in normal form here.
        "platform_system" => return Ok((None, next)),
        "python_full_version" | "implementation_version" => {
            vec![one(var, &op, normalize_version(value))]
        }
        "extra" => vec![one(var, &op, normalize_name(value))],
        _ => vec![one(var, &op, value.to_string())],
    };
    Ok((Some(clauses), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_as_pep_503_says() {
        assert_eq!(normalize_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("a__-.b"), "a-b");
    }

    #[test]
    fn requirements_parse_with_extras_specifiers_urls_and_markers() {
        let r = parse("anyio[trio, Doc] >=4, <5 ; python_version >= '3.11'").expect("parses");
        assert_eq!(r.name, "anyio");
        assert_eq!(r.extras, ["trio", "Doc"]);
        assert_eq!(
            r.version,
            VersionReq::Specifiers(vec![
                Specifier {
                    op: Op::GreaterEqual,
                    version: "4".into()
                },
                Specifier {
                    op: Op::Less,
                    version: "5".into()
                }
            ])
        );
        assert_eq!(r.marker.as_deref(), Some("python_version >= '3.11'"));
        let r = parse("foo (==1.0)").expect("parses");
        assert_eq!(r.pinned_version(), Some("1.0"));
        let r =
            parse("pkg @ git+https://github.com/o/r@v1 ; sys_platform == 'linux'").expect("parses");
        assert_eq!(
            r.version,
            VersionReq::Url("git+https://github.com/o/r@v1".into())
        );
        assert_eq!(parse("mcp").expect("parses").version, VersionReq::Any);
        for (text, span) in [
            ("httpx >=0.27, <1 ; os_name == 'nt'", ">=0.27, <1"),
            ("foo (==1.0)", "(==1.0)"),
            ("anyio[trio]", ""),
            ("pkg @ https://x/y.whl", "https://x/y.whl"),
        ] {
            let r = parse(text).expect("parses");
            assert_eq!(&text[r.version_span.clone()], span, "{text}");
        }
        let r = parse("anyio[trio]; os_name == 'nt'").expect("parses");
        assert_eq!(r.version_span, 11..11);
        assert_eq!(parse("x==1.*").expect("parses").pinned_version(), None);
        for bad in [
            "",
            "-x",
            "x>=",
            "x = 1",
            "x[a",
            "x; ",
            "x; python_version",
            "x; foo == '1'",
            "x; (python_version < '3'",
            &format!("x; {}os_name == 'nt'{}", "(".repeat(5000), ")".repeat(5000)),
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions_normalize_as_pep_440_says() {
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("v1.2", "1.2"),
            ("1.0-alpha1", "1a1"),
            ("1.0.0.RC.2", "1rc2"),
            ("1.0-1", "1.post1"),
            ("1.0.dev0", "1.dev0"),
            ("1.0.*", "1.0.*"),
            ("01.02", "1.2"),
        ] {
            assert_eq!(normalize_version(a), b, "{a}");
        }
    }

    #[test]
    fn markers_compare_as_uv_writes_them() {
        let m = |s: &str| Marker::parse(s).expect("valid").expect("understood");
        assert_eq!(
            m("python_version >= \"3.11\""),
            m("python_full_version >= '3.11'")
        );
        assert_eq!(
            m("python_version<'3.12' and sys_platform == 'linux'"),
            m("sys_platform == 'linux' and python_full_version < '3.12'")
        );
        assert_eq!(
            m("python_version <= '3.11'"),
            m("python_full_version < '3.12'")
        );
        assert_eq!(m("'linux' == sys_platform"), m("sys_platform == 'linux'"));
        assert_ne!(m("sys_platform == 'linux'"), m("sys_platform == 'win32'"));
        assert_eq!(Marker::with_extra(None, "CLI"), m("extra == 'cli'"));
        assert_eq!(Marker::parse("(os_name == 'nt')").expect("valid"), None);
    }
}
