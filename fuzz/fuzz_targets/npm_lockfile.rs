//! package-lock.json (v1, v2, v3), beside a package.json.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "package-lock.json",
        FileKind::NpmLock,
        &[("package.json", FileKind::PackageJson, MANIFEST)],
    );
});
