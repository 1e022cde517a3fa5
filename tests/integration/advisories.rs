//! The advisories plugin against real OSV records (fixtures/osv: GitHub's reviewed
//! advisories and ossf/malicious-packages, unchanged) read from a folder and from a zip, over
//! the same versions locked in the four lockfile formats.

use std::io::Write;

use crate::common::{self, chainward, output};

/// The instant the runs are judged at.
const NOW: &str = "2026-12-01T12:00:00Z";

fn check(dir: &std::path::Path, extra: &[&str]) -> common::Output {
    let mut cmd = chainward(dir);
    cmd.env("CHAINWARD_NOW", NOW)
        .args(["check", "--select", "advisories"])
        .args(extra)
        .arg(".");
    output(&mut cmd)
}

/// (rule, package) of each finding, in order.
fn verdicts(out: &common::Output) -> Vec<(String, String)> {
    out.stdout
        .lines()
        .filter_map(|l| {
            let (rule, rest) = l.split_once("]: ")?;
            let rule = rule.split_once('[')?.1.to_string();
            let subject = rest.split('`').nth(1).unwrap_or("").to_string();
            Some((rule, subject))
        })
        .collect()
}

#[test]
fn every_lockfile_format_is_judged_from_the_same_records() {
    let expected: Vec<(String, String)> = [
        ("vulnerable-version", "@babel/traverse@8.0.0-alpha.3"),
        ("vulnerable-version", "braces@3.0.2"),
        ("malicious-version", "chalk@5.6.1"),
        ("vulnerable-version", "cookie@0.6.0"),
        ("malicious-version", "debug@4.4.2"),
        ("vulnerable-version", "micromatch@4.0.5"),
        ("vulnerable-version", "request@2.88.2"),
        ("vulnerable-version", "semver@7.5.1"),
    ]
    .iter()
    .map(|(r, s)| (format!("advisories/{r}"), s.to_string()))
    .collect();
    for format in ["npm", "pnpm", "yarn", "bun"] {
        let dir = common::fixtures().join("advisories").join(format);
        let out = check(&dir, &["--advisory-db", "../../osv"]);
        crate::snap!("advisories", format, out.snapshot());
        assert_eq!(out.code, 1, "{}", out.stdout);
        let mut found = verdicts(&out);
        // The database's age, said once.
        let stale = found
            .iter()
            .position(|(r, _)| r == "advisories/database-stale")
            .expect("stale");
        found.remove(stale);
        found.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(found, want, "{format}");
        // Unaffected: the fixed side of a range, past `last_affected`, no record at all, and a
        // git copy of a package with a vulnerable name.
        for clean in ["@cypress/request", "minimist", "cookie@0.5.0"] {
            assert!(
                !out.stdout.contains(&format!("`{clean}")),
                "{format} {clean}"
            );
        }
    }
}

#[test]
fn a_zip_reads_as_the_folder_and_an_updated_database_is_not_stale() {
    let work = tempfile::tempdir().expect("tmp");
    // osv.dev's layout: records at the top of the archive, deflated.
    let zip_path = work.path().join("npm.zip");
    {
        let file = std::fs::File::create(&zip_path).expect("zip");
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut names: Vec<_> = std::fs::read_dir(common::fixtures().join("osv"))
            .expect("db")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        for path in names {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            zip.start_file(name, options).expect("entry");
            zip.write_all(&std::fs::read(&path).expect("read"))
                .expect("write");
        }
        zip.finish().expect("finish");
    }
    let project = common::copy_fixture("advisories/npm");
    let folder = check(
        project.path(),
        &[
            "--advisory-db",
            &common::fixtures().join("osv").display().to_string(),
        ],
    );
    let zipped = check(
        project.path(),
        &["--advisory-db", &zip_path.display().to_string()],
    );
    let without_stale = |o: &common::Output| -> Vec<(String, String)> {
        verdicts(o)
            .into_iter()
            .filter(|(r, _)| r != "advisories/database-stale")
            .collect()
    };
    assert_eq!(without_stale(&zipped), without_stale(&folder));
    assert_eq!(without_stale(&zipped).len(), 8);
    // `chainward advisories update` records when it ran, beside the zip: an hour ago is fresh.
    std::fs::write(
        work.path().join("npm.zip.chainward-updated"),
        "2026-12-01T11:00:00Z",
    )
    .expect("write");
    let fresh = check(
        project.path(),
        &["--advisory-db", &zip_path.display().to_string()],
    );
    assert!(!fresh.stdout.contains("database-stale"), "{}", fresh.stdout);
    // Two days later it is stale.
    let mut cmd = chainward(project.path());
    cmd.env("CHAINWARD_NOW", "2026-12-03T12:00:00Z")
        .args([
            "check",
            "--select",
            "advisories/database-stale",
            "--advisory-db",
        ])
        .arg(&zip_path)
        .arg(".");
    let later = output(&mut cmd);
    assert!(
        later
            .stdout
            .contains("was last updated 2026-12-01T11:00:00Z"),
        "{}",
        later.stdout
    );
}

#[test]
fn audit_level_drops_the_grades_below_it_but_never_malware() {
    let project = common::copy_fixture("advisories/npm");
    std::fs::write(
        project.path().join("chainward.toml"),
        "[advisories]\ndb = \"db\"\naudit-level = \"high\"\n",
    )
    .expect("write");
    common::copy_tree(&common::fixtures().join("osv"), &project.path().join("db"));
    let out = check(project.path(), &[]);
    let mut found: Vec<String> = verdicts(&out)
        .into_iter()
        .filter(|(r, _)| r != "advisories/database-stale")
        .map(|(_, s)| s)
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "@babel/traverse@8.0.0-alpha.3",
            "braces@3.0.2",
            "chalk@5.6.1",
            "debug@4.4.2"
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn a_projects_config_cannot_point_the_database_outside_the_tree() {
    let project = common::copy_fixture("advisories/npm");
    for (db, why) in [
        ("../db", "must be a path inside the project"),
        ("/etc", "must be a path inside the project"),
        ("nowhere", "no such file or folder"),
    ] {
        std::fs::write(
            project.path().join("chainward.toml"),
            format!("[advisories]\ndb = \"{db}\"\n"),
        )
        .expect("write");
        let out = check(project.path(), &[]);
        assert_eq!(out.code, 2, "{db}: {}", out.snapshot());
        assert!(out.stderr.contains(why), "{db}: {}", out.stderr);
        assert!(
            out.stderr.contains("chainward.toml:2"),
            "{db}: {}",
            out.stderr
        );
    }
    #[cfg(unix)]
    {
        // A link inside the tree to a folder outside it.
        std::os::unix::fs::symlink(
            common::fixtures().join("osv"),
            project.path().join("linked"),
        )
        .expect("link");
        std::fs::write(
            project.path().join("chainward.toml"),
            "[advisories]\ndb = \"linked\"\n",
        )
        .expect("write");
        let out = check(project.path(), &[]);
        assert_eq!(out.code, 2, "{}", out.snapshot());
        assert!(
            out.stderr.contains("must be a path inside the project"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn damaged_records_are_left_out_and_said() {
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("db");
    common::copy_tree(&common::fixtures().join("osv"), &db);
    std::fs::write(db.join("broken.json"), "{\"id\": ").expect("write");
    let project = common::copy_fixture("advisories/npm");
    let out = check(
        project.path(),
        &["--advisory-db", &db.display().to_string()],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("1 record of the advisory database could not be read"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("`debug@4.4.2`"), "{}", out.stdout);
    // A database that is not one: exit 2, nothing checked.
    let bad = check(project.path(), &["--advisory-db", "/nonexistent/osv"]);
    assert_eq!(bad.code, 2, "{}", bad.snapshot());
    assert!(bad.stderr.contains("advisory database"), "{}", bad.stderr);
}
