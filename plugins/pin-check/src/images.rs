//! Container images without a digest: Dockerfile `FROM`, workflow `container:` and `services:`.

use std::collections::{HashMap, HashSet};

use chainward_core::dockerfile;
use chainward_core::fix::{Edit, Fix};
use chainward_core::online::{ImageRef, Images};
use chainward_core::yaml::{self, Yaml};
use chainward_core::{FileKind, Finding, Fixability, Rule, Severity, SourceFile};

pub(crate) static UNPINNED_IMAGE: Rule = Rule {
    id: "pin-check/unpinned-image",
    code: "PIN007",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A container image is referenced by tag instead of by digest",
    doc: r#"`FROM node:22-alpine` builds on whatever image the tag points to on the day of the build;
tags are re-pushed routinely. A digest names exactly one image:

```dockerfile
FROM node:22-alpine@sha256:<digest>
```

Checked in Dockerfiles/Containerfiles (`FROM`) and in workflows (`jobs.<id>.container` and
`services.<name>.image`). `scratch` and references to earlier build stages are fine. Images
built from `ARG`s are checked with the ARG defaults declared before the first `FROM`; an image
that depends on an ARG without a default is decided by whoever passes `--build-arg`, and is not
reported.

**Fix.** `chainward fix --online --unsafe-fixes` asks the image's registry (anonymously, the OCI
distribution API) for the digest its tag names now and adds it, keeping the tag for readers:
`FROM node:22-alpine@sha256:…`. For a multi-platform image that is the digest of the index, the
one `docker buildx imagetools inspect` prints, so every platform stays pinned. It is an unsafe
fix: the image that runs is the one the tag names *today*. Only well-known public registries are
asked (Docker Hub, ghcr.io, quay.io, gcr.io, mcr.microsoft.com, public.ecr.aws,
registry.gitlab.com); add others with `--image-registry HOST=URL`. An image built from build args
is left alone.
"#,
};

/// "is referenced by tag" or "has no tag (implicitly `latest`)".
fn how_referenced(image: &str) -> &'static str {
    if has_tag(image) {
        "is referenced by tag"
    } else {
        "has no tag (implicitly `latest`)"
    }
}

/// A tag is a `:` after the last `/` (a `:` before it is a registry port).
fn has_tag(image: &str) -> bool {
    image.rsplit('/').next().unwrap_or(image).contains(':')
}

/// Whether an image reference carries a digest.
fn has_digest(image: &str) -> bool {
    image.contains("@sha256:") || image.contains("@sha512:")
}

pub(crate) fn check_dockerfile(
    file: &SourceFile,
    images: Option<&dyn Images>,
    out: &mut Vec<Finding>,
) {
    let Some(df) = dockerfile::parsed(file) else {
        return;
    };
    let mut args: HashMap<String, Option<String>> = HashMap::new();
    let mut stages: HashSet<String> = HashSet::new();
    let mut seen_from = false;
    for ins in &df.instructions {
        if ins.keyword == "ARG" && !seen_from {
            for tok in &ins.args {
                let (name, default) = match tok.text.split_once('=') {
                    Some((n, d)) => (n, Some(d.trim_matches('"').to_string())),
                    None => (tok.text.as_str(), None),
                };
                args.insert(name.to_string(), default);
            }
            continue;
        }
        let Some(from) = ins.as_from() else { continue };
        seen_from = true;
        let raw = from.image.text.as_str();
        let stage = from.stage_name.map(|s| s.text.to_ascii_lowercase());
        let image = if raw.contains('$') {
            match substitute(raw, &args) {
                Some(expanded) => expanded,
                None => {
                    stages.extend(stage);
                    continue;
                }
            }
        } else {
            raw.to_string()
        };
        let lower = image.to_ascii_lowercase();
        if lower == "scratch" || stages.contains(&lower) || has_digest(&image) {
            stages.extend(stage);
            continue;
        }
        let via = if image == raw {
            String::new()
        } else {
            format!(" (`{raw}` with the default build args)")
        };
        out.push(
            Finding::new(
                &UNPINNED_IMAGE,
                file,
                from.image.span.clone(),
                format!(
                    "base image `{image}`{via} {}, which can be re-pushed; pin it by digest",
                    how_referenced(&image)
                ),
            )
            .with_help(format!(
                "use `{}@sha256:<digest>` (`docker buildx imagetools inspect {image}` prints it)",
                image
            ))
            .with_fix_opt(
                images
                    .filter(|_| image == raw)
                    .and_then(|images| digest_fix(file, from.image.span.clone(), raw, images)),
            ),
        );
        stages.extend(stage);
    }
}

/// Expand `$NAME`, `${NAME}` and `${NAME:-default}` with ARG defaults; `None` when a variable
/// has no value.
fn substitute(raw: &str, args: &HashMap<String, Option<String>>) -> Option<String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (name, fallback, len) = if let Some(body) = rest.strip_prefix('{') {
            let end = body.find('}')?;
            let inner = &body[..end];
            let (n, f) = match inner.split_once(":-") {
                Some((n, f)) => (n, Some(f)),
                None => (inner, None),
            };
            (n, f, end + 2)
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], None, end)
        };
        let value = args
            .get(name)
            .cloned()
            .flatten()
            .filter(|v| !v.is_empty())
            .or_else(|| fallback.map(str::to_string))?;
        out.push_str(&value);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Some(out)
}

pub(crate) fn check_workflow(
    file: &SourceFile,
    images: Option<&dyn Images>,
    out: &mut Vec<Finding>,
) {
    if file.kind != FileKind::Workflow {
        return;
    }
    let Some(doc) = yaml::parsed(file) else {
        return;
    };
    for (job_id, job) in doc.get("jobs").map(Yaml::entries).into_iter().flatten() {
        if let Some(container) = job.get("container") {
            let image = container.get("image").unwrap_or(container);
            check_image_node(
                file,
                image,
                &format!("job `{job_id}` runs in container"),
                images,
                out,
            );
        }
        for (name, service) in job.get("services").map(Yaml::entries).into_iter().flatten() {
            let image = service.get("image").unwrap_or(service);
            check_image_node(
                file,
                image,
                &format!("service `{name}` of job `{job_id}` uses"),
                images,
                out,
            );
        }
    }
}

fn check_image_node(
    file: &SourceFile,
    node: &Yaml,
    what: &str,
    images: Option<&dyn Images>,
    out: &mut Vec<Finding>,
) {
    let Some(image) = node.as_str().map(str::trim) else {
        return;
    };
    if image.is_empty() || image.contains("${{") || has_digest(image) {
        return;
    }
    out.push(
        Finding::new(
            &UNPINNED_IMAGE,
            file,
            node.span.clone(),
            format!(
                "{what} image `{image}`, {}, which can be re-pushed; pin it by digest",
                if has_tag(image) {
                    "referenced by tag"
                } else {
                    "with no tag (implicitly `latest`)"
                }
            ),
        )
        .with_help(format!("use `{image}@sha256:<digest>`"))
        .with_fix_opt(images.and_then(|images| digest_fix(file, node.span.clone(), image, images))),
    );
}

/// `image` (found in `span` of `file`, as written) pinned to the digest its tag names now: the
/// digest inserted after the reference, the tag kept. `None` when the reference is not one
/// chainward resolves or the registry has no answer.
pub(crate) fn digest_fix(
    file: &SourceFile,
    span: std::ops::Range<usize>,
    image: &str,
    images: &dyn Images,
) -> Option<Fix> {
    let reference = ImageRef::parse(image)?;
    let digest = images.digest(&reference).ok()??;
    let text = file.text().ok()?;
    let at = span.start + text.get(span)?.find(image)? + image.len();
    Some(Fix::unsafe_(
        format!("pin `{image}` to {digest}, the image its tag names now"),
        vec![Edit::replace(&file.path, at..at, format!("@{digest}"))],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_arg_defaults() {
        let mut args = HashMap::new();
        args.insert("V".to_string(), Some("20".to_string()));
        args.insert("NONE".to_string(), None);
        assert_eq!(
            substitute("node:${V}-alpine", &args).as_deref(),
            Some("node:20-alpine")
        );
        assert_eq!(substitute("node:$V", &args).as_deref(), Some("node:20"));
        assert_eq!(
            substitute("${NONE:-alpine}:3", &args).as_deref(),
            Some("alpine:3")
        );
        assert_eq!(substitute("${NONE}", &args), None);
        assert_eq!(substitute("${UNSET}", &args), None);
    }
}
