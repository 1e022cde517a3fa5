//! Settings written into the package managers' own files, byte-preserving: a line appended to
//! .npmrc, pnpm-workspace.yaml or .yarnrc.yml, a key added under `[install]` in bunfig.toml —
//! and the file created when the project has none.

use std::path::PathBuf;

use chainward_core::fix::{Edit, Fix};
use chainward_core::project::clean;
use chainward_core::{Project, toml};

use chainward_npm::pm::{Pm, Root};

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
    let nearest = (name == ".yarnrc.yml")
        .then(|| chainward_npm::pm::yarnrc_files(project, &root.dir).next())
        .flatten();
    nearest.map_or_else(|| clean(&root.dir.join(name)), |f| f.path.clone())
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
    } else {
        // A dotted `install.x = …` or an inline `install = {…}` makes this a second definition,
        // which the check below refuses.
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

#[cfg(test)]
mod tests {
    use chainward_core::{FileKind, Project};

    use super::*;

    /// The text of `name` after the fix `make` offers for a project of `files`, or `None` when
    /// it offers none.
    fn fixed(
        files: &[(&str, FileKind, &str)],
        name: &str,
        make: impl Fn(&Project, &Root) -> Option<Fix>,
    ) -> Option<String> {
        let project = Project::in_memory(
            "/nonexistent-chainward-root",
            files
                .iter()
                .map(|(rel, kind, text)| (rel.to_string(), *kind, text.to_string()))
                .collect(),
        );
        let root = chainward_npm::pm::roots(&project).into_iter().next()?;
        let fix = make(&project, &root)?;
        let mut text = project
            .file_at(&project.root.join(name))
            .map(|f| f.text().map(str::to_string).unwrap_or_default())
            .unwrap_or_default();
        let mut edits = fix.edits.clone();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in edits {
            text.replace_range(e.range.clone(), &e.replacement);
        }
        Some(text)
    }

    const BUN: (&str, FileKind, &str) = (
        "package.json",
        FileKind::PackageJson,
        r#"{"name": "x", "packageManager": "bun@1.3.5"}"#,
    );

    fn bunfig(text: &str) -> Option<String> {
        let files = [BUN, ("bunfig.toml", FileKind::Bunfig, text)];
        fixed(&files, "bunfig.toml", |p, r| {
            bunfig_set(p, r, "minimumReleaseAge", "259200", String::new())
        })
    }

    #[test]
    fn bunfig_gets_the_key_where_toml_puts_it() {
        for (before, after) in [
            (
                "[install]\nfrozenLockfile = true\n",
                Some("[install]\nminimumReleaseAge = 259200\nfrozenLockfile = true\n"),
            ),
            (
                "[install] # bun install\nexact = true\n",
                Some("[install] # bun install\nminimumReleaseAge = 259200\nexact = true\n"),
            ),
            (
                "[run]\nbun = true\n",
                Some("[run]\nbun = true\n\n[install]\nminimumReleaseAge = 259200\n"),
            ),
            (
                "[run]\r\nbun = true\r\n",
                Some("[run]\r\nbun = true\r\n\r\n[install]\r\nminimumReleaseAge = 259200\r\n"),
            ),
            (
                "[install]\nminimumReleaseAge = 60 # one minute\n",
                Some("[install]\nminimumReleaseAge = 259200 # one minute\n"),
            ),
            ("[install]", Some("[install]\nminimumReleaseAge = 259200\n")),
            (
                "install.minimumReleaseAge = \"1d\"\n",
                Some("install.minimumReleaseAge = 259200\n"),
            ),
            (
                "[install.scopes]\nacme = \"https://npm.acme.example\"\n",
                Some(
                    "[install.scopes]\nacme = \"https://npm.acme.example\"\n\n[install]\nminimumReleaseAge = 259200\n",
                ),
            ),
            // A second definition of `install` would not parse: no fix.
            ("install.exact = true\n", None),
            ("install = { exact = true }\n", None),
        ] {
            assert_eq!(bunfig(before).as_deref(), after, "{before:?}");
        }
    }

    #[test]
    fn a_missing_bunfig_is_created() {
        let fix = fixed(&[BUN], "bunfig.toml", |p, r| {
            bunfig_set(p, r, "minimumReleaseAge", "259200", String::new())
        });
        assert_eq!(
            fix.as_deref(),
            Some("[install]\nminimumReleaseAge = 259200\n")
        );
    }

    #[test]
    fn lines_are_appended_to_the_settings_file_or_it_is_created() {
        let npm = (
            "package.json",
            FileKind::PackageJson,
            r#"{"name": "x", "packageManager": "npm@11.12.0"}"#,
        );
        let pnpm = (
            "package.json",
            FileKind::PackageJson,
            r#"{"name": "x", "packageManager": "pnpm@10.26.0"}"#,
        );
        let add = |p: &Project, r: &Root| append_lines(p, r, String::new(), &["key=1".to_string()]);
        for (files, name, after) in [
            (vec![npm], ".npmrc", Some("key=1\n")),
            (
                vec![npm, (".npmrc", FileKind::Npmrc, "save-exact=true")],
                ".npmrc",
                Some("save-exact=true\nkey=1\n"),
            ),
            (
                vec![npm, (".npmrc", FileKind::Npmrc, "a=b\r\n")],
                ".npmrc",
                Some("a=b\r\nkey=1\r\n"),
            ),
            (
                vec![
                    pnpm,
                    (
                        "pnpm-workspace.yaml",
                        FileKind::PnpmWorkspace,
                        "# settings\n---\npackages: [a]\n",
                    ),
                ],
                "pnpm-workspace.yaml",
                Some("# settings\n---\npackages: [a]\nkey=1\n"),
            ),
            // A flow-style document cannot take a block line.
            (
                vec![
                    pnpm,
                    (
                        "pnpm-workspace.yaml",
                        FileKind::PnpmWorkspace,
                        "{packages: [a]}\n",
                    ),
                ],
                "pnpm-workspace.yaml",
                None,
            ),
        ] {
            assert_eq!(fixed(&files, name, add).as_deref(), after, "{files:?}");
        }
    }
}
