//! The provenance verifier against a PKI built here, so that it is tested without
//! ../shared/vectors: a CA, a Fulcio-style leaf (SAN URI, OIDC issuer and GitHub source
//! extensions, code-signing EKU), a Rekor-like log key signing the entry timestamp (SET), and a
//! trusted_root.json naming them. A signed artifact verifies; wrong artifact, wrong identity,
//! wrong issuer, a certificate expired at log time, a tampered DSSE payload, a tampered
//! signature, the wrong log key and a missing log entry are each rejected. (No CT log: these
//! bundles verify with `--insecure-ignore-sct`; SCTs are covered by the conformance vectors.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use provenance::verify::{self, Policy, Subject};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SanType, SigningKey,
    date_time_ymd,
};

const IDENTITY: &str =
    "https://github.com/acme/weather-mcp/.github/workflows/release.yml@refs/tags/v1.2.3";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// 2024-01-01T12:00:00Z, inside the leaf's validity.
const LOGGED: i64 = 1_704_110_400;
/// 2024-01-03T00:00:00Z, after it.
const LATE: i64 = 1_704_240_000;

fn utf8(s: &str) -> Vec<u8> {
    let mut out = vec![0x0c, u8::try_from(s.len()).expect("short")];
    out.extend_from_slice(s.as_bytes());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    sigstore_verify::crypto::sha256(data).as_bytes().to_vec()
}

struct Pki {
    ca_der: Vec<u8>,
    ca: Issuer<'static, KeyPair>,
    log: KeyPair,
}

impl Pki {
    fn new() -> Pki {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "chainward test CA");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "chainward");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(2023, 1, 1);
        params.not_after = date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).expect("CA");
        Pki {
            ca_der: cert.der().to_vec(),
            ca: Issuer::new(params, key),
            log: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("log key"),
        }
    }

    /// A Fulcio-style leaf valid on 2024-01-01 only.
    fn leaf(&self, identity: &str, issuer: &str) -> (Vec<u8>, KeyPair) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.subject_alt_names = vec![SanType::URI(identity.try_into().expect("uri"))];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.not_before = date_time_ymd(2024, 1, 1);
        params.not_after = date_time_ymd(2024, 1, 2);
        let fulcio = |n: u64, v: Vec<u8>| {
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, n], v)
        };
        params.custom_extensions = vec![
            fulcio(1, issuer.as_bytes().to_vec()),
            fulcio(8, utf8(issuer)),
            fulcio(12, utf8("https://github.com/acme/weather-mcp")),
            fulcio(13, utf8("0123456789abcdef0123456789abcdef01234567")),
            fulcio(14, utf8("refs/tags/v1.2.3")),
            fulcio(18, utf8(identity)),
        ];
        let cert = params.signed_by(&key, &self.ca).expect("leaf");
        (cert.der().to_vec(), key)
    }

    fn trusted_root(&self, log: &KeyPair) -> String {
        let spki = log.subject_public_key_info();
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": B64.encode(&spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2023-01-01T00:00:00Z"}
                },
                "logId": {"keyId": B64.encode(sha256(&spki))}
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "chainward", "commonName": "chainward test CA"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [{"rawBytes": B64.encode(&self.ca_der)}]},
                "validFor": {"start": "2023-01-01T00:00:00Z"}
            }],
            "ctlogs": [],
            "timestampAuthorities": []
        })
        .to_string()
    }
}

/// What a bundle is made of, and what to break.
#[derive(Clone, Copy, Default)]
struct Make {
    dsse: bool,
    integrated_time: Option<i64>,
    no_tlog: bool,
    tamper_signature: bool,
    tamper_payload: bool,
    /// An inclusion proof and checkpoint beside the SET: the entry is leaf 0 of a 6-leaf tree.
    inclusion_proof: bool,
    /// The statement's subjects (name, signed bytes) instead of the one artifact.
    subjects: Option<&'static [(&'static str, &'static [u8])]>,
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn bundle(pki: &Pki, leaf: &(Vec<u8>, KeyPair), artifact: &[u8], make: Make) -> String {
    let (cert, key) = leaf;
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        B64.encode(cert)
    );
    let payload_type = "application/vnd.in-toto+json";
    let subjects = match make.subjects {
        Some(list) => list
            .iter()
            .map(|(name, bytes)| serde_json::json!({"name": name, "digest": {"sha256": hex(&sha256(bytes))}}))
            .collect(),
        None => vec![
            serde_json::json!({"name": "weather-mcp-1.2.3.tgz", "digest": {"sha256": hex(&sha256(artifact))}}),
        ],
    };
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}}}
    })
    .to_string()
    .into_bytes();
    let signed: Vec<u8> = if make.dsse {
        pae(payload_type, &statement)
    } else {
        artifact.to_vec()
    };
    let mut signature = key.sign(&signed).expect("sign");
    // What Rekor logs: a hashedrekord of the artifact, or a dsse entry of the envelope.
    let (kind, body) = if make.dsse {
        (
            "dsse",
            serde_json::json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hex(&sha256(&signed))},
                    "payloadHash": {"algorithm": "sha256", "value": hex(&sha256(&statement))},
                    "signatures": [{"signature": B64.encode(&signature), "verifier": B64.encode(pem.as_bytes())}]
                }
            }),
        )
    } else {
        (
            "hashedrekord",
            serde_json::json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hex(&sha256(&signed))}},
                    "signature": {"content": B64.encode(&signature), "publicKey": {"content": B64.encode(pem.as_bytes())}}
                }
            }),
        )
    };
    let body = body.to_string();
    let spki = pki.log.subject_public_key_info();
    let time = make.integrated_time.unwrap_or(LOGGED);
    let set_payload = serde_json::to_vec(&serde_json::json!({
        "body": B64.encode(body.as_bytes()),
        "integratedTime": time,
        "logID": hex(&sha256(&spki)),
        "logIndex": 42,
    }))
    .expect("json");
    let set = pki.log.sign(&set_payload).expect("sign");
    if make.tamper_signature {
        let last = signature.len() - 2;
        signature[last] ^= 0x01;
    }
    let tlog = if make.no_tlog {
        serde_json::json!([])
    } else if make.inclusion_proof {
        // RFC 6962: leaf = H(0x00 || body), node = H(0x01 || left || right).
        let leaf = |data: &[u8]| sha256(&[&[0u8][..], data].concat());
        let node = |l: &[u8], r: &[u8]| sha256(&[&[1u8][..], l, r].concat());
        let leaves: Vec<Vec<u8>> = std::iter::once(leaf(body.as_bytes()))
            .chain((1..6).map(|i| leaf(format!("entry {i}").as_bytes())))
            .collect();
        let n01 = node(&leaves[0], &leaves[1]);
        let n23 = node(&leaves[2], &leaves[3]);
        let n45 = node(&leaves[4], &leaves[5]);
        let root = node(&node(&n01, &n23), &n45);
        let note = format!("rekor.test - 1\n6\n{}\n", B64.encode(&root));
        let mut signed_note = sha256(&spki)[..4].to_vec();
        signed_note.extend(pki.log.sign(note.as_bytes()).expect("sign"));
        let checkpoint = format!("{note}\n\u{2014} rekor.test {}\n", B64.encode(&signed_note));
        serde_json::json!([{
            "logIndex": "42",
            "logId": {"keyId": B64.encode(sha256(&spki))},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": B64.encode(&root),
                "treeSize": "6",
                "hashes": [B64.encode(&leaves[1]), B64.encode(&n23), B64.encode(&n45)],
                "checkpoint": {"envelope": checkpoint}
            },
            "canonicalizedBody": B64.encode(body.as_bytes())
        }])
    } else {
        serde_json::json!([{
            "logIndex": "42",
            "logId": {"keyId": B64.encode(sha256(&spki))},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
            "canonicalizedBody": B64.encode(body.as_bytes())
        }])
    };
    let mut doc = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {
            "x509CertificateChain": {"certificates": [{"rawBytes": B64.encode(cert)}]},
            "tlogEntries": tlog
        }
    });
    if make.dsse {
        let mut payload = statement.clone();
        if make.tamper_payload {
            let text = String::from_utf8(payload).expect("utf-8");
            payload = text
                .replace("weather-mcp-1.2.3.tgz", "weather-mcp-6.6.6.tgz")
                .into_bytes();
        }
        doc["dsseEnvelope"] = serde_json::json!({
            "payload": B64.encode(&payload),
            "payloadType": payload_type,
            "signatures": [{"sig": B64.encode(&signature), "keyid": ""}]
        });
    } else {
        doc["messageSignature"] = serde_json::json!({
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(sha256(artifact))},
            "signature": B64.encode(&signature)
        });
    }
    doc.to_string()
}

/// Verify `bundle_json` for `artifact` under the PKI's root (or `root`), with the identity policy.
fn check(
    root: &str,
    bundle_json: &str,
    artifact: &[u8],
    identity: &str,
    issuer: &str,
) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tmp");
    let root_path = dir.path().join("trusted_root.json");
    std::fs::write(&root_path, root).expect("write");
    let root = verify::trusted_root(Some(&root_path), &chainward_core::command::DISK)?;
    let verifier = verify::verifier(&root)?;
    let policy = Policy {
        identity: Some(identity.to_string()),
        issuer: Some(issuer.to_string()),
        source_uri: Some("github.com/acme/weather-mcp".into()),
        source_ref: Some("refs/tags/v*".into()),
        ignore_sct: true,
        ..Policy::default()
    };
    let reports = verify::verify_all(
        &verifier,
        &Subject::Bytes(artifact.to_vec()),
        bundle_json,
        &policy,
        &[],
    )?;
    if let Some(f) = reports.into_iter().find_map(|r| r.failure) {
        return Err(f);
    }
    Ok(())
}

#[test]
fn a_test_pki_signs_and_every_forgery_is_rejected() {
    let pki = Pki::new();
    let root = pki.trusted_root(&pki.log);
    let leaf = pki.leaf(IDENTITY, ISSUER);
    let artifact = b"weather-mcp 1.2.3 tarball bytes".to_vec();

    for dsse in [false, true] {
        let good = bundle(
            &pki,
            &leaf,
            &artifact,
            Make {
                dsse,
                ..Make::default()
            },
        );
        check(&root, &good, &artifact, IDENTITY, ISSUER)
            .unwrap_or_else(|e| panic!("dsse={dsse}: a good bundle must verify: {e}"));

        let expect = |what: &str, result: Result<(), String>, needle: &str| {
            let e = result.expect_err(what);
            assert!(
                e.to_lowercase().contains(needle),
                "dsse={dsse}, {what}: {e}"
            );
        };
        expect(
            "wrong artifact",
            check(&root, &good, b"other bytes", IDENTITY, ISSUER),
            "mismatch",
        );
        expect(
            "wrong identity",
            check(
                &root,
                &good,
                &artifact,
                "https://github.com/evil/x/.github/workflows/r.yml@refs/tags/v1",
                ISSUER,
            ),
            "identity mismatch",
        );
        expect(
            "wrong issuer",
            check(
                &root,
                &good,
                &artifact,
                IDENTITY,
                "https://accounts.google.com",
            ),
            "issuer mismatch",
        );
        let late = bundle(
            &pki,
            &leaf,
            &artifact,
            Make {
                dsse,
                integrated_time: Some(LATE),
                ..Make::default()
            },
        );
        expect(
            "certificate expired at log time",
            check(&root, &late, &artifact, IDENTITY, ISSUER),
            "expired",
        );
        let tampered = bundle(
            &pki,
            &leaf,
            &artifact,
            Make {
                dsse,
                tamper_signature: true,
                ..Make::default()
            },
        );
        expect(
            "tampered signature",
            check(&root, &tampered, &artifact, IDENTITY, ISSUER),
            "signature invalid",
        );
        let other_log = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        expect(
            "wrong log key",
            check(
                &pki.trusted_root(&other_log),
                &good,
                &artifact,
                IDENTITY,
                ISSUER,
            ),
            "no log key valid",
        );
        let untracked = bundle(
            &pki,
            &leaf,
            &artifact,
            Make {
                dsse,
                no_tlog: true,
                ..Make::default()
            },
        );
        expect(
            "missing tlog entry",
            check(&root, &untracked, &artifact, IDENTITY, ISSUER),
            "inclusion promise",
        );
    }
    let forged = bundle(
        &pki,
        &leaf,
        &artifact,
        Make {
            dsse: true,
            tamper_payload: true,
            ..Make::default()
        },
    );
    let e = check(&root, &forged, &artifact, IDENTITY, ISSUER).expect_err("tampered DSSE payload");
    assert!(e.contains("DSSE signature verification failed"), "{e}");
    // A leaf from another CA is not trusted.
    let stranger = Pki::new();
    let foreign = bundle(
        &pki,
        &stranger.leaf(IDENTITY, ISSUER),
        &artifact,
        Make::default(),
    );
    let e = check(&root, &foreign, &artifact, IDENTITY, ISSUER).expect_err("foreign CA");
    assert!(e.contains("certificate chain is invalid"), "{e}");

    // End to end: the command line, with the trusted root as a file.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("trusted_root.json"), &root).expect("write");
    std::fs::write(dir.path().join("app.tgz"), &artifact).expect("write");
    std::fs::write(
        dir.path().join("app.tgz.sigstore.json"),
        bundle(
            &pki,
            &leaf,
            &artifact,
            Make {
                dsse: true,
                ..Make::default()
            },
        ),
    )
    .expect("write");
    let args = [
        "provenance",
        "verify",
        "app.tgz",
        "--bundle",
        "app.tgz.sigstore.json",
        "--trusted-root",
        "trusted_root.json",
        "--insecure-ignore-sct",
        "--source-uri",
        "github.com/acme/weather-mcp",
        "--workflow",
        ".github/workflows/release.yml",
        "--builder-id",
        "https://github.com/actions/runner/github-hosted",
    ];
    let out = crate::common::run(dir.path(), &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Verified ✓"), "{}", out.stdout);
    // Without --insecure-ignore-sct the missing SCT is a failure, named.
    let mut without_sct_flag = args[..7].to_vec();
    without_sct_flag.extend(["--source-uri", "github.com/acme/weather-mcp"]);
    let strict = crate::common::run(dir.path(), &without_sct_flag);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert!(
        strict.stdout.to_lowercase().contains("sct"),
        "{}",
        strict.stdout
    );
}

/// `--package-name` / `--package-version` bind to the subject whose digest is the artifact's:
/// a statement signing `good.tgz` as `pkg:npm/good@1.0.0` and `evil.tgz` as
/// `pkg:npm/evil@2.0.0` does not make `evil.tgz` good@1.0.0, nor name and version come from two
/// subjects.
#[test]
fn the_package_policy_binds_to_the_subject_that_matched() {
    const GOOD: &[u8] = b"good 1.0.0 tarball";
    const EVIL: &[u8] = b"evil 2.0.0 tarball";
    const SUBJECTS: &[(&str, &[u8])] =
        &[("pkg:npm/good@1.0.0", GOOD), ("pkg:npm/evil@2.0.0", EVIL)];
    let pki = Pki::new();
    let root = pki.trusted_root(&pki.log);
    let leaf = pki.leaf(IDENTITY, ISSUER);
    let signed = bundle(
        &pki,
        &leaf,
        GOOD,
        Make {
            dsse: true,
            subjects: Some(SUBJECTS),
            ..Make::default()
        },
    );
    let dir = tempfile::tempdir().expect("tmp");
    let root_path = dir.path().join("trusted_root.json");
    std::fs::write(&root_path, &root).expect("write");
    let root =
        verify::trusted_root(Some(&root_path), &chainward_core::command::DISK).expect("root");
    let verifier = verify::verifier(&root).expect("verifier");
    let check = |artifact: &[u8], name: &str, version: &str| -> Option<String> {
        let policy = Policy {
            identity: Some(IDENTITY.to_string()),
            issuer: Some(ISSUER.to_string()),
            package_name: Some(name.to_string()),
            package_version: Some(version.to_string()),
            ignore_sct: true,
            ..Policy::default()
        };
        let reports = verify::verify_all(
            &verifier,
            &Subject::Bytes(artifact.to_vec()),
            &signed,
            &policy,
            &[],
        )
        .expect("readable");
        reports.into_iter().find_map(|r| r.failure)
    };
    assert_eq!(check(GOOD, "good", "1.0.0"), None);
    assert_eq!(check(EVIL, "evil", "2.0.0"), None);
    let e = check(EVIL, "good", "1.0.0").expect("evil.tgz as good@1.0.0");
    assert!(e.contains("not --package-name good"), "{e}");
    let e = check(EVIL, "evil", "1.0.0").expect("evil.tgz as evil@1.0.0");
    assert!(e.contains("not --package-version 1.0.0"), "{e}");
    let e = check(GOOD, "good", "2.0.0").expect("name and version from two subjects");
    assert!(e.contains("not --package-version 2.0.0"), "{e}");
    // The digest form of the artifact binds the same way.
    let digest = format!("sha256:{}", hex(&sha256(EVIL)));
    let policy = Policy {
        identity: Some(IDENTITY.to_string()),
        issuer: Some(ISSUER.to_string()),
        package_name: Some("good".to_string()),
        ignore_sct: true,
        ..Policy::default()
    };
    let reports = verify::verify_all(
        &verifier,
        &Subject::digest(&digest).expect("digest"),
        &signed,
        &policy,
        &[],
    )
    .expect("readable");
    assert!(reports.iter().all(|r| !r.verified()), "{reports:?}");
}

/// An inclusion proof's `treeSize` is not signed; the checkpoint's is. A Merkle path for leaf 0
/// of a 6-leaf tree also hashes to the same root for tree sizes 5, 7 and 8, so the proof must be
/// for the checkpoint's tree size.
#[test]
fn inclusion_proofs_are_for_the_signed_tree_size() {
    let pki = Pki::new();
    let root = pki.trusted_root(&pki.log);
    let leaf = pki.leaf(IDENTITY, ISSUER);
    let artifact = b"weather-mcp 1.2.3 tarball bytes".to_vec();
    let good = bundle(
        &pki,
        &leaf,
        &artifact,
        Make {
            dsse: true,
            inclusion_proof: true,
            ..Make::default()
        },
    );
    check(&root, &good, &artifact, IDENTITY, ISSUER).expect("the proof for the signed tree size");
    let doc: serde_json::Value = serde_json::from_str(&good).expect("json");
    for size in ["5", "7", "8"] {
        let mut edited = doc.clone();
        edited["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["treeSize"] =
            serde_json::json!(size);
        let e = check(&root, &edited.to_string(), &artifact, IDENTITY, ISSUER)
            .expect_err("an edited treeSize");
        assert!(e.contains("treeSize"), "{size}: {e}");
    }
}
