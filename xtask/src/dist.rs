//! `cargo xtask dist`: the packages chainward ships, assembled around one binary.
//!
//! - npm: `chainward`, a launcher with no install script and no network (its `bin` is a small
//!   Node script that runs the binary of the platform package npm installed beside it), and one
//!   package per platform (`@chainward/cli-<platform>`) holding the binary, each declared as an
//!   exactly pinned `optionalDependency` with `os`/`cpu`/`libc` so that npm, pnpm, yarn and bun
//!   install only the one that matches (the layout of biome and esbuild);
//! - PyPI: a wheel whose only file outside its metadata is the binary, installed as a script
//!   (what maturin's `bindings = "bin"` builds for ruff and zizmor), so that `pipx`, `uv tool` and
//!   pre-commit's `language: python` need neither Rust nor Node.
//!
//! Here only the host's platform package and wheel are built, into `target/packages` (`--out`),
//! from the binary given (`--binary`, which the tests use to package the binary they already
//! built; by default a build with the `dist` profile: release, stripped); the release workflow
//! builds the other platforms on their own runners and calls this with `--platform` and
//! `--binary`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Every platform chainward publishes a binary for: the npm package's suffix, then npm's `os`,
/// `cpu` and (Linux) `libc` values, the binary's file name and the wheel's platform tag (`None`
/// where the tag is read off the binary: glibc's version).
pub struct Platform {
    pub suffix: &'static str,
    pub os: &'static str,
    pub cpu: &'static str,
    pub libc: Option<&'static str>,
    pub exe: &'static str,
    pub rust_target: &'static str,
    pub wheel_tag: Option<&'static str>,
}

pub const PLATFORMS: &[Platform] = &[
    Platform {
        suffix: "linux-x64-gnu",
        os: "linux",
        cpu: "x64",
        libc: Some("glibc"),
        exe: "chainward",
        rust_target: "x86_64-unknown-linux-gnu",
        wheel_tag: None,
    },
    Platform {
        suffix: "linux-x64-musl",
        os: "linux",
        cpu: "x64",
        libc: Some("musl"),
        exe: "chainward",
        rust_target: "x86_64-unknown-linux-musl",
        wheel_tag: Some("musllinux_1_2_x86_64"),
    },
    Platform {
        suffix: "linux-arm64-gnu",
        os: "linux",
        cpu: "arm64",
        libc: Some("glibc"),
        exe: "chainward",
        rust_target: "aarch64-unknown-linux-gnu",
        wheel_tag: None,
    },
    Platform {
        suffix: "linux-arm64-musl",
        os: "linux",
        cpu: "arm64",
        libc: Some("musl"),
        exe: "chainward",
        rust_target: "aarch64-unknown-linux-musl",
        wheel_tag: Some("musllinux_1_2_aarch64"),
    },
    Platform {
        suffix: "darwin-x64",
        os: "darwin",
        cpu: "x64",
        libc: None,
        exe: "chainward",
        rust_target: "x86_64-apple-darwin",
        wheel_tag: Some("macosx_10_12_x86_64"),
    },
    Platform {
        suffix: "darwin-arm64",
        os: "darwin",
        cpu: "arm64",
        libc: None,
        exe: "chainward",
        rust_target: "aarch64-apple-darwin",
        wheel_tag: Some("macosx_11_0_arm64"),
    },
    Platform {
        suffix: "win32-x64-msvc",
        os: "win32",
        cpu: "x64",
        libc: None,
        exe: "chainward.exe",
        rust_target: "x86_64-pc-windows-msvc",
        wheel_tag: Some("win_amd64"),
    },
];

const SCOPE: &str = "@chainward/cli-";
const DESCRIPTION: &str =
    "Supply-chain linter for JavaScript/TypeScript projects (npm, pnpm, yarn, bun)";
const LICENSE: &str = "MIT OR Apache-2.0";
const REPOSITORY: &str = "https://github.com/chainward/chainward";

/// What `dist` wrote.
pub struct Built {
    pub launcher: PathBuf,
    pub platform: PathBuf,
    pub wheel: PathBuf,
}

pub fn run(args: &[String]) -> Result<()> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let root = crate::workspace_root();
    let out = value("--out").map_or_else(|| root.join("target/packages"), PathBuf::from);
    let platform = match value("--platform") {
        Some(suffix) => PLATFORMS
            .iter()
            .find(|p| p.suffix == suffix)
            .with_context(|| format!("unknown platform {suffix}"))?,
        None => host()?,
    };
    let binary = match value("--binary") {
        Some(path) => PathBuf::from(path),
        None if std::ptr::eq(platform, host()?) => crate::build_binary(&root, "dist")?,
        None => bail!(
            "--platform {} needs --binary (a build for {})",
            platform.suffix,
            platform.rust_target
        ),
    };
    let built = dist(&binary, platform, &out)?;
    // The tarballs npm publishes, packed by npm itself.
    let launcher = npm_pack(&built.launcher, &out)?;
    let package = npm_pack(&built.platform, &out)?;
    for path in [&launcher, &package, &built.wheel] {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!("{} ({size} bytes)", path.display());
    }
    Ok(())
}

/// The platform this xtask runs on.
fn host() -> Result<&'static Platform> {
    let (os, cpu) = (std::env::consts::OS, std::env::consts::ARCH);
    let suffix = match (os, cpu, cfg!(target_env = "musl")) {
        ("linux", "x86_64", false) => "linux-x64-gnu",
        ("linux", "x86_64", true) => "linux-x64-musl",
        ("linux", "aarch64", false) => "linux-arm64-gnu",
        ("linux", "aarch64", true) => "linux-arm64-musl",
        ("macos", "x86_64", _) => "darwin-x64",
        ("macos", "aarch64", _) => "darwin-arm64",
        ("windows", "x86_64", _) => "win32-x64-msvc",
        _ => bail!("no chainward package for {os}/{cpu}"),
    };
    PLATFORMS
        .iter()
        .find(|p| p.suffix == suffix)
        .context("platform table")
}

/// The launcher and `platform`'s npm packages (as folders `npm pack` packs) and its wheel,
/// under `out`.
pub fn dist(binary: &Path, platform: &Platform, out: &Path) -> Result<Built> {
    let version = env!("CARGO_PKG_VERSION");
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    let launcher = out.join("npm/chainward");
    write_launcher(&launcher, version)?;
    let package = out.join(format!("npm/cli-{}", platform.suffix));
    write_platform_package(&package, platform, version, &bytes)?;
    let tag = match platform.wheel_tag {
        Some(tag) => tag.to_string(),
        None => manylinux_tag(&bytes, platform)?,
    };
    let wheel = write_wheel(out, version, &tag, platform.exe, &bytes)?;
    Ok(Built {
        launcher,
        platform: package,
        wheel,
    })
}

fn write_launcher(dir: &Path, version: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("bin"))?;
    let optional: serde_json::Map<String, serde_json::Value> = PLATFORMS
        .iter()
        .map(|p| (format!("{SCOPE}{}", p.suffix), version.into()))
        .collect();
    let manifest = serde_json::json!({
        "name": "chainward",
        "version": version,
        "description": DESCRIPTION,
        "license": LICENSE,
        "repository": {"type": "git", "url": format!("git+{REPOSITORY}.git")},
        "keywords": ["supply-chain", "security", "lockfile", "npm", "pnpm", "yarn", "bun", "mcp"],
        "bin": {"chainward": "bin/chainward.js"},
        "files": ["bin/chainward.js", "README.md"],
        "engines": {"node": ">=18"},
        "optionalDependencies": optional,
    });
    write_json(&dir.join("package.json"), &manifest)?;
    std::fs::write(dir.join("bin/chainward.js"), LAUNCHER)?;
    set_mode(&dir.join("bin/chainward.js"), 0o755)?;
    std::fs::write(dir.join("README.md"), NPM_README)?;
    Ok(())
}

fn write_platform_package(
    dir: &Path,
    platform: &Platform,
    version: &str,
    binary: &[u8],
) -> Result<()> {
    std::fs::create_dir_all(dir.join("bin"))?;
    let mut manifest = serde_json::json!({
        "name": format!("{SCOPE}{}", platform.suffix),
        "version": version,
        "description": format!("The {} binary of chainward (installed by the chainward package)", platform.suffix),
        "license": LICENSE,
        "repository": {"type": "git", "url": format!("git+{REPOSITORY}.git")},
        "os": [platform.os],
        "cpu": [platform.cpu],
        "files": [format!("bin/{}", platform.exe)],
        "preferUnplugged": true,
    });
    if let Some(libc) = platform.libc {
        manifest["libc"] = serde_json::json!([libc]);
    }
    write_json(&dir.join("package.json"), &manifest)?;
    let exe = dir.join("bin").join(platform.exe);
    std::fs::write(&exe, binary)?;
    set_mode(&exe, 0o755)?;
    Ok(())
}

/// `manylinux_2_<N>_<arch>` for the newest glibc symbol version the binary needs (PEP 600), read
/// from the version names in the binary (`GLIBC_2.34`).
fn manylinux_tag(binary: &[u8], platform: &Platform) -> Result<String> {
    let needle = b"GLIBC_2.";
    let mut newest = 17; // manylinux2014's floor
    let mut at = 0;
    while let Some(i) = find(&binary[at..], needle) {
        let start = at + i + needle.len();
        let digits: String = binary[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| b as char)
            .collect();
        if let Ok(minor) = digits.parse::<u32>() {
            newest = newest.max(minor);
        }
        at = start;
    }
    let arch = match platform.cpu {
        "x64" => "x86_64",
        "arm64" => "aarch64",
        other => bail!("no manylinux architecture for {other}"),
    };
    Ok(format!("manylinux_2_{newest}_{arch}"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A wheel holding the binary as a script (installed into the environment's `bin`, executable):
/// `chainward-<v>.data/scripts/<exe>` and the three metadata files of PEP 427, RECORD last with
/// every file's sha256.
fn write_wheel(out: &Path, version: &str, tag: &str, exe: &str, binary: &[u8]) -> Result<PathBuf> {
    use zip::write::SimpleFileOptions;
    std::fs::create_dir_all(out)?;
    let path = out.join(format!("chainward-{version}-py3-none-{tag}.whl"));
    let dist_info = format!("chainward-{version}.dist-info");
    let metadata = format!(
        "Metadata-Version: 2.1\nName: chainward\nVersion: {version}\nSummary: {DESCRIPTION}\nLicense: {LICENSE}\nProject-URL: Source, {REPOSITORY}\nRequires-Python: >=3.8\n"
    );
    let wheel = format!(
        "Wheel-Version: 1.0\nGenerator: chainward-xtask {version}\nRoot-Is-Purelib: false\nTag: py3-none-{tag}\n"
    );
    let files: Vec<(String, &[u8], u32)> = vec![
        (
            format!("chainward-{version}.data/scripts/{exe}"),
            binary,
            0o755,
        ),
        (format!("{dist_info}/METADATA"), metadata.as_bytes(), 0o644),
        (format!("{dist_info}/WHEEL"), wheel.as_bytes(), 0o644),
    ];
    let mut record = String::new();
    let file = std::fs::File::create(&path).with_context(|| format!("{}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    // A fixed timestamp: the same binary gives the same wheel.
    let stamp = zip::DateTime::from_date_and_time(2000, 1, 1, 0, 0, 0)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for (name, data, mode) in &files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(stamp)
            .unix_permissions(*mode);
        zip.start_file(name.as_str(), options)?;
        zip.write_all(data)?;
        record.push_str(&format!(
            "{name},sha256={},{}\n",
            sha256_b64(data),
            data.len()
        ));
    }
    let record_name = format!("{dist_info}/RECORD");
    record.push_str(&format!("{record_name},,\n"));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    zip.start_file(record_name.as_str(), options)?;
    zip.write_all(record.as_bytes())?;
    zip.finish()?;
    Ok(path)
}

/// The urlsafe, unpadded base64 of the SHA-256 of `data`, as RECORD writes it.
fn sha256_b64(data: &[u8]) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// `npm pack` of a package folder into `dest`; the tarball's path.
pub fn npm_pack(dir: &Path, dest: &Path) -> Result<PathBuf> {
    let out = Command::new("npm")
        .args(["pack", "--silent", "--ignore-scripts", "--pack-destination"])
        .arg(dest)
        .current_dir(dir)
        .output()
        .context("running npm pack")?;
    if !out.status.success() {
        bail!("npm pack failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(dest.join(name))
}

const LAUNCHER: &str = r#"#!/usr/bin/env node
// chainward's launcher. npm (pnpm, yarn, bun) installs, of the platform packages this package
// lists as optionalDependencies, only the one whose os, cpu and libc match this machine; this
// script runs its binary with the arguments given. No install script, no download, no network.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

function musl() {
  try {
    const report = process.report.getReport();
    const header = (typeof report === "string" ? JSON.parse(report) : report).header;
    return !header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

function installed(suffix) {
  try {
    return path.dirname(require.resolve(`@chainward/cli-${suffix}/package.json`));
  } catch {
    return null;
  }
}

function binary() {
  const { platform, arch } = process;
  const exe = platform === "win32" ? "chainward.exe" : "chainward";
  let dir = null;
  if (platform === "linux") {
    // npm installs the package whose libc matches; where both are present (a forced install,
    // yarn's supportedArchitectures), ask the runtime which libc this is. A static musl binary
    // also runs where glibc is.
    const gnu = installed(`linux-${arch}-gnu`);
    const muslDir = installed(`linux-${arch}-musl`);
    dir = gnu && muslDir ? (musl() ? muslDir : gnu) : gnu || muslDir;
  } else if (platform === "win32") {
    dir = installed(`win32-${arch}-msvc`);
  } else {
    dir = installed(`${platform}-${arch}`);
  }
  return dir === null ? null : path.join(dir, "bin", exe);
}

const bin = binary();
if (bin === null) {
  console.error(
    `chainward: no binary for ${process.platform}-${process.arch} is installed. The platform ` +
      "packages are optional dependencies: install without --omit=optional (or --no-optional), " +
      "or use `pipx install chainward` / `cargo install chainward`."
  );
  process.exit(2);
}
const result = spawnSync(bin, process.argv.slice(2), { stdio: "inherit", windowsHide: true });
if (result.error) {
  console.error(`chainward: cannot run ${bin}: ${result.error.message}`);
  process.exit(2);
}
if (result.signal) {
  process.kill(process.pid, result.signal);
}
process.exit(result.status === null ? 2 : result.status);
"#;

const NPM_README: &str = "# chainward\n\nSupply-chain linter for JavaScript/TypeScript projects (npm, pnpm, yarn, bun): pins, lockfiles, install scripts, provenance, cooldowns, advisories. Offline by default.\n\n```sh\nnpx chainward check\nnpm i -D chainward && npx chainward check\n```\n\nThis package has no install script: npm installs the binary for your platform from one of its optional dependencies (`@chainward/cli-<platform>`). See https://github.com/chainward/chainward.\n";
