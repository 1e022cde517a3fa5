//! What every fuzz target does with its input: put it in an in-memory project as one kind of
//! file (beside fixed companions where the rules need them), run every plugin as `chainward
//! check` does, render the findings (one of text, text with color, JSON and GitHub, and SARIF
//! for one input in 16, chosen by size), and apply the safe fixes as `chainward fix` does (two rounds). Any panic, hang or runaway allocation is
//! a bug; a fix the engine refuses is not.

use chainward_core::config::Config;
use chainward_core::project::{FileKind, Project};

/// A package.json that names what the companion lockfiles hold.
pub const MANIFEST: &str = r#"{
  "name": "fuzz",
  "version": "1.0.0",
  "dependencies": { "ms": "^2.1.3", "left-pad": "1.3.0" },
  "devDependencies": { "kleur": "~4.1.5" }
}
"#;

/// An npm v3 lockfile that matches `MANIFEST`.
pub const NPM_LOCK: &str = r#"{
  "name": "fuzz",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "fuzz",
      "version": "1.0.0",
      "dependencies": { "left-pad": "1.3.0", "ms": "^2.1.3" },
      "devDependencies": { "kleur": "~4.1.5" }
    },
    "node_modules/kleur": { "version": "4.1.5", "resolved": "https://registry.npmjs.org/kleur/-/kleur-4.1.5.tgz", "integrity": "sha512-o+NO+8WrRiQEE4/7nwRJhN1HWpVmJm511pBHUxPLtp0BUISzlBplORYSmTclCnJvQq2tKu/sgl3xVpkc7ZWuQQ==", "dev": true },
    "node_modules/left-pad": { "version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEwYqBoUUbF1CHxhrzT/vPCb6Ts3ms0lADOPvi/Xl26TcZw==" },
    "node_modules/ms": { "version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz", "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==" }
  }
}
"#;

/// Check `files` as a project; render; fix twice. Non-UTF-8 input is the file reader's job
/// (a parse-error finding), so targets pass text only.
pub fn check(files: Vec<(&str, FileKind, String)>) {
    one_thread();
    // Which renderings this input gets, from its size: SARIF carries every rule's metadata and
    // would otherwise take most of each execution; deterministic per input.
    let salt: usize = files.iter().map(|f| f.2.len()).sum();
    let files = files
        .into_iter()
        .map(|(rel, kind, text)| (rel.to_string(), kind, text))
        .collect();
    let project = Project::in_memory("/nonexistent/chainward-fuzz", files);
    let engine = chainward_engine::Engine::with_defaults(Config::default())
        .expect("the default config is valid");
    let findings = engine.check(&project);
    render(&project, &findings, salt);
    // Two rounds of `chainward fix`, as the CLI runs them.
    let policy = chainward_engine::FixPolicy {
        unsafe_fixes: false,
        max_rounds: 2,
    };
    if let Ok(outcome) = engine.fix_until_stable(&project, findings, policy)
        && let Some(fixed) = &outcome.project
    {
        render(fixed, &outcome.findings, salt);
    }
}

/// rayon's global pool as this one thread: every `par_iter` of a check runs inline. `cargo
/// xtask fuzz --jobs J` runs J targets side by side, one per core; hand-offs between threads
/// would cost more than they save on inputs this small.
pub fn one_thread() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only when the global pool already exists; the fuzzer works either way.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .use_current_thread()
            .build_global();
    });
}

fn render(project: &Project, findings: &[chainward_core::finding::Finding], salt: usize) {
    let rules = chainward_engine::registry::all_rules();
    let sources = |path: &std::path::Path| project.source(path);
    // One rendering per input, chosen by its size (deterministic per input): each renderer
    // still sees a quarter of all inputs, at a third of the cost of rendering every input
    // three times. SARIF carries every rule's metadata: one input in 16.
    let mut formats = vec![match salt % 4 {
        0 => (chainward_report::Format::Text, false),
        1 => (chainward_report::Format::Text, true),
        2 => (chainward_report::Format::Json, false),
        _ => (chainward_report::Format::Github, false),
    }];
    if salt % 16 == 7 {
        formats.push((chainward_report::Format::Sarif, false));
    }
    for (format, color) in formats {
        {
            let report = chainward_report::Report {
                findings,
                rules: &rules,
                sources: &sources,
                tool_version: "fuzz",
                color,
                summary: true,
                checked: &[],
                attestation: None,
            };
            let _ = chainward_report::render(format, &report, &mut std::io::sink());
        }
    }
}

/// One file of `kind` at `rel`, with `companions`.
pub fn one(data: &[u8], rel: &str, kind: FileKind, companions: &[(&str, FileKind, &str)]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut files = vec![(rel, kind, text.to_string())];
    files.extend(companions.iter().map(|(r, k, t)| (*r, *k, t.to_string())));
    check(files);
}

/// An SBOM document: read, validated, diffed against itself (no change), and what chainward
/// writes for it read back.
pub fn sbom(text: &str) {
    one_thread();
    let _ = sbom_diff::validate::validate(text);
    let Ok((_, doc)) = sbom_diff::read::read(text) else {
        return;
    };
    assert!(
        sbom_diff::diff::diff(&doc, &doc).is_empty(),
        "an SBOM differs from itself"
    );
    for format in [
        sbom_diff::Format::CycloneDx(sbom_diff::cyclonedx::SpecVersion::V1_5),
        sbom_diff::Format::CycloneDx(sbom_diff::cyclonedx::SpecVersion::V1_6),
        sbom_diff::Format::Spdx,
    ] {
        let written = sbom_diff::render(&doc, format, true);
        if let Err(e) = sbom_diff::read::read(&written) {
            panic!("chainward cannot read the SBOM it wrote: {e}\n{written}");
        }
    }
}

/// Where the fix engine target puts its document.
const FIX_KINDS: &[(&str, FileKind)] = &[
    ("package.json", FileKind::PackageJson),
    ("package-lock.json", FileKind::NpmLock),
    ("pnpm-lock.yaml", FileKind::PnpmLock),
    ("yarn.lock", FileKind::YarnLock),
    ("bun.lock", FileKind::BunLock),
    (".github/workflows/ci.yml", FileKind::Workflow),
];

/// Random fixes (edits given as offsets into the document, any byte, boundaries or not)
/// against `doc`: the engine refuses or returns whole, parsing files.
pub fn fix_engine(kind: u8, doc: &str, fixes: &[Vec<(u16, u16, String)>]) {
    one_thread();
    let (rel, kind) = FIX_KINDS[usize::from(kind) % FIX_KINDS.len()];
    let project = Project::in_memory(
        "/nonexistent/chainward-fuzz",
        vec![(rel.into(), kind, doc.into())],
    );
    let path = project.root.join(rel);
    let len = doc.len();
    let fixes: Vec<chainward_core::Fix> = fixes
        .iter()
        .map(|edits| {
            chainward_core::Fix::safe(
                "fuzz",
                edits
                    .iter()
                    .map(|(a, b, replacement)| {
                        let start = usize::from(*a) % (len + 1);
                        let end = start + usize::from(*b) % (len + 1 - start);
                        chainward_core::fix::Edit::replace(&path, start..end, replacement.clone())
                    })
                    .collect(),
            )
        })
        .collect();
    let refs: Vec<&chainward_core::Fix> = fixes.iter().collect();
    if let Ok(applied) = chainward_engine::apply_fixes(&project, &refs) {
        for (p, text) in &applied.files {
            assert_eq!(p, &path, "a fix wrote a file it had no edit for");
            assert_ne!(text, doc, "an unchanged file was reported as changed");
        }
    }
}
