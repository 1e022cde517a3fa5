//! A pyproject.toml beside a uv.lock, a requirements file and a workflow that installs with
//! pip and uv: PEP 508 parsing, the sync check, pins and their fixes, install commands.
#![no_main]

use chainward_core::project::FileKind;
use chainward_fuzz::one;

const LOCK: &str = include_str!("../../fixtures/pm-config/uv-short-cooldown/uv.lock");

const WORKFLOW: &str = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          pip install -r requirements.txt\n          uv run pytest\n          uv build\n          python -m build\n";

const REQUIREMENTS: &str = "tzdata==2025.2 \\\n    --hash=sha256:1a403fada01ff9221ca8044d701868fa132215d84beb92242d9acd2147f667a8\nmcp>=1\n";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    one(
        data,
        "pyproject.toml",
        FileKind::PyProject,
        &[
            ("uv.lock", FileKind::UvLock, LOCK),
            ("requirements.txt", FileKind::Requirements, REQUIREMENTS),
            (".github/workflows/ci.yml", FileKind::Workflow, WORKFLOW),
        ],
    );
});
