//! `mcp/namespace-owner`: an `io.github.<owner>/…` server name and the GitHub owner of the
//! repository it is published from.

use chainward_core::mcp::ServerJson;
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile};

pub(crate) static NAMESPACE_OWNER: Rule = Rule {
    id: "mcp/namespace-owner",
    code: "MCP004",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "An io.github.<owner> server name whose owner is not the repository's",
    doc: r#"A server named `io.github.<owner>/<name>` can be published only by someone who proves
to be `<owner>` on GitHub: `mcp-publisher login github-oidc` in a workflow of a repository of
that owner, or `login github` as that user (or an owner of that organization). A name under
another owner cannot be published from this repository, and one copied from a fork names the
upstream owner: the release fails at `mcp-publisher publish`, after the packages went out.

chainward compares the owner in the name with the owner of the `origin` remote (git's
configuration, read offline) without regard to case, as GitHub treats logins. The registry itself
compares with the exact casing of the GitHub login (registry issue #689), so when the two differ
only in case the finding is a warning: use the login's casing as GitHub shows it.

```json
// origin: git@github.com:acme/weather-mcp.git
{ "name": "io.github.someone-else/weather" }
```

**Fix.** Rename the server to `io.github.<owner>/…` of the repository that publishes it (and
`mcpName` with it), or publish from the owner's repository.
"#,
};

pub(crate) fn check(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    out: &mut Vec<Finding>,
) {
    let Some(node) = server.name() else { return };
    let Some(name) = node.as_str() else { return };
    let Some(owner) = name
        .strip_prefix("io.github.")
        .and_then(|rest| rest.split_once('/'))
        .map(|(owner, _)| owner)
    else {
        return;
    };
    let Some(git) = project.git() else {
        project.note(format!(
            "mcp: not in a git repository, so the owner in {}'s name was not compared",
            file.rel
        ));
        return;
    };
    let Some((remote_owner, repo)) = git
        .remote_url("origin")
        .as_deref()
        .and_then(chainward_core::git::github_repo)
    else {
        project.note(format!(
            "mcp: no GitHub `origin` remote, so the owner in {}'s name was not compared",
            file.rel
        ));
        return;
    };
    if owner == remote_owner {
        return;
    }
    let finding = if owner.eq_ignore_ascii_case(&remote_owner) {
        Finding::new(
            &NAMESPACE_OWNER,
            file,
            node.span.clone(),
            format!("`io.github.{owner}` differs only in case from the `origin` owner `{remote_owner}` ({remote_owner}/{repo}): the registry compares it with the GitHub login exactly"),
        )
        .with_severity(Severity::Warning)
        .with_help("write the owner as GitHub spells the login")
    } else {
        Finding::new(
            &NAMESPACE_OWNER,
            file,
            node.span.clone(),
            format!("the server is named under `io.github.{owner}`, but this repository's `origin` is {remote_owner}/{repo}: only `{owner}` can publish that name"),
        )
        .with_help(format!("name it `io.github.{remote_owner}/…`, or publish from {owner}'s repository"))
    };
    out.push(finding.with_subject(format!("owner:{owner}")));
}
