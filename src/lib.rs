//! The chainward binary's modules: the CLI, `check`/`fix` over the engine (`chainward-engine`),
//! and the commands that are not plugins'. `main.rs` dispatches to them.

pub mod cli;
pub mod external;
pub mod run;

/// Standard error for everything chainward says besides findings: every line made safe for a
/// terminal or a CI log (no control characters, no line a runner would read as a workflow
/// command), since messages quote names from the scanned tree.
pub fn stderr() -> chainward_core::escape::SafeWriter<std::io::StderrLock<'static>> {
    chainward_core::escape::SafeWriter::new(
        std::io::stderr().lock(),
        chainward_core::escape::Mode::Log,
    )
}

/// Standard output for tables, diffs and JSON that quote the tree, made safe as `mode` says
/// (not for `--format text` findings, which the renderer escapes itself and may colour).
pub fn stdout_safe(
    mode: chainward_core::escape::Mode,
) -> chainward_core::escape::SafeWriter<std::io::StdoutLock<'static>> {
    chainward_core::escape::SafeWriter::new(std::io::stdout().lock(), mode)
}
