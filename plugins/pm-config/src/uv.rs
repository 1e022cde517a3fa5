//! uv's cooldown: `exclude-newer` in `[tool.uv]` (or uv.toml). A relative duration (`"3 days"`,
//! `"P3D"`; uv 0.9.17 and later) keeps a rolling window: uv resolves only versions uploaded
//! before it. An absolute timestamp freezes resolution at that instant, which is stricter still.

use chainward_core::{FileKind, Finding, Project, Severity};
use chainward_python::pyproject;
use chainward_python::pyproject::relative_days;

use crate::cooldown::{COOLDOWN_TOO_SHORT, NO_COOLDOWN};

pub(crate) fn check(project: &Project, policy_days: u64, out: &mut Vec<Finding>) {
    for lock in project.files_of(FileKind::UvLock) {
        let dir = lock.rel.rsplit_once('/').map_or("", |(d, _)| d);
        let Some(file) = project.file_at(&project.root.join(dir).join("pyproject.toml")) else {
            continue;
        };
        let Some(p) = pyproject(&file) else { continue };
        // uv.toml beside it takes precedence over `[tool.uv]`.
        let uv_toml = project
            .read_text(&project.root.join(dir).join("uv.toml"))
            .and_then(|t| chainward_core::toml::parse(&t))
            .and_then(|d| {
                chainward_core::toml::get(&d, &["exclude-newer"])
                    .and_then(|i| i.as_str().map(str::to_string))
            });
        let setting = uv_toml
            .clone()
            .or_else(|| p.uv.exclude_newer.as_ref().map(|(v, _)| v.clone()));
        let at =
            p.uv.exclude_newer
                .as_ref()
                .filter(|_| uv_toml.is_none())
                .map_or(0..0, |(_, span)| span.clone());
        match setting {
            None => out.push(
                Finding::new(
                    &NO_COOLDOWN,
                    &file,
                    0..0,
                    format!(
                        "uv resolves versions published minutes ago: no `exclude-newer` in {}'s `[tool.uv]` (or uv.toml)",
                        file.rel
                    ),
                )
                .with_help(format!(
                    "add `exclude-newer = \"{policy_days} days\"` under `[tool.uv]` (uv 0.9.17 or later), then run `uv lock`"
                )),
            ),
            Some(v) => {
                if let Some(days) = relative_days(&v)
                    && days < policy_days as f64
                {
                    out.push(
                        Finding::new(
                            &COOLDOWN_TOO_SHORT,
                            &file,
                            at,
                            format!(
                                "`exclude-newer = \"{v}\"` waits {days:.1} days; the policy is {policy_days}"
                            ),
                        )
                        .with_severity(Severity::Warning)
                        .with_help(format!(
                            "set `exclude-newer = \"{policy_days} days\"`, then run `uv lock`"
                        )),
                    );
                }
            }
        }
    }
}
