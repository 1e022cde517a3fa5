//! OSV records (the format of osv.dev's `npm/all.zip` export, GitHub's advisory database and
//! ossf/malicious-packages) read into an index by package name, and matched against locked
//! versions with npm's semver: `affected[].ranges` of type `SEMVER` and `ECOSYSTEM` (events
//! `introduced`, `fixed`, `last_affected`, `limit`, evaluated as the OSV schema specifies) and
//! explicit `affected[].versions`. Records of other ecosystems, `GIT` ranges and withdrawn
//! records are left out. No I/O: the caller hands in each record's text.

use std::collections::HashMap;
use std::sync::Arc;

use chainward_core::advisory::{Advisories, Advisory, Grade, Match};
use node_semver::Version;
use serde_json::Value;

/// One OSV range event.
#[derive(Debug, Clone)]
enum Event {
    /// `introduced: "0"`: from the first version.
    IntroducedAtZero,
    Introduced(Version),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Event {
    fn version(&self) -> Option<&Version> {
        match self {
            Event::IntroducedAtZero => None,
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => {
                Some(v)
            }
        }
    }
}

/// One `affected` entry of one record, for one package.
#[derive(Debug, Clone)]
struct Entry {
    advisory: Arc<Advisory>,
    /// Each range's events, sorted by version (`introduced: 0` first).
    ranges: Vec<Vec<Event>>,
    versions: Vec<String>,
}

impl Entry {
    fn affects(&self, version: &str, parsed: Option<&Version>) -> bool {
        if self.versions.iter().any(|v| v == version) {
            return true;
        }
        let Some(v) = parsed else {
            return false;
        };
        self.ranges.iter().any(|events| in_range(v, events))
    }

    /// The versions that fix it, from the ranges `version` falls in.
    fn fixed_for(&self, parsed: Option<&Version>) -> Vec<Version> {
        let Some(v) = parsed else {
            return Vec::new();
        };
        self.ranges
            .iter()
            .filter(|events| in_range(v, events))
            .flat_map(|events| {
                events.iter().filter_map(|e| match e {
                    Event::Fixed(f) if f > v => Some(f.clone()),
                    _ => None,
                })
            })
            .collect()
    }
}

/// The OSV schema's evaluation: walk the events in version order; `introduced` at or below the
/// version turns it on, `fixed` at or below it (or `last_affected` below it) turns it off.
/// `limit` bounds the range from above.
fn in_range(v: &Version, events: &[Event]) -> bool {
    if events
        .iter()
        .any(|e| matches!(e, Event::Limit(l) if v >= l))
    {
        return false;
    }
    let mut affected = false;
    for e in events {
        match e {
            Event::IntroducedAtZero => affected = true,
            Event::Introduced(i) if v >= i => affected = true,
            Event::Fixed(f) if v >= f => affected = false,
            Event::LastAffected(l) if v > l => affected = false,
            _ => {}
        }
    }
    affected
}

/// The index's head as [`Database::to_index`] writes it: what the database is, and where each
/// package's part of the index lies in the body (byte offset and length). A run reads the head,
/// then only the parts of the packages its lockfiles hold ([`IndexedDatabase`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct Head {
    schema: u32,
    source: String,
    records: usize,
    updated_at: Option<i64>,
    newest_modified: Option<i64>,
    parts: HashMap<String, (u64, u32)>,
}

/// One package's part: its advisories and, for each, the ranges (as `(event, version)` text)
/// and explicit versions.
#[derive(serde::Serialize, serde::Deserialize)]
struct Part {
    advisories: Vec<Advisory>,
    entries: Vec<PartEntry>,
}

/// An advisory's index in [`Part::advisories`], its ranges as `(event, version)` text, and its
/// explicit versions.
type PartEntry = (usize, Vec<Vec<(String, String)>>, Vec<String>);

const INDEX_SCHEMA: u32 = 2;

impl Part {
    fn of(entries: &[Entry]) -> Part {
        let mut advisories: Vec<Advisory> = Vec::new();
        let mut ids: Vec<*const Advisory> = Vec::new();
        let entries = entries
            .iter()
            .map(|e| {
                let ptr = Arc::as_ptr(&e.advisory);
                let at = match ids.iter().position(|p| *p == ptr) {
                    Some(i) => i,
                    None => {
                        ids.push(ptr);
                        advisories.push((*e.advisory).clone());
                        advisories.len() - 1
                    }
                };
                let ranges = e
                    .ranges
                    .iter()
                    .map(|events| {
                        events
                            .iter()
                            .map(|ev| {
                                let (kind, v) = match ev {
                                    Event::IntroducedAtZero => ("introduced", "0".to_string()),
                                    Event::Introduced(v) => ("introduced", v.to_string()),
                                    Event::Fixed(v) => ("fixed", v.to_string()),
                                    Event::LastAffected(v) => ("last_affected", v.to_string()),
                                    Event::Limit(v) => ("limit", v.to_string()),
                                };
                                (kind.to_string(), v)
                            })
                            .collect()
                    })
                    .collect();
                (at, ranges, e.versions.clone())
            })
            .collect();
        Part {
            advisories,
            entries,
        }
    }

    fn entries(self) -> Option<Vec<Entry>> {
        let advisories: Vec<Arc<Advisory>> = self.advisories.into_iter().map(Arc::new).collect();
        self.entries
            .into_iter()
            .map(|(at, ranges, versions)| {
                let ranges = ranges
                    .into_iter()
                    .map(|events| {
                        events
                            .into_iter()
                            .map(|(kind, v)| {
                                let version = || Version::parse(&v).ok();
                                Some(match kind.as_str() {
                                    "introduced" if v == "0" => Event::IntroducedAtZero,
                                    "introduced" => Event::Introduced(version()?),
                                    "fixed" => Event::Fixed(version()?),
                                    "last_affected" => Event::LastAffected(version()?),
                                    "limit" => Event::Limit(version()?),
                                    _ => return None,
                                })
                            })
                            .collect::<Option<Vec<Event>>>()
                    })
                    .collect::<Option<Vec<Vec<Event>>>>()?;
                Some(Entry {
                    advisory: Arc::clone(advisories.get(at)?),
                    ranges,
                    versions,
                })
            })
            .collect()
    }
}

/// Reads `len` bytes at `offset` of the index's body.
pub type ReadAt = Box<dyn Fn(u64, usize) -> Option<Vec<u8>> + Send + Sync>;

/// An advisory database read from its index: the head at once, each package's part when a
/// lockfile first asks about that package.
pub struct IndexedDatabase {
    head: Head,
    read: ReadAt,
    loaded: std::sync::Mutex<HashMap<String, Arc<Vec<Entry>>>>,
}

impl IndexedDatabase {
    /// The database whose head is `head` (bytes [`Database::to_index`] wrote first) and whose
    /// body `read` reads; `None` for a head of another layout or a damaged one.
    pub fn open(head: &[u8], read: ReadAt) -> Option<IndexedDatabase> {
        let head: Head = serde_json::from_slice(head).ok()?;
        (head.schema == INDEX_SCHEMA).then(|| IndexedDatabase {
            head,
            read,
            loaded: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn entries(&self, name: &str) -> Option<Arc<Vec<Entry>>> {
        let &(offset, len) = self.head.parts.get(name)?;
        if let Some(e) = self
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Some(Arc::clone(e));
        }
        // A part that cannot be read or parsed (a damaged index) matches nothing.
        let part: Part = serde_json::from_slice(&(self.read)(offset, len as usize)?).ok()?;
        let entries = Arc::new(part.entries()?);
        self.loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), Arc::clone(&entries));
        Some(entries)
    }
}

impl Advisories for IndexedDatabase {
    fn affecting(&self, name: &str, version: &str) -> Vec<Match> {
        match self.entries(name) {
            Some(entries) => matches(&entries, version),
            None => Vec::new(),
        }
    }

    fn source(&self) -> &str {
        &self.head.source
    }

    fn len(&self) -> usize {
        self.head.records
    }

    fn updated_at(&self) -> Option<i64> {
        self.head.updated_at.or(self.head.newest_modified)
    }
}

/// An advisory database in memory: every npm record, indexed by package name.
#[derive(Debug, Default)]
pub struct Database {
    source: String,
    records: usize,
    by_name: HashMap<String, Vec<Entry>>,
    updated_at: Option<i64>,
    newest_modified: Option<i64>,
}

impl Database {
    /// An empty database read from `source` (a path, for messages).
    pub fn new(source: &str) -> Database {
        Database {
            source: source.to_string(),
            ..Database::default()
        }
    }

    /// When `chainward advisories update` last brought it up to date.
    pub fn set_updated_at(&mut self, ms: i64) {
        self.updated_at = Some(ms);
    }

    /// The index, to keep on disk: a head (JSON, then a newline) and a body of one part per
    /// package. [`IndexedDatabase`] reads it back without parsing any record again, and only
    /// the parts a run asks for.
    pub fn to_index(&self) -> (Vec<u8>, Vec<u8>) {
        let mut names: Vec<&String> = self.by_name.keys().collect();
        names.sort();
        let mut body = Vec::new();
        let mut parts = HashMap::with_capacity(names.len());
        for name in names {
            let part = serde_json::to_vec(&Part::of(&self.by_name[name])).unwrap_or_default();
            let Ok(len) = u32::try_from(part.len()) else {
                continue;
            };
            parts.insert(name.clone(), (body.len() as u64, len));
            body.extend_from_slice(&part);
        }
        let head = serde_json::to_vec(&Head {
            schema: INDEX_SCHEMA,
            source: self.source.clone(),
            records: self.records,
            updated_at: self.updated_at,
            newest_modified: self.newest_modified,
            parts,
        })
        .unwrap_or_default();
        (head, body)
    }

    /// Read one OSV record. `Ok(false)`: a valid record with nothing for npm (another
    /// ecosystem, or withdrawn).
    pub fn add(&mut self, text: &str) -> Result<bool, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let id = doc["id"]
            .as_str()
            .filter(|i| !i.is_empty())
            .ok_or("no `id`")?
            .to_string();
        if doc.get("withdrawn").is_some_and(|w| !w.is_null()) {
            return Ok(false);
        }
        let npm: Vec<&Value> = doc["affected"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["package"]["ecosystem"].as_str() == Some("npm"))
            .collect();
        if npm.is_empty() {
            return Ok(false);
        }
        let modified = doc["modified"].as_str().map(str::to_string);
        if let Some(ms) = modified
            .as_deref()
            .and_then(chainward_core::packument::parse_time)
        {
            self.newest_modified = Some(self.newest_modified.map_or(ms, |n| n.max(ms)));
        }
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let cwes: Vec<String> = strings(&doc["database_specific"]["cwe_ids"])
            .into_iter()
            .chain(npm.iter().flat_map(|a| {
                a["database_specific"]["cwes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["cweId"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            }))
            .collect();
        let (grade, cvss) = grade(&doc);
        let url = doc["references"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["type"].as_str() == Some("ADVISORY"))
            .filter_map(|r| r["url"].as_str())
            .find(|u| u.contains(&id))
            .map_or_else(
                || format!("https://osv.dev/vulnerability/{id}"),
                str::to_string,
            );
        let advisory = Arc::new(Advisory {
            malicious: id.starts_with("MAL-") || cwes.iter().any(|c| c == "CWE-506"),
            aliases: strings(&doc["aliases"]),
            summary: doc["summary"]
                .as_str()
                .or(doc["details"].as_str())
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
            grade,
            cvss,
            url,
            modified,
            id,
        });
        for affected in npm {
            let Some(name) = affected["package"]["name"].as_str() else {
                continue;
            };
            let ranges: Vec<Vec<Event>> = affected["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| matches!(r["type"].as_str(), Some("SEMVER" | "ECOSYSTEM")))
                .filter_map(|r| events(&r["events"]))
                .collect();
            let versions = strings(&affected["versions"]);
            if ranges.is_empty() && versions.is_empty() {
                continue;
            }
            self.by_name
                .entry(name.to_string())
                .or_default()
                .push(Entry {
                    advisory: Arc::clone(&advisory),
                    ranges,
                    versions,
                });
        }
        self.records += 1;
        Ok(true)
    }
}

/// A range's events, sorted; `None` when a version in it is not semver (the range cannot be
/// judged, so it is not used).
fn events(list: &Value) -> Option<Vec<Event>> {
    let mut out = Vec::new();
    for e in list.as_array()? {
        let obj = e.as_object()?;
        let (kind, value) = obj.iter().next()?;
        let value = value.as_str()?;
        let version = || Version::parse(value).ok();
        out.push(match kind.as_str() {
            "introduced" if value == "0" => Event::IntroducedAtZero,
            "introduced" => Event::Introduced(version()?),
            "fixed" => Event::Fixed(version()?),
            "last_affected" => Event::LastAffected(version()?),
            "limit" if value == "*" => continue,
            "limit" => Event::Limit(version()?),
            _ => return None,
        });
    }
    // `introduced: 0` sorts first; ties keep the record's order.
    out.sort_by(|a, b| match (a.version(), b.version()) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    Some(out)
}

/// `database_specific.severity` (GitHub's grade), else the base score of the first CVSS v3
/// vector.
fn grade(doc: &Value) -> (Option<Grade>, Option<String>) {
    let vector = doc["severity"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| matches!(s["type"].as_str(), Some("CVSS_V3")))
        .find_map(|s| s["score"].as_str().map(str::to_string));
    if let Some(g) = doc["database_specific"]["severity"]
        .as_str()
        .and_then(Grade::parse)
    {
        return (Some(g), vector);
    }
    let g = vector
        .as_deref()
        .and_then(cvss3_base_score)
        .and_then(Grade::of_score);
    (g, vector)
}

/// The CVSS v3.0/v3.1 base score of a vector (`CVSS:3.1/AV:N/AC:L/...`), per the
/// specification's formulas and round-up.
pub fn cvss3_base_score(vector: &str) -> Option<f64> {
    let mut rest = vector.split('/');
    if !matches!(rest.next()?, "CVSS:3.0" | "CVSS:3.1") {
        return None;
    }
    let metrics: HashMap<&str, &str> = rest.filter_map(|m| m.split_once(':')).collect();
    let get = |k: &str| metrics.get(k).copied();
    let changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match get(k)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * av * ac * pr * ui;
    let sum = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(round_up(sum.min(10.0)))
}

/// CVSS v3.1's Roundup: the smallest number with one decimal at or above `x`, computed on
/// integers so that 4.000000001 is not 4.1.
fn round_up(x: f64) -> f64 {
    let int = (x * 100_000.0).round() as i64;
    if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    }
}

impl Advisories for Database {
    fn affecting(&self, name: &str, version: &str) -> Vec<Match> {
        match self.by_name.get(name) {
            Some(entries) => matches(entries, version),
            None => Vec::new(),
        }
    }

    fn source(&self) -> &str {
        &self.source
    }

    fn len(&self) -> usize {
        self.records
    }

    fn updated_at(&self) -> Option<i64> {
        self.updated_at.or(self.newest_modified)
    }
}

/// The advisories among one package's `entries` that affect `version`.
fn matches(entries: &[Entry], version: &str) -> Vec<Match> {
    let parsed = Version::parse(version).ok();
    let mut found: Vec<Match> = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| e.affects(version, parsed.as_ref()))
    {
        let fixed = entry.fixed_for(parsed.as_ref());
        // The same record matched through two `affected` entries: one match.
        if let Some(m) = found
            .iter_mut()
            .find(|m| m.advisory.id == entry.advisory.id)
        {
            add_fixed(&mut m.fixed, fixed);
            continue;
        }
        let mut m = Match {
            advisory: Arc::clone(&entry.advisory),
            fixed: Vec::new(),
            merged: Vec::new(),
        };
        add_fixed(&mut m.fixed, fixed);
        found.push(m);
    }
    merge_aliases(found)
}

fn add_fixed(into: &mut Vec<String>, fixed: Vec<Version>) {
    let mut all: Vec<Version> = into
        .iter()
        .filter_map(|v| Version::parse(v).ok())
        .chain(fixed)
        .collect();
    all.sort();
    all.dedup();
    *into = all.iter().map(ToString::to_string).collect();
}

/// Records that name each other (by id or alias) are one finding: the malicious one, else the
/// most severe, else the first by id, stands for the group.
fn merge_aliases(mut found: Vec<Match>) -> Vec<Match> {
    let names = |m: &Match| -> Vec<String> {
        std::iter::once(m.advisory.id.clone())
            .chain(m.advisory.aliases.iter().cloned())
            .collect()
    };
    let rank = |m: &Match| (m.advisory.malicious, m.advisory.grade);
    found.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then_with(|| a.advisory.id.cmp(&b.advisory.id))
    });
    let mut out: Vec<(Vec<String>, Match)> = Vec::new();
    for m in found {
        let ids = names(&m);
        match out
            .iter_mut()
            .find(|(group, _)| ids.iter().any(|i| group.contains(i)))
        {
            Some((group, head)) => {
                head.merged.push(m.advisory.id.clone());
                let fixed: Vec<Version> = m
                    .fixed
                    .iter()
                    .filter_map(|v| Version::parse(v).ok())
                    .collect();
                add_fixed(&mut head.fixed, fixed);
                group.extend(ids);
            }
            None => out.push((ids, m)),
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores_as_the_calculator_gives_them() {
        let s = |v: &str| cvss3_base_score(v);
        assert_eq!(s("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Some(9.8));
        assert_eq!(s("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), Some(7.5));
        assert_eq!(s("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), Some(6.1));
        assert_eq!(s("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"), Some(1.8));
        assert_eq!(
            s("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        assert_eq!(s("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), Some(0.0));
        assert_eq!(
            s("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None
        );
        assert_eq!(s("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), None);
    }

    fn db(records: &[&str]) -> Database {
        let mut db = Database::new("test");
        for r in records {
            db.add(r).expect("record");
        }
        db
    }

    #[test]
    fn ranges_are_evaluated_as_osv_specifies() {
        let d = db(&[
            r#"{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.2.6"},{"introduced":"0"},{"fixed":"0.2.4"}]}]}]}"#,
            r#"{"id":"B","affected":[{"package":{"ecosystem":"npm","name":"q"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0.0-beta.1"},{"last_affected":"2.3.0"}]}]}]}"#,
            r#"{"id":"C","affected":[{"package":{"ecosystem":"npm","name":"r"},"versions":["4.4.2"]}]}"#,
            r#"{"id":"D","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"versions":["1.0.0"]}]}"#,
            r#"{"id":"E","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"versions":["1.1.0"]}]}"#,
        ]);
        let ids = |n: &str, v: &str| -> Vec<String> {
            d.affecting(n, v)
                .iter()
                .map(|m| m.advisory.id.clone())
                .collect()
        };
        assert_eq!(ids("p", "0.0.1"), ["A"]);
        assert_eq!(ids("p", "0.2.4"), Vec::<String>::new());
        assert_eq!(ids("p", "0.9.0"), Vec::<String>::new());
        assert_eq!(ids("p", "1.0.0"), ["A"]);
        assert_eq!(ids("p", "1.2.5"), ["A"]);
        assert_eq!(ids("p", "1.2.6"), Vec::<String>::new());
        // Build metadata is ignored; a prerelease of the fix is still before it.
        assert_eq!(ids("p", "1.2.5+build.7"), ["A"]);
        assert_eq!(ids("p", "1.2.6-rc.1"), ["A"]);
        assert_eq!(ids("q", "2.0.0-alpha"), Vec::<String>::new());
        assert_eq!(ids("q", "2.0.0-beta.1"), ["B"]);
        assert_eq!(ids("q", "2.3.0"), ["B"]);
        assert_eq!(ids("q", "2.3.1"), Vec::<String>::new());
        assert_eq!(ids("r", "4.4.2"), ["C"]);
        assert_eq!(ids("r", "4.4.1"), Vec::<String>::new());
        assert_eq!(
            d.len(),
            3,
            "the PyPI and the withdrawn records are not kept"
        );
        let m = &d.affecting("p", "1.0.0")[0];
        assert_eq!(m.fixed, ["1.2.6"]);
    }

    #[test]
    fn aliases_are_one_finding_led_by_the_malicious_record() {
        let d = db(&[
            r#"{"id":"GHSA-aaaa","aliases":["CVE-1"],"database_specific":{"severity":"CRITICAL","cwe_ids":["CWE-506"]},"affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1.0.1"]}]}"#,
            r#"{"id":"MAL-2025-1","aliases":["GHSA-aaaa"],"affected":[{"package":{"ecosystem":"npm","name":"x"},"versions":["1.0.1"]}]}"#,
            r#"{"id":"GHSA-bbbb","database_specific":{"severity":"LOW"},"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}"#,
        ]);
        let found = d.affecting("x", "1.0.1");
        assert_eq!(found.len(), 2);
        assert!(found[0].advisory.malicious);
        assert_eq!(found[0].advisory.id, "GHSA-aaaa");
        assert_eq!(found[0].merged, ["MAL-2025-1"]);
        assert_eq!(found[1].advisory.id, "GHSA-bbbb");
        assert_eq!(found[1].advisory.grade, Some(Grade::Low));
        assert_eq!(found[1].fixed, ["2.0.0"]);
    }

    #[test]
    fn the_index_reads_back_as_the_records_it_came_from() {
        let d = db(&[
            r#"{"id":"A","aliases":["CVE-1"],"summary":"s","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.6"},{"introduced":"2.0.0-rc.1"},{"last_affected":"2.1.0"}]}],"versions":["9.9.9"]}]}"#,
            r#"{"id":"MAL-1","modified":"2025-09-12T01:13:34Z","affected":[{"package":{"ecosystem":"npm","name":"q"},"versions":["1.0.0"]},{"package":{"ecosystem":"npm","name":"p"},"versions":["3.0.0"]}]}"#,
        ]);
        let (head, body) = d.to_index();
        let body = std::sync::Arc::new(body);
        let read: ReadAt = Box::new(move |offset, len| {
            body.get(offset as usize..offset as usize + len)
                .map(<[u8]>::to_vec)
        });
        let back = IndexedDatabase::open(&head, read).expect("index");
        assert_eq!(back.len(), d.len());
        assert_eq!(back.updated_at(), d.updated_at());
        for (n, v) in [
            ("p", "1.0.0"),
            ("p", "1.2.6"),
            ("p", "2.0.0"),
            ("p", "2.0.0-rc.2"),
            ("p", "2.1.0"),
            ("p", "2.1.1"),
            ("p", "3.0.0"),
            ("p", "9.9.9"),
            ("q", "1.0.0"),
        ] {
            let ids = |d: &dyn Advisories| -> Vec<(String, Vec<String>)> {
                d.affecting(n, v)
                    .iter()
                    .map(|m| (m.advisory.id.clone(), m.fixed.clone()))
                    .collect()
            };
            assert_eq!(ids(&back), ids(&d), "{n}@{v}");
        }
        let none: fn() -> ReadAt = || Box::new(|_, _| None);
        assert!(IndexedDatabase::open(b"{}", none()).is_none());
        assert!(IndexedDatabase::open(b"", none()).is_none());
        // A part that cannot be read matches nothing.
        let broken = IndexedDatabase::open(&head, none()).expect("head");
        assert!(broken.affecting("p", "1.0.0").is_empty());
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let mut d = Database::new("test");
        assert!(d.add("{").is_err());
        assert!(d.add("[]").is_err());
        assert!(d.add(r#"{"id":""}"#).is_err());
        assert_eq!(d.add(r#"{"id":"X","affected":7}"#), Ok(false));
        // A range with a version that is not semver is not used; the record still loads.
        assert_eq!(
            d.add(r#"{"id":"Y","affected":[{"package":{"ecosystem":"npm","name":"y"},"ranges":[{"type":"SEMVER","events":[{"introduced":"one"}]}]}]}"#),
            Ok(true)
        );
        assert!(d.affecting("y", "1.0.0").is_empty());
    }
}
