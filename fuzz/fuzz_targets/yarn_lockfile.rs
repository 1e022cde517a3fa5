//! yarn.lock (classic and berry), beside a package.json.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::{MANIFEST, one};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "yarn.lock",
        FileKind::YarnLock,
        &[("package.json", FileKind::PackageJson, MANIFEST)],
    );
});
