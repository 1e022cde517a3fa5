//! What the provenance rules ask of a workflow's commands beyond the shared model
//! ([`chainward_core::workflow`]): the provenance flag, signing, and truthy `env:` values.

use chainward_core::shell::Command;
use chainward_core::yaml::Yaml;

/// `--provenance` (or `--provenance=true`) on the command line.
pub fn has_provenance_flag(cmd: &Command) -> bool {
    cmd.argv()
        .iter()
        .any(|w| w.text == "--provenance" || w.text == "--provenance=true")
}

/// `cosign sign` / `cosign attest` (also `sign-blob`, `attest-blob`).
pub fn is_cosign_sign(cmd: &Command) -> bool {
    let argv = cmd.argv();
    argv.first().is_some_and(|w| w.text == "cosign")
        && argv.get(1).is_some_and(|w| {
            matches!(
                w.text.as_str(),
                "sign" | "sign-blob" | "attest" | "attest-blob"
            )
        })
}

/// A truthy env value (`true`, `"true"`, `1`).
pub fn truthy(v: &Yaml) -> bool {
    matches!(v.as_str(), Some("true" | "1" | "True" | "TRUE"))
}
