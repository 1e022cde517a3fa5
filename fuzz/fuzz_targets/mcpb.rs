//! An MCP bundle's manifest read from an archive of any bytes: the entry-count cap before the
//! zip reader opens it, the 1 MB manifest bound, then the JSON. Refusals are fine; a panic, a
//! hang or a runaway allocation is a bug.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = chainward_core::mcp::bundle_manifest(std::io::Cursor::new(data));
});
