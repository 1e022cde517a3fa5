//! CycloneDX and SPDX JSON: read as `sbom diff` and `sbom validate` read them, validated, and
//! diffed against itself.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    chainward_fuzz::sbom(text);
});
