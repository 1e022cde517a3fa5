//! Risky settings in a project's `.npmrc`.

use chainward_core::{Finding, Fixability, Rule, Severity, SourceFile};
use chainward_npm::npmrc::npmrc;

pub(crate) static NPMRC: Rule = Rule {
    id: "npm-ci/npmrc",
    code: "NCI013",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A project .npmrc setting weakens installs",
    doc: r#"Settings in a committed `.npmrc` apply to every install of the project, in CI too:

- `package-lock=false`: npm neither reads nor writes the lockfile (error);
- `registry=http://…` (or a scoped registry over http): packages travel unauthenticated (error);
- `strict-ssl=false`: TLS certificates are not checked (error);
- `ignore-scripts=false`: spelled out, it re-enables install scripts a CI default may have
  turned off (warning);
- no `save-exact=true`: `npm install x` then saves a `^` range, which `pin-check` flags later
  (info).
"#,
};

pub(crate) fn check(file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(rc) = npmrc(file) else { return };
    for s in &rc.settings {
        let value = s.value.trim();
        let finding = match (s.key.as_str(), value) {
            ("package-lock", "false") => Some((
                Severity::Error,
                "`package-lock=false`: npm neither reads nor writes the lockfile".to_string(),
            )),
            ("strict-ssl", "false") => Some((
                Severity::Error,
                "`strict-ssl=false`: npm does not verify the registry's TLS certificate"
                    .to_string(),
            )),
            ("ignore-scripts", "false") => Some((
                Severity::Warning,
                "`ignore-scripts=false` turns dependencies' install scripts back on".to_string(),
            )),
            (key, v)
                if (key == "registry" || key.ends_with(":registry"))
                    && v.starts_with("http://") =>
            {
                Some((
                    Severity::Error,
                    format!(
                        "`{key}` is plain http: packages and tokens travel unauthenticated and unencrypted"
                    ),
                ))
            }
            _ => None,
        };
        if let Some((severity, message)) = finding {
            out.push(
                Finding::new(&NPMRC, file, s.value_span.clone(), message).with_severity(severity),
            );
        }
    }
    if rc.flag("save-exact") != Some(true) {
        let span = rc.get("save-exact").map_or(0..0, |s| s.value_span.clone());
        out.push(
            Finding::new(
                &NPMRC,
                file,
                span,
                "no `save-exact=true`: `npm install <pkg>` saves a `^` range",
            )
            .with_severity(Severity::Info)
            .with_help("add `save-exact=true`"),
        );
    }
}
