//! Fixes are crash-safe: `chainward fix` killed (SIGKILL) at random moments while it rewrites a
//! large package.json leaves either the old file or the new one, never a truncated or mixed
//! one. The kill lands mid-write when the staging file (`.package.json.chainward-*.tmp`, in the
//! same folder, fsynced before the rename) is left behind; the test keeps killing until that has
//! happened several times.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::chainward;

/// A project whose package.json is big (a long description) with ranges to pin, and the npm
/// lockfile that matches it: writing the fixed file takes long enough to be interrupted.
fn write_project(dir: &Path) -> (String, String) {
    let deps = 400;
    let mut manifest = String::from("{\n  \"name\": \"big\",\n  \"version\": \"1.0.0\",\n");
    manifest.push_str(&format!(
        "  \"description\": \"{}\",\n  \"dependencies\": {{\n",
        "a supply chain ".repeat(700_000)
    ));
    let mut packages = String::new();
    let mut root_deps = String::new();
    for i in 0..deps {
        let comma = if i + 1 < deps { "," } else { "" };
        manifest.push_str(&format!("    \"pkg-{i}\": \"^1.{i}.0\"{comma}\n"));
        root_deps.push_str(&format!("        \"pkg-{i}\": \"^1.{i}.0\"{comma}\n"));
        packages.push_str(&format!(
            ",\n    \"node_modules/pkg-{i}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-{}==\"\n    }}",
            "A".repeat(86)
        ));
    }
    manifest.push_str("  }\n}\n");
    let lock = format!(
        "{{\n  \"name\": \"big\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"name\": \"big\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {{\n{root_deps}      }}\n    }}{packages}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("package.json"), &manifest).expect("write");
    std::fs::write(dir.join("package-lock.json"), &lock).expect("write");
    (manifest, lock)
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n.contains(".chainward-"))
        .collect()
}

#[test]
fn a_killed_fix_leaves_the_old_file_or_the_new_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let (old_manifest, old_lock) = write_project(dir);

    // One undisturbed run: the new files, and how long a run takes.
    let started = Instant::now();
    let done = chainward(dir)
        .args(["fix", "--quiet", "--select", "pin-check"])
        .output()
        .expect("run");
    let full = started.elapsed();
    assert!(done.status.code().is_some_and(|c| c <= 1), "{done:?}");
    let new_manifest = std::fs::read_to_string(dir.join("package.json")).expect("read");
    let new_lock = std::fs::read_to_string(dir.join("package-lock.json")).expect("read");
    assert_ne!(new_manifest, old_manifest, "the fix changed nothing");
    assert!(new_manifest.contains("\"pkg-7\": \"1.7.0\""));

    let (mut mid_write, mut runs) = (0, 0);
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    // Five kills at random moments of a run, then kills aimed at the write: as soon as the
    // staging file appears, after a random few hundred microseconds.
    while (runs < 5 || mid_write < 3) && runs < 60 {
        runs += 1;
        std::fs::write(dir.join("package.json"), &old_manifest).expect("reset");
        std::fs::write(dir.join("package-lock.json"), &old_lock).expect("reset");
        for leftover in leftovers(dir) {
            let _ = std::fs::remove_file(dir.join(leftover));
        }
        // A kill somewhere in the second half of a run, where the writing happens.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = chainward(dir)
            .args(["fix", "--quiet", "--select", "pin-check"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        if runs <= 5 {
            std::thread::sleep(full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1));
        } else {
            let deadline = Instant::now() + full * 3;
            while leftovers(dir).is_empty()
                && Instant::now() < deadline
                && child.try_wait().ok().flatten().is_none()
            {
                std::thread::sleep(Duration::from_micros(100));
            }
            std::thread::sleep(Duration::from_micros(seed % 800));
        }
        let _ = child.kill();
        let _ = child.wait();

        for (name, old, new) in [
            ("package.json", &old_manifest, &new_manifest),
            ("package-lock.json", &old_lock, &new_lock),
        ] {
            let now = std::fs::read_to_string(dir.join(name)).expect("read");
            assert!(
                &now == old || &now == new,
                "run {runs}: {name} is neither the old nor the new file ({} bytes; old {}, new {})",
                now.len(),
                old.len(),
                new.len()
            );
        }
        if !leftovers(dir).is_empty() {
            mid_write += 1;
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "crash safety: {runs} killed runs, {mid_write} killed while writing (a full run takes {full:?})"
        );
    }
    assert!(mid_write >= 3, "no kill landed mid-write in {runs} runs");
}
