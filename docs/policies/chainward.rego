# A release gate on chainward's attestation (`chainward check --format in-toto --timestamp`):
# OPA 1.x / Rego v1. `input` is the in-toto Statement (the DSSE payload of the signed
# attestation, base64-decoded, or the file chainward wrote); the signature is checked before this
# runs (cosign verify-blob-attestation, gh attestation verify).
#
#   opa eval -d chainward.rego -i statement.json 'data.chainward.deny'
#
# Settings (optional) under data.chainward_policy: max_age_days (default 7).
package chainward

import rego.v1

predicate_type := "https://in-toto.io/attestation/scai/v0.3"

default max_age_days := 7

max_age_days := data.chainward_policy.max_age_days

day_ns := ((24 * 60) * 60) * 1000000000

deny contains msg if {
	input._type != "https://in-toto.io/Statement/v1"
	msg := sprintf("not an in-toto Statement v1: _type is %v", [input._type])
}

deny contains msg if {
	input.predicateType != predicate_type
	msg := sprintf("not a chainward SCAI attestation: predicateType is %v", [input.predicateType])
}

deny contains msg if {
	input.predicate.producer.name != "chainward"
	msg := sprintf("produced by %v, not chainward", [input.predicate.producer.name])
}

deny contains "the attestation names no subject (no file was checked)" if {
	count(object.get(input, "subject", [])) == 0
}

deny contains "the attestation has no attributes (no plugin ran)" if {
	count(object.get(input.predicate, "attributes", [])) == 0
}

# Any plugin with an error-severity finding.
deny contains msg if {
	some attribute in input.predicate.attributes
	attribute.conditions.result == "FAILED"
	msg := sprintf("%v FAILED: %v error(s): %v", [
		attribute.attribute,
		attribute.conditions.counts.error,
		concat(", ", attribute.conditions.rules),
	])
}

deny contains "the attestation does not say when the check ran (chainward check --timestamp)" if {
	not input.predicate.producer.annotations.checkedAt
}

deny contains msg if {
	checked := time.parse_rfc3339_ns(input.predicate.producer.annotations.checkedAt)
	age := time.now_ns() - checked
	age > max_age_days * day_ns
	msg := sprintf("the check ran %v days ago; at most %v are accepted", [floor(age / day_ns), max_age_days])
}

default allow := false

allow if count(deny) == 0
