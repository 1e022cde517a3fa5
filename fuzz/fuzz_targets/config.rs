//! chainward.toml: parsed and validated as `check` does; an accepted config then drives a check.
#![no_main]

use chainward_core::config::Config;
use chainward_core::project::{FileKind, Project};
use chainward_fuzz::{MANIFEST, NPM_LOCK};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chainward_fuzz::one_thread();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ids = chainward_engine::registry::plugin_ids();
    let Ok(config) = Config::parse(text, std::path::Path::new("chainward.toml"), &ids) else {
        return;
    };
    let Ok(engine) = chainward_engine::Engine::with_defaults(config) else {
        return;
    };
    let project = Project::in_memory(
        "/nonexistent/chainward-fuzz",
        vec![
            (
                "package.json".into(),
                FileKind::PackageJson,
                MANIFEST.into(),
            ),
            (
                "package-lock.json".into(),
                FileKind::NpmLock,
                NPM_LOCK.into(),
            ),
        ],
    );
    let _ = engine.check(&project);
});
