//! The mcp plugin where a fixture alone cannot show it: the `io.github.<owner>` namespace
//! against the `origin` remote (a git repository built here), and `chainward provenance show`
//! of an MCP bundle (its manifest and the server.json entry naming it).

use crate::common::{GitRepo, copy_fixture, run};
use crate::snap;

/// in-step's server.json without its `repository` (which names acme/weather-mcp), in a git
/// repository with these remotes.
fn repository_with(remotes: &[(&str, &str)], keep_repository: bool) -> tempfile::TempDir {
    let tmp = copy_fixture("mcp/in-step");
    if !keep_repository {
        let path = tmp.path().join("server.json");
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        json.as_object_mut().map(|o| o.remove("repository"));
        std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json")).expect("write");
    }
    let repo = GitRepo::init(tmp.path());
    repo.commit_all("init");
    for (name, url) in remotes {
        repo.remote(name, url);
    }
    tmp
}

#[test]
fn namespace_owner_against_the_remotes() {
    let concise = |dir: &std::path::Path| -> String {
        run(dir, &["mcp", "--format", "concise", "--quiet", "."]).stdout
    };
    // Not a repository: nothing to compare with, and -v says so.
    let tmp = copy_fixture("mcp/in-step");
    assert!(concise(tmp.path()).is_empty());
    let verbose = run(tmp.path(), &["mcp", "-v", "."]);
    assert!(
        verbose.stderr.contains("no GitHub remote"),
        "{}",
        verbose.stderr
    );

    // The owner's repository; a fork whose `upstream` is the owner's; a fork whose server.json
    // names the owner's repository: nothing to say.
    for (remotes, keep) in [
        (
            &[("origin", "git@github.com:acme/weather-mcp.git")][..],
            false,
        ),
        (
            &[
                ("origin", "https://github.com/alice/weather-mcp.git"),
                ("upstream", "https://github.com/acme/weather-mcp.git"),
            ][..],
            false,
        ),
        (
            &[("origin", "https://github.com/alice/weather-mcp.git")][..],
            true,
        ),
    ] {
        let tmp = repository_with(remotes, keep);
        assert_eq!(concise(tmp.path()), "", "{remotes:?}");
    }

    // A server.json copied into another owner's repository: only acme can publish the name.
    let copied = repository_with(
        &[("origin", "https://github.com/someone-else/weather-mcp.git")],
        false,
    );
    let out = run(copied.path(), &["mcp", "--color", "never", "."]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    snap!("mcp", "namespace_owner__another_owner", out.snapshot());

    // The same owner in other case: the login's casing cannot be known offline, so info.
    let case = repository_with(&[("origin", "https://github.com/ACME/weather-mcp")], false);
    let json = run(case.path(), &["mcp", "--format", "json", "."]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(
        v["findings"][0]["rule"], "mcp/namespace-owner",
        "{}",
        json.stdout
    );
    assert_eq!(v["findings"][0]["severity"], "info");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("differs only in case")),
        "{}",
        json.stdout
    );
}

#[test]
fn provenance_show_of_an_mcp_bundle() {
    let tmp = copy_fixture("mcp/bundle");
    let wrong = run(tmp.path(), &["provenance", "show", "dist/weather.mcpb"]);
    assert_eq!(wrong.code, 1, "{}", wrong.snapshot());
    let ok = copy_fixture("mcp/bundle-ok");
    let right = run(ok.path(), &["provenance", "show", "dist/weather.mcpb"]);
    assert_eq!(right.code, 0, "{}", right.snapshot());
    snap!(
        "mcp",
        "provenance_show_mcpb",
        format!(
            "## wrong hash\n{}\n## right hash\n{}",
            wrong.snapshot(),
            right.snapshot()
        )
    );
    let json = run(
        ok.path(),
        &[
            "provenance",
            "show",
            "--format",
            "json",
            "dist/weather.mcpb",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["mcpb"]["hash_matches"], true);
    assert_eq!(v["mcpb"]["manifest"]["name"], "weather");
    assert_eq!(v["mcpb"]["server"], "io.github.acme/weather");
    // Another server.json, named explicitly; a file that is not a bundle.
    std::fs::write(
        ok.path().join("other.json"),
        r#"{"name": "io.github.acme/other", "packages": []}"#,
    )
    .expect("write");
    let other = run(
        ok.path(),
        &[
            "provenance",
            "show",
            "--server-json",
            "other.json",
            "dist/weather.mcpb",
        ],
    );
    assert_eq!(other.code, 0);
    assert!(
        other.stdout.contains("no mcpb entry names this file"),
        "{}",
        other.stdout
    );
    std::fs::write(ok.path().join("junk.mcpb"), b"not a zip").expect("write");
    let junk = run(ok.path(), &["provenance", "show", "junk.mcpb"]);
    assert!(
        junk.stdout
            .contains("Manifest         unreadable: not a zip archive"),
        "{}",
        junk.snapshot()
    );
    // verify still needs a proof.
    let verify = run(
        ok.path(),
        &[
            "provenance",
            "verify",
            "--insecure-any-identity",
            "dist/weather.mcpb",
        ],
    );
    assert_eq!(verify.code, 2);
    assert!(
        verify.stderr.contains("--bundle FILE is required"),
        "{}",
        verify.stderr
    );
}

/// Hostile bundles: a `.mcpb` linked to a file outside the project is never read (the link is
/// reported, its hash not compared), and a bundle whose manifest.json inflates past 1 MB is
/// refused without inflating it.
#[cfg(unix)]
#[test]
fn hostile_bundles_are_not_read() {
    let tmp = copy_fixture("mcp/bundle-ok");
    let outside = tempfile::tempdir().expect("tmp");
    let secret = outside.path().join("secret.mcpb");
    std::fs::write(&secret, b"not yours").expect("write");
    let bundle = tmp.path().join("dist/weather.mcpb");
    std::fs::remove_file(&bundle).expect("rm");
    std::os::unix::fs::symlink(&secret, &bundle).expect("symlink");
    let out = run(tmp.path(), &["check", "--format", "concise", "."]);
    assert!(
        out.stdout.contains("chainward/unsafe-path"),
        "{}",
        out.snapshot()
    );
    assert!(
        !out.stdout.contains("mcp/bundle-hash"),
        "{}",
        out.snapshot()
    );

    // A zip whose manifest.json is 4 MB of spaces (a few KB compressed).
    let bomb = tempfile::tempdir().expect("tmp");
    let path = bomb.path().join("bomb.mcpb");
    let file = std::fs::File::create(&path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file(
        "manifest.json",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .expect("entry");
    std::io::Write::write_all(&mut zip, &vec![b' '; 4 << 20]).expect("write");
    zip.finish().expect("zip");
    assert!(std::fs::metadata(&path).expect("size").len() < 64 * 1024);
    let out = run(bomb.path(), &["provenance", "show", "bomb.mcpb"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(
        out.stdout
            .contains("unreadable: manifest.json is 4194304 bytes (at most 1048576 are read)"),
        "{}",
        out.snapshot()
    );
}

/// What a bundle says of itself is printed one escaped line per value: a manifest name with a
/// line break cannot forge the hash verdict.
#[test]
fn provenance_show_escapes_what_the_bundle_says() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("evil.mcpb");
    let file = std::fs::File::create(&path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file("manifest.json", zip::write::SimpleFileOptions::default())
        .expect("entry");
    let manifest = serde_json::json!({
        "name": "weather\n  fileSha256       0000 \u{2713} this file\u{1b}[2K",
        "version": "1.0.0"
    });
    std::io::Write::write_all(&mut zip, manifest.to_string().as_bytes()).expect("write");
    zip.finish().expect("zip");
    let out = run(tmp.path(), &["provenance", "show", "evil.mcpb"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("  fileSha256")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Bundle name      weather\\n"),
        "{}",
        out.stdout
    );
}
