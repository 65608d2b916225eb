//! Where a server's OAuth endpoints are: SMART discovery (`{base}/.well-known/smart-configuration`)
//! or a preset for a server whose endpoints are documented.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{one_line, transport, ClientError};
use super::http::Http;

/// The flavour of server, for the few places where the client must speak its dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Flavor {
    /// A SMART server found by discovery (this sandbox, or any other).
    #[default]
    Smart,
    /// The CMS Blue Button 2.0 sandbox (BFD claim types, confidential clients only).
    BlueButton,
}

/// What the client needs to know about a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The FHIR base URL, without a trailing slash (also the `aud`).
    pub fhir_base: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub flavor: Flavor,
}

/// The servers with documented endpoints (`--preset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The CMS Blue Button 2.0 sandbox (v2, FHIR R4): https://sandbox.bluebutton.cms.gov
    BluebuttonSandbox,
}

/// The Blue Button 2.0 sandbox's origin.
pub const BLUEBUTTON_SANDBOX: &str = "https://sandbox.bluebutton.cms.gov";

impl Preset {
    /// The endpoints the preset's documentation gives (no network needed).
    pub fn endpoints(self) -> Endpoints {
        match self {
            Preset::BluebuttonSandbox => {
                let o = BLUEBUTTON_SANDBOX;
                Endpoints {
                    fhir_base: format!("{o}/v2/fhir"),
                    // BB2 serves these with a trailing slash (discovery omits it on authorize).
                    authorization_endpoint: format!("{o}/v2/o/authorize/"),
                    token_endpoint: format!("{o}/v2/o/token/"),
                    revocation_endpoint: Some(format!("{o}/v2/o/revoke_token/")),
                    userinfo_endpoint: Some(format!("{o}/v2/connect/userinfo")),
                    scopes_supported: [
                        "openid",
                        "profile",
                        "launch/patient",
                        "patient/Patient.read",
                        "patient/ExplanationOfBenefit.read",
                        "patient/Coverage.read",
                        "patient/Patient.rs",
                        "patient/ExplanationOfBenefit.rs",
                        "patient/Coverage.rs",
                    ]
                    .map(String::from)
                    .to_vec(),
                    flavor: Flavor::BlueButton,
                }
            }
        }
    }
}

/// Normalizes a FHIR base URL: parses it and drops a trailing slash.
pub fn normalize_base(base: &str) -> Result<String, ClientError> {
    let url = url::Url::parse(base.trim())
        .map_err(|e| ClientError::BadUrl(format!("{base} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::BadUrl(format!("{base} is not an http(s) URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::BadUrl(format!(
            "{base} has a query or fragment; give the FHIR base URL only"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Fetches `{base}/.well-known/smart-configuration` and reads the endpoints from it.
pub fn discover(http: &Http, fhir_base: &str) -> Result<Endpoints, ClientError> {
    let fhir_base = normalize_base(fhir_base)?;
    let url = format!("{fhir_base}/.well-known/smart-configuration");
    let response = http
        .plain()
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .map_err(|e| transport(&fhir_base, &e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ClientError::NoDiscovery {
            url: fhir_base,
            reason: format!("GET {url} answered {}", status.as_u16()),
        });
    }
    let text = response.text().map_err(|e| transport(&url, &e))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| ClientError::NoDiscovery {
        url: fhir_base.clone(),
        reason: format!("{url} is not JSON: {}", one_line(&e.to_string())),
    })?;
    endpoints_from(&fhir_base, &doc).map_err(|reason| ClientError::NoDiscovery {
        url: fhir_base.clone(),
        reason,
    })
}

/// Reads a smart-configuration document.
pub fn endpoints_from(fhir_base: &str, doc: &Value) -> Result<Endpoints, String> {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
    let required = |k: &str| text(k).ok_or_else(|| format!("the document has no {k}"));
    let authorization_endpoint = required("authorization_endpoint")?;
    let token_endpoint = required("token_endpoint")?;
    if let Some(methods) = doc
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
    {
        if !methods.iter().any(|m| m.as_str() == Some("S256")) {
            return Err("the server does not support PKCE with S256".into());
        }
    }
    let scopes_supported = doc
        .get("scopes_supported")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(Endpoints {
        fhir_base: fhir_base.to_string(),
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint: text("revocation_endpoint"),
        userinfo_endpoint: text("userinfo_endpoint"),
        scopes_supported,
        flavor: Flavor::Smart,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_need_authorize_and_token() {
        let doc = json!({"authorization_endpoint": "http://h/a", "token_endpoint": "http://h/t",
                         "code_challenge_methods_supported": ["S256"]});
        let e = endpoints_from("http://h/v2/fhir", &doc).expect("endpoints");
        assert_eq!(e.token_endpoint, "http://h/t");
        assert_eq!(e.revocation_endpoint, None);
        let err = endpoints_from("http://h/v2/fhir", &json!({"token_endpoint": "x"}))
            .expect_err("no authorize");
        assert!(err.contains("authorization_endpoint"), "{err}");
        let plain = json!({"authorization_endpoint": "a", "token_endpoint": "t",
                           "code_challenge_methods_supported": ["plain"]});
        assert!(endpoints_from("b", &plain).is_err());
    }

    #[test]
    fn base_urls_lose_their_trailing_slash() {
        assert_eq!(
            normalize_base("http://127.0.0.1:8000/v2/fhir/").expect("ok"),
            "http://127.0.0.1:8000/v2/fhir"
        );
        assert!(normalize_base("ftp://x/y").is_err());
        assert!(normalize_base("not a url").is_err());
    }

    #[test]
    fn bluebutton_preset_uses_the_documented_v2_endpoints() {
        let e = Preset::BluebuttonSandbox.endpoints();
        assert_eq!(e.fhir_base, "https://sandbox.bluebutton.cms.gov/v2/fhir");
        assert_eq!(
            e.token_endpoint,
            "https://sandbox.bluebutton.cms.gov/v2/o/token/"
        );
        assert_eq!(e.flavor, Flavor::BlueButton);
    }
}
