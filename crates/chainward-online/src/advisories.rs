//! The advisory database on disk: a folder of OSV records (`*.json`, at any depth: a checkout of
//! github/advisory-database or ossf/malicious-packages) or a zip of them (osv.dev's
//! `npm/all.zip`), read into [`chainward_npm::osv::Database`]. The database is the user's own
//! choice, not the scanned tree; it is still read with bounds (files, sizes, a zip's
//! uncompressed total), and a record that cannot be read is counted, never fatal.

use std::io::Read;
use std::path::{Path, PathBuf};

use chainward_core::advisory::updated_record;
use chainward_npm::osv::Database;

/// Records read at most.
const MAX_RECORDS: usize = 2_000_000;
/// The largest record read (the largest real ones are a few hundred KB).
const MAX_RECORD: u64 = 8 << 20;
/// A zip's uncompressed total, at most (osv.dev's npm export is well under 2 GB).
const MAX_TOTAL: u64 = 4 << 30;

/// A database and what could not be read of it.
pub struct Loaded {
    pub database: Database,
    /// Records that are not OSV JSON: (where, why), the first few.
    pub damaged: Vec<(String, String)>,
    pub damaged_count: usize,
}

/// The default database: `<cache>/advisories/npm` (a folder) or `<cache>/advisories/npm.zip`.
pub fn default_path(cache: &Path) -> Option<PathBuf> {
    let dir = cache.join("advisories");
    [dir.join("npm"), dir.join("npm.zip")]
        .into_iter()
        .find(|p| p.exists())
}

/// A database ready to ask, and what of it could not be read (for a warning).
pub struct Opened {
    pub database: std::sync::Arc<dyn chainward_core::advisory::Advisories>,
    pub damaged: Vec<(String, String)>,
    pub damaged_count: usize,
}

/// Read the database at `path` through its index under `<cache>/advisories/index/`: built
/// (and kept) the first time, read back while the database is unchanged (the same files, sizes
/// and modification times, and the same update record): its head at once, each package's part
/// only when a lockfile holds that package.
pub fn load_indexed(path: &Path, cache: Option<&Path>) -> Result<Opened, String> {
    // `<database>-<state>.head.json` and `.body`: one index per database, older states removed.
    let keys = cache.and_then(|c| {
        let (database, state) = fingerprint(path)?;
        Some((c.join("advisories").join("index"), database, state))
    });
    let files = keys.as_ref().map(|(dir, database, state)| {
        (
            dir.join(format!("{database}-{state}.head.json")),
            dir.join(format!("{database}-{state}.body")),
        )
    });
    if let Some(database) = files
        .as_ref()
        .and_then(|(head, body)| open_index(head, body))
    {
        return Ok(Opened {
            database: std::sync::Arc::new(database),
            damaged: Vec::new(),
            damaged_count: 0,
        });
    }
    let loaded = load(path)?;
    if let (Some((head, body)), Some((dir, database, _))) = (files, keys) {
        let (head_bytes, body_bytes) = loaded.database.to_index();
        // The index is an optimisation: failing to write it is not an error. The body first:
        // a head is only ever read with its body beside it.
        if crate::store(&body, &body_bytes).is_ok() && crate::store(&head, &head_bytes).is_ok() {
            for old in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = old.file_name().to_string_lossy().into_owned();
                if name.starts_with(&format!("{database}-"))
                    && old.path() != head
                    && old.path() != body
                {
                    let _ = std::fs::remove_file(old.path());
                }
            }
        }
    }
    Ok(Opened {
        database: std::sync::Arc::new(loaded.database),
        damaged: loaded.damaged,
        damaged_count: loaded.damaged_count,
    })
}

/// The index written by an earlier run, if it is whole.
fn open_index(head: &Path, body: &Path) -> Option<chainward_npm::osv::IndexedDatabase> {
    use std::io::{Seek, SeekFrom};
    let head = std::fs::read(head).ok()?;
    let file = std::fs::File::open(body).ok()?;
    let size = file.metadata().ok()?.len();
    let file = std::sync::Mutex::new(file);
    let read: chainward_npm::osv::ReadAt = Box::new(move |offset, len| {
        if offset.checked_add(len as u64)? > size {
            return None;
        }
        let mut buf = vec![0u8; len];
        let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(offset)).ok()?;
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    });
    chainward_npm::osv::IndexedDatabase::open(&head, read)
}

/// Which database (its real path) and which state of it (each record file's size and
/// modification time, a zip's own, and the update record), each hashed (FNV-1a, 64 bits).
fn fingerprint(path: &Path) -> Option<(String, String)> {
    let real = std::fs::canonicalize(path).ok()?;
    let stamp = |p: &Path| -> Option<String> {
        let m = std::fs::metadata(p).ok()?;
        let mtime = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(format!("{}:{}:{mtime}", p.display(), m.len()))
    };
    let mut text = format!("{}\n", real.display());
    let is_dir = real.is_dir();
    if is_dir {
        let mut files = Vec::new();
        walk(&real, &mut files, 0).ok()?;
        files.sort();
        for f in &files {
            text.push_str(&stamp(f)?);
            text.push('\n');
        }
    } else {
        text.push_str(&stamp(&real)?);
    }
    let updated = updated_record(&real, is_dir);
    if let Ok(t) = std::fs::read_to_string(&updated) {
        text.push_str(t.trim());
    }
    Some((fnv(&real.display().to_string()), fnv(&text)))
}

fn fnv(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Read the database at `path` (a folder or a `.zip`).
pub fn load(path: &Path) -> Result<Loaded, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut loaded = Loaded {
        database: Database::new(&path.display().to_string()),
        damaged: Vec::new(),
        damaged_count: 0,
    };
    let add = |loaded: &mut Loaded, at: String, text: Result<String, String>| match text
        .and_then(|t| loaded.database.add(&t))
    {
        Ok(_) => {}
        Err(why) => {
            loaded.damaged_count += 1;
            if loaded.damaged.len() < 5 {
                loaded.damaged.push((at, why));
            }
        }
    };
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files, 0)?;
        files.sort();
        for file in files {
            let text = read_bounded(&file);
            add(&mut loaded, file.display().to_string(), text);
        }
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| format!("{}: not a zip archive: {e}", path.display()))?;
        if zip.len() > MAX_RECORDS {
            return Err(format!(
                "{}: {} entries, more than {MAX_RECORDS}",
                path.display(),
                zip.len()
            ));
        }
        let mut total = 0u64;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            let at = format!("{}:{}", path.display(), entry.name());
            if entry.size() > MAX_RECORD {
                add(&mut loaded, at, Err(format!("over {MAX_RECORD} bytes")));
                continue;
            }
            total += entry.size();
            if total > MAX_TOTAL {
                return Err(format!(
                    "{}: over {MAX_TOTAL} bytes uncompressed",
                    path.display()
                ));
            }
            let mut text = String::new();
            // The size a zip states is not trusted: the read is bounded too.
            let read = (&mut entry)
                .take(MAX_RECORD + 1)
                .read_to_string(&mut text)
                .map_err(|e| e.to_string())
                .and_then(|n| {
                    if n as u64 > MAX_RECORD {
                        Err(format!("over {MAX_RECORD} bytes"))
                    } else {
                        Ok(text)
                    }
                });
            add(&mut loaded, at, read);
        }
    }
    if let Some(ms) = std::fs::read_to_string(updated_record(path, meta.is_dir()))
        .ok()
        .and_then(|t| chainward_core::packument::parse_time(&t))
    {
        loaded.database.set_updated_at(ms);
    }
    Ok(loaded)
}

/// Every `*.json` file below `dir` (symbolic links not followed), at most [`MAX_RECORDS`].
fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), String> {
    if depth > 16 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            // `.git` and the like hold no records.
            if !entry.file_name().to_string_lossy().starts_with('.') {
                walk(&path, out, depth + 1)?;
            }
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            if out.len() >= MAX_RECORDS {
                return Err(format!(
                    "{}: more than {MAX_RECORDS} records",
                    dir.display()
                ));
            }
            out.push(path);
        }
    }
    Ok(())
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    let n = file
        .take(MAX_RECORD + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if n as u64 > MAX_RECORD {
        return Err(format!("over {MAX_RECORD} bytes"));
    }
    Ok(text)
}
