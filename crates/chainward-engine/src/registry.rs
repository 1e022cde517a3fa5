//! The one ordered registry of built-in plugins, and every rule they declare.

use chainward_core::Plugin;
use chainward_core::Rule;
use chainward_core::rule::core_rules;

/// Built-in plugins, in the order their findings are documented.
pub static PLUGINS: &[&dyn Plugin] = &[
    &pin_check::PinCheck,
    &npm_ci::NpmCi,
    &install_scripts::InstallScripts,
    &pm_config::PmConfig,
    &dep_trust::DepTrust,
    &advisories::Advisories,
    &sbom_diff::SbomDiff,
    &provenance::Provenance,
    &mcp::Mcp,
];

/// Every known rule: the engine's own, then each plugin's.
pub fn all_rules() -> Vec<&'static Rule> {
    core_rules::ALL
        .iter()
        .copied()
        .chain(PLUGINS.iter().flat_map(|p| p.rules().iter().copied()))
        .collect()
}

pub fn plugin(id: &str) -> Option<&'static dyn Plugin> {
    PLUGINS.iter().copied().find(|p| p.id() == id)
}

pub fn plugin_ids() -> Vec<&'static str> {
    PLUGINS.iter().map(|p| p.id()).collect()
}

/// The rule named by an id, a code, or its short name when no other rule has it.
pub fn rule(name: &str) -> Option<&'static Rule> {
    let rules = all_rules();
    if let Some(rule) = rules
        .iter()
        .find(|r| r.id == name || r.code.eq_ignore_ascii_case(name))
    {
        return Some(rule);
    }
    // A rule's short name (`range-specifier`) when exactly one rule has it.
    let mut short = rules.into_iter().filter(|r| r.name() == name);
    match (short.next(), short.next()) {
        (Some(rule), None) => Some(rule),
        _ => None,
    }
}

/// What a mistyped rule name was probably meant to be: the closest rule id, code, plugin id,
/// or the full id of a rule named by its short name (`range-specifier`).
pub fn did_you_mean(name: &str) -> Option<String> {
    let rules = all_rules();
    let mut short = rules.iter().filter(|r| r.name() == name);
    if let (Some(rule), None) = (short.next(), short.next()) {
        return Some(rule.id.to_string());
    }
    let plugins = plugin_ids();
    let candidates = rules
        .iter()
        .flat_map(|r| [r.id, r.code, r.name()])
        .chain(plugins.iter().copied());
    let best = chainward_core::rule::did_you_mean(name, candidates)?;
    // A short name is suggested as the full id it stands for.
    Some(
        rules
            .iter()
            .find(|r| r.name() == best && !plugins.contains(&best))
            .map_or(best, |r| r.id)
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_codes_are_unique_across_plugins() {
        let rules = all_rules();
        let mut ids: Vec<_> = rules.iter().map(|r| r.id).collect();
        let mut codes: Vec<_> = rules.iter().map(|r| r.code.to_ascii_uppercase()).collect();
        ids.sort_unstable();
        ids.dedup();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(ids.len(), rules.len(), "duplicate rule id");
        assert_eq!(codes.len(), rules.len(), "duplicate rule code");
        // Each plugin's rules carry its id, and one code prefix (`PIN`, `MCP`…).
        for plugin in PLUGINS {
            let mut prefixes: Vec<&str> = plugin
                .rules()
                .iter()
                .map(|r| {
                    assert_eq!(r.plugin(), plugin.id(), "{} in {}", r.id, plugin.id());
                    r.code.trim_end_matches(|c: char| c.is_ascii_digit())
                })
                .collect();
            prefixes.dedup();
            assert!(
                prefixes.len() <= 1,
                "{}: code prefixes {prefixes:?}",
                plugin.id()
            );
        }
        for r in &rules {
            let name = r.name();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                r.id
            );
        }
    }
}
