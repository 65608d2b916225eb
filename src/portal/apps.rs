//! A developer's apps: register (public or confidential), see the client id and, once, the
//! secret; rotate the secret, edit, delete. The form applies the authorization server's own
//! redirect URI and scope rules (`auth::clients`), so what it accepts is what works.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::accounts::Developer;
use super::sessions::SignedIn;
use super::{audit, date_of, not_found, open_flash, seal_flash, see_other, Ctx, Form, Nav};
use crate::auth::clients::{check_redirect_uri, is_custom_scheme, NewClient, DEFAULT_SCOPES};
use crate::auth::db::{CLIENTS, GRANTS};
use crate::auth::failures::Failure;
use crate::auth::records::{Client, ClientJwks, ClientKind, Grant, GrantModel};
use crate::auth::scopes::{describe, Scope};
use crate::auth::AuthError;
use crate::store::StoreError;
use crate::web::endpoints::endpoints;
use crate::web::pages::PageError;
use crate::web::AppState;

/// Redirect URIs one app may register.
const MAX_REDIRECT_URIS: usize = 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps", web::get().to(list_apps))
        .route("/apps/new", web::get().to(new_app_form))
        .route("/apps/new", web::post().to(create_app))
        .route("/apps/{client_id}", web::get().to(show_app))
        .route("/apps/{client_id}/edit", web::get().to(edit_app_form))
        .route("/apps/{client_id}/edit", web::post().to(update_app))
        .route("/apps/{client_id}/secret", web::post().to(rotate_secret))
        .route("/apps/{client_id}/failures", web::post().to(set_failures))
        .route("/apps/{client_id}/delete", web::post().to(delete_app));
}

/// One of the developer's own apps; anyone else's is "not found".
pub(super) fn own_app(
    state: &AppState,
    who: &Developer,
    client_id: &str,
) -> Result<Client, PageError> {
    state
        .auth
        .db
        .client(client_id)
        .map_err(PageError::internal)?
        .filter(|c| c.owner.as_deref() == Some(who.email.as_str()))
        .ok_or_else(|| not_found("You have no app with this client id."))
}

fn own_apps(state: &AppState, who: &Developer) -> Result<Vec<Client>, PageError> {
    let mut apps: Vec<Client> = state
        .auth
        .db
        .clients()
        .map_err(PageError::internal)?
        .into_iter()
        .filter(|c| c.owner.as_deref() == Some(who.email.as_str()))
        .collect();
    apps.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.name.cmp(&b.name)));
    Ok(apps)
}

/// Live authorizations of an app: (distinct beneficiaries, grants).
fn connections(state: &AppState, client_id: &str, now: i64) -> Result<usize, StoreError> {
    let patients: BTreeSet<String> = state
        .auth
        .db
        .all::<Grant>(GRANTS)?
        .into_iter()
        .filter(|g| g.client_id == client_id && g.is_live(now))
        .map(|g| g.patient)
        .collect();
    Ok(patients.len())
}

struct AppRow {
    client_id: String,
    name: String,
    kind: &'static str,
    redirect_uris: usize,
    created: String,
}

/// An app registered through UDAP Dynamic Client Registration: no developer owns it, so every
/// signed-in developer sees it listed (its name, client id and certificate SAN are what the
/// registering party published about itself; nothing secret).
struct UdapRow {
    client_id: String,
    name: String,
    iss: String,
    grant_types: String,
    created: String,
}

#[derive(Template)]
#[template(path = "portal/apps.html")]
struct AppsPage {
    nav: Nav,
    name: String,
    welcome: bool,
    deleted: Option<String>,
    apps: Vec<AppRow>,
    udap_apps: Vec<UdapRow>,
}

#[derive(Deserialize)]
struct ListQuery {
    welcome: Option<String>,
    deleted: Option<String>,
}

async fn list_apps(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let apps = own_apps(&state, &who)?
        .into_iter()
        .map(|c| AppRow {
            kind: kind_label(&c),
            redirect_uris: c.redirect_uris.len(),
            created: date_of(c.created_at),
            client_id: c.client_id,
            name: c.name,
        })
        .collect();
    let page = AppsPage {
        nav: ctx.nav("apps"),
        name: who.name,
        welcome: query.welcome.is_some(),
        deleted: open_flash(&state, query.deleted.as_deref(), ctx.now),
        apps,
        udap_apps: udap_apps(&state)?,
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

/// Every app registered through UDAP, newest first (cancelling a registration deletes it).
fn udap_apps(state: &AppState) -> Result<Vec<UdapRow>, PageError> {
    let mut clients: Vec<Client> = state
        .auth
        .db
        .clients()
        .map_err(PageError::internal)?
        .into_iter()
        .filter(|c| c.udap.is_some())
        .collect();
    clients.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Ok(clients
        .into_iter()
        .filter_map(|c| {
            let udap = c.udap?;
            let grant_types = udap.grant_types.join(", ");
            Some(UdapRow {
                created: date_of(c.created_at),
                client_id: c.client_id,
                name: c.name,
                iss: udap.iss,
                grant_types,
            })
        })
        .collect())
}

fn kind_label(client: &Client) -> &'static str {
    match client.kind {
        ClientKind::Confidential if client.udap.is_some() => "Confidential (UDAP)",
        ClientKind::Confidential if client.jwks.is_some() => "Confidential (private_key_jwt)",
        ClientKind::Confidential => "Confidential",
        ClientKind::Public => "Public",
    }
}

/// A scope checkbox on the app form.
struct ScopeOption {
    value: String,
    description: String,
    checked: bool,
}

/// What the app form shows (and, after a refusal, what was typed).
struct AppFields {
    name: String,
    public: bool,
    redirect_uris: String,
    scopes: Vec<ScopeOption>,
    extra_scopes: String,
    /// One-time access (else thirteen-month).
    one_time: bool,
    /// A pasted JWKS or its URL (private_key_jwt); shown as registered when editing.
    jwks: String,
}

impl AppFields {
    fn blank() -> AppFields {
        AppFields {
            name: String::new(),
            public: false,
            redirect_uris: String::new(),
            scopes: scope_options(&DEFAULT_SCOPES.split(' ').collect::<Vec<_>>()),
            extra_scopes: String::new(),
            one_time: false,
            jwks: String::new(),
        }
    }

    fn of(client: &Client) -> AppFields {
        let registered: Vec<&str> = client.scopes.split_ascii_whitespace().collect();
        let standard: Vec<&str> = DEFAULT_SCOPES.split(' ').collect();
        AppFields {
            name: client.name.clone(),
            public: client.kind == ClientKind::Public,
            redirect_uris: client.redirect_uris.join("\n"),
            scopes: scope_options(&registered),
            extra_scopes: registered
                .iter()
                .filter(|s| !standard.contains(s))
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
            one_time: client.grant_model == GrantModel::OneTime,
            jwks: match &client.jwks {
                Some(ClientJwks::Jwks(v)) => v.to_string(),
                Some(ClientJwks::JwksUri(u)) => u.clone(),
                None => String::new(),
            },
        }
    }

    fn from_form(form: &Form) -> AppFields {
        let checked = form.all("scope");
        AppFields {
            name: form.get("name").to_string(),
            public: form.get("kind") == "public",
            redirect_uris: form.get("redirect_uris").to_string(),
            scopes: scope_options(&checked),
            extra_scopes: form.get("extra_scopes").to_string(),
            one_time: form.get("grant_model") == GrantModel::OneTime.name(),
            jwks: form.get("jwks").to_string(),
        }
    }
}

fn scope_options(checked: &[&str]) -> Vec<ScopeOption> {
    DEFAULT_SCOPES
        .split(' ')
        .map(|s| ScopeOption {
            value: s.to_string(),
            description: Scope::parse(s).map(|p| describe(&p)).unwrap_or_default(),
            checked: checked.contains(&s),
        })
        .collect()
}

/// The checked form, ready to register: or every reason it cannot be.
#[derive(Debug)]
struct Checked {
    name: String,
    kind: ClientKind,
    redirect_uris: Vec<String>,
    scopes: String,
    grant_model: GrantModel,
    jwks: Option<ClientJwks>,
}

fn check_form(
    form: &Form,
    others: &[Client],
    editing: Option<&Client>,
) -> Result<Checked, Vec<String>> {
    let mut errors = Vec::new();
    let name = form.get("name").trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push("The app name must be 1 to 100 printable characters.".to_string());
    } else if others.iter().any(|c| {
        c.name.eq_ignore_ascii_case(&name) && editing.is_none_or(|e| e.client_id != c.client_id)
    }) {
        errors.push(format!("You already have an app named \"{name}\"."));
    }
    let kind = match (editing, form.get("kind")) {
        (Some(existing), _) => existing.kind,
        (None, "public") => ClientKind::Public,
        (None, "confidential") => ClientKind::Confidential,
        (None, _) => {
            errors.push("Choose whether the app is confidential or public.".to_string());
            ClientKind::Confidential
        }
    };
    let mut redirect_uris: Vec<String> = Vec::new();
    for uri in form.get("redirect_uris").split_ascii_whitespace() {
        if !redirect_uris.iter().any(|u| u == uri) {
            redirect_uris.push(uri.to_string());
        }
    }
    if redirect_uris.is_empty() {
        errors.push("Add at least one redirect URI.".to_string());
    } else if redirect_uris.len() > MAX_REDIRECT_URIS {
        errors.push(format!(
            "An app can register at most {MAX_REDIRECT_URIS} redirect URIs."
        ));
    }
    for uri in &redirect_uris {
        if let Err(reason) = check_redirect_uri(uri) {
            errors.push(format!("Redirect URI refused: {reason}."));
        }
    }
    let mut scopes: Vec<String> = Vec::new();
    let standard: Vec<&str> = DEFAULT_SCOPES.split(' ').collect();
    for s in form.all("scope") {
        if standard.contains(&s) && !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    for s in form.get("extra_scopes").split_ascii_whitespace() {
        if s.starts_with("system/") {
            errors.push(format!(
                "\"{s}\": system/ scopes (backend services, every patient's data) are granted \
                 only to apps the sandbox's operator registers (carin-sandbox clients add)."
            ));
        } else if Scope::parse(s).is_none() {
            errors.push(format!(
                "\"{s}\" is not a scope this server can grant (see the list in the docs)."
            ));
        } else if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_string());
        }
    }
    if scopes.is_empty() {
        errors.push("Allow at least one scope.".to_string());
    }
    // Forms from before the choice existed (and scripts) get Blue Button's default.
    let grant_model = match form.get("grant_model") {
        "" => GrantModel::ThirteenMonth,
        other => GrantModel::parse(other).unwrap_or_else(|| {
            errors.push("Choose one-time or thirteen-month access.".to_string());
            GrantModel::ThirteenMonth
        }),
    };
    // Public keys for private_key_jwt (new apps only): a pasted JWKS or its https URL.
    let keys = form.get("jwks").trim();
    let jwks = match (editing, keys) {
        (Some(existing), _) => existing.jwks.clone(),
        (None, "") => None,
        (None, _) if kind != ClientKind::Confidential => {
            errors.push("Only a confidential app authenticates with keys.".to_string());
            None
        }
        (None, k) if k.starts_with("https://") || k.starts_with("http://") => {
            Some(ClientJwks::JwksUri(k.to_string()))
        }
        (None, k) => match serde_json::from_str::<serde_json::Value>(k) {
            Ok(v) => match crate::auth::jws::check_public_jwks(&v) {
                Ok(()) => Some(ClientJwks::Jwks(v)),
                Err(reason) => {
                    errors.push(format!("Public keys refused: {reason}."));
                    None
                }
            },
            Err(e) => {
                errors.push(format!("Public keys: not a JWKS (JSON) nor a URL: {e}."));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(Checked {
            name,
            kind,
            redirect_uris,
            scopes: scopes.join(" "),
            grant_model,
            jwks,
        })
    } else {
        Err(errors)
    }
}

#[derive(Template)]
#[template(path = "portal/app_form.html")]
struct AppFormPage<'a> {
    nav: Nav,
    csrf: &'a str,
    /// None: a new app.
    client_id: Option<String>,
    fields: AppFields,
    errors: Vec<String>,
}

async fn new_app_form(req: HttpRequest, SignedIn { ctx, .. }: SignedIn) -> HttpResponse {
    let page = AppFormPage {
        nav: ctx.nav("apps"),
        csrf: &ctx.csrf.token,
        client_id: None,
        fields: AppFields::blank(),
        errors: Vec::new(),
    };
    ctx.page(&req, StatusCode::OK, &page)
}

async fn create_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Form::parse(&body)?;
    let refuse = |status: StatusCode, errors: Vec<String>| {
        let page = AppFormPage {
            nav: ctx.nav("apps"),
            csrf: &ctx.csrf.token,
            client_id: None,
            fields: AppFields::from_form(&form),
            errors,
        };
        ctx.page(&req, status, &page)
    };
    if !form.csrf_ok(&state, &req, ctx.now) {
        return Ok(refuse(StatusCode::FORBIDDEN, vec![EXPIRED_FORM.into()]));
    }
    let others = own_apps(&state, &who)?;
    let checked = match check_form(&form, &others, None) {
        Ok(c) => c,
        Err(errors) => return Ok(refuse(StatusCode::BAD_REQUEST, errors)),
    };
    let new = NewClient {
        name: checked.name,
        kind: checked.kind,
        redirect_uris: checked.redirect_uris,
        scopes: Some(checked.scopes),
        pkce_required: true,
        owner: Some(who.email.clone()),
        grant_model: checked.grant_model,
        jwks: checked.jwks,
    };
    let registered = {
        let state = state.clone();
        let now = ctx.now;
        web::block(move || state.auth.db.register(new, now))
            .await
            .map_err(PageError::internal)?
    };
    let registered = match registered {
        Ok(r) => r,
        Err(AuthError::InvalidClient(reason)) => {
            return Ok(refuse(StatusCode::BAD_REQUEST, vec![reason]))
        }
        Err(e) => return Err(PageError::internal(e)),
    };
    audit(
        &state,
        "app-register",
        "success",
        Some(registered.client.client_id.clone()),
        Some(who.email.clone()),
        None,
    );
    app_page(
        &state,
        &req,
        &ctx,
        &registered.client,
        registered.secret,
        StatusCode::CREATED,
    )
}

/// Said when a form's CSRF token has expired: the form comes back filled in.
const EXPIRED_FORM: &str =
    "This form expired or could not be verified (forms last 10 minutes). Check it and submit it again.";

struct RedirectView {
    uri: String,
    note: &'static str,
}

#[derive(Template)]
#[template(path = "portal/app.html")]
struct AppPage<'a> {
    nav: Nav,
    csrf: &'a str,
    client_id: String,
    name: String,
    kind: &'static str,
    confidential: bool,
    grant_model: &'static str,
    /// Shown once: right after registration or rotation.
    secret: Option<String>,
    redirect_uris: Vec<RedirectView>,
    scopes: Vec<(String, String)>,
    created: String,
    connections: usize,
    authorize_example: String,
    token_example: String,
    saved: bool,
    /// Every simulated failure, ticked when switched on.
    failures: Vec<FailureOption>,
    /// The names of those switched on.
    failures_on: Vec<&'static str>,
}

/// A simulated failure's checkbox on the app page.
struct FailureOption {
    name: &'static str,
    description: &'static str,
    on: bool,
}

fn redirect_note(uri: &str) -> &'static str {
    let Ok(url) = url::Url::parse(uri) else {
        return "";
    };
    let loopback = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    if is_custom_scheme(uri) {
        "native app scheme: PKCE required"
    } else if url.scheme() == "http" && loopback {
        "loopback: matches on any port"
    } else if url.scheme() == "http" {
        "plain http: fine in a sandbox, use https in production"
    } else {
        "exact match"
    }
}

fn app_page(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    client: &Client,
    secret: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let urls = endpoints(state, req);
    let connections =
        connections(state, &client.client_id, ctx.now).map_err(PageError::internal)?;
    let redirect = client.redirect_uris.first().cloned().unwrap_or_default();
    let authorize_example = crate::auth::authorize::with_query(
        &urls.authorize,
        &[
            ("response_type", "code".to_string()),
            ("client_id", client.client_id.clone()),
            ("redirect_uri", redirect.clone()),
            ("scope", client.scopes.clone()),
            ("state", "YOUR_RANDOM_STATE".to_string()),
            ("aud", urls.fhir_base.clone()),
            ("code_challenge", "YOUR_S256_CODE_CHALLENGE".to_string()),
            ("code_challenge_method", "S256".to_string()),
        ],
    );
    let auth = match client.kind {
        ClientKind::Confidential if client.jwks.is_some() => {
            "-d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\\n     -d client_assertion=\"$SIGNED_JWT\"".to_string()
        }
        ClientKind::Confidential => format!("-u '{}:'\"$CLIENT_SECRET\"", client.client_id),
        ClientKind::Public => format!("-d client_id={}", client.client_id),
    };
    let token_example = format!(
        "curl {auth} \\\n  -d grant_type=authorization_code -d code=\"$CODE\" \\\n  \
         --data-urlencode redirect_uri='{redirect}' -d code_verifier=\"$VERIFIER\" \\\n  {}",
        urls.token
    );
    let page = AppPage {
        nav: ctx.nav("apps"),
        csrf: &ctx.csrf.token,
        client_id: client.client_id.clone(),
        name: client.name.clone(),
        kind: kind_label(client),
        // An app with keys has no secret to show or rotate.
        confidential: client.kind == ClientKind::Confidential && client.jwks.is_none(),
        grant_model: client.grant_model.describe(),
        secret,
        redirect_uris: client
            .redirect_uris
            .iter()
            .map(|u| RedirectView {
                uri: u.clone(),
                note: redirect_note(u),
            })
            .collect(),
        scopes: client
            .scopes
            .split_ascii_whitespace()
            .map(|s| {
                let d = Scope::parse(s).map(|p| describe(&p)).unwrap_or_default();
                (s.to_string(), d)
            })
            .collect(),
        created: date_of(client.created_at),
        connections,
        authorize_example,
        token_example,
        saved: req.query_string().contains("saved=1"),
        failures: Failure::ALL
            .into_iter()
            .map(|f| FailureOption {
                name: f.name(),
                description: f.describe(),
                on: client.simulated_failures.contains(&f),
            })
            .collect(),
        failures_on: client.simulated_failures.iter().map(|f| f.name()).collect(),
    };
    Ok(ctx.page(req, status, &page))
}

async fn show_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    app_page(&state, &req, &ctx, &client, None, StatusCode::OK)
}

async fn edit_app_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    let page = AppFormPage {
        nav: ctx.nav("apps"),
        csrf: &ctx.csrf.token,
        client_id: Some(client.client_id.clone()),
        fields: AppFields::of(&client),
        errors: Vec::new(),
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

async fn update_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    let form = Form::parse(&body)?;
    let refuse = |status: StatusCode, errors: Vec<String>| {
        let mut fields = AppFields::from_form(&form);
        fields.public = client.kind == ClientKind::Public;
        let page = AppFormPage {
            nav: ctx.nav("apps"),
            csrf: &ctx.csrf.token,
            client_id: Some(client.client_id.clone()),
            fields,
            errors,
        };
        ctx.page(&req, status, &page)
    };
    if !form.csrf_ok(&state, &req, ctx.now) {
        return Ok(refuse(StatusCode::FORBIDDEN, vec![EXPIRED_FORM.into()]));
    }
    let others = own_apps(&state, &who)?;
    let checked = match check_form(&form, &others, Some(&client)) {
        Ok(c) => c,
        Err(errors) => return Ok(refuse(StatusCode::BAD_REQUEST, errors)),
    };
    let updated = Client {
        name: checked.name,
        redirect_uris: checked.redirect_uris,
        scopes: checked.scopes,
        grant_model: checked.grant_model,
        ..client.clone()
    };
    let result = {
        let state = state.clone();
        let updated = updated.clone();
        web::block(move || state.auth.db.update_client(&updated))
            .await
            .map_err(PageError::internal)?
    };
    match result {
        Ok(()) => {}
        Err(AuthError::InvalidClient(reason)) => {
            return Ok(refuse(StatusCode::BAD_REQUEST, vec![reason]))
        }
        Err(e) => return Err(PageError::internal(e)),
    }
    audit(
        &state,
        "app-update",
        "success",
        Some(client.client_id.clone()),
        Some(who.email.clone()),
        None,
    );
    Ok(see_other(&format!("/apps/{}?saved=1", client.client_id)))
}

async fn rotate_secret(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    Form::verified(&body, &state, &req, ctx.now)?;
    if client.kind != ClientKind::Confidential {
        return Err(PageError::bad_request(
            "A public app has no secret: it proves itself with PKCE alone.",
        ));
    }
    let secret = {
        let state = state.clone();
        let id = client.client_id.clone();
        web::block(move || state.auth.db.rotate_secret(&id))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?
    };
    audit(
        &state,
        "app-rotate-secret",
        "success",
        Some(client.client_id.clone()),
        Some(who.email.clone()),
        None,
    );
    app_page(&state, &req, &ctx, &client, Some(secret), StatusCode::OK)
}

/// The simulated failures form: exactly the ticked ones are on from the next request (none:
/// normal behaviour at once).
async fn set_failures(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    let form = Form::verified(&body, &state, &req, ctx.now)?;
    let mut chosen = Vec::new();
    for name in form.all("failure") {
        let failure = Failure::parse(name).ok_or_else(|| {
            PageError::bad_request("That is not one of the simulated failures on this page.")
        })?;
        if !chosen.contains(&failure) {
            chosen.push(failure);
        }
    }
    chosen.sort();
    let names: Vec<&str> = chosen.iter().map(|f| f.name()).collect();
    let detail = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(" ")
    };
    {
        let state = state.clone();
        let id = client.client_id.clone();
        web::block(move || state.auth.db.set_failures(&id, chosen))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?;
    }
    audit(
        &state,
        "app-failures",
        "success",
        Some(client.client_id.clone()),
        Some(who.email.clone()),
        Some(detail),
    );
    Ok(see_other(&format!(
        "/apps/{}?saved=1#failures",
        client.client_id
    )))
}

async fn delete_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    let form = Form::verified(&body, &state, &req, ctx.now)?;
    if form.get("confirm") != "yes" {
        return Err(PageError::bad_request(
            "Tick the box that confirms the deletion, then press Delete again.",
        ));
    }
    let now = ctx.now;
    let removed = {
        let state = state.clone();
        let client_id = client.client_id.clone();
        let email = who.email.clone();
        web::block(move || -> Result<usize, StoreError> {
            let db = &state.auth.db;
            let grants: Vec<Grant> = db
                .all::<Grant>(GRANTS)?
                .into_iter()
                .filter(|g| g.client_id == client_id && g.is_live(now))
                .collect();
            // The app and every authorization of it go together: its tokens die at once.
            db.write(|tx| {
                for g in &grants {
                    tx.revoke_grant(&g.id, now)?;
                }
                tx.remove(CLIENTS, &client_id)?;
                tx.audit(&crate::audit::AuditRecord {
                    at: now,
                    event: "app-delete".into(),
                    outcome: "success".into(),
                    client_id: Some(client_id.clone()),
                    user: Some(email),
                    detail: Some(format!("{} live authorization(s) revoked", grants.len())),
                    ..Default::default()
                })?;
                Ok::<_, StoreError>(())
            })?;
            crate::conformance::facts::clear(&state.store, &client_id)?;
            Ok(grants.len())
        })
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?
    };
    tracing::info!(
        "app {} deleted; {removed} authorization(s) revoked",
        client.client_id
    );
    let flash = seal_flash(&state, &client.name, now);
    Ok(see_other(&format!("/apps?deleted={flash}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        let body = serde_urlencoded::to_string(pairs).unwrap();
        Form::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn the_form_applies_the_servers_redirect_rules() {
        let ok = form(&[
            ("name", "My app"),
            ("kind", "public"),
            (
                "redirect_uris",
                "http://127.0.0.1/cb\ncom.example.app:/oauth https://a.example/cb",
            ),
            ("scope", "openid"),
            ("scope", "patient/*.rs"),
            ("extra_scopes", "patient/Coverage.read"),
        ]);
        let checked = check_form(&ok, &[], None).unwrap();
        assert_eq!(checked.kind, ClientKind::Public);
        assert_eq!(checked.redirect_uris.len(), 3);
        assert_eq!(checked.scopes, "openid patient/*.rs patient/Coverage.read");

        let bad = form(&[
            ("name", ""),
            ("kind", "public"),
            (
                "redirect_uris",
                "https://a.example/cb#frag javascript:alert(1) /relative",
            ),
            ("extra_scopes", "admin"),
        ]);
        let errors = check_form(&bad, &[], None).unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:?}");
    }
}
