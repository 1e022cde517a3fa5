//! Developer tasks: `cargo xtask docs [--check]` regenerates docs/rules from rule metadata;
//! `cargo xtask bench` measures chainward side by side with peer tools; `cargo xtask fuzz` runs
//! the fuzz targets; `cargo xtask corpus` compares chainward with the package managers on real
//! repositories; `cargo xtask dist` builds the npm packages and the wheel.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod corpus;
mod dist;
mod docs;
mod fuzz;
mod hostile;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("docs") => docs::run(args.iter().any(|a| a == "--check")),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("corpus") => corpus::run(&args[1..]),
        Some("dist") => dist::run(&args[1..]),
        _ => bail!(
            "usage: cargo xtask docs [--check] | cargo xtask bench [--runs N] [--no-peers] [--hostile] | cargo xtask fuzz [--time SECONDS] [--target NAME] | cargo xtask corpus [--corpus DIR] [--exe PATH] | cargo xtask dist [--binary PATH] [--out DIR] [--platform SUFFIX]"
        ),
    }
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or(manifest)
}

/// `cargo build --release -p chainward`, and the binary it made.
pub fn release_binary(root: &std::path::Path) -> Result<std::path::PathBuf> {
    build_binary(root, "release")
}

/// `cargo build --locked --profile PROFILE -p chainward`, and the binary it made.
pub fn build_binary(root: &std::path::Path, profile: &str) -> Result<std::path::PathBuf> {
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--locked",
            "--quiet",
            "--profile",
            profile,
            "-p",
            "chainward",
        ])
        .current_dir(root)
        .status()
        .map_err(|e| anyhow::anyhow!("running cargo build --profile {profile}: {e}"))?;
    if !status.success() {
        bail!("cargo build --profile {profile} failed");
    }
    Ok(root.join("target").join(profile).join("chainward"))
}
