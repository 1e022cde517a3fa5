//! A GitHub workflow, in a project with a package.json and an npm lockfile.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, NPM_LOCK, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        ".github/workflows/ci.yml",
        FileKind::Workflow,
        &[
            ("package.json", FileKind::PackageJson, MANIFEST),
            ("package-lock.json", FileKind::NpmLock, NPM_LOCK),
        ],
    );
});
