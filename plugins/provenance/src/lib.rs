//! provenance: keep the release pipeline able to prove where an artifact came from. Static,
//! offline rules over GitHub Actions workflows: publishing without provenance, OIDC permissions
//! missing where signing needs them, long-lived registry tokens, releases without provenance,
//! caches in publishing jobs, and privileged triggers that run pull-request code.

mod command;
mod mcpb;
mod pypi;
// The verifier is shared with dep-trust (npm's attestations); the fuzz targets and integration
// tests reach it here with the `internals` feature, as before.
#[cfg(feature = "internals")]
pub use chainward_sigstore as verify;
#[cfg(not(feature = "internals"))]
use chainward_sigstore as verify;
mod workflow;

use std::ops::Range;

use chainward_core::config::PluginConfig;
use chainward_core::project::join;
use chainward_core::yaml::Yaml;
use chainward_core::{
    Check, FileKind, Finding, Fixability, Plugin, Project, Rule, Severity, SourceFile,
};
use chainward_npm::package_json;

use chainward_core::workflow::{self as model, Job, Step, Workflow, publishes};
use workflow::{has_provenance_flag, is_cosign_sign, truthy};

/// The provenance plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct Provenance;

pub(crate) static PUBLISH_WITHOUT_PROVENANCE: Rule = Rule {
    id: "provenance/publish-without-provenance",
    code: "PRV001",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A workflow publishes to npm without provenance",
    doc: r#"npm provenance links a published version to the commit and workflow that built it, signed
through Sigstore; users (and `npm audit signatures`) can then check that the tarball came from
your CI and not from a stolen token. A publish has provenance when it runs with
`--provenance`, with `NPM_CONFIG_PROVENANCE: true` in its env, with `publishConfig.provenance`
in package.json, or through npm trusted publishing (the job has `id-token: write` and no
`NODE_AUTH_TOKEN`/`NPM_TOKEN`: npm ≥ 11.5.1 then authenticates with OIDC and adds provenance
itself).

A publish is `npm publish`, `pnpm publish`, `yarn npm publish`, or a release tool that runs one:
`changeset publish`, `semantic-release`, `release-it`, `lerna publish`, `np` (also through
`npx`, `pnpm exec|dlx`, `yarn`), a package.json script that does (`pnpm release`), the
`changesets/action` with a `publish:` command, and `JS-DevTools/npm-publish` (whose
`provenance: true` input counts).

```yaml
permissions:
  id-token: write
  contents: read
steps:
  - run: npm publish --provenance --access public
```

**PyPI.** An upload to PyPI has provenance when it carries PEP 740 attestations:
`pypa/gh-action-pypi-publish` makes them for every distribution with trusted publishing (no
`password:` input; the job has `id-token: write`) from v1.11.0 on (`release/v1` and commit SHAs
are taken as current), unless `attestations: false`. `uv publish`, `twine upload`, `poetry
publish`, `hatch publish`, `flit publish` and `pdm publish` upload attestation files only when a
step of the job made them (`pypi-attestations sign dist/*`, then `uv publish` or `twine upload
--attestations`): otherwise the upload is reported.
"#,
};

pub(crate) static MISSING_ID_TOKEN: Rule = Rule {
    id: "provenance/missing-id-token",
    code: "PRV002",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A job signs or publishes with provenance without `id-token: write`",
    doc: r#"Provenance and keyless signing need an OIDC token from GitHub, which a job only gets with
`permissions: id-token: write` (on the job, or on the workflow when the job sets no permissions
of its own: a job's block replaces the workflow's). Without it, `npm publish --provenance`,
`cosign sign`, `actions/attest-build-provenance` and the SLSA generator fail at release time, or
the release goes out unsigned. `pypa/gh-action-pypi-publish` without a `password:` uses
trusted publishing, and `uv publish --trusted-publishing always` insists on it: both need it too.
"#,
};

pub(crate) static LONG_LIVED_TOKEN: Rule = Rule {
    id: "provenance/long-lived-token",
    code: "PRV003",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A workflow publishes with a long-lived npm token",
    doc: r#"An `NPM_TOKEN` secret lives until someone revokes it and publishes from anywhere: stolen
from a CI log, a compromised action or a developer machine, it releases malware under your
name (the Shai-Hulud worm spread this way). npm trusted publishing replaces it with a
short-lived OIDC credential bound to this repository and workflow: configure the package's
trusted publisher on npmjs.com, grant `id-token: write`, and drop the token.

The same holds for PyPI: `pypa/gh-action-pypi-publish` with a `password:`, or `uv publish`,
`twine upload`, `poetry publish`, … with `UV_PUBLISH_TOKEN`, `TWINE_PASSWORD`,
`POETRY_PYPI_TOKEN_PYPI`, `HATCH_INDEX_AUTH` (and the like) in the step's environment or a
`--token`/`--password` option. Add the workflow as the project's trusted publisher on PyPI, grant
the publishing job `id-token: write`, and remove the token.
"#,
};

pub(crate) static NO_RELEASE_PROVENANCE: Rule = Rule {
    id: "provenance/no-release-provenance",
    code: "PRV004",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A release workflow ships artifacts or images without provenance or signatures",
    doc: r#"A workflow run by a tag push or a published release that builds images or uploads
artifacts should say where they came from: SLSA provenance (`slsa-framework/slsa-github-generator`,
`actions/attest-build-provenance`, `docker/build-push-action` with `provenance: mode=max`), npm
provenance, or a signature (`cosign sign`). Users then verify before running what you ship.
"#,
};

pub(crate) static RELEASE_CACHE: Rule = Rule {
    id: "provenance/release-cache",
    code: "PRV005",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A publishing job restores a cache",
    doc: r#"Caches are shared across a repository's workflows, including those that run on pull
requests: a poisoned `node_modules` or npm cache restored into the job that publishes ends up in
the release (cache poisoning). Publishing jobs should install from the lockfile without
`actions/cache` and without `actions/setup-node`'s or `actions/setup-python`'s `cache:` or
`astral-sh/setup-uv`'s `enable-cache: true` (the Ultralytics PyPI releases of December 2024 were
poisoned through a cache); better, build in one job and publish the downloaded artifacts from
another.
"#,
};

pub(crate) static DANGEROUS_TRIGGER: Rule = Rule {
    id: "provenance/dangerous-trigger",
    code: "PRV006",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A privileged trigger checks out and runs pull-request code",
    doc: r#"`pull_request_target` and `workflow_run` run with the base repository's secrets and
token. Checking out the pull request's head there (`ref: ${{ github.event.pull_request.head.sha }}`,
`github.head_ref`, `workflow_run.head_sha`) and building it hands those secrets, or an
`id-token: write` OIDC token, to whoever opened the pull request ("pwn request"). Use
`pull_request` for untrusted code, and pass results to a privileged workflow as artifacts only.
"#,
};

pub(crate) static SCOPE_MISMATCH: Rule = Rule {
    id: "provenance/scope-mismatch",
    code: "PRV007",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The package's `repository` (or, when configured, its scope) does not match the GitHub repository it is built from",
    doc: r#"Provenance says which repository built a package, and npm checks it: a publish with
provenance is refused when `repository` in package.json is not the repository that built it. A
package whose `repository` names another repository than the `origin` remote either was forked
and republished or will fail that check. `repository` is compared with the owner and name of
`origin` (https and ssh forms, case-insensitive).

The package scope is compared with the GitHub owner only when you ask for it: ordinary company
naming (`@sentry/…` built in `getsentry/…`) differs on purpose, and only some registries (mpak)
require the scope to be the owner.

```toml
[provenance]
scope-owner = true   # `@acme/x` must be built in a repository of the GitHub owner `acme`
```
"#,
};

pub(crate) static PROVENANCE_FILES: Rule = Rule {
    id: "provenance/provenance-files",
    code: "PRV008",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A provenance bundle next to an artifact does not verify",
    doc: r#"`check` verifies every `*.sigstore.json` and `*.intoto.jsonl` it finds against the
artifacts beside it (`dist/app.tgz.sigstore.json` signs `dist/app.tgz`; a `.intoto.jsonl` names
its artifacts as in-toto subjects), offline, with the Sigstore public-good trusted root:
signature, certificate chain, SCT, transparency-log entry and subject digest. A bundle that does
not verify is worse than none: it is what a tampered artifact looks like. Identity policies
(who must have signed) are `chainward provenance verify`'s flags.
"#,
};

pub static RULES: &[&Rule] = &[
    &PUBLISH_WITHOUT_PROVENANCE,
    &MISSING_ID_TOKEN,
    &LONG_LIVED_TOKEN,
    &NO_RELEASE_PROVENANCE,
    &RELEASE_CACHE,
    &DANGEROUS_TRIGGER,
    &SCOPE_MISMATCH,
    &PROVENANCE_FILES,
];

impl Plugin for Provenance {
    fn id(&self) -> &'static str {
        "provenance"
    }

    fn summary(&self) -> &'static str {
        "release pipelines that can prove where artifacts came from: npm provenance, OIDC permissions, no long-lived tokens, no poisoned caches or pwn requests"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, chainward_core::Error> {
        config.deny_unknown_keys("provenance", &["scope-owner"])?;
        Ok(Box::new(Settings {
            scope_owner: config.get_bool("scope-owner")?.unwrap_or(false),
        }))
    }

    fn reads(&self, kind: FileKind) -> bool {
        kind.is_workflow_model()
    }

    fn commands(&self) -> Vec<(chainward_core::command::Mount, clap::Command)> {
        command::commands()
    }

    fn run_command(
        &self,
        name: &str,
        args: &clap::ArgMatches,
        context: &chainward_core::command::Context<'_>,
    ) -> Result<chainward_core::command::Output, chainward_core::Error> {
        command::run_command(name, args, context)
    }
}

/// `[provenance]`: `scope-owner` asks that a scoped package's scope match the repository owner.
struct Settings {
    scope_owner: bool,
}

impl Check for Settings {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let scope_owner = self.scope_owner;
        let publish_config = project
            .file_at(&join(&project.root, "package.json"))
            .as_deref()
            .and_then(package_json)
            .and_then(|pj| pj.json.pointer(&["publishConfig", "provenance"]))
            .and_then(|v| v.as_bool().or_else(|| v.as_str().map(|s| s == "true")))
            == Some(true);
        // The root's package.json scripts, for workflow steps that publish through one.
        let scripts: std::collections::BTreeMap<String, String> = project
            .file_at(&join(&project.root, "package.json"))
            .as_deref()
            .and_then(package_json)
            .and_then(|pj| pj.json.get("scripts").and_then(|s| s.as_object()))
            .map(|members| {
                members
                    .iter()
                    .filter_map(|m| Some((m.key.clone(), m.value.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        scope_mismatch(project, scope_owner, &mut out);
        let bundles: Vec<&std::sync::Arc<SourceFile>> =
            project.files_of(FileKind::ProvenanceBundle).collect();
        if !bundles.is_empty() {
            provenance_files(project, &bundles, &mut out);
        }
        for file in project.files_of(FileKind::Workflow) {
            if let Some(wf) = model::parsed(file) {
                check_workflow(file, wf, publish_config, &scripts, &mut out);
            }
        }
        out
    }
}

/// Where a publish step's command sits: the `publish` word in the step's `run`, else the step.
fn publish_span(file: &SourceFile, step: &Step<'_>) -> Range<usize> {
    let text = file.text().unwrap_or_default();
    match step.run {
        Some(run) => text
            .get(run.span.clone())
            .and_then(|t| t.find("publish"))
            .map_or(run.span.clone(), |i| {
                run.span.start + i..run.span.start + i + "publish".len()
            }),
        None => step.node.span.clone(),
    }
}

fn token_env<'a>(job: &Job<'a>, step: &Step<'a>) -> Option<&'a Yaml> {
    ["NODE_AUTH_TOKEN", "NPM_TOKEN", "NPM_AUTH_TOKEN"]
        .iter()
        .find_map(|k| job.env(step, k))
        .filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()))
}

fn check_workflow(
    file: &SourceFile,
    wf: &Workflow,
    publish_config: bool,
    scripts: &std::collections::BTreeMap<String, String>,
    out: &mut Vec<Finding>,
) {
    let text = file.text().unwrap_or_default();
    let mut release_provenance = false;
    let mut release_artifact: Option<Range<usize>> = None;
    for job in wf.jobs() {
        let id_token = job.id_token_write();
        let mut publishing = false;
        let mut token_reported = false;
        // A reusable SLSA generator workflow called by this job.
        if let Some(calls) = job.calls()
            && calls.starts_with("slsa-framework/slsa-github-generator/")
        {
            release_provenance = true;
            if !id_token {
                out.push(
                    Finding::new(
                        &MISSING_ID_TOKEN,
                        file,
                        job.uses().map_or(job.node.span.clone(), |u| u.span.clone()),
                        format!("job `{}` calls the SLSA generator without `id-token: write`", job.id),
                    )
                    .with_help("add `permissions: { id-token: write, contents: write, actions: read }` to the job")
                    .with_subject(job.id),
                );
            }
        }
        for step in job.steps() {
            let action = step.action.unwrap_or("");
            // Signing and attesting actions need the OIDC token.
            let attests = matches!(action, "actions/attest-build-provenance" | "actions/attest");
            let signs = step.commands.iter().any(is_cosign_sign);
            if attests || signs {
                release_provenance = true;
                if !id_token {
                    let what = if attests {
                        action.to_string()
                    } else {
                        "cosign".to_string()
                    };
                    out.push(
                        Finding::new(
                            &MISSING_ID_TOKEN,
                            file,
                            step.node.span.clone(),
                            format!("job `{}` runs {what} without `id-token: write`: keyless signing needs the OIDC token", job.id),
                        )
                        .with_help("add `permissions: { id-token: write }` to the job (keep the rest minimal)")
                        .with_subject(format!("{}:{what}", job.id)),
                    );
                }
            }
            if action == "docker/build-push-action" {
                let max = step
                    .with_str("provenance")
                    .is_some_and(|p| p.contains("mode=max"));
                if max {
                    release_provenance = true;
                } else if release_artifact.is_none() {
                    release_artifact = Some(step.node.span.clone());
                }
            }
            if matches!(
                action,
                "actions/upload-artifact"
                    | "softprops/action-gh-release"
                    | "ncipollo/release-action"
                    | "goreleaser/goreleaser-action"
            ) && release_artifact.is_none()
            {
                release_artifact = Some(step.node.span.clone());
            }
            for cmd in step.commands {
                let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
                let builds = matches!(
                    argv.as_slice(),
                    ["docker", "build" | "push", ..]
                        | ["docker", "buildx", "build", ..]
                        | ["gh", "release", "create" | "upload", ..]
                        | ["npm", "pack", ..]
                        | ["goreleaser", ..]
                );
                if builds && release_artifact.is_none() {
                    release_artifact = step.run.map(|r| r.span.clone());
                }
            }
            if pypi::check_step(file, &job, &step, id_token, out) {
                publishing = true;
                release_provenance |= pypi::attests(&job, &step);
                continue;
            }
            // What the step runs: its `run:` and the inputs its action runs as commands
            // (changesets/action's `publish:`).
            let publish_cmds: Vec<&chainward_core::shell::Command> = step
                .all_commands()
                .filter(|c| publishes(c, scripts, 2))
                .collect();
            // JS-DevTools/npm-publish publishes (its `provenance: true` input is the flag).
            let npm_publish_action = action == "js-devtools/npm-publish";
            if publish_cmds.is_empty() && !npm_publish_action {
                continue;
            }
            publishing = true;
            let span = publish_span(file, &step);
            let token = token_env(&job, &step);
            let flag = publish_cmds.iter().any(|c| has_provenance_flag(c))
                || (npm_publish_action && step.with_str("provenance") == Some("true"));
            let env_flag = job
                .env(&step, "NPM_CONFIG_PROVENANCE")
                .or_else(|| job.env(&step, "npm_config_provenance"))
                .is_some_and(truthy);
            let trusted = id_token && token.is_none();
            let provenance = flag || env_flag || publish_config || trusted;
            if provenance {
                release_provenance = true;
            }
            if !provenance {
                out.push(
                    Finding::new(
                        &PUBLISH_WITHOUT_PROVENANCE,
                        file,
                        span.clone(),
                        format!("job `{}` publishes to npm without provenance", job.id),
                    )
                    .with_help("add `--provenance` (and `permissions: id-token: write`), or switch to npm trusted publishing")
                    .with_subject(job.id),
                );
            } else if (flag || env_flag || publish_config) && !id_token {
                out.push(
                    Finding::new(
                        &MISSING_ID_TOKEN,
                        file,
                        span.clone(),
                        format!("job `{}` publishes with provenance but cannot get an OIDC token (no `id-token: write`)", job.id),
                    )
                    .with_help("add `permissions: { id-token: write, contents: read }` to the job")
                    .with_subject(format!("{}:publish", job.id)),
                );
            }
            if let Some(token) = token {
                token_reported = true;
                out.push(
                    Finding::new(
                        &LONG_LIVED_TOKEN,
                        file,
                        token.span.clone(),
                        format!("job `{}` publishes with a long-lived token ({})", job.id, token.as_str().unwrap_or("").trim()),
                    )
                    .with_help("configure npm trusted publishing for this workflow, grant `id-token: write`, and remove the token")
                    .with_subject(job.id),
                );
            } else if step
                .run
                .and_then(|r| text.get(r.span.clone()))
                .is_some_and(|t| t.contains("_authToken"))
            {
                token_reported = true;
                let run = step.run.map_or(step.node.span.clone(), |r| r.span.clone());
                out.push(
                    Finding::new(
                        &LONG_LIVED_TOKEN,
                        file,
                        run,
                        format!("job `{}` writes an npm `_authToken` to publish", job.id),
                    )
                    .with_subject(job.id),
                );
            }
        }
        // A token written into an .npmrc by another step of the publishing job (`echo
        // "//registry.npmjs.org/:_authToken=$NPM_TOKEN" >> ~/.npmrc`, `npm config set …`):
        // whatever publishes in this job uses it.
        if publishing
            && !token_reported
            && let Some(run) = job.steps().filter_map(|s| s.run).find(|r| {
                text.get(r.span.clone())
                    .is_some_and(|t| t.contains("_authToken"))
            })
        {
            out.push(
                Finding::new(
                    &LONG_LIVED_TOKEN,
                    file,
                    run.span.clone(),
                    format!("job `{}` writes an npm `_authToken` that its publish step uses", job.id),
                )
                .with_help("configure npm trusted publishing for this workflow, grant `id-token: write`, and remove the token")
                .with_subject(job.id),
            );
        }
        if publishing {
            for step in job.steps() {
                let action = step.action.unwrap_or("");
                let cache = match action {
                    "actions/cache" | "actions/cache/restore" => step.uses,
                    "actions/setup-node" | "actions/setup-python" => step
                        .with
                        .and_then(|w| w.get("cache"))
                        .filter(|c| c.as_str().is_some_and(|s| !s.trim().is_empty())),
                    // setup-uv's cache, when the step turns it on.
                    "astral-sh/setup-uv" => step
                        .with
                        .and_then(|w| w.get("enable-cache"))
                        .filter(|c| c.as_str().is_some_and(|s| s.trim() == "true")),
                    _ => None,
                };
                if let Some(node) = cache {
                    out.push(
                        Finding::new(
                            &RELEASE_CACHE,
                            file,
                            node.span.clone(),
                            format!("job `{}` publishes and restores a cache ({action}): a poisoned cache would ship in the release", job.id),
                        )
                        .with_help("install from the lockfile without a cache in the publishing job (or build in another job and publish only the downloaded artifacts)")
                        .with_subject(format!("{}:{action}", job.id)),
                    );
                }
            }
        }
    }
    if wf.is_release()
        && !release_provenance
        && let Some(span) = release_artifact
    {
        out.push(
            Finding::new(
                &NO_RELEASE_PROVENANCE,
                file,
                span,
                "this release workflow ships artifacts or images without provenance or a signature",
            )
            .with_help("generate SLSA provenance (`actions/attest-build-provenance`, the SLSA generator, `docker/build-push-action` with `provenance: mode=max`) or sign with `cosign sign`")
            .with_subject("release"),
        );
    }
    dangerous_trigger(file, wf, text, out);
}

/// `pull_request_target` / `workflow_run` that checks out the pull request's head, in a workflow
/// holding secrets or an OIDC grant.
fn dangerous_trigger(file: &SourceFile, wf: &Workflow, text: &str, out: &mut Vec<Finding>) {
    let trigger = ["pull_request_target", "workflow_run"]
        .into_iter()
        .find(|t| wf.triggered_by(t).is_some());
    let Some(trigger) = trigger else {
        return;
    };
    let secrets = text
        .match_indices("secrets.")
        .any(|(i, _)| !text[i..].starts_with("secrets.GITHUB_TOKEN"));
    let oidc = wf.jobs().any(|j| j.id_token_write());
    if !secrets && !oidc {
        return;
    }
    const HEAD: &[&str] = &[
        "github.event.pull_request.head.sha",
        "github.event.pull_request.head.ref",
        "github.head_ref",
        "github.event.workflow_run.head_sha",
        "github.event.workflow_run.head_branch",
        "refs/pull/",
    ];
    for job in wf.jobs() {
        for step in job.steps() {
            if step.action != Some("actions/checkout") {
                continue;
            }
            let Some(r) = step.with.and_then(|w| w.get("ref")) else {
                continue;
            };
            let value = r.as_str().unwrap_or_default();
            if HEAD.iter().any(|h| value.contains(h)) {
                let holding = if secrets {
                    "secrets"
                } else {
                    "`id-token: write`"
                };
                out.push(
                    Finding::new(
                        &DANGEROUS_TRIGGER,
                        file,
                        r.span.clone(),
                        format!("`{trigger}` checks out the pull request's head (`{value}`) in a workflow with {holding}: the pull request's code runs with them"),
                    )
                    .with_help("use `pull_request` for untrusted code; hand its results to a privileged workflow as artifacts only")
                    .with_subject(format!("{}:{trigger}", job.id)),
                );
            }
        }
    }
}

pub use chainward_core::git::github_repo;

fn scope_mismatch(project: &Project, scope_owner: bool, out: &mut Vec<Finding>) {
    let Some(file) = project.file_at(&join(&project.root, "package.json")) else {
        return;
    };
    let Some(pj) = package_json(&file) else {
        return;
    };
    let Some(git) = project.git() else {
        project.note("provenance: not in a git repository, so the package scope was not compared with the GitHub owner");
        return;
    };
    let Some((owner, repo)) = git.remote_url("origin").as_deref().and_then(github_repo) else {
        project.note("provenance: no GitHub `origin` remote, so the package scope was not compared with its owner");
        return;
    };
    if scope_owner
        && let Some(name) = pj.json.get("name")
        && let Some(scope) = name
            .as_str()
            .and_then(|n| n.strip_prefix('@'))
            .and_then(|n| n.split_once('/'))
            .map(|(s, _)| s)
        && !scope.eq_ignore_ascii_case(&owner)
    {
        out.push(
            Finding::new(
                &SCOPE_MISMATCH,
                &file,
                name.span.clone(),
                format!("the package scope `@{scope}` is not the GitHub owner `{owner}` of the `origin` remote ({owner}/{repo})"),
            )
            .with_help("publish under the owner's scope, or build from the scope owner's repository")
            .with_subject("scope"),
        );
    }
    let repository = pj.json.get("repository");
    let declared =
        repository.and_then(|r| r.as_str().or_else(|| r.get("url").and_then(|u| u.as_str())));
    if let (Some(node), Some((o, r))) = (repository, declared.and_then(github_repo))
        && !(o.eq_ignore_ascii_case(&owner) && r.eq_ignore_ascii_case(&repo))
    {
        out.push(
            Finding::new(
                &SCOPE_MISMATCH,
                &file,
                node.span.clone(),
                format!("`repository` names {o}/{r}, but the `origin` remote is {owner}/{repo}"),
            )
            .with_help(
                "point `repository` at the repository the package is built and published from",
            )
            .with_subject("repository"),
        );
    }
}

/// The artifacts a bundle file covers: `x.sigstore.json` → `x`; a `.intoto.jsonl` → its
/// statements' subjects, by name, in the same folder.
fn covered(file: &SourceFile, proofs: &[verify::Proof]) -> Vec<std::path::PathBuf> {
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some(artifact) = name.strip_suffix(".sigstore.json") {
        return vec![dir.join(artifact)];
    }
    let mut out: Vec<std::path::PathBuf> = Vec::new();
    for statement in proofs.iter().filter_map(|p| p.statement.as_ref()) {
        for subject in statement["subject"].as_array().into_iter().flatten() {
            if let Some(n) = subject["name"].as_str()
                && !n.contains('/')
                && !n.contains("..")
            {
                let p = dir.join(n);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Verify the provenance bundles found in the tree against the artifacts beside them.
fn provenance_files(
    project: &Project,
    files: &[&std::sync::Arc<SourceFile>],
    out: &mut Vec<Finding>,
) {
    let Ok(root) = verify::trusted_root(None, &chainward_core::command::DISK) else {
        return;
    };
    let Ok(verifier) = verify::verifier(&root) else {
        return;
    };
    for file in files {
        let Ok(text) = file.text() else {
            continue;
        };
        let here = file
            .text()
            .map(|t| 0..t.lines().next().map_or(0, str::len))
            .unwrap_or(0..0);
        let proofs = match verify::bundles(text) {
            Ok(b) => b,
            Err(e) => {
                out.push(
                    Finding::new(
                        &PROVENANCE_FILES,
                        file,
                        here.clone(),
                        format!(
                            "{} is not a provenance bundle chainward can read: {e}",
                            file.rel
                        ),
                    )
                    .with_subject(file.rel.clone()),
                );
                continue;
            }
        };
        if proofs.iter().all(|p| p.bundle.is_none()) {
            project.note(format!(
                "provenance: {} holds DSSE envelopes without transparency-log entries \
                 (slsa-github-generator before v2), which cannot be verified offline",
                file.rel
            ));
            continue;
        }
        let artifacts: Vec<(std::path::PathBuf, Vec<u8>)> = covered(file, &proofs)
            .into_iter()
            .filter_map(|p| {
                let bytes = project.read_bytes(&p)?;
                Some((p, bytes))
            })
            .collect();
        if artifacts.is_empty() {
            project.note(format!(
                "provenance: {} signs no artifact present beside it; not verified",
                file.rel
            ));
            continue;
        }
        for (artifact, bytes) in artifacts {
            let subject = verify::Subject::Bytes(bytes);
            let shown = artifact
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A .intoto.jsonl covers several artifacts: one of its bundles must verify each.
            let reports: Vec<verify::Report> = proofs
                .iter()
                .filter(|p| p.bundle.is_some())
                .filter_map(|p| {
                    verify::verify(&verifier, &subject, p, &verify::Policy::default(), &[]).ok()
                })
                .collect();
            if reports.iter().any(verify::Report::verified) {
                continue;
            }
            let why = reports
                .iter()
                .find_map(|r| r.failure.clone())
                .unwrap_or_else(|| "no bundle could be checked".into());
            out.push(
                Finding::new(
                    &PROVENANCE_FILES,
                    file,
                    here.clone(),
                    format!("{} does not verify `{shown}`: {why}", file.rel),
                )
                .with_help(
                    "rebuild the artifact and its provenance together, or find out why they differ",
                )
                .with_subject(format!("{}:{shown}", file.rel)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_in_every_form() {
        let want = Some(("Acme".to_string(), "weather-mcp".to_string()));
        for url in [
            "https://github.com/Acme/weather-mcp.git",
            "git+https://github.com/Acme/weather-mcp.git",
            "git@github.com:Acme/weather-mcp.git",
            "ssh://git@github.com/Acme/weather-mcp",
            "git+ssh://git@github.com/Acme/weather-mcp.git#main",
            "github:Acme/weather-mcp",
            "Acme/weather-mcp",
        ] {
            assert_eq!(github_repo(url), want, "{url}");
        }
        assert_eq!(github_repo("https://gitlab.com/a/b.git"), None);
        assert_eq!(github_repo("https://github.com/a"), None);
    }
}
