//! How workflows publish to the MCP registry: the `mcp-publisher` they download and run with an
//! OIDC token (`mcp/unpinned-publisher`), and the steps that rewrite server.json before
//! `mcp-publisher publish` (which make `mcp/version-mismatch` info).

use std::ops::Range;
use std::sync::Arc;

use chainward_core::shell::Command;
use chainward_core::workflow::{self, Step};
use chainward_core::{FileKind, Finding, Fixability, Project, Rule, Severity, SourceFile};

pub(crate) static UNPINNED_PUBLISHER: Rule = Rule {
    id: "mcp/unpinned-publisher",
    code: "MCP006",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A job that can mint an OIDC token runs an mcp-publisher it did not verify",
    doc: r#"`mcp-publisher login github-oidc` turns the job's OIDC token (`id-token: write`) into
the right to publish anything under `io.github.<owner>/*` in the MCP registry. The registry's
quick start downloads the binary from the latest release and pipes it into `tar`:

```yaml
permissions:
  id-token: write
steps:
  - run: curl -L "https://github.com/modelcontextprotocol/registry/releases/latest/download/mcp-publisher_linux_amd64.tar.gz" | tar xz mcp-publisher
  - run: ./mcp-publisher login github-oidc && ./mcp-publisher publish
```

Whatever that URL serves on the day of the release runs with the token: a compromised release,
or a new major version that behaves differently. The releases ship a checksums file and Sigstore
signatures; a pinned version whose archive is checked against a recorded SHA-256 runs the same
bytes every time. (`releases/download/latest/…`, a tag named `latest`, is the same hazard, and
does not exist for this repository: that download fails.)

**Fix.** Pin a release and check the archive before running it:

```yaml
  - run: |
      curl -fsSLo mcp-publisher.tar.gz https://github.com/modelcontextprotocol/registry/releases/download/v1.7.9/mcp-publisher_linux_amd64.tar.gz
      echo "<sha256 from the release's checksums file>  mcp-publisher.tar.gz" | sha256sum -c -
      tar xzf mcp-publisher.tar.gz mcp-publisher
```

(`gh attestation verify` or `cosign verify-blob` against the release's signature do as well.)
"#,
};

/// What the repository's workflows do around `mcp-publisher publish`.
#[derive(Default)]
pub(crate) struct Publishing {
    /// Steps, in jobs that run `mcp-publisher publish`, that rewrite a server.json before it
    /// does.
    rewrites: Vec<Rewrite>,
}

struct Rewrite {
    /// What it rewrites: the top-level `version`, the packages' versions.
    top: bool,
    packages: bool,
    workflow: Arc<SourceFile>,
    /// The step's `run:` span.
    span: Range<usize>,
    /// The folder the step runs in, relative to the root (`""` for the root).
    dir: String,
    script: String,
}

impl Publishing {
    pub(crate) fn of(project: &Project) -> Publishing {
        let mut rewrites = Vec::new();
        for file in project.files_of(FileKind::Workflow) {
            let Some(wf) = workflow::parsed(file) else {
                continue;
            };
            for job in wf.jobs() {
                let steps: Vec<Step<'_>> = job.steps().collect();
                let Some(publish_at) = steps
                    .iter()
                    .position(|s| s.all_commands().any(is_mcp_publish))
                else {
                    continue;
                };
                for step in &steps[..=publish_at] {
                    let Some((top, packages)) = rewrites_server_json(project, step) else {
                        continue;
                    };
                    let dir = job
                        .working_directory(step)
                        .filter(|d| workflow::relative_dir(d))
                        .map(|d| workflow::join_dir("", d))
                        .unwrap_or_default();
                    rewrites.push(Rewrite {
                        top,
                        packages,
                        workflow: Arc::clone(file),
                        span: step.run.map_or(step.node.span.clone(), |r| r.span.clone()),
                        dir,
                        script: step.script.to_string(),
                    });
                }
            }
        }
        Publishing { rewrites }
    }

    /// The step that rewrites the server.json at `rel` (relative to the root) before publishing
    /// (its script names that path, or names `server.json` and runs in that file's folder), and
    /// rewrites the top-level `version` (`top`) or the packages' versions (not `top`).
    pub(crate) fn rewrite(&self, rel: &str, top: bool) -> Option<(&SourceFile, &Range<usize>)> {
        let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
        self.rewrites
            .iter()
            .find(|r| {
                let named = |path: &str| {
                    r.script.match_indices(path).any(|(at, _)| {
                        let before = r.script[..at].chars().next_back();
                        let before = if r.script[..at].ends_with("./") {
                            r.script[..at - 2].chars().next_back()
                        } else {
                            before
                        };
                        !before.is_some_and(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
                    })
                };
                (if top { r.top } else { r.packages })
                    && ((!dir.is_empty() && named(rel)) || (r.dir == dir && named("server.json")))
            })
            .map(|r| (r.workflow.as_ref(), &r.span))
    }
}

/// The program a command runs, without its folder (`./mcp-publisher` → `mcp-publisher`).
fn program(cmd: &Command) -> Option<&str> {
    let word = cmd.argv().first()?;
    Some(word.text.rsplit('/').next().unwrap_or(&word.text))
}

/// `mcp-publisher publish` (any path to the binary).
pub(crate) fn is_mcp_publish(cmd: &Command) -> bool {
    program(cmd) == Some("mcp-publisher")
        && cmd
            .argv()
            .iter()
            .skip(1)
            .find(|w| !w.text.starts_with('-'))
            .is_some_and(|w| w.text == "publish")
}

/// Whether a script's text writes server.json: a redirect onto it, or a program that writes
/// files (`writeFileSync`, `json.dump`) and names it.
fn writes_server_json(script: &str) -> bool {
    if !script.contains("server.json") {
        return false;
    }
    let redirect = script.match_indices('>').any(|(at, _)| {
        let target = script[at + 1..].trim_start_matches('>').trim_start();
        let word = target
            .split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|' || c == ')')
            .next()
            .unwrap_or_default();
        word.trim_matches(['"', '\'']).ends_with("server.json")
    });
    redirect
        || [
            "writeFileSync",
            "writeFile(",
            "json.dump",
            ".write_text(",
            "Bun.write",
            "sed -i",
            "yq -i",
            "perl -pi",
        ]
        .iter()
        .any(|w| script.contains(w))
}

/// Whether a step writes server.json before publishing — a redirect, `mv`/`cp`/`tee`/`sponge`
/// onto it, `sed -i`/`yq -i`/`perl -i` on it, a program or a script of the repository that
/// writes it — and what it rewrites: `(top-level version, packages' versions)`. A `jq` filter
/// says which (`.version = $v` is the top level only, as the registry's docs show it); other
/// tools are taken to rewrite both. Reading it (`jq .version server.json`, a validator) is not a
/// rewrite.
fn rewrites_server_json(project: &Project, step: &Step<'_>) -> Option<(bool, bool)> {
    let script = step.script;
    let onto = step.all_commands().any(|c| {
        let argv: Vec<&str> = c.argv().iter().map(|w| w.text.as_str()).collect();
        let names = argv.iter().skip(1).any(|a| a.ends_with("server.json"));
        match program(c) {
            Some("mv" | "cp" | "install") => {
                argv.last().is_some_and(|a| a.ends_with("server.json"))
            }
            Some("tee" | "sponge") => names,
            Some("sed" | "perl" | "yq") => {
                names
                    && argv.iter().any(|a| {
                        *a == "-i"
                            || a.starts_with("-i")
                            || *a == "--in-place"
                            || a.starts_with("--in-place=")
                            || a.starts_with("-pi")
                    })
            }
            _ => false,
        }
    });
    // A script of the repository the step runs (`node scripts/sync-version.mjs`, `./release.sh`).
    let by_script = step.all_commands().any(|c| {
        c.argv().iter().any(|w| {
            let t = w.text.trim_start_matches("./");
            let local = [".js", ".mjs", ".cjs", ".ts", ".sh", ".bash", ".py"]
                .iter()
                .any(|e| t.ends_with(e))
                && !t.contains("..")
                && !t.starts_with('/')
                && !t.contains('$');
            local
                && project
                    .read_text(&chainward_core::project::join(&project.root, t))
                    .is_some_and(|text| writes_server_json(&text))
        })
    });
    if !(onto || by_script || writes_server_json(script)) {
        return None;
    }
    let jq = step.all_commands().any(|c| program(c) == Some("jq"));
    if jq && !by_script {
        let top = script.match_indices(".version").any(|(at, _)| {
            !script[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c == ']' || c.is_ascii_alphanumeric() || c == '_')
        });
        return Some((top, script.contains("packages")));
    }
    Some((true, true))
}

/// Where an `mcp-publisher` download comes from, for the hazard it names.
enum Download {
    /// `releases/latest/download/…` or `releases/download/latest/…`.
    Latest,
    /// A fixed release, not checked in the job.
    Unchecked,
}

/// What [`download`] returns for a publisher built from the registry's source.
const BUILT: &str = "modelcontextprotocol/registry";

fn download(cmd: &Command) -> Option<(Download, String)> {
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    // `go install github.com/modelcontextprotocol/registry/cmd/publisher@latest` (or no
    // version), `git clone` of the registry without a tag: its default branch, built.
    if program(cmd) == Some("go") && argv.get(1) == Some(&"install") {
        let module = argv
            .iter()
            .find(|a| a.starts_with("github.com/modelcontextprotocol/registry/"))?;
        let latest = module
            .split_once('@')
            .is_none_or(|(_, v)| v == "latest" || v == "main");
        return Some((
            if latest {
                Download::Latest
            } else {
                Download::Unchecked
            },
            BUILT.to_string(),
        ));
    }
    if program(cmd) == Some("git") && argv.get(1) == Some(&"clone") {
        argv.iter().find(|a| {
            a.trim_end_matches(".git")
                .ends_with("modelcontextprotocol/registry")
        })?;
        let tagged = argv
            .iter()
            .any(|a| *a == "--branch" || *a == "-b" || a.starts_with("--branch="));
        return (!tagged).then(|| (Download::Latest, BUILT.to_string()));
    }
    // `gh release download [TAG] --repo modelcontextprotocol/registry`: no tag is the latest.
    if program(cmd) == Some("gh") && argv.get(1..3) == Some(&["release", "download"][..]) {
        let repo = argv
            .iter()
            .position(|a| *a == "--repo" || *a == "-R")
            .and_then(|i| argv.get(i + 1));
        if !repo.is_some_and(|r| {
            r.trim_end_matches(".git")
                .ends_with("modelcontextprotocol/registry")
        }) {
            return None;
        }
        let mut positional = Vec::new();
        let mut i = 3;
        while let Some(a) = argv.get(i) {
            if a.starts_with('-') {
                // Options of gh release download that take a value.
                if matches!(
                    *a,
                    "--repo"
                        | "-R"
                        | "--pattern"
                        | "-p"
                        | "--dir"
                        | "-D"
                        | "--output"
                        | "-O"
                        | "--archive"
                        | "-A"
                ) {
                    i += 1;
                }
            } else {
                positional.push(*a);
            }
            i += 1;
        }
        let latest = positional.first().is_none_or(|t| *t == "latest");
        return Some((
            if latest {
                Download::Latest
            } else {
                Download::Unchecked
            },
            "gh release download".to_string(),
        ));
    }
    if !matches!(program(cmd), Some("curl" | "wget")) {
        return None;
    }
    // The archive (or binary), not its checksums file or signature.
    let url = cmd.argv().iter().map(|w| w.text.as_str()).find(|t| {
        let file = t.rsplit('/').next().unwrap_or(t);
        t.contains("mcp-publisher")
            && t.contains("/releases/")
            && !file.contains("checksums")
            && ![".sigstore.json", ".sig", ".pem", ".txt", ".sbom.json"]
                .iter()
                .any(|e| file.ends_with(e))
    })?;
    let latest = url.contains("/releases/latest/") || url.contains("/releases/download/latest/");
    Some((
        if latest {
            Download::Latest
        } else {
            Download::Unchecked
        },
        url.to_string(),
    ))
}

/// A command that checks a download: `sha256sum -c`, `shasum -a 256 -c`, `gh attestation
/// verify`, `cosign verify-blob`, `slsa-verifier`.
fn verifies(cmd: &Command) -> bool {
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    match program(cmd) {
        Some("sha256sum" | "shasum" | "sha512sum") => argv
            .iter()
            .any(|a| *a == "-c" || *a == "--check" || a.starts_with("--check=")),
        Some("gh") => argv.get(1..3) == Some(&["attestation", "verify"][..]),
        Some("cosign") => argv.get(1).is_some_and(|a| a.starts_with("verify")),
        Some("slsa-verifier") => true,
        _ => false,
    }
}

pub(crate) fn check(project: &Project, out: &mut Vec<Finding>) {
    for file in project.files_of(FileKind::Workflow) {
        let Some(wf) = workflow::parsed(file) else {
            continue;
        };
        let Ok(text) = file.text() else { continue };
        for job in wf.jobs() {
            let steps: Vec<Step<'_>> = job.steps().collect();
            // What the binary gets: the job's OIDC token, or a secret handed to
            // `mcp-publisher login` (a DNS or HTTP private key, a GitHub token).
            let power = if job.id_token_write() {
                "can mint an OIDC token (`id-token: write`)"
            } else if steps.iter().any(|s| {
                s.script.contains("secrets.")
                    && s.all_commands().any(|c| {
                        program(c) == Some("mcp-publisher")
                            && c.argv().get(1).is_some_and(|w| w.text == "login")
                    })
            }) {
                "hands a secret to `mcp-publisher login`"
            } else {
                continue;
            };
            // A check of the download: a verifying command in a step that names mcp-publisher
            // (`echo "<sha>  mcp-publisher.tar.gz" | sha256sum -c -`).
            let checked = steps
                .iter()
                .any(|s| s.script.contains("mcp-publisher") && s.all_commands().any(verifies));
            // Checked against a SHA-256 written in the workflow: whatever `latest` serves must
            // be those bytes, or the job stops.
            let recorded = steps.iter().any(|s| {
                s.script.contains("mcp-publisher")
                    && s.all_commands().any(verifies)
                    && s.script
                        .split(|c: char| !c.is_ascii_hexdigit())
                        .any(|w| w.len() == 64)
            });
            for step in &steps {
                for cmd in step.all_commands() {
                    let Some((kind, url)) = download(cmd) else {
                        continue;
                    };
                    // A version looked up at run time (the API's `releases/latest`) in a `$VAR`
                    // of the URL is the latest release too.
                    let kind = match kind {
                        Download::Unchecked
                            if url.contains('$') && step.script.contains("releases/latest") =>
                        {
                            Download::Latest
                        }
                        k => k,
                    };
                    let (message, help) = match kind {
                        Download::Latest if recorded => continue,
                        Download::Latest => (
                            format!(
                                "job `{}` {power} and runs the `mcp-publisher` of whatever {} on the day",
                                job.id,
                                if url == BUILT {
                                    "the registry's default branch holds"
                                } else {
                                    "release is latest"
                                }
                            ),
                            "pin a release (`releases/download/v1.7.9/…`) and check the archive's SHA-256 before running it",
                        ),
                        Download::Unchecked if !checked => (
                            format!(
                                "job `{}` {power} and runs a downloaded `mcp-publisher` without checking its checksum or signature",
                                job.id
                            ),
                            "check the archive against the release's checksums file (`sha256sum -c`) or its signature before running it",
                        ),
                        Download::Unchecked => continue,
                    };
                    let span = step
                        .run
                        .map(|r| r.span.clone())
                        .and_then(|r| {
                            url_span(text, r.clone(), &url).or_else(|| find_span(text, r, &url))
                        })
                        .unwrap_or_else(|| {
                            step.run.map_or(step.node.span.clone(), |r| r.span.clone())
                        });
                    out.push(
                        Finding::new(&UNPINNED_PUBLISHER, file, span, message)
                            .with_help(help)
                            .with_subject(format!("{}:mcp-publisher", job.id)),
                    );
                }
            }
        }
    }
}

/// The span of `needle` in the `run:` scalar, when it is written there as is.
fn find_span(text: &str, region: Range<usize>, needle: &str) -> Option<Range<usize>> {
    let at = text.get(region.clone())?.find(needle)?;
    Some(region.start + at..region.start + at + needle.len())
}

/// The span of the download URL in the `run:` scalar (up to `mcp-publisher`, which comes before
/// any `$(…)` a URL holds), when it is written there as is.
fn url_span(text: &str, region: Range<usize>, url: &str) -> Option<Range<usize>> {
    let end = url.find("mcp-publisher")? + "mcp-publisher".len();
    let needle = &url[..end];
    let hay = text.get(region.clone())?;
    let at = hay.find(needle)?;
    Some(region.start + at..region.start + at + needle.len())
}
