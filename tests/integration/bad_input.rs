//! Hostile and broken input: never a panic, never a hang, a clear message naming the file.

use crate::common::{copy_fixture, run};

#[cfg(unix)]
#[test]
fn symlink_loops_and_odd_names_do_not_hang_or_panic() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = copy_fixture("pin-check/ranges-no-resolved");
    std::os::unix::fs::symlink(tmp.path(), tmp.path().join("loop")).expect("symlink");
    std::os::unix::fs::symlink("missing-target", tmp.path().join("dangling")).expect("symlink");
    let odd = tmp.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&odd).expect("non-UTF-8 folder");
    std::fs::write(
        odd.join("package.json"),
        "{\"dependencies\": {\"ms\": \"^2.1.0\"}}",
    )
    .expect("write");
    let out = run(tmp.path(), &["check", "--color", "never", "."]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stdout.contains("caf"),
        "the package.json in the non-UTF-8 folder is checked: {}",
        out.stdout
    );
}

#[test]
fn file_over_the_size_limit_is_a_parse_error_finding() {
    let tmp = copy_fixture("pin-check/ranges");
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[files]\nmax-file-size = 1000\n",
    )
    .expect("config");
    let out = run(tmp.path(), &["check", "--color", "never", "."]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(
        out.stdout.contains("chainward/parse-error"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("over the limit of 1000 bytes"),
        "{}",
        out.stdout
    );
}

#[test]
fn non_utf8_content_names_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("package.json"), b"{\"name\": \"\xff\"}").expect("write");
    let out = run(tmp.path(), &["check", "--color", "never", "."]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("package.json") && out.stdout.contains("not valid UTF-8"),
        "{}",
        out.stdout
    );
}
