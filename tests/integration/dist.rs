//! The packages chainward ships, built by `cargo xtask dist` around the binary under test and
//! installed the way users install them: the npm launcher and the Linux platform package from
//! their tarballs with the real npm (`--ignore-scripts --offline`: there are no scripts, and
//! nothing is fetched), then `npx chainward`; the wheel into a fresh venv with the real pip
//! (`--no-index`), then `chainward` from the venv.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{copy_fixture, workspace};

/// `cargo xtask dist` once for every test here: the launcher's and the platform package's
/// tarballs and the wheel.
struct Dist {
    launcher: PathBuf,
    platform: PathBuf,
    wheel: PathBuf,
    /// A folder holding the wheel alone (for pip's `--find-links`).
    wheels: PathBuf,
}

/// A folder holding only the chainward wheel built around the binary under test.
pub fn wheels() -> PathBuf {
    dist().wheels.clone()
}

fn dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        // In cargo's scratch folder for integration tests, emptied first: a static is never
        // dropped, so a temporary folder would outlive the run (80 MB in /tmp each time).
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dist");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dist scratch folder");
        // The binary under test, without its symbols (a debug build is 100 MB; what ships is a
        // stripped release build), packaged as the release workflow packages its build.
        let exe = Path::new(env!("CARGO_BIN_EXE_chainward"));
        let stripped = dir.join("chainward");
        let binary = match Command::new("strip")
            .arg("-o")
            .arg(&stripped)
            .arg(exe)
            .status()
        {
            Ok(s) if s.success() => stripped,
            _ => exe.to_path_buf(),
        };
        let out = dir.join("dist");
        let run = Command::new(env!("CARGO"))
            .args([
                "run",
                "--quiet",
                "--offline",
                "-p",
                "xtask",
                "--",
                "dist",
                "--binary",
            ])
            .arg(&binary)
            .arg("--out")
            .arg(&out)
            .current_dir(workspace())
            .output()
            .expect("cargo xtask dist");
        assert!(
            run.status.success(),
            "cargo xtask dist failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        let version = env!("CARGO_PKG_VERSION");
        let find = |name: String| {
            let path = out.join(&name);
            assert!(
                path.is_file(),
                "{name} not built; dist wrote {:?}",
                listing(&out)
            );
            path
        };
        let wheel = std::fs::read_dir(&out)
            .expect("dist")
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .expect("a wheel");
        let wheels = dir.join("wheels");
        std::fs::create_dir_all(&wheels).expect("wheels");
        std::fs::copy(&wheel, wheels.join(wheel.file_name().expect("name"))).expect("copy");
        Dist {
            launcher: find(format!("chainward-{version}.tgz")),
            platform: find(format!("chainward-cli-linux-x64-gnu-{version}.tgz")),
            wheel,
            wheels,
        }
    })
}

fn listing(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// npm in `dir` with its cache and configuration kept in `home`, offline.
fn npm(dir: &Path, home: &Path) -> Command {
    let mut cmd = Command::new("npm");
    let userconfig = home.join("npmrc");
    if !userconfig.exists() {
        std::fs::write(&userconfig, "").expect("npmrc");
    }
    cmd.current_dir(dir)
        .env("npm_config_cache", home.join("cache"))
        .env("npm_config_userconfig", &userconfig)
        .env("npm_config_offline", "true")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env_remove("NO_COLOR");
    cmd
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
fn npx_chainward_runs_the_platform_binary() {
    let dist = dist();
    let home = tempfile::tempdir().expect("tmp");
    let project = tempfile::tempdir().expect("tmp");
    std::fs::write(
        project.path().join("package.json"),
        r#"{"name": "uses-chainward", "version": "1.0.0", "private": true}"#,
    )
    .expect("package.json");
    let install = npm(project.path(), home.path())
        .args(["install", "--ignore-scripts", "--save-dev"])
        .arg(&dist.launcher)
        .arg(&dist.platform)
        .output()
        .expect("npm install");
    assert!(
        install.status.success(),
        "npm install failed:\n{}",
        String::from_utf8_lossy(&install.stderr)
    );

    // What npm installed: a launcher without scripts, and the binary, executable.
    let installed = project.path().join("node_modules");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(installed.join("chainward/package.json")).expect("launcher"),
    )
    .expect("json");
    assert!(manifest.get("scripts").is_none(), "{manifest}");
    let optional = manifest["optionalDependencies"]
        .as_object()
        .expect("optionalDependencies");
    assert_eq!(optional.len(), 7, "{optional:?}");
    assert!(
        optional
            .values()
            .all(|v| v.as_str() == Some(env!("CARGO_PKG_VERSION"))),
        "every platform package pinned exactly: {optional:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let binary = installed.join("@chainward/cli-linux-x64-gnu/bin/chainward");
        let mode = std::fs::metadata(&binary)
            .expect("binary")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "{} is not executable",
            binary.display()
        );
    }

    // `npx chainward check` says what the binary says, with its exit code.
    let fixture = copy_fixture("pin-check/mcp-server");
    let start = std::time::Instant::now();
    let via_npx = npm(project.path(), home.path())
        .args(["exec", "--", "chainward", "check", "--color", "never"])
        .arg(fixture.path())
        .output()
        .expect("npx");
    let wall = start.elapsed();
    let direct = Command::new(env!("CARGO_BIN_EXE_chainward"))
        .args(["check", "--color", "never"])
        .arg(fixture.path())
        .env_remove("NO_COLOR")
        .output()
        .expect("chainward");
    assert_eq!(via_npx.status.code(), Some(1), "{via_npx:?}");
    assert_eq!(
        String::from_utf8_lossy(&via_npx.stdout),
        String::from_utf8_lossy(&direct.stdout)
    );
    assert!(String::from_utf8_lossy(&via_npx.stdout).contains("pin-check/range-specifier"));
    // Shown with --nocapture: the figure the distribution notes quote.
    #[allow(clippy::print_stderr)]
    {
        eprintln!("npx chainward check on pin-check/mcp-server: {wall:?}");
    }

    // And the package.json `bin` link itself, as a script would call it.
    let version = Command::new(installed.join(".bin/chainward"))
        .arg("--version")
        .output()
        .expect("node_modules/.bin/chainward");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("chainward {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
fn the_wheel_installs_chainward_into_a_venv() {
    let dist = dist();
    let tmp = tempfile::tempdir().expect("tmp");
    let venv = tmp.path().join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 -m venv");
    assert!(made.success());
    let pip = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .arg(&dist.wheel)
        .output()
        .expect("pip");
    assert!(
        pip.status.success(),
        "pip install failed:\n{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let version = Command::new(venv.join("bin/chainward"))
        .arg("--version")
        .output()
        .expect("venv/bin/chainward");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("chainward {}", env!("CARGO_PKG_VERSION"))
    );
    // Every file the wheel's RECORD lists has the digest and size it records (PEP 427), read
    // by Python's own zipfile and hashlib.
    let check = Command::new(venv.join("bin/python"))
        .arg("-c")
        .arg(RECORD_CHECK)
        .arg(&dist.wheel)
        .output()
        .expect("python");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "4 files");
}

const RECORD_CHECK: &str = r#"
import base64, csv, hashlib, io, sys, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
record = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
rows = list(csv.reader(io.TextIOWrapper(wheel.open(record), "utf-8")))
assert sorted(r[0] for r in rows) == sorted(wheel.namelist()), (rows, wheel.namelist())
for name, digest, size in rows:
    if name == record:
        assert digest == "" and size == "", name
        continue
    data = wheel.read(name)
    algo, value = digest.split("=", 1)
    assert algo == "sha256", name
    assert base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode() == value, name
    assert int(size) == len(data), name
print(f"{len(rows)} files")
"#;

/// The package pre-commit installs for the python hooks asks for the wheel of this very version.
#[test]
fn the_hook_package_pins_this_version() {
    let text = std::fs::read_to_string(workspace().join("pyproject.toml")).expect("pyproject");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!("\nversion = \"{version}\"\n"))
            && text.contains(&format!("dependencies = [\"chainward=={version}\"]")),
        "pyproject.toml does not pin chainward {version}:\n{text}"
    );
}

/// The release workflow satisfies every provenance rule (`chainward check .` in .ci/run says so
/// for the repository), and each rule still watches it: taking one safeguard out brings the
/// finding that names it.
#[test]
fn the_release_workflow_passes_and_each_safeguard_is_watched() {
    let workflow = std::fs::read_to_string(workspace().join(".github/workflows/release.yml"))
        .expect("release.yml");
    let check = |text: &str| -> Vec<String> {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join(".github/workflows");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("release.yml"), text).expect("write");
        let mut rules = crate::common::findings(tmp.path(), &["check"], "rule");
        rules.sort();
        rules.dedup();
        rules
    };
    assert_eq!(check(&workflow), Vec::<String>::new());
    let variants: [(&str, &str, &str, &str); 5] = [
        (
            "the npm job without id-token",
            "      id-token: write # npm trusted publishing (OIDC) and provenance\n",
            "",
            "provenance/missing-id-token",
        ),
        (
            "the attestation without id-token",
            "      id-token: write # Sigstore signing of the build provenance\n",
            "",
            "provenance/missing-id-token",
        ),
        (
            "a publish without --provenance and with a token",
            "    environment: npm\n",
            "    environment: npm\n    env:\n      NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
            "provenance/long-lived-token",
        ),
        (
            "a cache restored in the npm job",
            "          package-manager-cache: false # no cache in a publishing job\n",
            "          cache: npm\n",
            "provenance/release-cache",
        ),
        (
            "an action by tag",
            "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0",
            "actions/download-artifact@v4",
            "pin-check/unpinned-action",
        ),
    ];
    for (what, from, to, rule) in variants {
        assert!(
            workflow.contains(from),
            "{what}: {from:?} is not in release.yml"
        );
        let rules = check(&workflow.replacen(from, to, 1));
        assert!(
            rules.iter().any(|r| r == rule),
            "{what}: expected {rule}, got {rules:?}"
        );
    }
}

/// What `cargo publish --workspace` needs of the manifests: every crate the workspace depends
/// on by path also names this version (crates.io keeps the version, not the path), and every
/// published crate has a name of its own (the plugins are `chainward-<plugin>`; crates.io names
/// are global) and the metadata crates.io shows.
#[test]
fn the_crates_can_be_published() {
    let version = env!("CARGO_PKG_VERSION");
    let root = std::fs::read_to_string(workspace().join("Cargo.toml")).expect("Cargo.toml");
    let deps = root
        .split("[workspace.dependencies]")
        .nth(1)
        .expect("workspace dependencies");
    let local: Vec<&str> = deps.lines().filter(|l| l.contains("path = ")).collect();
    assert!(local.len() >= 15, "{local:?}");
    for line in &local {
        assert!(
            line.contains(&format!("version = \"{version}\"")),
            "{line}: a path dependency without version {version}"
        );
    }
    let mut manifests = Vec::new();
    for dir in ["crates", "plugins"] {
        for entry in std::fs::read_dir(workspace().join(dir))
            .expect("dir")
            .flatten()
        {
            let manifest = entry.path().join("Cargo.toml");
            if manifest.is_file() {
                manifests.push(manifest);
            }
        }
    }
    assert!(manifests.len() >= 14, "{manifests:?}");
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest).expect("manifest");
        for field in [
            "name = \"chainward-",
            "\ndescription = ",
            "\nlicense.workspace = true",
            "\nrepository.workspace = true",
        ] {
            assert!(text.contains(field), "{}: no {field:?}", manifest.display());
        }
    }
}

/// The shared libraries an ELF binary asks the loader for (its `DT_NEEDED` entries): the
/// dynamic section's, named in the string table that section links to.
#[cfg(all(target_os = "linux", target_pointer_width = "64", target_env = "gnu"))]
fn needed_libraries(elf: &[u8]) -> Vec<String> {
    // Little-endian fields of `n` bytes.
    let field = |at: usize, n: usize| {
        elf[at..at + n]
            .iter()
            .rev()
            .fold(0usize, |value, &b| value << 8 | usize::from(b))
    };
    assert_eq!(
        &elf[..6],
        b"\x7fELF\x02\x01",
        "a 64-bit little-endian ELF file"
    );
    const SHT_DYNAMIC: usize = 6;
    const DT_NEEDED: usize = 1;
    let (headers, header_size, count) = (field(0x28, 8), field(0x3a, 2), field(0x3c, 2));
    let header = |i: usize| headers + i * header_size;
    let Some(dynamic) = (0..count)
        .map(header)
        .find(|&h| field(h + 4, 4) == SHT_DYNAMIC)
    else {
        return Vec::new(); // linked statically
    };
    let strings = field(header(field(dynamic + 0x28, 4)) + 0x18, 8);
    let (start, size) = (field(dynamic + 0x18, 8), field(dynamic + 0x20, 8));
    (start..start + size)
        .step_by(16)
        .filter(|&entry| field(entry, 8) == DT_NEEDED)
        .map(|entry| {
            let name = &elf[strings + field(entry + 8, 8)..];
            let end = name.iter().position(|&b| b == 0).expect("a C string");
            String::from_utf8_lossy(&name[..end]).into_owned()
        })
        .collect()
}

/// The Linux binary needs nothing at run time but the C runtime: zlib (libgit2's) is built in,
/// so a slim image without libz.so.1 runs it, and the loader maps one library fewer at start.
#[test]
#[cfg(all(target_os = "linux", target_pointer_width = "64", target_env = "gnu"))]
fn the_binary_needs_only_the_c_runtime() {
    let exe = std::fs::read(env!("CARGO_BIN_EXE_chainward")).expect("binary");
    let needed = needed_libraries(&exe);
    assert!(needed.iter().any(|l| l == "libc.so.6"), "{needed:?}");
    for library in &needed {
        assert!(
            ["libc.so.6", "libgcc_s.so.1", "libm.so.6"].contains(&library.as_str())
                || library.starts_with("ld-linux"),
            "the binary needs {library} at run time: {needed:?}"
        );
    }
}
