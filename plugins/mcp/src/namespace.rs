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

chainward compares the owner in the name with the GitHub owners of the repository's remotes
(git's configuration, read offline: a fork's `upstream` names the owner's repository) and of
server.json's own `repository.url`; it reports only when none of them is the owner. The registry
compares with the exact casing of the GitHub login (registry issue #689), which cannot be known
offline (a remote's URL is cased however it was typed): a difference in case only is info.

```json
// remotes: origin git@github.com:acme/weather-mcp.git; no repository.url
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
    // Who publishes from here: every remote's GitHub owner (a fork's `upstream` is the owner's
    // repository), and the repository server.json names itself.
    let mut owners: Vec<(String, String)> = Vec::new();
    if let Some(git) = project.git() {
        for (remote, url) in git.remote_urls() {
            if let Some((o, r)) = chainward_core::git::github_repo(&url) {
                let described = format!("`{remote}` ({o}/{r})");
                owners.push((o, described));
            }
        }
    }
    let Some(origin) = owners.first().cloned() else {
        project.note(format!(
            "mcp: no GitHub remote, so the owner in {}'s name was not compared",
            file.rel
        ));
        return;
    };
    if let Some((o, r)) = server
        .json
        .pointer(&["repository", "url"])
        .and_then(|u| u.as_str())
        .and_then(chainward_core::git::github_repo)
    {
        owners.push((o.clone(), format!("server.json's `repository` ({o}/{r})")));
    }
    if owners.iter().any(|(o, _)| o == owner) {
        return;
    }
    let finding = if owners.iter().any(|(o, _)| o.eq_ignore_ascii_case(owner)) {
        // A remote URL's case is however it was typed; GitHub's login casing cannot be known
        // offline.
        Finding::new(
            &NAMESPACE_OWNER,
            file,
            node.span.clone(),
            format!("`io.github.{owner}` differs only in case from the owner of {}: the registry compares the name with the GitHub login's exact casing", origin.1),
        )
        .with_severity(Severity::Info)
        .with_help("make sure the owner is written as GitHub spells the login")
    } else {
        let named: Vec<&str> = owners.iter().map(|(_, d)| d.as_str()).collect();
        Finding::new(
            &NAMESPACE_OWNER,
            file,
            node.span.clone(),
            format!("the server is named under `io.github.{owner}`, but this repository is {}: only `{owner}` can publish that name", named.join(", ")),
        )
        .with_help(format!("name it `io.github.{}/…`, or publish from {owner}'s repository", origin.0))
    };
    out.push(finding.with_subject(format!("owner:{owner}")));
}
