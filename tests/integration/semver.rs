//! Semver, differentially: for generated specs and versions, chainward's classification
//! (exact version, range, neither) and `satisfies` agree with the real node-semver, the copy
//! that npm itself ships and uses (run once, offline, on the whole batch).

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::{Just, any};
use proptest::prop_oneof;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn part() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u32..12).prop_map(|n| n.to_string()),
        1 => proptest::sample::select(vec!["x", "X", "*", "01", "999999999999", "00"]).prop_map(str::to_string),
    ]
}

fn version_text() -> impl Strategy<Value = String> {
    (
        part(),
        proptest::option::of(part()),
        proptest::option::of(part()),
        proptest::option::of(proptest::sample::select(vec![
            "-alpha",
            "-alpha.1",
            "-0",
            "-rc.1",
            "-beta.2.x",
            "-",
            "-01",
        ])),
        proptest::option::of(proptest::sample::select(vec!["+build.5", "+001", "+"])),
    )
        .prop_map(|(a, b, c, pre, build)| {
            let mut s = a;
            if let Some(b) = b {
                s = format!("{s}.{b}");
                if let Some(c) = c {
                    s = format!("{s}.{c}");
                }
            }
            format!("{s}{}{}", pre.unwrap_or(""), build.unwrap_or(""))
        })
}

fn comparator() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec![
            "", "", "^", "~", ">=", "<=", ">", "<", "=", "v", "~>", ">= ", "^v", "=v",
        ]),
        version_text(),
    )
        .prop_map(|(op, v)| format!("{op}{v}"))
}

fn spec() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (
            proptest::collection::vec(comparator(), 1..3),
            proptest::sample::select(vec![" ", " || ", " - ", "  ", "||", " ,"]),
            proptest::sample::select(vec!["", " ", "\t"]),
        )
            .prop_map(|(cs, join, pad)| format!("{pad}{}{pad}", cs.join(join))),
        1 => proptest::sample::select(vec![
            "", "*", "latest", "next", "x", "1.2.3.4", "^", ">=", "1 - ", "||", "a.b.c",
            "v1", "=", "~1.2.3 ||", ">=1.0.0 <", "1.2.3 - 2", "<1.0.0-0",
        ])
        .prop_map(str::to_string),
    ]
}

fn version() -> impl Strategy<Value = String> {
    (
        0u32..12,
        0u32..12,
        0u32..12,
        proptest::option::of(proptest::sample::select(vec![
            "-alpha", "-alpha.1", "-0", "-rc.1",
        ])),
    )
        .prop_map(|(a, b, c, pre)| format!("{a}.{b}.{c}{}", pre.unwrap_or("")))
}

/// Specs as people write them: full versions (with `v`, prereleases), partial and x-ranges,
/// every operator, AND-sets, `||` and hyphen ranges, surrounding whitespace.
fn realistic_spec() -> impl Strategy<Value = String> {
    let n = || 0u32..12;
    let full = (
        n(),
        n(),
        n(),
        proptest::option::of(proptest::sample::select(vec![
            "alpha", "alpha.1", "0", "rc.1", "beta.2",
        ])),
        any::<bool>(),
    )
        .prop_map(|(a, b, c, pre, v)| {
            format!(
                "{}{a}.{b}.{c}{}",
                if v { "v" } else { "" },
                pre.map(|p| format!("-{p}")).unwrap_or_default()
            )
        });
    let partial = prop_oneof![
        n().prop_map(|a| a.to_string()),
        (n(), n()).prop_map(|(a, b)| format!("{a}.{b}")),
        (n(), proptest::sample::select(vec!["x", "X", "*"])).prop_map(|(a, x)| format!("{a}.{x}")),
        (n(), n(), proptest::sample::select(vec!["x", "*"]))
            .prop_map(|(a, b, x)| format!("{a}.{b}.{x}")),
        Just("*".to_string()),
        Just("x".to_string()),
    ];
    let version = prop_oneof![3 => full.clone(), 2 => partial];
    let op = proptest::sample::select(vec!["", "", "^", "~", ">=", "<=", ">", "<", "=", "~>"]);
    let comparator = (op, version).prop_map(|(o, v)| format!("{o}{v}"));
    let set = prop_oneof![
        4 => proptest::collection::vec(comparator, 1..3).prop_map(|cs| cs.join(" ")),
        1 => (full.clone(), full).prop_map(|(a, b)| format!("{a} - {b}")),
    ];
    (
        proptest::collection::vec(set, 1..4),
        proptest::sample::select(vec!["", " ", "  "]),
    )
        .prop_map(|(sets, pad)| format!("{pad}{}{pad}", sets.join(" || ")))
}

/// Dependency specs as lockfiles record them between packages (`^1.2.3`, `~0.2.0`, `>=1.0.0`,
/// `1.2.3`), the lockfile check's fast path, each with a version near its bounds (every part
/// one below to two above; a prerelease now and then), with padding; now and then a part of the
/// spec or of the version is huge: the largest part both accept, or one both reject. (The
/// node-semver crate's limit is 900,719,925,474,099, a tenth of node-semver's 2^53 - 1; a part
/// in between is a version to npm and not to chainward. No real package has one.)
fn edge_case() -> impl Strategy<Value = (String, String)> {
    const HUGE: [u64; 4] = [900_719_925_474_099, 1 << 53, 1 << 60, u64::MAX];
    let n = || prop_oneof![19 => 0u64..4, 1 => proptest::sample::select(HUGE.to_vec())];
    // A version part: near the spec's (-1..=2), or one of HUGE (0..4 picks it).
    let d = || prop_oneof![19 => (-1i64..3).prop_map(Ok), 1 => (0usize..4).prop_map(Err)];
    (
        proptest::sample::select(vec!["^", "^", "~", "~", ">=", "=", ""]),
        (n(), n(), n()),
        (d(), d(), d()),
        proptest::sample::select(vec!["", "", "", "-0", "-rc.1"]),
        proptest::sample::select(vec!["", "", "", " "]),
    )
        .prop_map(|(op, (a, b, c), (da, db, dc), pre, pad)| {
            let near = |x: u64, dx: Result<i64, usize>| match dx {
                // Not up into the gap between the two limits (above).
                Ok(dx) if x >= HUGE[0] => x.saturating_add_signed(dx.min(0)).to_string(),
                Ok(dx) => x.saturating_add_signed(dx).to_string(),
                Err(i) => HUGE[i].to_string(),
            };
            (
                format!("{pad}{op}{a}.{b}.{c}{pad}"),
                format!("{}.{}.{}{pre}", near(a, da), near(b, db), near(c, dc)),
            )
        })
}

const NODE: &str = r#"
const semver = require(process.argv[1]);
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const out = JSON.parse(input).map(([spec, version]) => {
    // As npm-package-arg classifies: loose parsing.
    const kind = semver.valid(spec, true) ? 'version' : semver.validRange(spec, true) !== null ? 'range' : 'other';
    // A version node-semver cannot read satisfies nothing (`satisfies` says false, `npm ci`
    // stops): chainward answers `None`, "not a version".
    const sat = kind === 'other' || semver.valid(version, true) === null ? null : semver.satisfies(version, spec, true);
    return [kind, sat];
  });
  process.stdout.write(JSON.stringify(out));
});
"#;

/// node-semver inside npm's own installation.
fn node_semver() -> std::path::PathBuf {
    let out = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .expect("npm is on PATH (.ci/run installs it)");
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::path::Path::new(&root).join("npm/node_modules/semver")
}

/// Classify and match `cases` with chainward and with node-semver: (disagreements, counts of
/// node-semver kind / chainward kind).
fn compare(cases: &[(String, String)]) -> (Vec<String>, std::collections::BTreeMap<String, usize>) {
    let semver = node_semver();
    assert!(
        semver.join("package.json").is_file(),
        "no semver at {}",
        semver.display()
    );
    let mut node = Command::new("node")
        .args(["-e", NODE])
        .arg(&semver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    node.stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(&cases).expect("json").as_bytes())
        .expect("write");
    let out = node.wait_with_output().expect("node output");
    assert!(out.status.success());
    let reference: Vec<(String, Option<bool>)> =
        serde_json::from_slice(&out.stdout).expect("node's answer");

    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    let mut wrong = Vec::new();
    for ((spec, version), (want_kind, want_sat)) in cases.iter().zip(&reference) {
        let kind = match chainward_npm::classify(spec) {
            chainward_npm::Spec::Version(_) => "version",
            chainward_npm::Spec::Range(_) => "range",
            _ => "other",
        };
        *kinds.entry(format!("{want_kind}/{kind}")).or_default() += 1;
        let sat = (kind != "other")
            .then(|| chainward_npm::spec::satisfies(version, spec.trim()))
            .flatten();
        if kind != want_kind || (kind != "other" && sat != *want_sat) {
            wrong.push(format!(
                "{spec:?} @ {version}: node-semver {want_kind} {want_sat:?}, chainward {kind} {sat:?}"
            ));
        }
        // The lockfile check's matcher (plain bounds for `^1.2.3`, `~1.2.3`, `>=1.2.3`,
        // `1.2.3`; the general reading for the rest) must give the same answer.
        if kind != "other" {
            let matcher = chainward_npm::spec::Matcher::parse(spec);
            if matcher.as_ref().is_some_and(|m| m.is_bounds()) {
                *kinds.entry("fast path".into()).or_default() += 1;
            }
            // Compared with chainward's own `satisfies`, which the check above compares with
            // node-semver: together, the matcher agrees with node-semver.
            let fast = matcher.and_then(|m| m.satisfies(version));
            if fast != sat {
                wrong.push(format!(
                    "{spec:?} @ {version}: node-semver {want_sat:?}, satisfies {sat:?}, the lockfile check's matcher {fast:?}"
                ));
            }
        }
    }
    (wrong, kinds)
}

fn sample<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("case").current())
        .collect()
}

/// Specs as people write them: chainward agrees with node-semver on every one.
#[test]
fn classification_and_satisfies_agree_with_node_semver() {
    let mut cases = sample((realistic_spec(), version()), 4000);
    cases.extend(sample(edge_case(), 1000));
    let (wrong, kinds) = compare(&cases);
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "semver, realistic: {} cases, node/chainward kinds {kinds:?}",
            cases.len()
        );
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(40)].join("\n")
    );
    for k in ["version/version", "range/range", "fast path"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 100, "{k}: {kinds:?}");
    }
}

/// Malformed specs (partial versions with prereleases or builds, stray operators, commas,
/// leading zeros, huge numbers): nothing panics. Where the node-semver crate reads such a spec
/// differently from node-semver, the counts are printed (docs/reliability.md keeps the last
/// figures); chainward reports most of these specs anyway (`pin-check`, `npm-ci/invalid-spec`).
#[test]
fn malformed_specs_never_panic() {
    let cases = sample((spec(), version()), 4000);
    let (wrong, kinds) = compare(&cases);
    // Where chainward and node-semver part ways on input like this: the kind (a spec one reads
    // as a range and the other as invalid), and, with the same kind, the answer.
    let classified: usize = kinds
        .iter()
        .filter(|(k, _)| k.split_once('/').is_some_and(|(a, b)| a != b))
        .map(|(_, n)| n)
        .sum();
    let matched: Vec<&String> = wrong
        .iter()
        .filter(|w| {
            ["range", "version"].iter().any(|k| {
                w.contains(&format!("node-semver {k} ")) && w.contains(&format!("chainward {k} "))
            })
        })
        .collect();
    let matcher = wrong.iter().filter(|w| w.contains("matcher")).count();
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "semver, malformed: {} cases, {classified} classified differently, {} matched differently ({matcher} by the lockfile check's matcher); kinds {kinds:?}; e.g. {:?}",
            cases.len(),
            matched.len(),
            matched.iter().take(5).collect::<Vec<_>>()
        );
    }
    assert_eq!(cases.len(), 4000);
    // Whatever the input, the lockfile check's fast path reads a spec as the general path does.
    assert_eq!(matcher, 0, "{wrong:#?}");
}
