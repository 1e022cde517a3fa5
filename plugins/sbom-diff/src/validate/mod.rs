//! `chainward sbom validate`: the structure of a CycloneDX (1.2–1.7) or SPDX (2.2/2.3) JSON
//! document, checked without a schema file, with errors that point at the value (JSON pointer and
//! byte span, so line and column): what the official schemas require of the parts an SBOM
//! consumer relies on (formats, enums, hash digests, licence ids and expressions, serial numbers,
//! timestamps), and what they cannot say (bom-refs unique, every dependency ref defined, every
//! SPDX relationship naming a known element).

use std::ops::Range;

use chainward_core::json::{self, Json};

/// One problem: where (JSON pointer and span) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub span: Range<usize>,
    pub message: String,
}

/// What was validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    CycloneDx(String),
    Spdx(String),
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, pointer: &str, node: &Json, message: impl Into<String>) {
        self.problems.push(Problem {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.to_string()
            },
            span: node.span.clone(),
            message: message.into(),
        });
    }

    fn string<'a>(
        &mut self,
        parent: &'a Json,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        let pointer = format!("{at}/{key}");
        match parent.get(key) {
            Some(v) => match v.as_str() {
                Some(s) => Some(s),
                None => {
                    self.push(
                        &pointer,
                        v,
                        format!("`{key}` must be a string, not {}", v.type_name()),
                    );
                    None
                }
            },
            None => {
                if required {
                    self.push(at, parent, format!("`{key}` is required"));
                }
                None
            }
        }
    }

    fn array<'a>(&mut self, parent: &'a Json, at: &str, key: &str) -> &'a [Json] {
        match parent.get(key) {
            Some(v) => match v.as_array() {
                Some(a) => a,
                None => {
                    self.push(
                        &format!("{at}/{key}"),
                        v,
                        format!("`{key}` must be an array, not {}", v.type_name()),
                    );
                    &[]
                }
            },
            None => &[],
        }
    }

    fn one_of(&mut self, parent: &Json, at: &str, key: &str, allowed: &[&str], required: bool) {
        if let Some(value) = self.string(parent, at, key, required)
            && !allowed.contains(&value)
        {
            let node = parent.get(key).unwrap_or(parent);
            self.push(
                &format!("{at}/{key}"),
                node,
                format!("`{value}` is not one of: {}", allowed.join(", ")),
            );
        }
    }
}

/// RFC 3339 `date-time` (`2026-11-29T10:00:00Z`, fractions and offsets allowed).
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex digits of a digest, by algorithm (CycloneDX names).
fn digest_len(alg: &str) -> Option<usize> {
    Some(match alg {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" => 64,
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => 96,
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" => 128,
        "BLAKE3" => return None,
        _ => return None,
    })
}

/// Validate a document. `Err` when it is not JSON or not an SBOM at all.
pub fn validate(text: &str) -> Result<(Kind, Vec<Problem>), Problem> {
    let doc = json::parse(text).map_err(|e| Problem {
        pointer: "/".into(),
        span: e.span,
        message: format!("not JSON: {}", e.message),
    })?;
    let mut c = Checker {
        problems: Vec::new(),
    };
    if doc.as_object().is_none() {
        return Err(Problem {
            pointer: "/".into(),
            span: doc.span.clone(),
            message: format!("an SBOM is a JSON object, not {}", doc.type_name()),
        });
    }
    if doc.get("bomFormat").is_some() {
        let version = cyclonedx::cyclonedx(&mut c, &doc);
        return Ok((Kind::CycloneDx(version), c.problems));
    }
    if doc.get("spdxVersion").is_some() {
        let version = spdx::spdx(&mut c, &doc);
        return Ok((Kind::Spdx(version), c.problems));
    }
    Err(Problem {
        pointer: "/".into(),
        span: doc.span.clone(),
        message: "neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON".into(),
    })
}

mod cyclonedx;
mod spdx;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times() {
        for ok in [
            "2026-11-29T10:00:00Z",
            "2020-04-13T20:20:39+00:00",
            "2020-04-13T20:20:39.123Z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2020-04-13",
            "2020-13-01T00:00:00Z",
            "2020-04-13T20:20:39",
            "x",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn problems_point_at_the_value() {
        let text = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","hashes":[{"alg":"SHA-512","content":"zz"}]}],"dependencies":[{"ref":"nope"}]}"#;
        let (kind, problems) = validate(text).expect("an SBOM");
        assert_eq!(kind, Kind::CycloneDx("1.6".into()));
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/components/0/hashes/0/content", "/dependencies/0/ref"]
        );
        assert_eq!(&text[problems[0].span.clone()], "\"zz\"");
    }
}
