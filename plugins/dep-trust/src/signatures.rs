//! The npm registry's signatures (`dist.signatures`), checked as `npm audit signatures` checks
//! them, from the lockfile and the cached metadata alone: ECDSA P-256 / SHA-256 over
//! `<name>@<version>:<integrity>`, by the registry key the signature names, which must not have
//! expired before the version was published.

use base64::Engine as _;
use chainward_core::packument::{VersionMeta, parse_time};
use sigstore_verify::crypto::signing::SigningScheme;
use sigstore_verify::crypto::verification::verify_signature;
use sigstore_verify::types::{DerPublicKey, SignatureBytes};

/// A registry signing key.
pub(crate) struct RegistryKey {
    pub keyid: &'static str,
    /// Base64 DER SubjectPublicKeyInfo.
    pub key: &'static str,
    /// RFC 3339; `None`: no end.
    pub expires: Option<&'static str>,
}

/// The public keys of registry.npmjs.org, as it publishes them (`/-/npm/v1/keys`, and the
/// Sigstore TUF target `registry.npmjs.org/keys.json`): the key used until January 2025 and
/// its successor.
pub(crate) const NPM_KEYS: &[RegistryKey] = &[
    RegistryKey {
        keyid: "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA",
        key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==",
        expires: Some("2025-01-29T00:00:00.000Z"),
    },
    RegistryKey {
        keyid: "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U",
        key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g==",
        expires: None,
    },
];

/// npm's stand-in publish time for a version the document gives none (`MISSING_TIME_CUTOFF`).
const MISSING_TIME: &str = "2015-01-01T00:00:00.000Z";

/// What a version's signatures say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    /// No signature chainward can check: none at all (a mirror may strip them), or only by keys
    /// it does not know (a key the registry added since). Not judged.
    Unchecked,
    /// Why it does not verify.
    Bad(String),
}

/// The integrity the registry signed: `dist.integrity`, or for versions that predate it what
/// npm derives from `dist.shasum` (`sha1-<base64 of the digest>`).
fn signed_integrity(meta: &VersionMeta) -> Option<String> {
    if let Some(i) = &meta.integrity {
        return Some(i.clone());
    }
    let hex = meta.shasum.as_deref()?;
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(format!(
        "sha1-{}",
        base64::engine::general_purpose::STANDARD.encode(bytes?)
    ))
}

/// `npm audit signatures` for one version: every signature by a key chainward knows must
/// verify with it, and the key must not have expired before the version was published.
pub(crate) fn verify(
    name: &str,
    version: &str,
    meta: &VersionMeta,
    keys: &[RegistryKey],
) -> Verdict {
    let known: Vec<(&String, &String, &RegistryKey)> = meta
        .signatures
        .iter()
        .filter_map(|(keyid, sig)| {
            keys.iter()
                .find(|k| k.keyid == keyid)
                .map(|k| (keyid, sig, k))
        })
        .collect();
    if known.is_empty() {
        return Verdict::Unchecked;
    }
    let Some(integrity) = signed_integrity(meta) else {
        return Verdict::Bad(
            "the registry's document gives no integrity to check the signature against".into(),
        );
    };
    let published = meta.published.or_else(|| parse_time(MISSING_TIME));
    let message = format!("{name}@{version}:{integrity}");
    for (keyid, sig, key) in known {
        if let (Some(expires), Some(published)) = (key.expires.and_then(parse_time), published)
            && published >= expires
        {
            return Verdict::Bad(format!(
                "signed with the registry key {keyid}, which expired before this version was published"
            ));
        }
        let (Ok(public), Ok(signature)) = (
            DerPublicKey::from_base64(key.key),
            SignatureBytes::from_base64(sig),
        ) else {
            return Verdict::Bad(format!("the signature by {keyid} is not base64"));
        };
        if verify_signature(
            &public,
            message.as_bytes(),
            &signature,
            SigningScheme::EcdsaP256Sha256,
        )
        .is_err()
        {
            return Verdict::Bad(format!(
                "the signature by {keyid} does not verify for {name}@{version} with integrity {integrity}"
            ));
        }
    }
    Verdict::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorded npm cases in ../shared/vectors: four real signatures that verify, three
    /// that must not (a bogus one, one replayed for another version, one attributed to the
    /// other key).
    #[test]
    // Test data beside the project, not a scanned tree.
    #[allow(clippy::disallowed_methods)]
    fn npm_registry_signature_vectors() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/vectors/npm-registry-keys/registry-signatures.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (CI has ../shared beside the project)",
                path.display()
            )
        });
        let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let cases = doc["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 7);
        let mut seen = (0, 0);
        for case in cases {
            let s = |k: &str| case[k].as_str().unwrap_or_default().to_string();
            let meta = VersionMeta {
                // Before the old key's end, as the real versions were.
                published: parse_time("2022-06-01T00:00:00Z"),
                integrity: Some(s("integrity")),
                signatures: vec![(s("keyid"), s("sig"))],
                ..VersionMeta::default()
            };
            let verdict = verify(&s("name"), &s("version"), &meta, NPM_KEYS);
            match s("expected").as_str() {
                "valid" => {
                    assert_eq!(verdict, Verdict::Valid, "{case}");
                    seen.0 += 1;
                }
                _ => {
                    assert!(matches!(verdict, Verdict::Bad(_)), "{case}: {verdict:?}");
                    seen.1 += 1;
                }
            }
        }
        assert_eq!(seen, (4, 3));
    }

    #[test]
    fn keys_are_judged_at_publish_time() {
        let meta = |published: &str| VersionMeta {
            published: parse_time(published),
            integrity: Some("sha512-x".into()),
            signatures: vec![(NPM_KEYS[0].keyid.into(), "MEUCIQ==".into())],
            ..VersionMeta::default()
        };
        assert!(matches!(
            verify("a", "1.0.0", &meta("2025-02-01T00:00:00Z"), NPM_KEYS),
            Verdict::Bad(why) if why.contains("expired")
        ));
        assert!(matches!(
            verify("a", "1.0.0", &meta("2024-02-01T00:00:00Z"), NPM_KEYS),
            Verdict::Bad(why) if why.contains("does not verify")
        ));
        assert_eq!(
            verify("a", "1.0.0", &VersionMeta::default(), NPM_KEYS),
            Verdict::Unchecked
        );
        let unknown = VersionMeta {
            integrity: Some("sha512-x".into()),
            signatures: vec![("SHA256:other".into(), "MEUCIQ==".into())],
            ..VersionMeta::default()
        };
        // Only keys chainward does not know: not judged (the registry may have added a key).
        assert_eq!(verify("a", "1.0.0", &unknown, NPM_KEYS), Verdict::Unchecked);
        // A version from before `integrity`: npm signs the integrity it derives from shasum.
        let old = VersionMeta {
            shasum: Some("0123456789abcdef0123456789abcdef01234567".into()),
            ..VersionMeta::default()
        };
        assert_eq!(
            signed_integrity(&old).as_deref(),
            Some("sha1-ASNFZ4mrze8BI0VniavN7wEjRWc=")
        );
    }
}
