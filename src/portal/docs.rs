//! The home page and the docs: what the sandbox is, its endpoints with `curl` examples built
//! from the host the reader used, the scopes, the synthetic logins and the seeded test apps.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{Ctx, Nav};
use crate::auth::clients::{
    DEFAULT_SCOPES, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_PUBLIC_CLIENT_ID, TEST_REDIRECT_URIS,
};
use crate::auth::scopes::{describe, Scope};
use crate::auth::users::{self, PickerEntry};
use crate::web::endpoints::{endpoints, Endpoints};
use crate::web::pages::PageError;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(get_home))
        .route("/docs", web::get().to(get_docs));
}

/// How much synthetic data is loaded.
struct Counts {
    patients: u64,
    eobs: u64,
    coverages: u64,
}

fn counts(state: &AppState) -> Result<Counts, PageError> {
    let read = state.store.read().map_err(PageError::internal)?;
    let count = |ty: &str| read.count(ty).map_err(PageError::internal);
    Ok(Counts {
        patients: count("Patient")?,
        eobs: count("ExplanationOfBenefit")?,
        coverages: count("Coverage")?,
    })
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    nav: Nav,
    counts: Counts,
    urls: Endpoints,
}

async fn get_home(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
) -> Result<HttpResponse, PageError> {
    let page = HomePage {
        nav: ctx.nav("home"),
        counts: counts(&state)?,
        urls: endpoints(&state, &req),
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "portal/docs.html")]
struct DocsPage {
    nav: Nav,
    counts: Counts,
    urls: Endpoints,
    scopes: Vec<(String, String)>,
    all_scopes: String,
    logins: Vec<PickerEntry>,
    test_client_id: &'static str,
    test_client_secret: &'static str,
    test_public_client_id: &'static str,
    test_redirect_uris: &'static [&'static str],
    default_scopes: &'static str,
    curl: CurlExamples,
}

/// Ready-to-paste commands for the host the reader used.
struct CurlExamples {
    pkce: String,
    authorize: String,
    token: String,
    fhir: String,
    refresh: String,
    revoke: String,
    introspect: String,
}

fn curl_examples(urls: &Endpoints) -> CurlExamples {
    let redirect = "http://127.0.0.1:9999/callback";
    let scope = "openid fhirUser launch/patient offline_access patient/*.rs";
    let authorize = crate::auth::authorize::with_query(
        &urls.authorize,
        &[
            ("response_type", "code".to_string()),
            ("client_id", TEST_CLIENT_ID.to_string()),
            ("redirect_uri", redirect.to_string()),
            ("scope", scope.to_string()),
            ("aud", urls.fhir_base.clone()),
            ("code_challenge_method", "S256".to_string()),
        ],
    );
    CurlExamples {
        pkce: "VERIFIER=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')\n\
               CHALLENGE=$(printf %s \"$VERIFIER\" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')\n\
               STATE=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
            .to_string(),
        authorize: format!("xdg-open \"{authorize}&state=$STATE&code_challenge=$CHALLENGE\""),
        token: format!(
            "curl -u {TEST_CLIENT_ID}:{TEST_CLIENT_SECRET} {token} \\\n  \
             -d grant_type=authorization_code -d code=\"$CODE\" \\\n  \
             -d redirect_uri={redirect} -d code_verifier=\"$VERIFIER\"",
            token = urls.token
        ),
        fhir: format!(
            "TOKEN=…   # access_token from the answer\n\
             curl -H \"Authorization: Bearer $TOKEN\" {base}/Patient/M00001\n\
             curl -H \"Authorization: Bearer $TOKEN\" '{base}/Coverage?_include=Coverage:payor'\n\
             curl -H \"Authorization: Bearer $TOKEN\" '{base}/ExplanationOfBenefit?type=pharmacy&service-date=ge2024-01-01&_sort=-service-date&_count=10'\n\
             curl -H \"Authorization: Bearer $TOKEN\" '{base}/ExplanationOfBenefit?_include=ExplanationOfBenefit:*'",
            base = urls.fhir_base
        ),
        refresh: format!(
            "curl -u {TEST_CLIENT_ID}:{TEST_CLIENT_SECRET} {token} \\\n  \
             -d grant_type=refresh_token -d refresh_token=\"$REFRESH_TOKEN\"",
            token = urls.token
        ),
        revoke: format!(
            "curl -u {TEST_CLIENT_ID}:{TEST_CLIENT_SECRET} {} -d token=\"$REFRESH_TOKEN\"",
            urls.revoke
        ),
        introspect: format!(
            "curl -u {TEST_CLIENT_ID}:{TEST_CLIENT_SECRET} {} -d token=\"$TOKEN\"",
            urls.introspect
        ),
    }
}

/// The scopes worth explaining, in plain words.
const EXPLAINED_SCOPES: &[&str] = &[
    "openid",
    "fhirUser",
    "profile",
    "launch/patient",
    "offline_access",
    "patient/*.rs",
    "patient/*.read",
    "patient/ExplanationOfBenefit.rs",
    "patient/Coverage.rs",
    "patient/Patient.rs",
    "patient/Organization.rs",
    "patient/Practitioner.rs",
    "user/*.rs",
];

async fn get_docs(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
) -> Result<HttpResponse, PageError> {
    let urls = endpoints(&state, &req);
    let counts = counts(&state)?;
    let logins = {
        let read = state.store.read().map_err(PageError::internal)?;
        users::picker(&read, 5).map_err(PageError::internal)?
    };
    let page = DocsPage {
        nav: ctx.nav("docs"),
        scopes: EXPLAINED_SCOPES
            .iter()
            .filter_map(|s| Scope::parse(s).map(|p| (s.to_string(), describe(&p))))
            .collect(),
        all_scopes: crate::auth::scopes::supported().join(" "),
        logins,
        counts,
        test_client_id: TEST_CLIENT_ID,
        test_client_secret: TEST_CLIENT_SECRET,
        test_public_client_id: TEST_PUBLIC_CLIENT_ID,
        test_redirect_uris: TEST_REDIRECT_URIS,
        default_scopes: DEFAULT_SCOPES,
        curl: curl_examples(&urls),
        urls,
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}
