//! The engine's own findings: files that do not parse (`chainward/parse-error`) and links that
//! were not followed (`chainward/unsafe-path`).

use chainward_core::config::Config;
use chainward_core::rule::core_rules;
use chainward_core::{Finding, Location, Project, Severity};

/// `chainward/parse-error`: every file a plugin could not read, at the line and column where
/// parsing stopped; a well-formed file in a format chainward does not read is a warning.
pub(crate) fn parse_errors(project: &Project) -> Vec<Finding> {
    let mut out: Vec<Finding> = project
        .parse_errors()
        .into_iter()
        .map(|err| {
            let location = match project.source(&err.path) {
                Some(file) => Location::new(&file, err.span.clone()),
                None => Location::at(
                    err.path.clone(),
                    0..0,
                    chainward_core::span::LineCol { line: 1, column: 1 },
                    chainward_core::span::LineCol { line: 1, column: 1 },
                ),
            };
            let finding = Finding::at(&core_rules::PARSE_ERROR, location, err.message);
            if err.unsupported {
                finding.with_severity(Severity::Warning)
            } else {
                finding
            }
        })
        .collect();
    out.extend(project.walk_errors.iter().map(|err| {
        let lc = chainward_core::span::LineCol { line: 1, column: 1 };
        Finding::at(
            &core_rules::PARSE_ERROR,
            Location::at(err.path.clone(), 0..0, lc, lc),
            err.message.clone(),
        )
        .with_severity(Severity::Warning)
    }));
    out
}

/// `chainward/unsafe-path`: every link that was not followed (the config's, discovery's, and
/// those met by plugins reading files on demand), at the link, naming where it points.
pub(crate) fn unsafe_paths(project: &Project, config: &Config) -> Vec<Finding> {
    let lc = chainward_core::span::LineCol { line: 1, column: 1 };
    config
        .unsafe_link
        .iter()
        .cloned()
        .chain(project.unsafe_links())
        .map(|link| {
            let shown = chainward_core::project::rel_path(&project.root, &link.path);
            Finding::at(
                &core_rules::UNSAFE_PATH,
                Location::at(link.path.clone(), 0..0, lc, lc),
                format!("`{shown}` is {}", link.describe()),
            )
            .with_help(
                "replace the link with the file itself, or point it at a file inside the project",
            )
        })
        .collect()
}
