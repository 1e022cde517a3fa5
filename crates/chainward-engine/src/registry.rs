//! The one ordered registry of built-in plugins, and every rule they declare.

use chainward_core::Plugin;
use chainward_core::Rule;
use chainward_core::rule::core_rules;

/// Built-in plugins, in the order their findings are documented.
pub static PLUGINS: &[&dyn Plugin] = &[
    &pin_check::PinCheck,
    &npm_ci::NpmCi,
    &install_scripts::InstallScripts,
    &sbom_diff::SbomDiff,
    &provenance::Provenance,
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

/// The rule named by an id or a code.
pub fn rule(name: &str) -> Option<&'static Rule> {
    all_rules()
        .into_iter()
        .find(|r| r.id == name || r.code.eq_ignore_ascii_case(name))
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
