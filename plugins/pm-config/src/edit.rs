//! Settings written into the package managers' own files, byte-preserving: a line appended to
//! .npmrc, pnpm-workspace.yaml or .yarnrc.yml, a key added under `[install]` in bunfig.toml —
//! and the file created when the project has none.

use std::path::PathBuf;

use chainward_core::fix::{Edit, Fix};
use chainward_core::project::clean;
use chainward_core::{Project, toml};

use crate::detect::{Pm, Root};

/// The file `pm` reads its project settings from.
pub(crate) fn settings_file(pm: Pm) -> Option<&'static str> {
    Some(match pm {
        Pm::Npm => ".npmrc",
        Pm::Pnpm => "pnpm-workspace.yaml",
        Pm::YarnBerry => ".yarnrc.yml",
        Pm::Bun => "bunfig.toml",
        Pm::YarnClassic => return None,
    })
}

/// The file to add a setting to: yarn's nearest .yarnrc.yml (yarn merges the files above a
/// project), else the one in the project's folder, existing or not.
fn target(project: &Project, root: &Root, name: &str) -> PathBuf {
    if name == ".yarnrc.yml" {
        let mut at = Some(root.dir.as_path());
        while let Some(d) = at {
            let path = d.join(name);
            if project.file_at(&path).is_some() {
                return path;
            }
            if d == project.root.as_path() || d == std::path::Path::new(".") {
                break;
            }
            at = d.parent();
        }
    }
    clean(&root.dir.join(name))
}

/// `lines` (each a whole `key=value` / `key: value` line) appended to the package manager's
/// settings file, or that file created with them. `None` where a line cannot be added safely
/// (a YAML file written in flow style, `{…}`).
pub(crate) fn append_lines(
    project: &Project,
    root: &Root,
    description: String,
    lines: &[String],
) -> Option<Fix> {
    let name = settings_file(root.pm)?;
    if root.pm == Pm::Bun {
        return None;
    }
    let path = target(project, root, name);
    let Some(file) = project.file_at(&path) else {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        return Some(
            Fix::unsafe_(description, vec![Edit::replace(&path, 0..0, text)]).creating(&path),
        );
    };
    let text = file.text().ok()?;
    // A flow-style YAML document (`{…}`) cannot take a block line after it.
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && *l != "---");
        if first.is_some_and(|l| l.starts_with('{') || l.starts_with('[')) {
            return None;
        }
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lead = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        newline
    };
    let added: String = lines.iter().map(|l| format!("{l}{newline}")).collect();
    Some(Fix::unsafe_(
        description,
        vec![Edit::replace(
            &file.path,
            text.len()..text.len(),
            format!("{lead}{added}"),
        )],
    ))
}

/// `[install] key = value` (`value` as TOML) in the project's bunfig.toml: the value replaced
/// where the key is, the key added under the `[install]` header, an `[install]` table appended,
/// or the file created. Checked by parsing the result: `None` where the key would not end up
/// with that value (an inline `install = {…}` table).
pub(crate) fn bunfig_set(
    project: &Project,
    root: &Root,
    key: &str,
    value: &str,
    description: String,
) -> Option<Fix> {
    let path = clean(&root.dir.join("bunfig.toml"));
    let Some(file) = project.file_at(&path) else {
        return Some(
            Fix::unsafe_(
                description,
                vec![Edit::replace(
                    &path,
                    0..0,
                    format!("[install]\n{key} = {value}\n"),
                )],
            )
            .creating(&path),
        );
    };
    let text = file.text().ok()?;
    let doc = toml::parsed(&file)?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let edit = if let Some(span) = toml::get(doc, &["install", key]).and_then(|i| i.span()) {
        Edit::replace(&file.path, span, value)
    } else if let Some(end) = install_header_end(text) {
        let lead = if text[..end].ends_with('\n') {
            ""
        } else {
            newline
        };
        Edit::replace(
            &file.path,
            end..end,
            format!("{lead}{key} = {value}{newline}"),
        )
    } else if doc.as_table().contains_key("install") {
        return None;
    } else {
        let lead = match text {
            "" => "",
            t if t.ends_with("\n\n") => "",
            t if t.ends_with('\n') => newline,
            _ => "\n\n",
        };
        Edit::replace(
            &file.path,
            text.len()..text.len(),
            format!("{lead}[install]{newline}{key} = {value}{newline}"),
        )
    };
    // The result must parse and hold the value.
    let mut new = text.to_string();
    new.replace_range(edit.range.clone(), &edit.replacement);
    let doc = toml::parse(&new)?;
    let written = toml::get(&doc, &["install", key])?.span()?;
    (new[written] == *value).then(|| Fix::unsafe_(description, vec![edit]))
}

/// The byte after the `[install]` header line (its newline included).
fn install_header_end(text: &str) -> Option<usize> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or_default().trim();
        if code == "[install]" {
            return Some(pos + line.len());
        }
        pos += line.len();
    }
    None
}
