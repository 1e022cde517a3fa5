//! Test support the crates share (not part of chainward's interface): damaged copies of real
//! files, for tests that compare a fast reader with the full one.

use std::path::{Path, PathBuf};

/// Every file under `dir` whose name is one of `names`, sorted.
pub fn files_named(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| names.contains(&n))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every file of the repository's fixtures named one of `names`: each one's path and text.
pub fn fixture_texts(names: &[&str]) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    files_named(&root, names)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("fixture");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The yarn berry lockfiles among the repository's fixtures: each one's path and text.
pub fn berry_lockfiles() -> Vec<(String, String)> {
    let mut texts = fixture_texts(&["yarn.lock"]);
    texts.retain(|(_, text)| text.contains("__metadata:"));
    texts
}

/// Damaged copies of texts, from a fixed xorshift: the same copies on every run.
pub struct Damage {
    seed: u64,
}

impl Default for Damage {
    fn default() -> Self {
        Damage {
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl Damage {
    /// A number below `n` (at least 1).
    pub fn below(&mut self, n: usize) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed % n.max(1) as u64) as usize
    }

    /// Up to `count` copies of `text`, each with one byte that is one of `marks` removed,
    /// replaced by a byte of `insert`, or preceded by one; each with that byte's offset. Copies
    /// that are no longer UTF-8 are left out; none when `text` has no byte of `marks`.
    pub fn copies(
        &mut self,
        text: &str,
        marks: &[u8],
        insert: &[u8],
        count: usize,
    ) -> Vec<(String, usize)> {
        let bytes = text.as_bytes();
        let at: Vec<usize> = (0..bytes.len())
            .filter(|&i| marks.contains(&bytes[i]))
            .collect();
        if at.is_empty() || insert.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for _ in 0..count {
            let at = at[self.below(at.len())];
            let mut damaged = bytes.to_vec();
            match self.below(3) {
                0 => {
                    damaged.remove(at);
                }
                1 => damaged[at] = insert[self.below(insert.len())],
                _ => damaged.insert(at, insert[self.below(insert.len())]),
            }
            if let Ok(damaged) = String::from_utf8(damaged) {
                out.push((damaged, at));
            }
        }
        out
    }
}
