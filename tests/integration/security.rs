//! Hostile trees (issue 15, docs/security.md): each test is one way a stranger's pull request
//! tried to switch chainward off, read outside the project, run a program, or write workflow
//! commands, and asserts that it no longer works.

use std::path::Path;

use crate::common::*;

/// A project whose chainward.toml names an external plugin, and ships that plugin itself.
#[cfg(unix)]
fn tree_with_its_own_plugin() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let tmp = copy_fixture("pin-check/clean");
    let dir = tmp.path();
    std::fs::write(dir.join("chainward.toml"), "external-plugins = [\"pwn\"]\n").expect("config");
    let script = "#!/bin/sh\ntouch \"$(dirname \"$0\")/PWNED\"\ncat >/dev/null\necho '{\"version\": 1, \"findings\": []}'\n";
    for place in ["chainward-pwn", "node_modules/.bin/chainward-pwn"] {
        let path = dir.join(place);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, script).expect("script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    tmp
}

/// PATH as `npm run` (node_modules/.bin first) and a careless shell (an empty entry, `.`) make it.
fn hostile_path(dir: &Path) -> String {
    format!(
        ":.:node_modules/.bin:{}:{}",
        dir.join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn pwned(dir: &Path) -> bool {
    dir.join("PWNED").exists() || dir.join("node_modules/.bin/PWNED").exists()
}

/// `external-plugins` in the project's config runs nothing unless the user allows it, and even
/// then never a program from inside the tree.
#[cfg(unix)]
#[test]
fn the_projects_config_cannot_make_chainward_run_a_program() {
    let tmp = tree_with_its_own_plugin();
    let dir = tmp.path();
    let out = output(
        chainward(dir)
            .env("PATH", hostile_path(dir))
            .args(["check", "--format", "json", "."]),
    );
    assert!(!pwned(dir), "ran the tree's plugin: {}", out.snapshot());
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(
        out.stdout.contains("chainward/external-plugin-not-allowed"),
        "{}",
        out.stdout
    );
    let text = output(
        chainward(dir)
            .env("PATH", hostile_path(dir))
            .args(["check", "."]),
    );
    crate::snap!(
        "cli",
        "external_plugin__not_allowed",
        text.snapshot()
            .replace(&dir.display().to_string(), "[TREE]")
    );

    // Allowed by the user: still only looked up outside the tree.
    for allow in [
        &["--allow-external-plugins"][..],
        &[], // with CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1 below
    ] {
        let mut cmd = chainward(dir);
        cmd.env("PATH", hostile_path(dir))
            .env("CHAINWARD_ALLOW_EXTERNAL_PLUGINS", "1")
            .arg("check")
            .args(allow)
            .args(["--format", "json", "."]);
        let out = output(&mut cmd);
        assert!(!pwned(dir), "ran the tree's plugin: {}", out.snapshot());
        assert!(
            out.stdout.contains("chainward/plugin-failed")
                && out.stdout.contains("not in an absolute PATH entry outside"),
            "{}",
            out.stdout
        );
    }
    let text = output(
        chainward(dir)
            .env("PATH", hostile_path(dir))
            .env("CHAINWARD_ALLOW_EXTERNAL_PLUGINS", "1")
            .args(["check", "."]),
    );
    crate::snap!(
        "cli",
        "external_plugin__only_outside_the_tree",
        text.snapshot()
            .replace(&dir.display().to_string(), "[TREE]")
    );
}

/// The same plugin in a folder outside the tree runs when the user allows it by environment.
#[cfg(unix)]
#[test]
fn an_allowed_plugin_outside_the_tree_runs() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tree_with_its_own_plugin();
    let bin = tempfile::tempdir().expect("tmp");
    let plugin = bin.path().join("chainward-pwn");
    std::fs::copy(tmp.path().join("chainward-pwn"), &plugin).expect("copy");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = output(
        chainward(tmp.path())
            .env(
                "PATH",
                format!("{}:{}", bin.path().display(), hostile_path(tmp.path())),
            )
            .env("CHAINWARD_ALLOW_EXTERNAL_PLUGINS", "1")
            .args(["check", "--format", "json", "."]),
    );
    assert!(bin.path().join("PWNED").exists(), "{}", out.snapshot());
    assert!(!pwned(tmp.path()));
    assert!(
        !out.stdout.contains("chainward/plugin-failed"),
        "{}",
        out.stdout
    );
}

#[cfg(unix)]
fn link(target: &str, at: &Path) {
    if let Some(dir) = at.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::os::unix::fs::symlink(target, at).expect("symlink");
}

/// A package.json and lockfile that are links to files inside the project are checked as the
/// files they stand for (npm reads them through the link); before, both were skipped and the
/// project had "No findings".
#[cfg(unix)]
#[test]
fn links_inside_the_project_are_read_as_the_files_they_stand_for() {
    let plain = copy_fixture("pin-check/ranges");
    let expected = rules_and_paths(plain.path(), &["check"]);
    assert!(!expected.is_empty());

    let linked = copy_fixture("pin-check/ranges");
    let dir = linked.path();
    std::fs::create_dir_all(dir.join("manifests")).expect("mkdir");
    for (name, kept) in [
        ("package.json", "manifests/app.json"),
        ("package-lock.json", "manifests/app-lock.json"),
    ] {
        std::fs::rename(dir.join(name), dir.join(kept)).expect("move");
        link(kept, &dir.join(name));
    }
    assert_eq!(rules_and_paths(dir, &["check"]), expected);

    // `fix` writes through the link: the link stays a link, its target is pinned.
    let out = run(dir, &["fix", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let meta = std::fs::symlink_metadata(dir.join("package.json")).expect("meta");
    assert!(meta.is_symlink(), "fix replaced the link with a file");
    let fixed = std::fs::read_to_string(dir.join("manifests/app.json")).expect("read");
    let before = std::fs::read_to_string(plain.path().join("package.json")).expect("read");
    assert_ne!(fixed, before);
    assert!(fixed.contains("\"ms\": \"2.1.3\""), "{fixed}");
}

/// Links that leave the project, dangle or loop are reported where they are and never read:
/// no byte of what they point to reaches any output format.
#[cfg(unix)]
#[test]
fn links_out_of_the_project_are_reported_and_never_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let canary = "SECRET-CANARY-7f3a";
    std::fs::write(
        outside.join("secret"),
        format!("{{\"name\": \"{canary}\", \"dependencies\": {{\"x\": \"^1\"}}}}\nregistry=http://{canary}/\n"),
    )
    .expect("write");
    let dir = tmp.path().join("p");
    std::fs::create_dir_all(&dir).expect("mkdir");
    link("../outside/secret", &dir.join("package.json"));
    link("/etc/passwd", &dir.join("package-lock.json"));
    link("../outside/secret", &dir.join(".npmrc"));
    link("missing.yml", &dir.join(".github/workflows/ci.yml"));
    link("chainward.toml", &dir.join("chainward.toml"));
    link("../../outside/secret", &dir.join("docker/Dockerfile"));
    // A workflow that runs a script which is a link out of the project.
    std::fs::write(
        dir.join(".github/workflows/release.yml"),
        "on: push\npermissions: {}\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./build.sh\n",
    )
    .expect("write");
    link("../outside/secret", &dir.join("build.sh"));

    let expected = [
        ".github/workflows/ci.yml",
        ".npmrc",
        "build.sh",
        "chainward.toml",
        "docker/Dockerfile",
        "package-lock.json",
        "package.json",
    ];
    let mut found: Vec<String> = rules_and_paths(&dir, &["check"])
        .into_iter()
        .filter(|(rule, _)| rule == "chainward/unsafe-path")
        .map(|(_, path)| path)
        .collect();
    found.sort();
    assert_eq!(found, expected);
    for format in ["text", "json", "sarif", "github"] {
        let out = run(&dir, &["check", "--format", format, "-v", "."]);
        assert_eq!(out.code, 1, "{}", out.snapshot());
        for leak in [canary, "root:x:0"] {
            assert!(
                !out.stdout.contains(leak) && !out.stderr.contains(leak),
                "{format} output shows the target's content: {}",
                out.snapshot()
            );
        }
    }
    let text = run(&dir, &["check", "."]);
    assert!(
        text.stdout.contains(
            "`package-lock.json` is a symbolic link to `/etc/passwd`, outside the project"
        ),
        "{}",
        text.stdout
    );
    crate::snap!("cli", "unsafe_path__links_out", text.snapshot());
}

/// `provenance-files` never hashes an artifact that is a link out of the project.
#[cfg(unix)]
#[test]
fn an_artifact_that_links_out_of_the_project_is_not_hashed() {
    let npm = shared_vectors().join("npm-provenance/npm-cli-audit-fixtures");
    if !npm.is_dir() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("p");
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).expect("mkdir");
    std::fs::copy(npm.join("sigstore-1.0.0.tgz"), tmp.path().join("real.tgz")).expect("copy");
    link("../../real.tgz", &dist.join("sigstore-1.0.0.tgz"));
    crate::common::write_sigstore_bundle(&npm, &dist);
    let found = rules_and_paths(&dir, &["check"]);
    assert!(
        found.contains(&(
            "chainward/unsafe-path".to_string(),
            "dist/sigstore-1.0.0.tgz".to_string()
        )),
        "{found:?}"
    );
}

/// `--base`: a git symlink object is followed inside the tree at that revision (the blob it
/// names is read, not the link's own text), and one that leaves the project is not read.
#[cfg(unix)]
#[test]
fn base_revisions_follow_git_links_only_inside_the_project() {
    use chainward_core::git::AtRevision;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("locks")).expect("mkdir");
    std::fs::write(dir.join("locks/real.json"), "{\"lockfileVersion\": 3}").expect("write");
    link("locks/real.json", &dir.join("package-lock.json"));
    link("../../../../etc/passwd", &dir.join("npm-shrinkwrap.json"));
    std::fs::write(dir.join("package.json"), "{}").expect("write");
    commit_all(
        dir,
        &[
            "locks/real.json",
            "package-lock.json",
            "npm-shrinkwrap.json",
            "package.json",
        ],
    );
    // The working tree now has plain files where the links were.
    for p in ["package-lock.json", "npm-shrinkwrap.json"] {
        std::fs::remove_file(dir.join(p)).expect("rm");
        std::fs::write(dir.join(p), "{\"lockfileVersion\": 3}").expect("write");
    }
    let git = chainward_core::git::Git::discover(dir).expect("repo");
    assert_eq!(
        git.read_at("HEAD", &dir.join("package-lock.json"), dir)
            .expect("read"),
        Some(AtRevision::Text("{\"lockfileVersion\": 3}".into()))
    );
    match git
        .read_at("HEAD", &dir.join("npm-shrinkwrap.json"), dir)
        .expect("read")
    {
        Some(AtRevision::Unsafe(link)) => {
            assert_eq!(link.target, "../../../../etc/passwd");
            assert_eq!(link.problem, chainward_core::links::LinkProblem::Outside);
        }
        other => panic!("{other:?}"),
    }
    let project = chainward_core::Project::discover(
        &[dir.to_path_buf()],
        &chainward_core::project::DiscoverOptions::default(),
    )
    .expect("discover");
    let base = project.at_revision("HEAD").expect("base");
    assert_eq!(base.unsafe_links().len(), 1);
}

/// `allow-script` edits a chainward.toml that links inside the project through the link, and
/// refuses one that links out of it (the target is left untouched).
#[cfg(unix)]
#[test]
fn allow_script_edits_through_links_only_inside_the_project() {
    let tmp = copy_fixture("pin-check/clean");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("config")).expect("mkdir");
    std::fs::write(dir.join("config/chainward.toml"), "# policy\n").expect("write");
    link("config/chainward.toml", &dir.join("chainward.toml"));
    let out = run(
        dir,
        &["allow-script", "esbuild", "--reason", "platform binary"],
    );
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(
        std::fs::symlink_metadata(dir.join("chainward.toml"))
            .expect("meta")
            .is_symlink()
    );
    let edited = std::fs::read_to_string(dir.join("config/chainward.toml")).expect("read");
    assert!(
        edited.contains("# policy\n") && edited.contains("esbuild"),
        "{edited}"
    );

    let outside = tempfile::tempdir().expect("tmp");
    let target = outside.path().join("chainward.toml");
    std::fs::write(&target, "# someone else's\n").expect("write");
    std::fs::remove_file(dir.join("chainward.toml")).expect("rm");
    link(&target.display().to_string(), &dir.join("chainward.toml"));
    let out = run(
        dir,
        &["allow-script", "esbuild", "--reason", "platform binary"],
    );
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("outside the project"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "# someone else's\n"
    );
}

/// A temporary file that a killed `fix` left behind (`.NAME.chainward-PID-N.tmp`, PID gone) is
/// removed by the next `fix`; one of a live process is not.
#[cfg(target_os = "linux")]
#[test]
fn fix_removes_what_a_killed_run_left_behind() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    let dead = dir.join(".package.json.chainward-4294000-0.tmp");
    let alive = dir.join(format!(
        ".package.json.chainward-{}-0.tmp",
        std::process::id()
    ));
    std::fs::write(&dead, "half").expect("write");
    std::fs::write(&alive, "busy").expect("write");
    let out = run(dir, &["fix", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(!dead.exists());
    assert!(alive.exists());
}

/// A fix that creates a settings file (bunfig.toml) never writes through a link that stands
/// where the file would be, even a dangling one pointing out of the tree: the run stops with an
/// error naming the file, and nothing is written anywhere.
#[cfg(unix)]
#[test]
fn a_created_file_is_never_written_through_a_link() {
    let outside = tempfile::tempdir().expect("tmp");
    let target = outside.path().join("bunfig.toml");
    let tmp = copy_fixture("pm-config/bun-1.3-no-bunfig");
    let dir = tmp.path();
    let before = std::fs::read(dir.join("package.json")).expect("read");
    link(&target.to_string_lossy(), &dir.join("bunfig.toml"));
    let out = run(dir, &["fix", "--unsafe-fixes", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("bunfig.toml"), "{}", out.stderr);
    assert!(!target.exists(), "a file was created outside the tree");
    assert_eq!(
        std::fs::read(dir.join("package.json")).expect("read"),
        before
    );
    // Without the link the same fix creates the file, once.
    std::fs::remove_file(dir.join("bunfig.toml")).expect("rm");
    let out = run(dir, &["fix", "--unsafe-fixes", "."]);
    assert!(out.code <= 1, "{}", out.snapshot());
    let created = std::fs::read_to_string(dir.join("bunfig.toml")).expect("created");
    assert_eq!(created, "[install]\nminimumReleaseAge = 259200\n");
    let again = run(dir, &["check", "--diff", "--unsafe-fixes", "."]);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
}

/// A loopback server that counts the connections it gets and answers every request with a
/// redirect to `location` (or a 404 when there is none).
fn counting_server(
    location: Option<String>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let mut stream = stream;
            let head = match &location {
                Some(to) => format!(
                    "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .into(),
            };
            let _ = stream.write_all(head.as_bytes());
        }
    });
    (url, count)
}

/// `--online` asks only a registry the user chose: the project's .npmrc cannot point it at a
/// host of its own, plain http needs the user's `--allow-http-registry`, and a redirect to
/// another host is not followed.
#[test]
fn online_talks_only_to_registries_the_user_chose() {
    use std::sync::atomic::Ordering::SeqCst;
    let tmp = copy_fixture("install-scripts/npm-v1");
    let dir = tmp.path();
    let cache = tempfile::tempdir().expect("cache");
    let cache_dir = cache.path().to_str().expect("utf-8");
    let (elsewhere, elsewhere_hits) = counting_server(None);
    let (project_registry, project_hits) = counting_server(None);

    // The project's .npmrc names its own http registry: refused before any request.
    std::fs::write(dir.join(".npmrc"), format!("registry={project_registry}\n")).expect("npmrc");
    let out = run(dir, &["check", "--online", "--cache-dir", cache_dir, "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("allowed-hosts"), "{}", out.stderr);
    // https, but not an allowed host: refused too.
    std::fs::write(
        dir.join(".npmrc"),
        "registry=https://npm.attacker.example/\n",
    )
    .expect("npmrc");
    let out = run(dir, &["check", "--online", "--cache-dir", cache_dir, "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    std::fs::remove_file(dir.join(".npmrc")).expect("rm");

    // Plain http named by the user, without --allow-http-registry: refused.
    let out = run(
        dir,
        &[
            "check",
            "--online",
            "--registry",
            &project_registry,
            "--cache-dir",
            cache_dir,
            ".",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(
        out.stderr.contains("--allow-http-registry"),
        "{}",
        out.stderr
    );
    assert_eq!(project_hits.load(SeqCst), 0);

    // Allowed, but it redirects to another server: the redirect is not followed.
    let (redirecting, redirect_hits) = counting_server(Some(format!("{elsewhere}x")));
    let out = run(
        dir,
        &[
            "check",
            "--online",
            "--allow-http-registry",
            "--registry",
            &redirecting,
            "--cache-dir",
            cache_dir,
            "-v",
            ".",
        ],
    );
    assert!(redirect_hits.load(SeqCst) > 0, "{}", out.snapshot());
    assert_eq!(elsewhere_hits.load(SeqCst), 0, "{}", out.snapshot());
    assert!(out.stderr.contains("not followed"), "{}", out.snapshot());
}

/// An ignore file too large to honour cheaply (it cost gigabytes of glob matcher) is reported
/// and not honoured: the files it would hide are checked, never fewer, at the root and below.
#[test]
fn an_oversized_gitignore_is_reported_and_hides_nothing() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    let mut huge = String::from("hidden/\n");
    while huge.len() <= 1024 * 1024 {
        huge.push_str("build-0123456789/**/*.map\n");
    }
    std::fs::write(dir.join(".gitignore"), &huge).expect("write");
    std::fs::create_dir_all(dir.join("hidden")).expect("mkdir");
    std::fs::write(
        dir.join("hidden/package.json"),
        "{\"dependencies\": {\"ms\": \"^2.1.0\"}}\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("pkg/inner")).expect("mkdir");
    std::fs::write(
        dir.join("pkg/.gitignore"),
        huge.replace("hidden/", "inner/"),
    )
    .expect("write");
    std::fs::write(
        dir.join("pkg/inner/package.json"),
        "{\"dependencies\": {\"ms\": \"^2.1.0\"}}\n",
    )
    .expect("write");
    // Below the root: that folder is walked without ignore files.
    std::fs::write(dir.join(".gitignore"), "hidden/\n").expect("write");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        has(
            &found,
            "pin-check/range-specifier",
            "pkg/inner/package.json"
        ),
        "{found:?}"
    );
    assert!(
        has(&found, "chainward/parse-error", "pkg/.gitignore"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, p)| p == "hidden/package.json"),
        "{found:?}"
    );
    // At the root: the whole tree is.
    std::fs::write(dir.join(".gitignore"), &huge).expect("write");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        has(&found, "pin-check/range-specifier", "hidden/package.json"),
        "{found:?}"
    );
    assert!(
        has(
            &found,
            "pin-check/range-specifier",
            "pkg/inner/package.json"
        ),
        "{found:?}"
    );
    assert!(
        has(&found, "chainward/parse-error", ".gitignore"),
        "{found:?}"
    );
}

fn has(found: &[(String, String)], rule: &str, path: &str) -> bool {
    found.iter().any(|(r, p)| r == rule && p == path)
}

/// A `fix` killed between its renames leaves the pinned lockfile beside the old package.json
/// (lockfiles are renamed first; `npm ci` installs that state as before). The next `fix`
/// completes it: both files end exactly as one uninterrupted run writes them. (The other order
/// is not repaired: with package.json pinned, nothing is reported that would fix the lockfile's
/// record of the ranges.)
#[test]
fn a_second_fix_completes_a_half_written_one() {
    let whole = copy_fixture("pin-check/ranges");
    assert_eq!(run(whole.path(), &["fix", "."]).code, 0);
    let half = copy_fixture("pin-check/ranges");
    std::fs::copy(
        whole.path().join("package-lock.json"),
        half.path().join("package-lock.json"),
    )
    .expect("copy");
    let manifest_before = std::fs::read_to_string(half.path().join("package.json")).expect("read");
    let out = run(half.path(), &["fix", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    for name in ["package.json", "package-lock.json"] {
        assert_eq!(
            std::fs::read_to_string(half.path().join(name)).expect("read"),
            std::fs::read_to_string(whole.path().join(name)).expect("read"),
            "{name}"
        );
    }
    assert_ne!(
        std::fs::read_to_string(half.path().join("package.json")).expect("read"),
        manifest_before
    );
}

/// Names with a line break and a workflow command in them (a folder name, a rule name in
/// chainward.toml): no line of stdout or stderr, in any format, is a command GitHub's runner
/// would obey, and text output shows the break as `\n`.
#[cfg(unix)]
#[test]
fn no_printed_line_is_a_workflow_command() {
    let inject = "x\n  ::error file=F.md::INJECT";
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    let nested = dir.join(inject);
    std::fs::create_dir_all(&nested).expect("mkdir");
    std::fs::write(
        nested.join("package.json"),
        "{\"dependencies\": {\"a\": \"^1\"",
    )
    .expect("write");
    let assert_clean = |out: &Output, what: &str| {
        for line in out.stdout.lines().chain(out.stderr.lines()) {
            let t = line.trim_start();
            assert!(
                !(t.starts_with("::") || t.starts_with("##["))
                    || line.starts_with("::error file=")
                    || line.starts_with("::warning file=")
                    || line.starts_with("::notice file="),
                "{what}: {line:?}\n{}",
                out.snapshot()
            );
            assert!(
                !line.contains("::INJECT") || !t.starts_with("::error file=F.md"),
                "{what}: {line:?}"
            );
        }
    };
    for format in ["text", "json", "sarif", "github"] {
        let out = run(dir, &["check", "--format", format, "-v", "."]);
        assert_eq!(out.code, 1, "{}", out.snapshot());
        assert_clean(&out, format);
        if format == "github" {
            // One annotation per finding: the name's line break stayed inside its line.
            let json = run(dir, &["check", "--format", "json", "."]);
            let count =
                serde_json::from_str::<serde_json::Value>(&json.stdout).expect("json")["findings"]
                    .as_array()
                    .map_or(0, Vec::len);
            assert_eq!(out.stdout.lines().count(), count, "{}", out.stdout);
        }
    }
    let text = run(dir, &["check", "."]);
    assert!(
        text.stdout
            .contains("x\\n  ::error file=F.md::INJECT/package.json"),
        "{}",
        text.stdout
    );
    // A config error quoting a hostile rule name, on stderr.
    std::fs::write(
        dir.join("chainward.toml"),
        "[rules]\n\"pin-check/x\\n::error file=F.md::INJECT\" = \"off\"\n",
    )
    .expect("config");
    let out = run(dir, &["check", "--format", "github", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("INJECT"), "{}", out.stderr);
    assert_clean(&out, "config error");
}
