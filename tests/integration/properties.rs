//! Property tests (proptest). The fix engine on generated projects: any key order, indentation,
//! line endings, unicode and escapes in package.json, with an npm lockfile that matches it;
//! `fix` pins exactly the ranges to the locked versions, changes nothing else (not a byte outside
//! those strings), the result parses, and a second `fix` changes nothing. The engine's handling
//! of overlapping edits against an independent reference. Semver classification and
//! `satisfies` against the real node-semver (the copy inside npm, run offline).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chainward_core::config::Config;
use chainward_core::fix::{self, Edit, Fix};
use chainward_core::project::{FileKind, Project};
use chainward_engine::{Engine, FixPolicy};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "ms",
    "kleur",
    "left-pad",
    "zod",
    "@scope/pkg",
    "@a/b.c",
    "lodash.merge",
    "x_y-z",
    "mcp-server-kit",
    "tslib",
];

#[derive(Debug, Clone)]
struct Dep {
    name: &'static str,
    version: (u8, u8, u8),
    /// Index into `spec()`'s forms.
    form: u8,
    dev: bool,
}

impl Dep {
    fn version(&self) -> String {
        let (a, b, c) = self.version;
        format!("{a}.{b}.{c}")
    }

    /// The spec written in package.json; every form is satisfied by the locked version.
    fn spec(&self) -> String {
        let (a, b, c) = self.version;
        match self.form % 9 {
            0 => format!("{a}.{b}.{c}"),
            1 => format!("^{a}.{b}.{c}"),
            2 => format!("~{a}.{b}.{c}"),
            3 => format!(">={a}.{b}.{c}"),
            4 => format!("{a}.x"),
            5 => "*".to_string(),
            6 => format!(">={a}.{b}.{c} <{}.0.0", u16::from(a) + 1),
            7 => format!("^{a}.{b}.{c} || ^{}.0.0", u16::from(a) + 1),
            _ => format!("{a}.{b}.{c} - {a}.{b}.{}", u16::from(c) + 3),
        }
    }

    fn is_range(&self) -> bool {
        !self.form.is_multiple_of(9)
    }
}

#[derive(Debug, Clone)]
struct Manifest {
    deps: Vec<Dep>,
    /// Extra top-level fields (key, value) in a generated order.
    extra: Vec<(String, String)>,
    indent: u8,
    crlf: bool,
    final_newline: bool,
    /// Write some keys with `\u` escapes for plain letters.
    escape_keys: bool,
}

fn text_strategy() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'z', ' ', '"', '\\', '/', '\n', '\t', 'é', 'ß', '中', '😀', '\u{2028}', '\u{7f}', '{',
        '}', '[', ':', ',',
    ]);
    prop::collection::vec(chars, 0..12).prop_map(|v| v.into_iter().collect())
}

fn manifest_strategy() -> impl Strategy<Value = Manifest> {
    let dep = (
        0..NAMES.len(),
        (0u8..20, 0u8..20, 0u8..20),
        0u8..9,
        any::<bool>(),
    );
    (
        prop::collection::vec(dep, 1..7),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "description",
                    "keywords",
                    "author",
                    "homepage",
                    "x-ünïcode",
                ]),
                text_strategy(),
            ),
            0..4,
        ),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(deps, extra, indent, crlf, final_newline, escape_keys)| {
            let mut seen = std::collections::HashSet::new();
            let deps = deps
                .into_iter()
                .filter(|(i, ..)| seen.insert(*i))
                .map(|(i, version, form, dev)| Dep {
                    name: NAMES[i],
                    version,
                    form,
                    dev,
                })
                .collect();
            let mut keys = std::collections::HashSet::new();
            let extra = extra
                .into_iter()
                .filter(|(k, _)| keys.insert(*k))
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            Manifest {
                deps,
                extra,
                indent,
                crlf,
                final_newline,
                escape_keys,
            }
        })
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// A key, optionally with its letters written as `\u` escapes (the same key to a JSON reader).
fn key(k: &str, escape: bool) -> String {
    if !escape {
        return quote(k);
    }
    let mut out = String::from("\"");
    for (i, c) in k.chars().enumerate() {
        if i % 2 == 0 && c.is_ascii_alphabetic() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(&quote(&c.to_string())[1..quote(&c.to_string()).len() - 1]);
        }
    }
    out.push('"');
    out
}

impl Manifest {
    fn section(&self, dev: bool) -> Vec<&Dep> {
        self.deps.iter().filter(|d| d.dev == dev).collect()
    }

    fn render(&self) -> String {
        let ind = match self.indent {
            0 => "  ",
            1 => "    ",
            _ => "\t",
        };
        let mut fields: Vec<String> = vec![
            format!("{ind}{}: \"generated\"", key("name", self.escape_keys)),
            format!("{ind}\"version\": \"1.0.0\""),
        ];
        for (k, v) in &self.extra {
            fields.push(format!("{ind}{}: {}", key(k, self.escape_keys), quote(v)));
        }
        for (dev, section) in [(false, "dependencies"), (true, "devDependencies")] {
            let deps = self.section(dev);
            if deps.is_empty() {
                continue;
            }
            let body: Vec<String> = deps
                .iter()
                .map(|d| format!("{ind}{ind}{}: {}", quote(d.name), quote(&d.spec())))
                .collect();
            fields.push(format!(
                "{ind}\"{section}\": {{\n{}\n{ind}}}",
                body.join(",\n")
            ));
        }
        let mut text = format!("{{\n{}\n}}", fields.join(",\n"));
        if self.final_newline {
            text.push('\n');
        }
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        text
    }

    /// An npm v3 lockfile that matches the manifest (what `npm install` would write).
    fn lockfile(&self) -> String {
        let mut root = serde_json::Map::new();
        root.insert("name".into(), "generated".into());
        root.insert("version".into(), "1.0.0".into());
        let mut packages = serde_json::Map::new();
        for (dev, section) in [(false, "dependencies"), (true, "devDependencies")] {
            let deps = self.section(dev);
            if deps.is_empty() {
                continue;
            }
            let specs: serde_json::Map<String, serde_json::Value> = deps
                .iter()
                .map(|d| (d.name.to_string(), d.spec().into()))
                .collect();
            root.insert(section.into(), specs.into());
            for d in deps {
                let mut entry = serde_json::Map::new();
                entry.insert("version".into(), d.version().into());
                entry.insert(
                    "resolved".into(),
                    format!(
                        "https://registry.npmjs.org/{}/-/{}-{}.tgz",
                        d.name,
                        d.name.rsplit('/').next().unwrap_or(d.name),
                        d.version()
                    )
                    .into(),
                );
                entry.insert(
                    "integrity".into(),
                    format!("sha512-{}==", "A".repeat(86)).into(),
                );
                if dev {
                    entry.insert("dev".into(), true.into());
                }
                packages.insert(format!("node_modules/{}", d.name), entry.into());
            }
        }
        packages.insert(String::new(), root.into());
        let doc = serde_json::json!({
            "name": "generated",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": true,
            "packages": packages,
        });
        serde_json::to_string_pretty(&doc).expect("json") + "\n"
    }
}

fn project(files: &[(&str, FileKind, &str)]) -> Project {
    Project::in_memory(
        "/nonexistent/chainward-proptest",
        files
            .iter()
            .map(|(rel, kind, text)| (rel.to_string(), *kind, text.to_string()))
            .collect(),
    )
}

fn fix_once(project: &Project) -> BTreeMap<PathBuf, String> {
    let engine = Engine::with_defaults(Config::default()).expect("the default config is valid");
    let findings = engine.check(project);
    let one_round = FixPolicy {
        unsafe_fixes: false,
        max_rounds: 1,
    };
    engine
        .fix_until_stable(project, findings, one_round)
        .expect("the fixes apply and parse")
        .changes
}

/// `old` with the JSON strings at the given positions replaced: the only change `fix` may make.
fn only_strings_changed(old: &str, new: &str) -> Result<(), String> {
    // Walk both texts: outside string literals they must be identical.
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] != b[j] {
            return Err(format!(
                "a byte outside a string changed at {i}: {:?}",
                &old[i.saturating_sub(20)..(i + 20).min(old.len())]
            ));
        }
        if a[i] == b'"' {
            // Skip the string literal on both sides.
            let skip = |s: &[u8], mut k: usize| {
                k += 1;
                while k < s.len() && s[k] != b'"' {
                    if s[k] == b'\\' {
                        k += 1;
                    }
                    k += 1;
                }
                k + 1
            };
            i = skip(a, i);
            j = skip(b, j);
        } else {
            i += 1;
            j += 1;
        }
    }
    if a.len() - i.min(a.len()) != b.len() - j.min(b.len())
        || a[i.min(a.len())..] != b[j.min(b.len())..]
    {
        return Err("the texts end differently".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// `fix` pins every range to its locked version and changes nothing else; a second `fix`
    /// changes nothing.
    #[test]
    fn fix_pins_ranges_only_and_is_idempotent(m in manifest_strategy()) {
        let manifest = m.render();
        let lock = m.lockfile();
        let p = project(&[
            ("package.json", FileKind::PackageJson, &manifest),
            ("package-lock.json", FileKind::NpmLock, &lock),
        ]);
        let changes = fix_once(&p);
        let pj_path = p.root.join("package.json");
        let fixed = changes.get(&pj_path).cloned().unwrap_or_else(|| manifest.clone());

        // The same JSON, with every range replaced by its locked version.
        let mut want: serde_json::Value = serde_json::from_str(&manifest).expect("generated JSON");
        for d in &m.deps {
            if d.is_range() {
                let section = if d.dev { "devDependencies" } else { "dependencies" };
                want[section][d.name] = d.version().into();
            }
        }
        let got: serde_json::Value = serde_json::from_str(&fixed).expect("the fixed file is JSON");
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(
            changes.contains_key(&pj_path),
            m.deps.iter().any(Dep::is_range)
        );
        // Not a byte outside the changed strings: indentation, CRLF, escapes, key order kept.
        if let Err(e) = only_strings_changed(&manifest, &fixed) {
            return Err(TestCaseError::fail(e));
        }
        // The lockfile's record of the root's specs follows, and nothing else in it changes.
        if let Some(new_lock) = changes.get(&p.root.join("package-lock.json")) {
            if let Err(e) = only_strings_changed(&lock, new_lock) {
                return Err(TestCaseError::fail(e));
            }
            let mut want: serde_json::Value = serde_json::from_str(&lock).expect("lock");
            for d in m.deps.iter().filter(|d| d.is_range()) {
                let section = if d.dev { "devDependencies" } else { "dependencies" };
                want["packages"][""][section][d.name] = d.version().into();
            }
            let got: serde_json::Value = serde_json::from_str(new_lock).expect("lock JSON");
            prop_assert_eq!(got, want);
        }

        // Idempotent: the fixed project needs no further fix.
        let after = p.with_changes(&changes, &[]);
        let again = fix_once(&after);
        prop_assert!(again.is_empty(), "a second fix changed {:?}", again.keys().collect::<Vec<_>>());
    }

    /// Disjoint fixes are all applied, exactly as an independent right-to-left application
    /// would; a fix that overlaps an earlier one (by first edit) is skipped whole, never merged.
    #[test]
    fn overlapping_edits_are_rejected_never_merged(
        text in "[a-c\u{e9}\u{1f600}\n]{0,40}".prop_map(|s: String| s),
        cuts in prop::collection::vec(0usize..64, 0..10),
        replacements in prop::collection::vec("[x-z\u{fc}]{0,3}", 10),
        group in prop::collection::vec(0usize..3, 10),
        intruder in prop::option::of((0usize..64, 0usize..8, "[q]{0,2}")),
    ) {
        let path = PathBuf::from("/t/file");
        // Disjoint edits on character boundaries, from sorted cut points.
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| bounds[c % bounds.len()]).collect();
        points.sort_unstable();
        points.dedup();
        let edits: Vec<Edit> = points
            .chunks(2)
            .filter(|c| c.len() == 2)
            .enumerate()
            .map(|(i, c)| Edit::replace(&path, c[0]..c[1], replacements[i % replacements.len()].clone()))
            .collect();
        // Group the edits into up to three fixes.
        let mut fixes: Vec<Fix> = (0..3).map(|_| Fix::safe("p", Vec::new())).collect();
        for (i, e) in edits.iter().enumerate() {
            fixes[group[i % group.len()]].edits.push(e.clone());
        }
        let mut all: Vec<Fix> = fixes.into_iter().filter(|f| !f.edits.is_empty()).collect();
        let reference = |accepted: &[&Fix]| {
            let mut es: Vec<&Edit> = accepted.iter().flat_map(|f| f.edits.iter()).collect();
            es.sort_by_key(|e| std::cmp::Reverse(e.range.start));
            let mut s = text.clone();
            for e in es {
                s.replace_range(e.range.clone(), &e.replacement);
            }
            s
        };
        let applied = |fixes: &[Fix]| {
            let refs: Vec<&Fix> = fixes.iter().collect();
            fix::apply(&refs, |_| Ok(text.clone()))
        };

        // Disjoint: everything applies.
        let out = applied(&all).expect("disjoint edits apply");
        prop_assert_eq!(out.applied, all.len());
        prop_assert_eq!(out.skipped, 0);
        let want = reference(&all.iter().collect::<Vec<_>>());
        prop_assert_eq!(out.files.get(&path).cloned().unwrap_or_else(|| text.clone()), want);

        // An intruder overlapping one edit: one of the two fixes is skipped whole.
        if let (Some((at, len, rep)), false) = (intruder, edits.is_empty()) {
            let target = &edits[at % edits.len()];
            let start = target.range.start;
            // Within the target (or touching its start when it is an insertion).
            let end = (start + len).min(target.range.end.max(start));
            let end = bounds.iter().copied().filter(|b| *b >= end).min().unwrap_or(text.len());
            let end = if target.range.is_empty() { start } else { end.max(start + 1).min(target.range.end) };
            if !text.is_char_boundary(end) {
                return Ok(());
            }
            let intr = Fix::safe("intruder", vec![Edit::replace(&path, start..end, rep.clone())]);
            if target == &intr.edits[0] {
                return Ok(()); // an identical edit is not a conflict
            }
            all.push(intr);
            let out = applied(&all).expect("fits");
            prop_assert_eq!(out.applied + out.skipped, all.len());
            prop_assert!(out.skipped >= 1, "an overlap was merged");
            // The result is the reference application of some subset that has no overlap:
            // either without the intruder or without the fix it hit.
            let n = all.len();
            let without_intruder = reference(&all[..n - 1].iter().collect::<Vec<_>>());
            let hit = all[..n - 1].iter().position(|f| f.edits.contains(target)).expect("owner");
            let without_hit: Vec<&Fix> = all.iter().enumerate().filter(|(i, _)| *i != hit).map(|(_, f)| f).collect();
            let with_intruder = reference(&without_hit);
            let got = out.files.get(&path).cloned().unwrap_or_else(|| text.clone());
            prop_assert!(got == without_intruder || got == with_intruder, "merged: {:?}", got);
        }
    }
}

/// Pieces of hostile strings: line breaks, workflow commands (also indented and in the old
/// `##[` form), terminal escapes, bidi overrides, C1 controls, and ordinary name characters.
fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("::error file=F.md::INJECT".to_string()),
            Just("  ::warning::x".to_string()),
            Just("##[error]old".to_string()),
            Just("\u{1b}[31m\u{1b}]0;title\u{7}".to_string()),
            Just("\u{202e}\u{2066}".to_string()),
            Just("\u{85}\u{9b}\u{2028}".to_string()),
            Just("%0A%25".to_string()),
            Just("\t".to_string()),
            "[a-z@/._-]{1,8}",
            any::<char>().prop_map(String::from),
        ],
        1..6,
    )
    .prop_map(|v| v.concat())
}

/// A character no rendered output may hold raw: C0 controls other than the line feed (and tab,
/// which only the text renderer's own layout uses), DEL, C1, bidi controls, line separators.
fn forbidden(c: char) -> bool {
    chainward_core::escape::is_unsafe_char(c) && c != '\n' && c != '\t'
}

/// Text output with colour: the only escapes are chainward's own SGR sequences.
fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            let mut ok = false;
            for d in chars.by_ref() {
                if d == 'm' {
                    ok = true;
                    break;
                }
                if !(d.is_ascii_digit() || d == ';') {
                    break;
                }
            }
            if !ok {
                out.push('\u{1b}');
            }
        } else {
            out.push(c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Whatever names, specs, paths and workflow text a tree holds, no rendered output (text
    /// with and without colour, JSON, SARIF, GitHub annotations) contains a raw control
    /// character, and no line is a workflow command that chainward did not write: in GitHub
    /// format every line is one of chainward's annotations, one per finding.
    #[test]
    fn no_output_can_be_turned_against_its_reader(
        name in hostile_string(),
        spec in hostile_string(),
        folder in hostile_string(),
        uses in hostile_string(),
        run in hostile_string(),
    ) {
        let json_str = |s: &str| serde_json::to_string(s).expect("json string");
        let manifest = format!(
            "{{\"name\": {}, \"dependencies\": {{{}: {}, \"ok\": \"^1.0.0\"}}}}",
            json_str(&name), json_str(&name), json_str(&spec)
        );
        let yaml_str = |s: &str| json_str(s); // a JSON string is a YAML double-quoted scalar
        let workflow = format!(
            "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {}\n      - run: {}\n      - run: npm install {}\n",
            yaml_str(&uses), yaml_str(&run), yaml_str(&name)
        );
        let folder = folder.replace('/', "_");
        let nested = format!("{folder}/package.json");
        let files = [
            ("package.json", FileKind::PackageJson, manifest.as_str()),
            (nested.as_str(), FileKind::PackageJson, manifest.as_str()),
            (".github/workflows/ci.yml", FileKind::Workflow, workflow.as_str()),
            (".npmrc", FileKind::Npmrc, "ignore-scripts=false\nregistry=http://x\n"),
        ];
        let project = project(&files);
        let engine = Engine::with_defaults(Config::default()).expect("the default config is valid");
        let findings = engine.check(&project);
        prop_assert!(!findings.is_empty());
        let rules = engine.rules();
        let sources = |p: &std::path::Path| project.source(p);
        for (format, color) in [
            (chainward_report::Format::Text, false),
            (chainward_report::Format::Text, true),
            (chainward_report::Format::Json, false),
            (chainward_report::Format::Sarif, false),
            (chainward_report::Format::Github, false),
            (chainward_report::Format::Concise, false),
        ] {
            let report = chainward_report::Report {
                findings: &findings,
                rules,
                sources: &sources,
                tool_version: "0.0.0",
                color,
                summary: true,
                checked: &[],
                attestation: None,
            };
            let mut out = Vec::new();
            chainward_report::render(format, &report, &mut out).expect("renders");
            let text = String::from_utf8(out).expect("UTF-8");
            let shown = if color { strip_sgr(&text) } else { text.clone() };
            if let Some(c) = shown.chars().find(|&c| forbidden(c)) {
                prop_assert!(false, "{format} (color {color}) holds a raw {c:?}:\n{text}");
            }
            if matches!(format, chainward_report::Format::Json | chainward_report::Format::Sarif) {
                let doc = serde_json::from_str::<serde_json::Value>(&text);
                prop_assert!(doc.is_ok(), "{format} is not JSON");
                if format == chainward_report::Format::Sarif {
                    static SARIF: std::sync::OnceLock<(boon::Schemas, boon::SchemaIndex)> =
                        std::sync::OnceLock::new();
                    let (schemas, index) = SARIF.get_or_init(crate::formats::sarif_validator);
                    let doc = doc.expect("checked");
                    if let Err(e) = schemas.validate(&doc, *index) {
                        prop_assert!(false, "SARIF does not validate: {e:#}\n{text}");
                    }
                }
            }
            let lines: Vec<&str> = text.lines().collect();
            if format == chainward_report::Format::Github {
                prop_assert_eq!(lines.len(), findings.len(), "{}", text);
                for line in &lines {
                    let ours = ["::error file=", "::warning file=", "::notice file="]
                        .iter()
                        .any(|p| line.starts_with(p));
                    prop_assert!(ours, "a line chainward did not mean: {:?}", line);
                }
            } else {
                for line in &lines {
                    prop_assert!(
                        !chainward_core::escape::is_command_line(line),
                        "{format}: a workflow command: {:?}\n{text}",
                        line
                    );
                }
            }
        }
    }
}
