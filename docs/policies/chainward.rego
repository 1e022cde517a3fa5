# A release gate on chainward's attestation (`chainward check --format in-toto --timestamp`):
# OPA 1.x / Rego v1, deny by default. `input` is the in-toto Statement taken from the verified
# attestation (the DSSE payload of the bundle cosign or `gh attestation verify` checked, base64-
# decoded): not a file lying beside it, which anyone who can write there could replace.
#
#   opa eval --fail-defined -d chainward.rego -i statement.json 'data.chainward.deny[x]'
#
# Settings (optional), under data.chainward_policy:
#   max_age_days   how old the check may be (default 7)
#   allow_skipped  attributes that may be SKIPPED, e.g. ["chainward/dep-trust"] when the
#                  pipeline does not run --online (default: none; a SKIPPED plugin denies)
package chainward

import rego.v1

predicate_type := "https://in-toto.io/attestation/scai/v0.3"

default max_age_days := 7

max_age_days := data.chainward_policy.max_age_days

default allow_skipped := []

allow_skipped := data.chainward_policy.allow_skipped

day_ns := ((24 * 60) * 60) * 1000000000

# Results that pass: findings below error severity, or nothing of the plugin's kind here.
passing := {"PASSED", "WARNED", "NOT_APPLICABLE"}

statement_type := object.get(input, "_type", "<missing>")

deny contains msg if {
	statement_type != "https://in-toto.io/Statement/v1"
	msg := sprintf("not an in-toto Statement v1: _type is %v", [statement_type])
}

given_predicate_type := object.get(input, "predicateType", "<missing>")

deny contains msg if {
	given_predicate_type != predicate_type
	msg := sprintf("not a chainward SCAI attestation: predicateType is %v", [given_predicate_type])
}

predicate := object.get(input, "predicate", {})

producer := object.get(predicate, "producer", {})

deny contains msg if {
	name := object.get(producer, "name", "<missing>")
	name != "chainward"
	msg := sprintf("produced by %v, not chainward", [name])
}

deny contains "the attestation names no subject (no file was checked)" if {
	count(object.get(input, "subject", [])) == 0
}

attributes := object.get(predicate, "attributes", [])

deny contains "the attestation has no attributes (no plugin ran)" if {
	count(attributes) == 0
}

# Any attribute whose result is not a passing one: FAILED (an error-severity finding), SKIPPED
# (the plugin could not judge) unless allowed, or anything unknown.
deny contains msg if {
	some attribute in attributes
	conditions := object.get(attribute, "conditions", {})
	result := object.get(conditions, "result", "<missing>")
	not result in passing
	not skipped_allowed(attribute, result)
	rules := [r | some r in object.get(conditions, "rules", []); is_string(r)]
	msg := sprintf("%v %v: %v", [
		object.get(attribute, "attribute", "<unnamed>"),
		result,
		object.get(conditions, "reason", concat(", ", rules)),
	])
}

skipped_allowed(attribute, result) if {
	result == "SKIPPED"
	attribute.attribute in allow_skipped
}

checked_at := object.get(object.get(producer, "annotations", {}), "checkedAt", null)

deny contains "the attestation does not say when the check ran (chainward check --timestamp)" if {
	checked_at == null
}

# Checked before parsing: OPA makes a failed parse undefined, other engines an error.
rfc3339 := `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

checked_ns := time.parse_rfc3339_ns(checked_at) if {
	is_string(checked_at)
	regex.match(rfc3339, checked_at)
}

deny contains msg if {
	checked_at != null
	not checked_ns
	msg := sprintf("checkedAt is not an RFC 3339 time: %v", [checked_at])
}

deny contains "checkedAt is in the future" if {
	checked_ns > time.now_ns() + ((5 * 60) * 1000000000)
}

deny contains "data.chainward_policy.max_age_days must be a number" if {
	not is_number(max_age_days)
}

deny contains msg if {
	is_number(max_age_days)
	age := time.now_ns() - checked_ns
	age > max_age_days * day_ns
	msg := sprintf("the check ran %v days ago; at most %v are accepted", [floor(age / day_ns), max_age_days])
}

default allow := false

allow if count(deny) == 0
