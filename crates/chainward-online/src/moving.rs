//! Answers about things that move — the commit a tag names, the digest an image tag names —
//! kept on disk for a short while ([`TTL`]), so that `fix --diff` and the `fix` after it see the
//! same answer and ask once. Unlike a published version document, such an answer goes stale:
//! after the TTL it is asked again. Errors are never kept.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long an answer is reused.
pub const TTL: Duration = Duration::from_secs(10 * 60);

/// `<cache>/moving/<what>/<server>/`: one file per question.
#[derive(Debug, Clone)]
pub(crate) struct MovingCache {
    dir: Option<PathBuf>,
}

impl MovingCache {
    /// A cache under `cache_dir` for questions of kind `what` asked of `server` (a URL; its
    /// scheme, host and port name the folder, so two servers never share answers).
    pub(crate) fn new(cache_dir: Option<&Path>, what: &str, server: &str) -> MovingCache {
        MovingCache {
            dir: cache_dir.map(|d| d.join("moving").join(what).join(file_name(server))),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let name = file_name(key);
        // Longer than a file name may be on common file systems: not cached.
        (name.len() <= 200).then(|| self.dir.as_ref().map(|d| d.join(format!("{name}.json"))))?
    }

    /// The answer kept for `key`, if it is younger than [`TTL`]: `Some(None)` when the server
    /// said there is no such thing.
    pub(crate) fn get(&self, key: &str) -> Option<Option<String>> {
        let bytes = std::fs::read(self.path(key)?).ok()?;
        let doc: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let at = doc.get("at")?.as_u64()?;
        let now = now();
        if at > now || now - at > TTL.as_secs() {
            return None;
        }
        match doc.get("answer")? {
            serde_json::Value::Null => Some(None),
            serde_json::Value::String(s) => Some(Some(s.clone())),
            _ => None,
        }
    }

    /// The answer kept for `key`, else `fetch`'s, kept when it is not an error.
    pub(crate) fn get_or_fetch(
        &self,
        key: &str,
        fetch: impl FnOnce() -> Result<Option<String>, String>,
    ) -> Result<Option<String>, String> {
        if let Some(kept) = self.get(key) {
            return Ok(kept);
        }
        let answer = fetch()?;
        self.put(key, answer.as_deref());
        Ok(answer)
    }

    /// Keep `answer` for `key` (failing to is not an error: the cache is an optimisation).
    pub(crate) fn put(&self, key: &str, answer: Option<&str>) {
        if let Some(path) = self.path(key) {
            let doc = serde_json::json!({ "at": now(), "answer": answer });
            let _ = crate::store(&path, doc.to_string().as_bytes());
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A key as one file name: letters, digits, `-`, `_` and `.` kept (a leading `.` escaped), the
/// rest as `%XX`.
fn file_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, b) in key.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_for_the_ttl_and_never_leave_the_folder() {
        let tmp = std::env::temp_dir().join(format!("chainward-moving-{}", std::process::id()));
        let cache = MovingCache::new(Some(&tmp), "github", "https://api.github.com");
        assert_eq!(cache.get("actions/checkout@v4"), None);
        cache.put("actions/checkout@v4", Some("abc"));
        cache.put("gone/repo@v1", None);
        assert_eq!(cache.get("actions/checkout@v4"), Some(Some("abc".into())));
        assert_eq!(cache.get("gone/repo@v1"), Some(None));
        // Stale entries are asked again.
        let path = cache.path("actions/checkout@v4").expect("path");
        std::fs::write(&path, r#"{"at": 1, "answer": "abc"}"#).expect("write");
        assert_eq!(cache.get("actions/checkout@v4"), None);
        // Hostile keys stay one file name inside the folder.
        for key in ["../../etc/passwd", "/abs", "a/../../b", ".hidden"] {
            let p = cache.path(key).expect("path");
            assert_eq!(p.parent(), cache.dir.as_deref(), "{key}");
        }
        assert_eq!(MovingCache::new(None, "x", "y").get("k"), None);
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
