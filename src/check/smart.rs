//! SMART App Launch discovery, as the kit's `smart_discovery` tests and the CARIN IG (§6)
//! check it: the well-known document, its endpoints, capabilities, PKCE and scopes, and the
//! CapabilityStatement's security extension naming the same endpoints.

use serde_json::Value;

use super::report::{Check, Group};
use super::transport::Reply;
use super::Checker;

/// The SMART capabilities the CARIN IG requires (SMART App Launch 1.0.0 names).
pub const CARIN_CAPABILITIES: [&str; 8] = [
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "sso-openid-connect",
    "context-standalone-patient",
    "permission-offline",
    "permission-patient",
    "permission-user",
];

/// The scopes the IG says a server SHALL support at minimum (patient level; v1 names).
pub const CARIN_SCOPES: [&str; 8] = [
    "openid",
    "fhirUser",
    "launch/patient",
    "patient/ExplanationOfBenefit.read",
    "patient/Coverage.read",
    "patient/Patient.read",
    "patient/Organization.read",
    "patient/Practitioner.read",
];

/// The well-known keys and the oauth-uris sub-extension names that must agree.
const ENDPOINT_PAIRS: [(&str, &str); 6] = [
    ("authorization_endpoint", "authorize"),
    ("token_endpoint", "token"),
    ("introspection_endpoint", "introspect"),
    ("management_endpoint", "manage"),
    ("registration_endpoint", "register"),
    ("revocation_endpoint", "revoke"),
];

const OAUTH_URIS: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

/// Runs the discovery checks; the well-known document when there is one. `needed` is true when
/// the chosen sign-in needs discovery (then its absence fails instead of skipping).
pub fn run(c: &mut Checker<'_>, metadata: Option<&Value>, needed: bool) -> (Group, Option<Value>) {
    let mut group = Group::new("smart", "SMART on FHIR discovery");
    let url = c.url(".well-known/smart-configuration");
    let mut fetch = Check::new(
        "smart.well-known",
        "GET .well-known/smart-configuration answers 200 with JSON",
        true,
    );
    let reply = c.fetch(&mut fetch, &url, false);
    let doc = match reply {
        Some(Reply { status: 200, .. }) => reply.as_ref().and_then(|r| {
            let ct = r.header("content-type").unwrap_or_default();
            if !ct.starts_with("application/json") {
                fetch.fail(format!(
                    "Content-Type is {ct:?}, not application/json (the SMART kit checks it)"
                ));
            }
            match r.json() {
                Some(v) if v.is_object() => Some(v),
                _ => {
                    fetch.fail("the body is not a JSON object");
                    None
                }
            }
        }),
        Some(Reply { status, .. }) if !needed && (status == 404 || status == 401) => {
            fetch.checks_skipped(status);
            group.checks.push(fetch);
            return (group, None);
        }
        Some(Reply {
            status, ref body, ..
        }) => {
            fetch.fail(format!(
                "answered {status}: {}",
                crate::client::fhir::fhir_error_text(body)
            ));
            None
        }
        None => None,
    };
    group.checks.push(fetch);
    let Some(doc) = doc else {
        return (group, None);
    };
    let strings = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };

    let mut fields = Check::new(
        "smart.endpoints",
        "authorization_endpoint, token_endpoint (strings) and capabilities (array)",
        true,
    );
    for k in ["authorization_endpoint", "token_endpoint"] {
        if !doc[k].is_string() {
            fields.fail(format!("{k} is missing or not a string"));
        }
    }
    if !doc["capabilities"].is_array() {
        fields.fail("capabilities is missing or not an array");
    }
    group.checks.push(fields);

    let mut caps = Check::new(
        "smart.capabilities",
        "capabilities include the 8 SMART capabilities the CARIN IG requires",
        true,
    );
    let have = strings("capabilities");
    let missing: Vec<&str> = CARIN_CAPABILITIES
        .into_iter()
        .filter(|c| !have.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        caps.fail(format!("missing: {}", missing.join(", ")));
    }
    group.checks.push(caps);

    let mut pkce = Check::new(
        "smart.pkce",
        "code_challenge_methods_supported includes S256 (and not plain)",
        true,
    );
    let methods = strings("code_challenge_methods_supported");
    if !methods.iter().any(|m| m == "S256") {
        pkce.fail(format!(
            "code_challenge_methods_supported is {methods:?}: no S256"
        ));
    }
    if methods.iter().any(|m| m == "plain") {
        pkce.warn("the plain method is offered (SMART 2.0 says it SHALL NOT be)");
    }
    group.checks.push(pkce);

    let mut scopes = Check::new(
        "smart.scopes",
        "scopes_supported is published and lists the CARIN scopes",
        true,
    );
    if !doc["scopes_supported"].is_array() {
        scopes.fail("scopes_supported is missing (the CARIN IG requires it)");
    } else {
        let have = strings("scopes_supported");
        let missing: Vec<&str> = CARIN_SCOPES
            .into_iter()
            .filter(|s| !have.iter().any(|h| h == s || covers_v2(h, s)))
            .collect();
        if !missing.is_empty() {
            scopes.warn(format!("not listed: {}", missing.join(", ")));
        }
    }
    group.checks.push(scopes);

    let mut security = Check::new(
        "smart.capability-security",
        "the CapabilityStatement names SMART-on-FHIR and the same OAuth endpoints",
        true,
    );
    match metadata {
        None => security.fail("no CapabilityStatement to compare with (see capability.read)"),
        Some(cs) => compare_security(&mut security, cs, &doc),
    }
    group.checks.push(security);
    (group, Some(doc))
}

/// `patient/Coverage.rs` (SMART v2) covers `patient/Coverage.read`.
fn covers_v2(have: &str, want: &str) -> bool {
    let (Some((h_ctx, h_perm)), Some((w_ctx, _))) = (have.rsplit_once('.'), want.rsplit_once('.'))
    else {
        return false;
    };
    h_ctx == w_ctx && h_perm.contains('r') && h_perm.contains('s')
}

fn compare_security(check: &mut Check, cs: &Value, doc: &Value) {
    let security = &cs["rest"][0]["security"];
    let smart_service = security["service"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["coding"].as_array().into_iter().flatten())
        .any(|c| c["code"] == "SMART-on-FHIR");
    if !smart_service {
        check.fail("rest.security.service has no coding SMART-on-FHIR");
    }
    let uris = security["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["url"] == OAUTH_URIS);
    let Some(uris) = uris else {
        check.fail(format!("rest.security has no {OAUTH_URIS} extension"));
        return;
    };
    let sub = |name: &str| {
        uris["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["url"] == name)
            .and_then(|e| e["valueUri"].as_str())
    };
    for (key, name) in ENDPOINT_PAIRS {
        let (w, e) = (doc[key].as_str(), sub(name));
        if w != e {
            check.fail(format!(
                "{key} is {} in the well-known document but the CapabilityStatement's {name} is {}",
                w.unwrap_or("absent"),
                e.unwrap_or("absent")
            ));
        }
    }
}

impl Check {
    fn checks_skipped(&mut self, status: u16) {
        self.skip(format!(
            "answered {status}: the server offers no SMART discovery, and no sign-in was asked for"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_scopes_cover_v1_reads() {
        assert!(covers_v2("patient/Coverage.rs", "patient/Coverage.read"));
        assert!(!covers_v2("patient/Coverage.c", "patient/Coverage.read"));
        assert!(!covers_v2("openid", "openid"));
    }
}
