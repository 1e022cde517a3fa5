//! An OSV record (a project may keep its own advisory database: `[advisories] db`): read into
//! the database, asked about versions in and around its ranges, written to the index and read
//! back, which must answer the same.
#![no_main]

use chainward_core::advisory::Advisories;
use chainward_npm::osv::{Database, IndexedDatabase, ReadAt};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chainward_fuzz::one_thread();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut db = Database::new("fuzz");
    if db.add(text).is_err() {
        return;
    }
    // The names and versions the record mentions, and a few around them.
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let mut names: Vec<String> = Vec::new();
    let mut versions: Vec<String> = vec!["0.0.0".into(), "1.0.0".into(), "1.0.0-rc.1".into()];
    for a in doc["affected"].as_array().into_iter().flatten() {
        if let Some(n) = a["package"]["name"].as_str() {
            names.push(n.to_string());
        }
        for v in a["versions"].as_array().into_iter().flatten() {
            versions.extend(v.as_str().map(str::to_string));
        }
        for r in a["ranges"].as_array().into_iter().flatten() {
            for e in r["events"].as_array().into_iter().flatten() {
                for v in e.as_object().into_iter().flat_map(|o| o.values()) {
                    versions.extend(v.as_str().map(str::to_string));
                }
            }
        }
    }
    names.truncate(8);
    versions.truncate(32);
    let (head, body) = db.to_index();
    let body = std::sync::Arc::new(body);
    let read: ReadAt = Box::new(move |offset, len| {
        body.get(usize::try_from(offset).ok()?..usize::try_from(offset).ok()? + len)
            .map(<[u8]>::to_vec)
    });
    let back = IndexedDatabase::open(&head, read).expect("an index reads back");
    assert_eq!(back.len(), db.len());
    for n in &names {
        for v in &versions {
            let ids = |d: &dyn Advisories| -> Vec<(String, Vec<String>)> {
                d.affecting(n, v)
                    .into_iter()
                    .map(|m| (m.advisory.id.clone(), m.fixed))
                    .collect()
            };
            assert_eq!(ids(&back), ids(&db), "{n}@{v}");
        }
    }
});
