//! An MCP server.json (schema validation, version and ownership checks, their fixes), beside a
//! package.json that publishes the npm package it names.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::one;

const MANIFEST: &str = r#"{
  "name": "@acme/weather-mcp",
  "version": "1.4.0",
  "mcpName": "io.github.acme/weather"
}
"#;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "server.json",
        FileKind::McpServer,
        &[("package.json", FileKind::PackageJson, MANIFEST)],
    );
});
