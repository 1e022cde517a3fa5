//! An action.yml (composite, docker, node).
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, NPM_LOCK, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "action.yml",
        FileKind::Action,
        &[
            ("package.json", FileKind::PackageJson, MANIFEST),
            ("package-lock.json", FileKind::NpmLock, NPM_LOCK),
        ],
    );
});
