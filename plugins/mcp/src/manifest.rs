//! The manifest in the tree that builds a PyPI, crates.io or NuGet package server.json lists:
//! its README (where the registry looks for `mcp-name:`) and its version.

use std::path::PathBuf;

use chainward_core::json::Json;
use chainward_core::mcp::ServerJson;
use chainward_core::{Project, SourceFile};

/// A pyproject.toml or Cargo.toml that builds the package.
#[derive(Debug)]
pub(crate) struct Manifest {
    /// Relative to the root, `/`-separated.
    pub rel: String,
    /// The README it publishes.
    pub readme: Option<PathBuf>,
    /// Its version, when it states one (not `dynamic`, not `version.workspace`).
    pub version: Option<String>,
}

/// PEP 503's normalized name: lower case, runs of `-`, `_`, `.` as one `-`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The text of an XML element `<tag>…</tag>` of an MSBuild project (the first one).
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + end].trim())
}

/// A .csproj in `dir` that packs the NuGet package `identifier` (`<PackageId>`, else the
/// project's file name; NuGet ids are case-insensitive).
fn csproj(project: &Project, dir: &std::path::Path, identifier: &str) -> Option<Manifest> {
    project
        .list_dir(dir)
        .into_iter()
        .filter(|n| n.ends_with(".csproj"))
        .find_map(|n| {
            let path = dir.join(&n);
            let xml = project.read_text(&path)?;
            let id = element(&xml, "PackageId")
                .map(str::to_string)
                .unwrap_or_else(|| n.trim_end_matches(".csproj").to_string());
            if !id.eq_ignore_ascii_case(identifier) {
                return None;
            }
            // The README packed into the package: `<PackageReadmeFile>` names it inside the
            // package; the file of that name beside the project is what is packed, usually.
            let readme = element(&xml, "PackageReadmeFile").map(|r| {
                let file = r.rsplit(['/', '\\']).next().unwrap_or(r);
                dir.join(file)
            });
            let version = element(&xml, "PackageVersion")
                .or_else(|| element(&xml, "Version"))
                .filter(|v| !v.contains('$'))
                .map(str::to_string);
            Some(Manifest {
                rel: chainward_core::project::rel_path(&project.root, &path),
                readme,
                version,
            })
        })
}

/// The manifest building `identifier` (`pypi`, `cargo` or `nuget`): in server.json's folder, at
/// the root, or in the folder `repository.subfolder` names. `None` when the package is not built
/// here.
pub(crate) fn find(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    kind: &str,
    identifier: &str,
) -> Option<Manifest> {
    let (name, table) = match kind {
        "pypi" => ("pyproject.toml", "project"),
        "cargo" => ("Cargo.toml", "package"),
        "nuget" => ("", ""),
        _ => return None,
    };
    let mut dirs: Vec<PathBuf> = vec![
        file.path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        project.root.clone(),
    ];
    if let Some(sub) = server
        .json
        .pointer(&["repository", "subfolder"])
        .and_then(Json::as_str)
        .filter(|s| !s.contains("..") && !s.starts_with('/'))
    {
        dirs.push(chainward_core::project::join(&project.root, sub));
    }
    if kind == "nuget" {
        return dirs.iter().find_map(|d| csproj(project, d, identifier));
    }
    dirs.into_iter().find_map(|dir| {
        let path = dir.join(name);
        let text = project.read_text(&path)?;
        let doc = chainward_core::toml::parse(&text)?;
        let section = chainward_core::toml::get(&doc, &[table])?;
        let declared = section.get("name")?.as_str()?;
        let same = if kind == "pypi" {
            normalize(declared) == normalize(identifier)
        } else {
            declared == identifier
        };
        if !same {
            return None;
        }
        let readme = match section.get("readme") {
            Some(r) if r.as_str().is_some() => r.as_str().map(|s| dir.join(s)),
            Some(r) if r.as_bool() == Some(false) => None,
            Some(r) if r.get("file").and_then(|f| f.as_str()).is_some() => {
                r.get("file").and_then(|f| f.as_str()).map(|s| dir.join(s))
            }
            // A README the tool picks itself: README.md (cargo's default; PyPI's setuptools
            // and hatch look for README.*).
            _ => ["README.md", "README.rst", "README.txt", "README"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| project.is_file(p)),
        };
        let version = section
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Some(Manifest {
            rel: chainward_core::project::rel_path(&project.root, &path),
            readme: readme.filter(|p| {
                !p.components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            }),
            version,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msbuild_elements() {
        let xml = "<Project><PropertyGroup><PackageId>Acme.Weather</PackageId>\n<Version>1.2.0</Version></PropertyGroup></Project>";
        assert_eq!(element(xml, "PackageId"), Some("Acme.Weather"));
        assert_eq!(element(xml, "Version"), Some("1.2.0"));
        assert_eq!(element(xml, "PackageReadmeFile"), None);
    }

    #[test]
    fn pep_503_names() {
        assert_eq!(normalize("Weather_MCP.server"), "weather-mcp-server");
        assert_eq!(normalize("weather--mcp"), "weather-mcp");
    }
}
