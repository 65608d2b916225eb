//! The OAuth endpoints a program calls: token, revocation, introspection, userinfo. Their one
//! error surface is OAuth's JSON (`{"error": …, "error_description": …}`).

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::StreamExt;
use serde_json::json;

use crate::auth::scopes::Scope;
use crate::auth::{unix, AuthServer, OAuthCode, OAuthError, TokenRequest};
use crate::conformance::facts::unix_ms;
use crate::conformance::token::TokenSeen;
use crate::web::endpoints::endpoints;
use crate::web::AppState;

/// Form bodies are small; anything larger is not a token request.
const FORM_LIMIT: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/o/token", web::post().to(post_token))
        .route("/v2/o/revoke_token", web::post().to(post_revoke))
        .route("/v2/o/introspect", web::post().to(post_introspect))
        .route(
            "/v2/o/expire_authenticated_user/{patient}",
            web::post().to(post_expire_authenticated_user),
        )
        .route("/v2/connect/userinfo", web::get().to(get_userinfo));
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut b = no_store(self.status_code());
        if self.status == 401 && self.error == OAuthCode::InvalidClient {
            b.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="carin-sandbox""#));
        }
        if let Some(secs) = self.retry_after {
            b.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(
            self.error,
            OAuthCode::InvalidToken | OAuthCode::InsufficientScope
        ) {
            b.insert_header((
                header::WWW_AUTHENTICATE,
                format!(r#"Bearer error="{}""#, self.error),
            ));
        }
        b.json(json!({"error": self.error, "error_description": self.description}))
    }
}

/// RFC 6749 §5.1: token responses must not be cached.
fn no_store(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    b
}

/// The form fields of a POST, urlencoded or multipart (cms-bluebutton-sdk sends multipart).
/// A parameter sent twice with different values is refused (RFC 6749 §3.2).
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HashMap<String, String>, OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut pairs = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::new(req.headers(), payload);
        let mut total = 0usize;
        while let Some(field) = multipart.next().await {
            let mut field = field.map_err(|e| {
                OAuthError::invalid_request(format!("the multipart body is malformed: {e}"))
            })?;
            let name = field.name().unwrap_or_default().to_string();
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| {
                    OAuthError::invalid_request(format!("the multipart body is malformed: {e}"))
                })?;
                total += chunk.len();
                if total > FORM_LIMIT {
                    return Err(OAuthError::invalid_request("the request body is too large"));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| {
                OAuthError::invalid_request(format!("the field {name} is not UTF-8"))
            })?;
            pairs.push((name, value));
        }
    } else {
        let body = payload
            .to_bytes_limited(FORM_LIMIT)
            .await
            .map_err(|_| OAuthError::invalid_request("the request body is too large"))?
            .map_err(|e| OAuthError::invalid_request(format!("the body could not be read: {e}")))?;
        pairs = serde_urlencoded::from_bytes(&body).map_err(|e| {
            OAuthError::invalid_request(format!(
                "the body is not application/x-www-form-urlencoded: {e}"
            ))
        })?;
    }
    let mut map = HashMap::new();
    for (k, v) in pairs {
        if let Some(prev) = map.insert(k.clone(), v.clone()) {
            if prev != v {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {k} was sent twice"
                )));
            }
        }
    }
    Ok(map)
}

/// `Authorization: Basic` credentials (RFC 6749 §2.3.1: each part form-encoded). Other
/// schemes are ignored: cms-bluebutton-sdk sends a stale Bearer header to the token endpoint.
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let bad = || OAuthError::invalid_client("the Basic credentials are malformed");
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad())
    };
    Ok(Some((decode(id)?, decode(secret)?)))
}

async fn token_request(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<TokenRequest, OAuthError> {
    Ok(TokenRequest {
        basic: basic_credentials(req)?,
        params: read_form(req, payload).await?,
        client_address: req.peer_addr().map(|a| a.ip()),
        token_endpoint: endpoints(state, req).token,
    })
}

/// Store writes (with fsync) and RSA signing: off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OAuthError> + Send + 'static,
) -> Result<T, OAuthError> {
    web::block(f).await.map_err(|e| {
        tracing::error!("blocking task failed: {e}");
        OAuthError::new(
            500,
            OAuthCode::ServerError,
            "the server could not complete the request",
        )
    })?
}

/// One of the form endpoints: read the request, decide off the async workers (store commits
/// and RSA signing block), with the issuer as the client sees it.
async fn decide<T: Send + 'static>(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
    f: impl FnOnce(&AuthServer, &TokenRequest, &str, i64) -> Result<T, OAuthError> + Send + 'static,
) -> Result<T, OAuthError> {
    let request = token_request(&state, &req, payload).await?;
    decide_request(state, &req, request, f).await
}

/// [`decide`] for a request already read.
async fn decide_request<T: Send + 'static>(
    state: web::Data<AppState>,
    req: &HttpRequest,
    request: TokenRequest,
    f: impl FnOnce(&AuthServer, &TokenRequest, &str, i64) -> Result<T, OAuthError> + Send + 'static,
) -> Result<T, OAuthError> {
    let issuer = endpoints(&state, req).issuer().to_string();
    blocking(move || {
        let now = unix(state.clock.now());
        f(&state.auth, &request, &issuer, now)
    })
    .await
}

async fn post_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    // The conformance report sees every call and its answer.
    let request = token_request(&state, &req, payload).await?;
    let seen = TokenSeen::of(unix_ms(state.clock.now()), req.path(), &request);
    let result = decide_request(state.clone(), &req, request, |auth, r, issuer, now| {
        auth.token(r, issuer, now)
    })
    .await;
    seen.record_token(&state.store, result.as_ref());
    Ok(no_store(StatusCode::OK).json(result?))
}

async fn post_revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    let request = token_request(&state, &req, payload).await?;
    let seen = TokenSeen::of(unix_ms(state.clock.now()), req.path(), &request);
    let result = decide_request(state.clone(), &req, request, |auth, r, _, now| {
        auth.revoke(r, now)
    })
    .await;
    seen.record_revoke(&state.store, result.as_ref().map(|_| ()));
    result?;
    Ok(no_store(StatusCode::OK).finish())
}

async fn post_introspect(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    let body = decide(state, req, payload, |auth, r, issuer, now| {
        auth.introspect(r, issuer, now)
    })
    .await?;
    Ok(no_store(StatusCode::OK).json(body))
}

/// Sandbox only (Blue Button has it too): the calling app's authorizations by this
/// beneficiary end now, so the app can test what happens when access runs out.
async fn post_expire_authenticated_user(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    let patient = path.into_inner();
    let body = decide(state, req, payload, move |auth, r, _, now| {
        auth.expire_authenticated_user(r, &patient, now)
    })
    .await?;
    Ok(no_store(StatusCode::OK).json(body))
}

/// The bearer token of a request, if it sent one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// OpenID Connect userinfo (OIDC Core §5.3): who the token's beneficiary is. Any token from
/// an OpenID request (`openid`) gets `sub`; `fhirUser` adds the Patient URL and `profile` the
/// name claims, which the beneficiary withholds with their demographics. A `profile` grant
/// without `openid` is still answered, as Blue Button does.
async fn get_userinfo(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuthError> {
    let invalid = |d: &str| OAuthError::new(401, OAuthCode::InvalidToken, d);
    let token = bearer_token(&req).ok_or_else(|| invalid("a bearer token is required"))?;
    let now = state.clock.now();
    let access = state
        .auth
        .access(token, unix(now))
        .map_err(|e| invalid(&e.to_string()))?;
    let scopes = &access.scopes;
    if !scopes.contains(&Scope::OpenId) && !scopes.contains(&Scope::Profile) {
        return Err(OAuthError::new(
            403,
            OAuthCode::InsufficientScope,
            "userinfo needs the openid scope",
        ));
    }
    let mut claims = json!({
        "sub": access.patient,
        "patient": access.patient,
        "iat": unix(now),
    });
    if scopes.contains(&Scope::FhirUser) {
        let base = endpoints(&state, &req).fhir_base;
        claims["fhirUser"] = json!(format!("{base}/Patient/{}", access.patient));
    }
    if scopes.contains(&Scope::Profile) {
        let patient = state
            .store
            .read()
            .and_then(|r| r.get("Patient", &access.patient))
            .map_err(OAuthError::from)?
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
            .unwrap_or_default();
        let name = &patient["name"][0];
        claims["name"] = json!(crate::auth::users::display_name(&patient));
        claims["given_name"] = name["given"][0].clone();
        claims["family_name"] = name["family"].clone();
    }
    Ok(no_store(StatusCode::OK).json(claims))
}
