//! The paths git's index records (`.git/index`, versions 2, 3 and 4), read directly: the index
//! is listed on every run, and libgit2 took about 2 ms for a repository of 1,300 files (its
//! SHA-1 of the whole file, then a copy of every entry) on the run's critical path. The format is
//! git's `Documentation/gitformat-index.txt`; the checksum is not verified (git verifies it when
//! it writes; a damaged index is git's error, and every path read here is checked to be one).
//!
//! What libgit2 does not read, this does not read either, so that the answer stays the one git2
//! gave: an index with a required extension (a sparse or split index) or a sparse directory
//! entry is unreadable.

/// An index bigger than this is not read (git's own for the largest repositories is a few
/// hundred MB; a scanned tree could hold anything at `.git/index`).
pub(crate) const MAX_INDEX: u64 = 512 << 20;

/// Paths, one after the other in one string. A few thousand of them each in a `PathBuf` of its
/// own, in a `HashSet`, took longer to make than the index took to read: hashing a `Path`
/// hashes it component by component.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Paths {
    text: String,
    /// Where each path ends in `text`.
    ends: Vec<usize>,
}

impl Paths {
    fn push(&mut self, path: &str) {
        self.text.push_str(path);
        self.ends.push(self.text.len());
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |j| self.ends[j]);
        &self.text[start..self.ends[i]]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The paths sorted by their bytes, each once: as git writes them (stages of a conflict
    /// aside), or sorted here when the index is out of order.
    pub(crate) fn into_sorted(self) -> Paths {
        if (1..self.len()).all(|i| self.get(i - 1) < self.get(i)) {
            return self;
        }
        let mut all: Vec<&str> = self.iter().collect();
        all.sort_unstable();
        all.dedup();
        let mut out = Paths {
            text: String::with_capacity(self.text.len()),
            ends: Vec::with_capacity(all.len()),
        };
        for path in all {
            out.push(path);
        }
        out
    }

    /// The number of paths that sort before `key` ([`Self::into_sorted`] paths).
    fn before(&self, key: &str) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether `path` is one of these ([`Self::into_sorted`] paths).
    pub(crate) fn contains(&self, path: &str) -> bool {
        let i = self.before(path);
        i < self.len() && self.get(i) == path
    }

    /// The paths inside the folder `dir` (`""`: all of them), relative to it
    /// ([`Self::into_sorted`] paths: those of a folder sort together).
    pub(crate) fn below<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        (self.before(&prefix)..self.len())
            .map(|i| self.get(i))
            .map_while(move |p| p.strip_prefix(prefix.as_str()))
    }
}

/// Every path in the index (conflicted paths once per stage), in its order, or `None` when the
/// file is not an index this reads. `hash_len` is 20 (SHA-1) or 32 (SHA-256 repositories).
pub(crate) fn paths(bytes: &[u8], hash_len: usize) -> Option<Paths> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()? as usize;
    // Each entry takes at least its fixed part: a count the file cannot hold is damage.
    let fixed = 40 + hash_len + 2;
    if count > bytes.len() / fixed {
        return None;
    }
    let mut out = Paths {
        text: String::new(),
        ends: Vec::with_capacity(count),
    };
    let mut previous: Vec<u8> = Vec::new();
    // A version 4 path repeats what the previous one shares with it: a crafted index could
    // make a few bytes stand for a long path again and again. Paths may add up to a few times
    // the file, no more.
    let mut budget = bytes.len().saturating_mul(4).saturating_add(1 << 20);
    for _ in 0..count {
        let start = r.at;
        let entry = r.take(fixed)?;
        let mode = u32::from_be_bytes(entry[24..28].try_into().ok()?);
        // A sparse directory entry (a whole folder outside the sparse checkout).
        if mode & 0o170000 == 0o040000 {
            return None;
        }
        let flags = u16::from_be_bytes(entry[fixed - 2..].try_into().ok()?);
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            r.take(2)?;
        }
        let name_len = usize::from(flags & 0x0fff);
        let path = if version == 4 {
            // The previous path, less `strip` bytes from its end, then this entry's bytes up
            // to a NUL.
            let strip = r.varint()?;
            let keep = previous.len().checked_sub(strip)?;
            previous.truncate(keep);
            let rest = r.until_nul()?;
            previous.extend_from_slice(rest);
            &previous[..]
        } else {
            let path = if name_len < 0x0fff {
                let p = r.take(name_len)?;
                if r.take(1)? != [0] {
                    return None;
                }
                p
            } else {
                r.until_nul()?
            };
            // One to eight NULs in all end the entry on a multiple of eight bytes.
            let len = r.at - start;
            let padded = (len + 7) & !7;
            if r.take(padded - len)?.iter().any(|&b| b != 0) {
                return None;
            }
            path
        };
        if name_len < 0x0fff && path.len() != name_len {
            return None;
        }
        budget = budget.checked_sub(path.len())?;
        if let Ok(text) = std::str::from_utf8(path)
            && !text.is_empty()
        {
            out.push(text);
        }
    }
    // Extensions: a signature that does not start with an upper-case letter must be
    // understood (libgit2 understands none of those git writes: `link`, `sdir`).
    let end = bytes.len().checked_sub(hash_len)?;
    while r.at < end {
        let signature = r.take(4)?;
        if !signature[0].is_ascii_uppercase() {
            return None;
        }
        let size = r.u32()? as usize;
        if size > end.checked_sub(r.at)? {
            return None;
        }
        r.take(size)?;
    }
    (r.at == end).then_some(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        self.at += n + 1;
        Some(&rest[..n])
    }

    /// git's offset encoding (`varint.c`): seven bits a byte, most significant first, each
    /// continuation adding one.
    fn varint(&mut self) -> Option<usize> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value
                .checked_add(1)?
                .checked_mul(128)?
                .checked_add(usize::from(byte & 0x7f))?;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::{Paths, paths};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn libgit2(dir: &Path) -> Option<Vec<PathBuf>> {
        let repo = git2::Repository::open(dir).ok()?;
        let index = repo.index().ok()?;
        Some(
            index
                .iter()
                .filter_map(|e| String::from_utf8(e.path).ok().map(PathBuf::from))
                .collect(),
        )
    }

    /// Every index version git writes, with long paths, nested folders, a file added with
    /// `--intent-to-add` (an extended flag), a conflict (three stages of one path) and the
    /// untracked-cache extension: the paths read are those `git ls-files` lists.
    #[test]
    fn reads_what_git_reads() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        let files = [
            "a.json",
            "pkg/package.json",
            "pkg/sub/deeper/x.yml",
            "pkg/sub/deeper/xy.yml",
            "pkg/sub/z",
            "z",
        ];
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "1").expect("write");
        }
        git(dir, &["add", "-A"]);
        // Over 4,095 bytes: the entry's length field says "longer", the path ends at its NUL.
        // Staged without a file (no file system takes a path that long).
        let long = format!("{}/file.json", vec!["d".repeat(200); 22].join("/"));
        let blob = "56a6051ca2b02b04ef92d5150c9ef600403cb1de"; // "1", the other files' content
        git(
            dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("100644,{blob},{long}"),
            ],
        );
        git(dir, &["commit", "-q", "-m", "one"]);
        // A conflict on a.json.
        git(dir, &["checkout", "-q", "-b", "other"]);
        std::fs::write(dir.join("a.json"), "2").expect("write");
        git(dir, &["commit", "-q", "-am", "two"]);
        git(dir, &["checkout", "-q", "main"]);
        std::fs::write(dir.join("a.json"), "3").expect("write");
        git(dir, &["commit", "-q", "-am", "three"]);
        let _ = Command::new("git")
            .args(["merge", "-q", "other"])
            .current_dir(dir)
            .output();
        std::fs::write(dir.join("new.json"), "1").expect("write");
        git(dir, &["add", "--intent-to-add", "new.json"]);
        git(dir, &["config", "core.untrackedCache", "true"]);
        git(dir, &["update-index", "--untracked-cache"]);
        for version in ["2", "3", "4", "2"] {
            git(dir, &["update-index", "--index-version", version]);
            let bytes = std::fs::read(dir.join(".git/index")).expect("index");
            let ours: Vec<PathBuf> = paths(&bytes, 20)
                .expect("read")
                .iter()
                .map(PathBuf::from)
                .collect();
            assert_eq!(ours, git_ls_files(dir), "index version {version}");
            // libgit2 reads no version 4 index with a path this long; where it reads one, it
            // agrees.
            if let Some(theirs) = libgit2(dir) {
                assert_eq!(ours, theirs, "index version {version}");
            } else {
                assert_eq!(version, "4");
            }
            assert!(
                ours.iter().filter(|p| *p == Path::new("a.json")).count() == 3,
                "{ours:?}"
            );
            assert!(ours.contains(&PathBuf::from("new.json")));
            assert!(ours.iter().any(|p| p.as_os_str().len() > 4095));
        }
    }

    /// git's own listing: every entry, each stage of a conflict on its own.
    fn git_ls_files(dir: &Path) -> Vec<PathBuf> {
        let out = Command::new("git")
            .args(["ls-files", "--stage", "-z"])
            .current_dir(dir)
            .output()
            .expect("git runs");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .split('\0')
            .filter_map(|line| line.split_once('\t').map(|(_, path)| PathBuf::from(path)))
            .collect()
    }

    /// Sorted (as git writes them, or here when an index is out of order) and each once, the
    /// paths answer which are tracked and which lie in a folder. (Hand-made lists.)
    #[test]
    fn sorted_paths_answer_lookups() {
        let list = |paths: &[&str]| {
            let mut out = Paths::default();
            for p in paths {
                out.push(p);
            }
            out
        };
        let git_order = list(&["a-b/c", "a.json", "a/b", "a/b", "a/b", "a/c/d", "ab", "z"]);
        let shuffled = list(&["z", "a/c/d", "a/b", "ab", "a.json", "a-b/c", "a/b"]);
        let sorted = list(&["a-b/c", "a.json", "a/b", "a/c/d", "ab", "z"]);
        assert_eq!(git_order.into_sorted(), sorted);
        assert_eq!(shuffled.into_sorted(), sorted);
        for p in ["a-b/c", "a.json", "a/b", "a/c/d", "ab", "z"] {
            assert!(sorted.contains(p), "{p}");
        }
        for p in ["", "a", "a/", "a/c", "b", "zz", "a/b/"] {
            assert!(!sorted.contains(p), "{p}");
        }
        let below = |dir: &str| sorted.below(dir).collect::<Vec<_>>();
        assert_eq!(below("a"), ["b", "c/d"]);
        assert_eq!(below("a/c"), ["d"]);
        assert_eq!(below("a-b"), ["c"]);
        assert_eq!(below("").len(), 6);
        assert!(below("b").is_empty() && below("z").is_empty());
        assert!(Paths::default().into_sorted().below("").next().is_none());
    }

    /// Damage anywhere in an index gives `None` or a list, never a panic.
    #[test]
    fn damaged_indexes_never_panic() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        for f in ["a", "b/c", "b/d/e"] {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "1").expect("write");
        }
        git(dir, &["add", "-A"]);
        for version in ["2", "4"] {
            git(dir, &["update-index", "--index-version", version]);
            let bytes = std::fs::read(dir.join(".git/index")).expect("index");
            assert_eq!(paths(&bytes, 20).map(|p| p.len()), Some(3));
            for i in 0..bytes.len() {
                for b in [0u8, 0x7f, 0x80, 0xff] {
                    let mut damaged = bytes.clone();
                    damaged[i] = b;
                    let _ = paths(&damaged, 20);
                }
                let _ = paths(&bytes[..i], 20);
            }
        }
        assert_eq!(paths(b"", 20), None);
        // Version 4: one long path, then entries that repeat it whole (strip 0, empty suffix):
        // refused once the paths outgrow the file.
        let mut v4 = b"DIRC\0\0\0\x04".to_vec();
        let n: u32 = 2000;
        v4.extend_from_slice(&n.to_be_bytes());
        let entry = |path: &[u8], flags_len: u16| {
            let mut e = vec![0u8; 40 + 20];
            e[24..28].copy_from_slice(&0o100644u32.to_be_bytes());
            e.extend_from_slice(&flags_len.to_be_bytes());
            e.push(0); // strip nothing
            e.extend_from_slice(path);
            e.push(0);
            e
        };
        v4.extend(entry(&[b'a'; 100_000], 0x0fff));
        for _ in 1..n {
            v4.extend(entry(b"", 0x0fff));
        }
        v4.extend_from_slice(&[0u8; 20]);
        assert_eq!(paths(&v4, 20), None);
        // Bytes between the last entry and the checksum that are no whole extension.
        let mut short = b"DIRC\0\0\0\x02\0\0\0\0".to_vec();
        short.extend_from_slice(b"TREE\0\0");
        short.extend_from_slice(&[0u8; 20]);
        assert_eq!(paths(&short, 20), None);
        assert_eq!(paths(b"DIRC\0\0\0\x05\0\0\0\0", 20), None);
    }
}
