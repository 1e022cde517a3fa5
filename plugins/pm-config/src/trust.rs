//! pnpm's trust policy: refuse a version published with weaker evidence of its origin than an
//! earlier one (the path of a stolen token: a release without the provenance or trusted
//! publishing its predecessors had).

use chainward_core::fix::{Edit, Fix};
use chainward_core::{Finding, Fixability, Project, Rule, Severity};

use chainward_npm::pm::{Pm, Root};

pub(crate) static NO_TRUST_POLICY: Rule = Rule {
    id: "pm-config/no-trust-policy",
    code: "PMC004",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "pnpm could refuse releases whose publishing evidence got weaker, and does not",
    doc: r#"pnpm 10.21 and later can refuse a version that was published with less evidence of
where it came from than an earlier version of the same package — no provenance where the
previous release had it, a token where trusted publishing was used before:

```yaml
# pnpm-workspace.yaml
trustPolicy: no-downgrade
```

That is what a stolen publish token looks like from the registry's side. The default is `off` in
pnpm 10, 11 and 12. `trustPolicyExclude` (pnpm 10.22+) exempts packages; exempt versions
(`name@1.2.3`), not names, so that a future release is checked again.

**Fix.** `chainward fix --unsafe-fixes` writes `trustPolicy: no-downgrade` into
pnpm-workspace.yaml (creating it when the project has none; pnpm 10.5+ reads a settings-only
file). Unsafe: an install that resolves such a release fails until you exclude it.
"#,
};

/// `trustPolicy` as pnpm reads it for this project, and where.
pub(crate) fn policy(project: &Project, root: &Root) -> Option<String> {
    let from_ws = root
        .yaml_setting(project, "pnpm-workspace.yaml", "trustPolicy")
        .map(|(_, _, node)| node.as_str().unwrap_or_default().to_string());
    if from_ws.is_some() || root.version.at_least(11, 0, 0) {
        return from_ws;
    }
    root.npmrc_setting(project, "trust-policy")
        .map(|(_, _, v)| v)
}

/// Whether the package manager in use has a trust policy (pnpm 10.21 and later).
pub(crate) fn supported(root: &Root) -> bool {
    root.pm == Pm::Pnpm && root.version.at_least(10, 21, 0)
}

pub(crate) fn check(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    if !supported(root) {
        return;
    }
    if policy(project, root).as_deref() == Some("no-downgrade") {
        return;
    }
    let Some((file, span)) = root.anchor() else {
        return;
    };
    out.push(
        Finding::new(
            &NO_TRUST_POLICY,
            &file,
            span,
            format!(
                "{} accepts a release published with weaker evidence of its origin than the one before (a stolen token's release): `trustPolicy` is not `no-downgrade`",
                root.describe()
            ),
        )
        .with_help("set `trustPolicy: no-downgrade` in pnpm-workspace.yaml")
        .with_fix_opt(fix(project, root)),
    );
}

/// `trustPolicy: no-downgrade` in pnpm-workspace.yaml (where pnpm 10 prefers it over .npmrc):
/// the value replaced, or the line added (the file created when there is none).
fn fix(project: &Project, root: &Root) -> Option<Fix> {
    match root.yaml_setting(project, "pnpm-workspace.yaml", "trustPolicy") {
        Some((file, span, _)) => Some(Fix::unsafe_(
            "set `trustPolicy: no-downgrade`",
            vec![Edit::replace(&file.path, span, "no-downgrade")],
        )),
        None => crate::edit::append_lines(
            project,
            root,
            "add `trustPolicy: no-downgrade` to pnpm-workspace.yaml".into(),
            &["trustPolicy: no-downgrade".to_string()],
        ),
    }
}
