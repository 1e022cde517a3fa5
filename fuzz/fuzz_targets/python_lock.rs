//! A Python lockfile (uv.lock, pylock.toml or poetry.lock, by the first byte) beside the
//! pyproject.toml it locks: parsing, the sync check, entries, pins and their fixes, the SBOM
//! plugins.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::one;

const PYPROJECT: &str = r#"[project]
name = "mcp-clock"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["tzdata>=2025.2", "anyio[trio]>=4; python_version >= '3.11'"]

[dependency-groups]
dev = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff==0.8.0"]

[tool.uv]
exclude-newer = "1 day"
"#;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (rel, kind) = match data.first().map(|b| b % 3) {
        Some(1) => ("pylock.toml", FileKind::PyLock),
        Some(2) => ("poetry.lock", FileKind::PoetryLock),
        _ => ("uv.lock", FileKind::UvLock),
    };
    one(
        data,
        rel,
        kind,
        &[("pyproject.toml", FileKind::PyProject, PYPROJECT)],
    );
});
