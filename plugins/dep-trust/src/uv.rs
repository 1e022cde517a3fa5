//! uv.lock records when each distribution was uploaded (`upload-time`): the age of a locked
//! version is known offline, without registry metadata.

use chainward_core::packument::{format_time, now_ms, parse_time};
use chainward_core::{FileKind, Finding, Project};
use chainward_python::pyproject::relative_days;
use chainward_python::{pyproject, uv_lock};

use crate::{TOO_NEW, age};

const DAY_MS: i64 = 86_400_000;

pub(crate) fn check(
    project: &Project,
    cooldown_days: u64,
    exclude: &[String],
    out: &mut Vec<Finding>,
) {
    let now = now_ms();
    for file in project.files_of(FileKind::UvLock) {
        let Some(lock) = uv_lock(file) else { continue };
        let text = file.text().unwrap_or_default();
        let dir = file.rel.rsplit_once('/').map_or("", |(d, _)| d);
        // The window: the project's relative `exclude-newer`, else dep-trust's own.
        let relative = project
            .file_at(&project.root.join(dir).join("pyproject.toml"))
            .as_deref()
            .and_then(pyproject)
            .and_then(|p| {
                p.uv.exclude_newer
                    .as_ref()
                    .and_then(|(v, _)| relative_days(v))
            });
        let (window_ms, said) = match relative {
            Some(days) => (
                (days * DAY_MS as f64) as i64,
                format!(
                    "the project's `exclude-newer` window of {}",
                    age((days * DAY_MS as f64) as i64)
                ),
            ),
            None => (
                cooldown_days as i64 * DAY_MS,
                format!("the {cooldown_days}-day cooldown"),
            ),
        };
        let cutoff = now - window_ms;
        for pkg in lock.packages.iter().filter(|p| p.source.kind == "registry") {
            let name = chainward_python::normalize_name(&pkg.name);
            let version = pkg.version.as_deref().unwrap_or_default();
            if exclude
                .iter()
                .any(|e| *e == name || *e == format!("{name}@{version}"))
            {
                continue;
            }
            // The version's newest file: the moment it could first have been installed as it is.
            let Some(uploaded) = pkg
                .sdist
                .iter()
                .chain(&pkg.wheels)
                .filter_map(|a| a.upload_time(text).and_then(parse_time))
                .max()
            else {
                continue;
            };
            // Not yet uploaded at `now` (a `CHAINWARD_NOW` in the past): not judged.
            if uploaded <= cutoff || uploaded > now {
                continue;
            }
            let mut finding = Finding::new(
                &TOO_NEW,
                file,
                pkg.span.clone(),
                format!(
                    "`{}@{version}` was uploaded {}, {} ago, inside {said}",
                    pkg.name,
                    format_time(uploaded),
                    age(now - uploaded),
                ),
            )
            .with_help(format!(
                "wait until it is older, or lock the previous release (`uv lock --upgrade-package '{}<{version}'`) after checking what changed",
                pkg.name
            ));
            finding.subject = Some(format!("{}@{version}", pkg.name));
            out.push(finding);
        }
    }
}
