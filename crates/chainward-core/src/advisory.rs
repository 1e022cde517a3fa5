//! Known-malicious and known-vulnerable package versions: what the advisories plugin asks of
//! an advisory database on disk (OSV records; the reader and the version matching are in
//! `chainward_npm::osv`, the loading from a folder or a zip in `chainward-online`). The runner
//! puts the database on the [`Project`](crate::Project); plugins only ask it.

use std::sync::Arc;

/// The file beside a database (`<database>.chainward-updated`, or inside a folder) where
/// `chainward advisories update` records when it last brought it up to date.
pub const UPDATED_FILE: &str = "chainward-updated";

/// Where that record is for the database at `path` (a folder, or a file such as a zip).
pub fn updated_record(path: &std::path::Path, is_dir: bool) -> std::path::PathBuf {
    if is_dir {
        path.join(UPDATED_FILE)
    } else {
        path.with_file_name(format!(
            "{}.{UPDATED_FILE}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ))
    }
}

/// How bad a vulnerability is, as npm audit and GitHub's advisories grade it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Grade {
    Low,
    Moderate,
    High,
    Critical,
}

impl Grade {
    /// `low`, `moderate` (or `medium`), `high`, `critical`, any case.
    pub fn parse(text: &str) -> Option<Grade> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Grade::Low),
            "moderate" | "medium" => Some(Grade::Moderate),
            "high" => Some(Grade::High),
            "critical" => Some(Grade::Critical),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grade::Low => "low",
            Grade::Moderate => "moderate",
            Grade::High => "high",
            Grade::Critical => "critical",
        }
    }

    /// A CVSS base score's grade (CVSS v3: 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0+
    /// critical); `None` for 0 (no impact).
    pub fn of_score(score: f64) -> Option<Grade> {
        if score.is_nan() || score <= 0.0 {
            None
        } else if score < 4.0 {
            Some(Grade::Low)
        } else if score < 7.0 {
            Some(Grade::Moderate)
        } else if score < 9.0 {
            Some(Grade::High)
        } else {
            Some(Grade::Critical)
        }
    }
}

/// One advisory (an OSV record), as much as a finding needs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Advisory {
    /// `GHSA-xvch-5gv4-984h`, `MAL-2025-46974`.
    pub id: String,
    /// Other ids for the same issue (`CVE-2021-44906`, the GHSA a MAL record imports).
    pub aliases: Vec<String>,
    pub summary: String,
    /// A `MAL-*` record, or one whose weakness is CWE-506 (embedded malicious code).
    pub malicious: bool,
    /// From `database_specific.severity`, else the CVSS v3 vector's base score; `None` when the
    /// record states neither.
    pub grade: Option<Grade>,
    /// The CVSS vector the grade was computed from, if it was.
    pub cvss: Option<String>,
    /// The advisory's page (an `ADVISORY` reference, else osv.dev's).
    pub url: String,
    /// When the record was last modified (RFC 3339), as it says.
    pub modified: Option<String>,
}

/// One advisory that affects a locked version, with the versions of that package that fix it
/// (the `fixed` events of the ranges that matched), in ascending order.
#[derive(Debug, Clone)]
pub struct Match {
    pub advisory: Arc<Advisory>,
    pub fixed: Vec<String>,
    /// The ids of other records merged into this one (aliases of each other).
    pub merged: Vec<String>,
}

/// An advisory database, loaded and indexed.
pub trait Advisories: Send + Sync {
    /// The advisories affecting `name@version` in the npm ecosystem, records that are aliases
    /// of each other merged into one (a malicious record first, else the most severe).
    fn affecting(&self, name: &str, version: &str) -> Vec<Match>;

    /// Where it was read from, for messages.
    fn source(&self) -> &str;

    /// How many records it holds.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When it was last brought up to date (milliseconds since the epoch): recorded by
    /// `chainward advisories update`, else the newest `modified` among its records.
    fn updated_at(&self) -> Option<i64>;
}
