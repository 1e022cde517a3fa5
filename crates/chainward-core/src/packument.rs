//! What chainward keeps of an npm package's full document (the "packument", `GET
//! <registry>/<name>` with `Accept: application/json`): for every published version, when it was
//! published and what vouches for it. The abbreviated document npm installs from has neither
//! (no `time`, no `_npmUser`), so the full one is read, field by field as it streams in: a
//! package with thousands of versions is tens of MB of JSON, of which a few KB are kept.
//!
//! Fields and their meaning follow the npm registry's documentation
//! (`docs/responses/package-metadata.md`) and pnpm's trust checks, which read them as
//! JavaScript does: a field counts when it is present and truthy.

use std::collections::BTreeMap;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The kept part of one package's document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packument {
    pub name: String,
    /// By version, as the document lists them (unpublished versions are not listed).
    pub versions: BTreeMap<String, VersionMeta>,
    /// Versions with a publish time but no longer listed: unpublished.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub unpublished: std::collections::BTreeSet<String>,
}

/// A document listing more versions than this is refused (the most-published packages on npm
/// have some tens of thousands): a registry cannot make chainward hold millions.
pub const MAX_VERSIONS: usize = 200_000;

/// One published version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    /// `time[version]`, in milliseconds since the Unix epoch; `None` when the document gives no
    /// time (or one that is not a date) for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    /// `dist.integrity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    /// `dist.shasum` (hex SHA-1), what versions published before `integrity` existed carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shasum: Option<String>,
    /// `_npmUser.approver`: published through a staged publish that a maintainer approved
    /// with 2FA.
    #[serde(default, skip_serializing_if = "is_false")]
    pub approver: bool,
    /// `_npmUser.trustedPublisher`: published by a CI workflow through OIDC trusted publishing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trusted_publisher: bool,
    /// `dist.attestations.provenance`: the registry holds a provenance attestation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub provenance: bool,
    /// `dist.attestations.url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestations_url: Option<String>,
    /// `dist.signatures`: `(keyid, sig)`, the registry's ECDSA signatures of
    /// `<name>@<version>:<integrity>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<(String, String)>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How strongly a version's publication is vouched for, as pnpm ranks it (`trustPolicy:
/// no-downgrade`, pnpm 11.5 and later): a staged publish approved by a maintainer, above a
/// trusted publisher with provenance, above provenance alone, above nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    None,
    Provenance,
    TrustedPublisher,
    StagedPublish,
}

impl Trust {
    /// What vouches for a version, in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Trust::StagedPublish => "a staged publish approved by a maintainer",
            Trust::TrustedPublisher => "a trusted publisher with provenance",
            Trust::Provenance => "a provenance attestation",
            Trust::None => "no trust evidence",
        }
    }
}

impl VersionMeta {
    /// pnpm 11.5's `getTrustEvidence`: a trusted publisher counts only with provenance (a flag
    /// alone is metadata a staged publish could mint).
    pub fn trust(&self) -> Trust {
        if self.approver {
            Trust::StagedPublish
        } else if self.trusted_publisher && self.provenance {
            Trust::TrustedPublisher
        } else if self.provenance {
            Trust::Provenance
        } else {
            Trust::None
        }
    }
}

/// JavaScript's truthiness, for the fields pnpm tests with `?.`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Now, in milliseconds since the epoch: `CHAINWARD_NOW` (RFC 3339) when set, so that a run
/// can be judged as of a given instant (and its tests are reproducible); the clock otherwise.
pub fn now_ms() -> i64 {
    std::env::var("CHAINWARD_NOW")
        .ok()
        .and_then(|t| parse_time(&t))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        })
}

/// An RFC 3339 / ISO 8601 instant as the registry writes it (`2024-05-01T10:20:30.123Z`), in
/// milliseconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    let ts: jiff::Timestamp = text.trim().parse().ok()?;
    Some(ts.as_millisecond())
}

/// Milliseconds since the epoch as RFC 3339 (`2024-05-01T10:20:30Z`, to the second).
pub fn format_time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .round(jiff::Unit::Second)
            .map_or_else(|_| ts.to_string(), |t| t.to_string()),
        Err(_) => ms.to_string(),
    }
}

impl Packument {
    /// Read a full document from JSON, keeping only what [`Packument`] holds. `Err` names what
    /// is wrong when the body is not JSON or not an object.
    pub fn from_json_slice(bytes: &[u8]) -> Result<Packument, String> {
        let raw: Object = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        raw.0.into_packument()
    }

    /// Like [`Packument::from_json_slice`], from a reader (a response body as it arrives).
    pub fn from_json_reader(reader: impl std::io::Read) -> Result<Packument, String> {
        let raw: Object = serde_json::from_reader(reader).map_err(|e| e.to_string())?;
        raw.0.into_packument()
    }

    /// The version published most recently before `version` with the strongest trust, among
    /// those pnpm compares it with: every version with a publish time strictly earlier (not
    /// semver order); when `version` is not a prerelease, prereleases are left out; and only
    /// versions `counts` accepts. `None` when no such version has any trust evidence.
    pub fn strongest_before(
        &self,
        version: &str,
        counts: impl Fn(&str) -> bool,
    ) -> Option<(&str, &VersionMeta)> {
        let at = self.versions.get(version)?.published?;
        let stable = !prerelease(version);
        self.versions
            .iter()
            .filter(|(v, m)| {
                m.published.is_some_and(|p| p < at)
                    && (!stable || !prerelease(v))
                    && v.as_str() != version
                    && counts(v)
            })
            .filter(|(_, m)| m.trust() > Trust::None)
            // The strongest; among equals, the latest published.
            .max_by_key(|(_, m)| (m.trust(), m.published))
            .map(|(v, m)| (v.as_str(), m))
    }
}

/// node-semver's `prerelease()` in loose mode, for a version the registry published: a `-`
/// before any `+` build part.
pub fn prerelease(version: &str) -> bool {
    version.split('+').next().unwrap_or(version).contains('-')
}

/// The document, which must be a JSON object (serde would also take an array for a struct).
struct Object(Raw);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a package document (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Object, A::Error> {
                Raw::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Object)
            }
        }
        de.deserialize_map(V)
    }
}

/// The document as it streams in: `time` and each version's `_npmUser` and `dist`, everything
/// else skipped without being built.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default, deserialize_with = "times")]
    time: BTreeMap<String, i64>,
    #[serde(default, deserialize_with = "versions")]
    versions: BTreeMap<String, RawVersion>,
}

#[derive(Deserialize, Default)]
struct RawVersion {
    #[serde(rename = "_npmUser", default)]
    npm_user: Option<RawUser>,
    #[serde(default)]
    dist: Option<RawDist>,
}

#[derive(Deserialize, Default)]
struct RawUser {
    #[serde(default)]
    approver: Value,
    #[serde(rename = "trustedPublisher", default)]
    trusted_publisher: Value,
}

#[derive(Deserialize, Default)]
struct RawDist {
    #[serde(default)]
    integrity: Value,
    #[serde(default)]
    shasum: Value,
    #[serde(default)]
    attestations: Option<RawAttestations>,
    #[serde(default)]
    signatures: Value,
}

#[derive(Deserialize, Default)]
struct RawAttestations {
    #[serde(default)]
    url: Value,
    #[serde(default)]
    provenance: Value,
}

/// `time`: version → date; entries that are not a date string (and `created`, `modified`,
/// which name no version) are kept or dropped alike, by what they parse to.
fn times<'de, D: Deserializer<'de>>(de: D) -> Result<BTreeMap<String, i64>, D::Error> {
    struct Times;
    impl<'de> Visitor<'de> for Times {
        type Value = BTreeMap<String, i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of versions to dates")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: Value = map.next_value()?;
                if let Some(ms) = value.as_str().and_then(parse_time) {
                    out.insert(key, ms);
                }
            }
            Ok(out)
        }
    }
    de.deserialize_any(Times)
}

/// `versions`: a version whose object is not an object (or is damaged in shape) is kept with
/// no evidence rather than failing the whole document.
fn versions<'de, D: Deserializer<'de>>(de: D) -> Result<BTreeMap<String, RawVersion>, D::Error> {
    struct Versions;
    impl<'de> Visitor<'de> for Versions {
        type Value = BTreeMap<String, RawVersion>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of versions")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: Lenient = map.next_value()?;
                out.insert(key, value.0);
            }
            Ok(out)
        }
    }
    de.deserialize_any(Versions)
}

/// A version object read leniently: one that is not an object, or whose fields have other
/// shapes, is read as having no evidence.
struct Lenient(RawVersion);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a version object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lenient, A::Error> {
                let mut out = RawVersion::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "_npmUser" => {
                            let v: Value = map.next_value()?;
                            out.npm_user = serde_json::from_value(v).ok();
                        }
                        "dist" => {
                            let v: Value = map.next_value()?;
                            out.dist = serde_json::from_value(v).ok();
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Lenient(out))
            }
            fn visit_unit<E>(self) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient, E> {
                Ok(Lenient(RawVersion::default()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Lenient, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(RawVersion::default()))
            }
        }
        de.deserialize_any(V)
    }
}

impl Raw {
    fn into_packument(self) -> Result<Packument, String> {
        if self.versions.len() > MAX_VERSIONS || self.time.len() > 2 * MAX_VERSIONS {
            return Err(format!(
                "{} versions: over the {MAX_VERSIONS} chainward reads",
                self.versions.len().max(self.time.len())
            ));
        }
        let name = self
            .name
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let versions = self
            .versions
            .into_iter()
            .map(|(version, raw)| {
                let user = raw.npm_user.unwrap_or_default();
                let dist = raw.dist.unwrap_or_default();
                let attestations = dist.attestations.unwrap_or_default();
                let signatures = dist
                    .signatures
                    .as_array()
                    .map(|sigs| {
                        sigs.iter()
                            .filter_map(|s| {
                                Some((
                                    s.get("keyid")?.as_str()?.to_string(),
                                    s.get("sig")?.as_str()?.to_string(),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let meta = VersionMeta {
                    published: self.time.get(&version).copied(),
                    integrity: dist.integrity.as_str().map(str::to_string),
                    shasum: dist
                        .shasum
                        .as_str()
                        .filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                        .map(str::to_ascii_lowercase),
                    approver: truthy(&user.approver),
                    trusted_publisher: truthy(&user.trusted_publisher),
                    provenance: truthy(&attestations.provenance),
                    attestations_url: attestations.url.as_str().map(str::to_string),
                    signatures,
                };
                (version, meta)
            })
            .collect::<BTreeMap<String, VersionMeta>>();
        let unpublished = self
            .time
            .keys()
            .filter(|v| {
                !versions.contains_key(*v) && v.as_str() != "created" && v.as_str() != "modified"
            })
            .cloned()
            .collect();
        Ok(Packument {
            name,
            versions,
            unpublished,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "name": "demo",
      "dist-tags": {"latest": "2.0.0"},
      "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
               "1.0.0": "2020-01-01T00:00:00.000Z", "1.1.0": "2021-01-01T00:00:00.000Z",
               "2.0.0-rc.1": "2021-06-01T00:00:00.000Z", "2.0.0": "2022-01-01T00:00:00.000Z",
               "3.0.0": "not a date"},
      "versions": {
        "1.0.0": {"name": "demo", "_npmUser": {"name": "a", "email": "a@x"},
                  "dist": {"integrity": "sha512-one", "tarball": "https://x/demo-1.0.0.tgz",
                           "signatures": [{"keyid": "SHA256:k", "sig": "MEUC"}]}},
        "1.1.0": {"_npmUser": {"name": "GitHub Actions", "trustedPublisher": {"id": "github", "oidcConfigId": "oidc:1"}},
                  "dist": {"integrity": "sha512-two", "attestations": {"url": "https://x/att", "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}}}},
        "2.0.0-rc.1": {"_npmUser": {"name": "a", "approver": {"name": "b"}}, "dist": {}},
        "2.0.0": {"_npmUser": {"name": "a", "trustedPublisher": {"id": "github"}}, "dist": {"integrity": "sha512-three"}},
        "3.0.0": "not an object",
        "4.0.0": {"_npmUser": "weird", "dist": [1, 2], "readme": {"x": [1, {"y": null}]}}
      },
      "readme": "long text"
    }"#;

    #[test]
    fn keeps_times_and_evidence_of_every_version() {
        let p = Packument::from_json_slice(DOC.as_bytes()).expect("reads");
        assert_eq!(p.name, "demo");
        assert_eq!(p.versions.len(), 6);
        let v = |s: &str| &p.versions[s];
        assert_eq!(v("1.0.0").published, parse_time("2020-01-01T00:00:00Z"));
        assert_eq!(
            v("1.0.0").signatures,
            vec![("SHA256:k".into(), "MEUC".into())]
        );
        assert_eq!(v("1.0.0").trust(), Trust::None);
        assert_eq!(v("1.1.0").trust(), Trust::TrustedPublisher);
        assert_eq!(
            v("1.1.0").attestations_url.as_deref(),
            Some("https://x/att")
        );
        assert_eq!(v("2.0.0-rc.1").trust(), Trust::StagedPublish);
        // A trusted publisher without provenance is no evidence (pnpm 11.4+).
        assert_eq!(v("2.0.0").trust(), Trust::None);
        assert_eq!(v("3.0.0").published, None);
        assert_eq!(v("4.0.0"), &VersionMeta::default());
        // Kept as it was read.
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(serde_json::from_str::<Packument>(&json).expect("back"), p);
    }

    #[test]
    fn the_baseline_is_by_publish_time_and_skips_prereleases_for_stable_versions() {
        let p = Packument::from_json_slice(DOC.as_bytes()).expect("reads");
        // 2.0.0 is stable: the staged-publish prerelease is not its baseline.
        let all = |_: &str| true;
        assert_eq!(
            p.strongest_before("2.0.0", all).map(|(v, _)| v),
            Some("1.1.0")
        );
        assert_eq!(p.strongest_before("1.1.0", all).map(|(v, _)| v), None);
        assert_eq!(p.strongest_before("3.0.0", all), None);
        // Only the versions the caller counts.
        assert_eq!(p.strongest_before("2.0.0", |v| v.starts_with("2.")), None);
    }

    #[test]
    fn documents_that_are_not_packuments_are_errors_or_empty() {
        assert!(Packument::from_json_slice(b"[1]").is_err());
        assert!(Packument::from_json_slice(b"not json").is_err());
        let p = Packument::from_json_slice(br#"{"versions": null, "time": null}"#).expect("reads");
        assert!(p.versions.is_empty());
        assert_eq!(
            format_time(parse_time("2024-05-01T10:20:30.600Z").expect("date")),
            "2024-05-01T10:20:31Z"
        );
    }
}
