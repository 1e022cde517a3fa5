//! Sigstore bundles (v0.1-v0.3), npm attestations responses, `.intoto.jsonl` lines, bare DSSE
//! envelopes and their in-toto statements: read as `provenance verify` reads them, then through
//! the verifier against a digest (the crypto fails fast on fuzzed input; the parsing before it is
//! the target), and as a `*.sigstore.json` found by `check`.
#![no_main]

use std::sync::OnceLock;

use chainward_core::project::FileKind;
use provenance::verify::{self, Policy, Subject};

fn verifier() -> &'static sigstore_verify::Verifier {
    static V: OnceLock<sigstore_verify::Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let root = verify::trusted_root(None, &chainward_core::command::DISK).expect("embedded root");
        verify::verifier(&root).expect("verifier")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chainward_fuzz::one_thread();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(proofs) = verify::bundles(text) {
        let subject = Subject::digest(&format!("sha256:{}", "ab".repeat(32))).expect("digest");
        let policy = Policy {
            source_uri: Some("github.com/a/b".into()),
            builder_id: Some("https://github.com/actions/runner/github-hosted".into()),
            package_name: Some("@a/b".into()),
            ..Policy::default()
        };
        for proof in &proofs {
            let _ = verify::verify(verifier(), &subject, proof, &policy, &[]);
        }
    }
    chainward_fuzz::one(
        data,
        "dist/app.tgz.sigstore.json",
        FileKind::ProvenanceBundle,
        &[],
    );
});
