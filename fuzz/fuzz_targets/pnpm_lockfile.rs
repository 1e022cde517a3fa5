//! pnpm-lock.yaml (6.x, 9.0), beside a package.json.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "pnpm-lock.yaml",
        FileKind::PnpmLock,
        &[("package.json", FileKind::PackageJson, MANIFEST)],
    );
});
