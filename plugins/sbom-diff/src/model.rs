//! The SBOM as chainward sees it, whatever it was read from or will be written as: the root
//! component, one component per locked package, and the dependency graph. Generated from a
//! lockfile ([`crate::generate`]), written as CycloneDX or SPDX, and read back from either for
//! `sbom diff`.

use chainward_core::escape::percent_encode;

/// A bill of materials.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sbom {
    /// The project itself (CycloneDX `metadata.component`, SPDX `DESCRIBES`).
    pub root: Option<Component>,
    /// Every other component, workspaces included, sorted by `bom_ref`.
    pub components: Vec<Component>,
    /// `bom_ref` → the `bom_ref`s it depends on (sorted, without duplicates).
    pub dependencies: Vec<(String, Vec<String>)>,
    /// Known vulnerabilities of the components, from an advisory database (CycloneDX
    /// `vulnerabilities`; written only when there is a database). Not read back.
    pub vulnerabilities: Vec<Vulnerability>,
}

impl Sbom {
    /// Add `component` (the project itself when `root`) and its edges to `deps` (bom-refs,
    /// sorted and deduplicated here).
    pub(crate) fn add(&mut self, component: Component, mut deps: Vec<String>, root: bool) {
        deps.sort();
        deps.dedup();
        self.dependencies.push((component.bom_ref.clone(), deps));
        if root {
            self.root = Some(component);
        } else {
            self.components.push(component);
        }
    }

    /// Components and edges in their document order (by bom-ref).
    pub(crate) fn sorted(mut self) -> Sbom {
        self.components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        self.dependencies.sort();
        self
    }
}

/// One advisory and the components it affects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vulnerability {
    /// `GHSA-xvch-5gv4-984h`, `MAL-2025-46974`.
    pub id: String,
    pub aliases: Vec<String>,
    pub url: String,
    pub description: String,
    pub grade: Option<chainward_core::advisory::Grade>,
    /// A CVSS v3 vector, with its base score.
    pub cvss: Option<(String, f64)>,
    /// Malicious code (CWE-506), not a flaw.
    pub malicious: bool,
    /// `(bom_ref, version)` of each affected component.
    pub affects: Vec<(String, String)>,
    /// Versions that fix it.
    pub fixed: Vec<String>,
}

/// One package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Component {
    /// Unique within the document.
    pub bom_ref: String,
    /// The full npm name, scope included (`@acme/x`).
    pub name: String,
    pub version: String,
    /// `pkg:npm/%40acme/x@1.2.3`, with `vcs_url`/`download_url` qualifiers for packages that
    /// do not come from a registry.
    pub purl: String,
    /// `(algorithm as CycloneDX names it, lowercase hex)`: `("SHA-512", "…")`.
    pub hashes: Vec<(String, String)>,
    /// yarn berry's `checksum` (`10c0/<sha512 hex>`): a hash of yarn's zip of the package, not
    /// of the registry tarball, so it is kept apart from `hashes` (property
    /// `chainward:yarn:checksum`) and compared only with another one.
    pub yarn_checksum: Option<String>,
    /// The declared licence: an SPDX expression when it is one, else its text as a name.
    pub license: Option<License>,
    /// Where the tarball (or repository) comes from.
    pub distribution: Option<String>,
    /// Every distribution file with its own hashes, where a package has several (Python: the
    /// sdist and each wheel, as uv.lock records them): `(url, [(algorithm, hex)])`.
    pub distributions: Vec<(String, Vec<(String, String)>)>,
    pub scope: Scope,
    /// Only needed to develop the project (`devDependencies`, transitively).
    pub dev: bool,
    /// The install path (npm) or lockfile key the component comes from.
    pub path: Option<String>,
    /// Whether it runs install scripts, where known.
    pub has_install_script: Option<bool>,
    /// `application` for the project and its workspaces, `library` for packages.
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    Application,
    #[default]
    Library,
}

/// CycloneDX's component scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Needed at run time.
    #[default]
    Required,
    /// Installed only where it can be (optional dependencies).
    Optional,
    /// Not part of what ships (dev dependencies).
    Excluded,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Excluded => "excluded",
        }
    }
}

/// A declared licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    /// One SPDX licence id (`MIT`).
    Id(String),
    /// An SPDX expression (`MIT OR Apache-2.0`).
    Expression(String),
    /// Anything else, as written (`SEE LICENSE IN LICENSE.md`, `UNLICENSED`).
    Name(String),
}

impl License {
    /// Classify a licence string as npm records it, with the `spdx` crate (lax parsing, as
    /// npm's own validation accepts `/` for `OR` and common misspellings are not ids).
    pub fn parse(text: &str) -> Option<License> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let strip = text
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(text);
        if spdx::license_id(strip).is_some() {
            return Some(License::Id(strip.to_string()));
        }
        match spdx::Expression::parse_mode(text, spdx::ParseMode::STRICT) {
            Ok(_) => Some(License::Expression(text.to_string())),
            Err(_) => Some(License::Name(text.to_string())),
        }
    }

    pub fn text(&self) -> &str {
        match self {
            License::Id(s) | License::Expression(s) | License::Name(s) => s,
        }
    }
}

/// `name` → `(Some("@scope"), "name")` for scoped names, as CycloneDX's `group`.
pub fn group_and_name(full: &str) -> (Option<&str>, &str) {
    match full.strip_prefix('@').and_then(|s| s.split_once('/')) {
        Some((scope, name)) => (Some(&full[..scope.len() + 1]), name),
        None => (None, full),
    }
}

/// The package URL of an npm package: `pkg:npm/%40scope/name@version`, with a qualifier
/// saying where it comes from when that is not a registry.
pub fn purl(full_name: &str, version: &str, source: Option<&Source>) -> String {
    let (group, name) = group_and_name(full_name);
    let mut out = String::from("pkg:npm/");
    if let Some(g) = group {
        out.push_str(&percent_encode(g));
        out.push('/');
    }
    out.push_str(&percent_encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&percent_encode(version));
    }
    match source {
        Some(Source::Git(url)) => {
            out.push_str("?vcs_url=");
            out.push_str(&percent_encode(url));
        }
        Some(Source::Url(url)) => {
            out.push_str("?download_url=");
            out.push_str(&percent_encode(url));
        }
        _ => {}
    }
    out
}

/// Where a package comes from, as far as the purl and the diff care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A registry tarball (the URL, when the lockfile records it).
    Registry(Option<String>),
    /// A git repository.
    Git(String),
    /// A tarball URL that is not a registry's, or a local file.
    Url(String),
}

impl Source {
    pub fn of(resolved: Option<&str>) -> Source {
        let Some(url) = resolved else {
            return Source::Registry(None);
        };
        let bare = url.split('#').next().unwrap_or(url);
        if url.starts_with("git")
            || url.starts_with("github:")
            || url.starts_with("https://codeload.github.com/")
        {
            Source::Git(url.to_string())
        } else if (bare.starts_with("https://") || bare.starts_with("http://"))
            && bare.contains("/-/")
            && bare.ends_with(".tgz")
        {
            Source::Registry(Some(bare.to_string()))
        } else if bare.starts_with("https://") || bare.starts_with("http://") {
            // bun records a custom registry's base URL, yarn berry `npm:` references: both
            // registries; a bare tarball URL elsewhere is a download.
            if bare.ends_with(".tgz") || bare.ends_with(".tar.gz") {
                Source::Url(url.to_string())
            } else {
                Source::Registry(None)
            }
        } else {
            Source::Url(url.to_string())
        }
    }
}

/// SRI integrity (`sha512-<base64> sha1-<base64>`) → CycloneDX hashes (algorithm, hex).
pub fn hashes(integrity: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let mut out = Vec::new();
    for part in integrity.split_whitespace() {
        let Some((alg, b64)) = part.split_once('-') else {
            continue;
        };
        let name = match alg {
            "sha512" => "SHA-512",
            "sha384" => "SHA-384",
            "sha256" => "SHA-256",
            "sha1" => "SHA-1",
            _ => continue,
        };
        let b64 = b64.split('?').next().unwrap_or(b64);
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            let mut hex = String::with_capacity(bytes.len() * 2);
            for b in bytes {
                hex.push(char::from(DIGITS[usize::from(b >> 4)]));
                hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
            }
            out.push((name.to_string(), hex));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_encode_the_scope_and_qualify_non_registry_sources() {
        assert_eq!(purl("@acme/x", "1.0.0", None), "pkg:npm/%40acme/x@1.0.0");
        assert_eq!(purl("ms", "2.1.3", None), "pkg:npm/ms@2.1.3");
        assert_eq!(purl("a", "1.0.0-rc.1+b", None), "pkg:npm/a@1.0.0-rc.1%2Bb");
        assert_eq!(
            purl(
                "x",
                "1.0.0",
                Some(&Source::Git("git+https://github.com/o/x.git#abc".into()))
            ),
            "pkg:npm/x@1.0.0?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fo%2Fx.git%23abc"
        );
    }

    #[test]
    fn integrity_decodes_to_hex() {
        let h = hashes("sha1-AAECAwQFBgcICQoLDA0ODxAREhM= sha512-bad!");
        assert_eq!(
            h,
            vec![(
                "SHA-1".to_string(),
                "000102030405060708090a0b0c0d0e0f10111213".to_string()
            )]
        );
    }

    #[test]
    fn licences_are_classified_with_spdx() {
        assert_eq!(License::parse("MIT"), Some(License::Id("MIT".into())));
        assert_eq!(
            License::parse("(MIT OR Apache-2.0)"),
            Some(License::Expression("(MIT OR Apache-2.0)".into()))
        );
        assert_eq!(
            License::parse("SEE LICENSE IN x"),
            Some(License::Name("SEE LICENSE IN x".into()))
        );
        assert_eq!(License::parse(" "), None);
    }
}
