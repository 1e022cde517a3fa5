//! An .npmrc, in a project with a package.json and an npm lockfile.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, NPM_LOCK, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        ".npmrc",
        FileKind::Npmrc,
        &[
            ("package.json", FileKind::PackageJson, MANIFEST),
            ("package-lock.json", FileKind::NpmLock, NPM_LOCK),
        ],
    );
});
