//! Publishing to PyPI: trusted publishing (OIDC) instead of an API token, and PEP 740
//! attestations on what is uploaded.
//!
//! `pypa/gh-action-pypi-publish` uses trusted publishing when its `password` input is empty (the
//! job then needs `id-token: write`), and since v1.11.0 signs and uploads a PEP 740 attestation
//! for every distribution by default, with trusted publishing only. `uv publish`, `twine upload`
//! and the others upload attestation files only when a step made them (`pypi-attestations
//! sign`); hatch and poetry have no trusted publishing of their own.

use chainward_core::shell::Command;
use chainward_core::workflow::{self, Job, PYPI_PUBLISH_ACTION, Step};
use chainward_core::{Finding, SourceFile};

use crate::{LONG_LIVED_TOKEN, MISSING_ID_TOKEN, PUBLISH_WITHOUT_PROVENANCE};

/// Environment variables that hand a publishing tool a long-lived credential.
const TOKEN_ENV: &[&str] = &[
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "TWINE_PASSWORD",
    "POETRY_PYPI_TOKEN_PYPI",
    "POETRY_HTTP_BASIC_PYPI_PASSWORD",
    "HATCH_INDEX_AUTH",
    "PDM_PUBLISH_PASSWORD",
    "FLIT_PASSWORD",
];

/// Command-line options that pass a credential.
const TOKEN_FLAGS: &[&str] = &["--token", "-t", "--password", "-p", "--auth"];

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The ref an action is used at (`release/v1`, `v1.12.4`, a commit SHA).
fn action_ref<'a>(step: &Step<'a>) -> Option<&'a str> {
    step.uses?.as_str()?.split_once('@').map(|(_, r)| r.trim())
}

/// gh-action-pypi-publish before v1.11.0 (a `v1.N…` tag with N < 11) does not attest by default.
fn attests_by_default(step: &Step<'_>) -> bool {
    let Some(r) = action_ref(step) else {
        return true;
    };
    let Some(v) = r.strip_prefix('v') else {
        return true; // `release/v1`, a SHA: the current release line
    };
    let mut parts = v.split('.').map(|n| n.parse::<u64>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(1), Some(minor)) => minor >= 11,
        (Some(1), None) => true,
        _ => true,
    }
}

/// A command that makes PEP 740 attestations for the distributions (`pypi-attestations sign`,
/// `python -m pypi_attestations sign`), or twine's `--attestations` upload of them.
fn signs(cmd: &Command) -> bool {
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    let tool = |w: &str| {
        let name = w.split(['=', '@', '<', '>', '~']).next().unwrap_or(w);
        matches!(name, "pypi-attestations" | "pypi_attestations")
    };
    argv.windows(2).any(|w| tool(w[0]) && w[1] == "sign")
        || (argv.contains(&"twine") && argv.contains(&"--attestations"))
        || (argv.first() == Some(&"uv")
            && argv.contains(&"publish")
            && argv.iter().any(|a| a.ends_with(".attestation")))
}

/// PyPI's upload endpoints (and TestPyPI's): what trusted publishing and PEP 740 are for.
fn is_pypi(url: &str) -> bool {
    let host = url
        .trim()
        .split_once("://")
        .map_or(url, |(_, r)| r)
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        host.as_str(),
        "upload.pypi.org" | "test.pypi.org" | "pypi.org" | "upload.test.pypi.org"
    )
}

/// An upload to an index named by URL that is not PyPI (`--repository-url`, `--publish-url`,
/// `TWINE_REPOSITORY_URL`, `UV_PUBLISH_URL`).
fn to_private_index(cmd: &Command, job: &Job<'_>, step: &Step<'_>) -> bool {
    let argv = cmd.argv();
    let flag = argv.iter().enumerate().find_map(|(i, w)| {
        let t = w.text.as_str();
        ["--repository-url", "--publish-url"].iter().find_map(|f| {
            t.strip_prefix(&format!("{f}="))
                .map(str::to_string)
                .or_else(|| {
                    (t == *f)
                        .then(|| argv.get(i + 1).map(|v| v.text.clone()))
                        .flatten()
                })
        })
    });
    let env = ["TWINE_REPOSITORY_URL", "UV_PUBLISH_URL"]
        .iter()
        .find_map(|k| {
            job.env(step, k)
                .and_then(|v| v.as_str().map(str::to_string))
        });
    flag.or(env)
        .is_some_and(|u| !u.contains("${{") && !is_pypi(&u))
}

/// The action's trusted publishing with attestations on, or a job that signs before it uploads.
pub(crate) fn attests(job: &Job<'_>, step: &Step<'_>) -> bool {
    if step.action == Some(PYPI_PUBLISH_ACTION) {
        let token = nonempty(step.with_str("password")).is_some();
        let input = step.with_str("attestations").map(str::trim);
        return !token
            && match input {
                Some("false") => false,
                Some("true") => true,
                _ => attests_by_default(step),
            };
    }
    job.steps().any(|s| s.all_commands().any(signs))
}

/// Check a step that uploads to PyPI; `false` when the step does not upload.
pub(crate) fn check_step(
    file: &SourceFile,
    job: &Job<'_>,
    step: &Step<'_>,
    id_token: bool,
    out: &mut Vec<Finding>,
) -> bool {
    let action = step.action == Some(PYPI_PUBLISH_ACTION);
    let cmds: Vec<&Command> = step
        .all_commands()
        .filter(|c| workflow::is_pypi_publish(c) && !to_private_index(c, job, step))
        .collect();
    if action && step.with_str("repository-url").is_some_and(|u| !is_pypi(u)) {
        return false; // another index: PyPI's trusted publishing and attestations do not apply
    }
    if !action && cmds.is_empty() {
        return false;
    }
    let span = step.node.span.clone();
    let subject = |what: &str| format!("{}:{what}", job.id);
    // The credential, if any: the action's `password`, a tool's env or option.
    let token: Option<(std::ops::Range<usize>, String)> = if action {
        step.with
            .and_then(|w| w.get("password"))
            .filter(|p| nonempty(p.as_str()).is_some())
            .map(|p| {
                (
                    p.span.clone(),
                    format!("password: {}", p.as_str().unwrap_or("").trim()),
                )
            })
    } else {
        TOKEN_ENV
            .iter()
            .find_map(|k| {
                job.env(step, k)
                    .filter(|v| nonempty(v.as_str()).is_some())
                    .map(|v| {
                        (
                            v.span.clone(),
                            format!("{k}: {}", v.as_str().unwrap_or("").trim()),
                        )
                    })
            })
            .or_else(|| {
                cmds.iter().find_map(|c| {
                    let argv = c.argv();
                    argv.iter().enumerate().find_map(|(i, w)| {
                        let t = w.text.as_str();
                        let named = TOKEN_FLAGS
                            .iter()
                            .any(|f| t == *f || t.starts_with(&format!("{f}=")));
                        (named && (t.contains('=') || argv.get(i + 1).is_some())).then(|| {
                            (
                                span.clone(),
                                format!("{} …", workflow::shown(t).split('=').next().unwrap_or(t)),
                            )
                        })
                    })
                })
            })
    };
    if let Some((at, what)) = &token {
        out.push(
            Finding::new(
                &LONG_LIVED_TOKEN,
                file,
                at.clone(),
                format!("job `{}` publishes to PyPI with a long-lived token ({what})", job.id),
            )
            .with_help("add this workflow as a trusted publisher of the project on PyPI, grant the job `id-token: write`, and remove the token")
            .with_subject(subject("pypi-token")),
        );
    }
    let trusted_forced = cmds.iter().any(|c| {
        c.argv()
            .windows(2)
            .any(|w| w[0].text == "--trusted-publishing" && w[1].text == "always")
            || c.argv()
                .iter()
                .any(|w| w.text == "--trusted-publishing=always")
    });
    if token.is_none() && !id_token && (action || trusted_forced) {
        out.push(
            Finding::new(
                &MISSING_ID_TOKEN,
                file,
                span.clone(),
                format!("job `{}` publishes to PyPI with trusted publishing but cannot get an OIDC token (no `id-token: write`)", job.id),
            )
            .with_help("add `permissions: { id-token: write }` to the publishing job (only that job)")
            .with_subject(subject("pypi")),
        );
    }
    if !attests(job, step) {
        let why = if action && token.is_some() {
            "attestations need trusted publishing, and this step uploads with a token"
        } else if action && step.with_str("attestations").map(str::trim) == Some("false") {
            "`attestations: false`"
        } else if action {
            "this version of the action does not attest by default (v1.11.0 and later do)"
        } else {
            "the tool uploads attestation files only when a step made them"
        };
        out.push(
            Finding::new(
                &PUBLISH_WITHOUT_PROVENANCE,
                file,
                span,
                format!("job `{}` publishes to PyPI without PEP 740 attestations: {why}", job.id),
            )
            .with_help("publish with `pypa/gh-action-pypi-publish` (v1.11.0 or later) and trusted publishing, which signs every distribution; or sign with `pypi-attestations sign dist/*` before uploading")
            .with_subject(subject("pypi-attestations")),
        );
    }
    true
}
