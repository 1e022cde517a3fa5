//! package.json (with spans), beside a matching npm lockfile.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{NPM_LOCK, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "package.json",
        FileKind::PackageJson,
        &[("package-lock.json", FileKind::NpmLock, NPM_LOCK)],
    );
});
