//! What each registered app actually did, as the conformance report needs it: its
//! authorization requests, token-endpoint calls and FHIR requests, one [`Observation`] each.
//!
//! The audit trail has the FHIR interactions that reached a handler, but not what the report
//! scores: the PKCE method, `state`, `aud` and scopes of an authorization request, the client
//! authentication and verifier of a token exchange, which token a FHIR request carried, the
//! 401/429/503 answered before any handler ran, and `Retry-After`. So the web edge hands these
//! facts here, and they are written off the request's hot path (`Store::defer`).
//!
//! The table is bounded: observations are kept per app and kind in a ring
//! ([`Kind::capacity`]), and only for registered apps — a FHIR request names its app through
//! its token's record, an authorization or token request by a client id that must be
//! registered; anything else is dropped.

use redb::{ReadableDatabase, ReadableTable, Table, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::auth::db::{CLIENTS, TOKENS};
use crate::auth::records::TokenRecord;
use crate::store::record;
use crate::store::tables::CONFORMANCE;
use crate::store::{Store, StoreError};

/// Longest kept request target (path and query).
const MAX_TARGET: usize = 1024;

/// The three rings kept per app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Authorize,
    Token,
    Fhir,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Authorize, Kind::Token, Kind::Fhir];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Authorize => "authorize",
            Kind::Token => "token",
            Kind::Fhir => "fhir",
        }
    }

    /// How many of the newest observations of this kind are kept per app.
    pub fn capacity(self) -> u64 {
        match self {
            Kind::Authorize => 64,
            Kind::Token => 256,
            Kind::Fhir => 2048,
        }
    }
}

/// One request an app made, and what it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Unix time in milliseconds, when the request arrived.
    pub at_ms: i64,
    pub method: String,
    /// Path and query as sent (tokens and secrets never: see the `observe_*` helpers).
    pub target: String,
    pub status: u16,
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Authorize {
        response_type: Option<String>,
        /// `code_challenge_method` (None: no challenge sent).
        pkce_method: Option<String>,
        /// Length of `state` (0: not sent).
        state_len: usize,
        aud: Option<String>,
        /// `aud` names this server's FHIR base.
        aud_ok: bool,
        scope: Option<String>,
        /// The OAuth error the request was refused with.
        error: Option<String>,
    },
    Token {
        grant_type: String,
        /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
        client_auth: String,
        code_verifier: bool,
        /// A short tag of the code or refresh token presented (a prefix of its BLAKE3 hash).
        presented: Option<String>,
        /// Tag of the access token issued, and its lifetime.
        issued: Option<String>,
        expires_in: Option<i64>,
        error: Option<String>,
    },
    Revoke {
        error: Option<String>,
    },
    Fhir {
        /// `read`, `vread`, `search-type`.
        interaction: String,
        resource_type: String,
        /// Tag of the access token (a prefix of its BLAKE3 hash).
        token: String,
        /// The token's patient.
        patient: String,
        retry_after: Option<u32>,
    },
}

impl Event {
    pub fn kind(&self) -> Kind {
        match self {
            Event::Authorize { .. } => Kind::Authorize,
            Event::Token { .. } | Event::Revoke { .. } => Kind::Token,
            Event::Fhir { .. } => Kind::Fhir,
        }
    }
}

/// Unix time in milliseconds (the observations' `at_ms`).
pub fn unix_ms(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A short tag naming a token in observations: the first 16 hex digits of the key the
/// authorization server stores it under (`auth::db::secret_key`), never the token.
pub fn token_tag(token: &str) -> String {
    tag_of_key(&crate::auth::db::secret_key(token))
}

fn tag_of_key(key: &str) -> String {
    key.get(..16).unwrap_or(key).to_string()
}

/// `target` cut to a bounded length, without any `access_token` parameter.
pub fn clean_target(path: &str, query: &str) -> String {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("access_token="))
        .collect();
    let mut target = if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    if target.len() > MAX_TARGET {
        let mut end = MAX_TARGET;
        while !target.is_char_boundary(end) {
            end -= 1;
        }
        target.truncate(end);
        target.push('…');
    }
    target
}

/// Queues an authorization or token-endpoint observation of the app `client_id` (dropped
/// when no such app is registered).
pub fn record_for_client(store: &Store, client_id: String, observation: Observation) {
    store.defer(Box::new(move |tx| {
        let known = tx.open_table(CLIENTS)?.get(client_id.as_str())?.is_some();
        if known {
            push(tx, &client_id, &observation)?;
        }
        Ok(())
    }));
}

/// Queues a FHIR request's observation, made with the access token whose stored key is
/// `token_key` (`auth::db::secret_key`): its record names the app and the patient, even when
/// the token has expired or been revoked. A token the server never issued is dropped.
pub fn record_fhir(store: &Store, token_key: String, observation: Observation) {
    store.defer(Box::new(move |tx| {
        let token: Option<TokenRecord> = record::get(&tx.open_table(TOKENS)?, &token_key)?;
        let Some(token) = token else {
            return Ok(());
        };
        let mut observation = observation;
        if let Event::Fhir {
            token: tag,
            patient,
            ..
        } = &mut observation.event
        {
            *tag = tag_of_key(&token_key);
            patient.clone_from(&token.patient);
        }
        push(tx, &token.client_id, &observation)
    }));
}

fn prefix(client_id: &str, kind: Kind) -> String {
    format!("{client_id}\0{}\0", kind.as_str())
}

/// Appends to the app's ring of this kind, dropping the oldest beyond its capacity.
fn push(
    tx: &WriteTransaction,
    client_id: &str,
    observation: &Observation,
) -> Result<(), StoreError> {
    let kind = observation.event.kind();
    let prefix = prefix(client_id, kind);
    let counter = format!("{prefix}next");
    let mut table = tx.open_table(CONFORMANCE)?;
    let next: u64 = record::get(&table, &counter)?.unwrap_or(0);
    record::put(&mut table, &format!("{prefix}{next:020}"), observation)?;
    record::put(&mut table, &counter, &(next + 1))?;
    if let Some(old) = next.checked_sub(kind.capacity()) {
        table.remove(format!("{prefix}{old:020}").as_str())?;
    }
    Ok(())
}

/// Everything kept about the app, oldest first within each kind (after a flush of the queue).
pub fn load(store: &Store, client_id: &str) -> Result<Vec<Observation>, StoreError> {
    store.flush();
    let tx = store.database().begin_read()?;
    let table = tx.open_table(CONFORMANCE)?;
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let from = prefix(client_id, kind);
        // Digits sort before ':', the counter ("next") after it.
        let to = format!("{from}:");
        for row in table.range(from.as_str()..to.as_str())? {
            let (k, v) = row?;
            out.push(record::decode(k.value(), v.value())?);
        }
    }
    out.sort_by_key(|o: &Observation| o.at_ms);
    Ok(out)
}

/// Forgets everything kept about the app (the portal's "start over", and a deleted app).
pub fn clear(store: &Store, client_id: &str) -> Result<(), StoreError> {
    store.flush();
    let tx = store.begin_write()?;
    {
        let mut table = tx.open_table(CONFORMANCE)?;
        clear_in(&mut table, client_id)?;
    }
    tx.commit()?;
    Ok(())
}

fn clear_in(table: &mut Table<&str, &[u8]>, client_id: &str) -> Result<(), StoreError> {
    let from = format!("{client_id}\0");
    let to = format!("{client_id}\u{1}");
    let keys: Vec<String> = table
        .range(from.as_str()..to.as_str())?
        .map(|row| row.map(|(k, _)| k.value().to_string()))
        .collect::<Result<_, _>>()?;
    for key in keys {
        table.remove(key.as_str())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::records::TokenKind;

    fn fhir(at_ms: i64) -> Observation {
        Observation {
            at_ms,
            method: "GET".into(),
            target: "/v2/fhir/Patient/M1".into(),
            status: 200,
            event: Event::Fhir {
                interaction: "read".into(),
                resource_type: "Patient".into(),
                token: String::new(),
                patient: String::new(),
                retry_after: None,
            },
        }
    }

    fn store_with_token(token: &str) -> Store {
        let store = Store::in_memory().unwrap();
        let tx = store.begin_write().unwrap();
        record::put(
            &mut tx.open_table(TOKENS).unwrap(),
            &crate::auth::db::secret_key(token),
            &TokenRecord {
                kind: TokenKind::Access,
                grant_id: "g".into(),
                client_id: "app".into(),
                patient: "M1".into(),
                scopes: "patient/*.read".into(),
                issued_at: 0,
                expires_at: 1,
                revoked: false,
                used: false,
            },
        )
        .unwrap();
        tx.commit().unwrap();
        store
    }

    #[test]
    fn a_fhir_request_is_filed_under_its_tokens_app_and_patient() {
        let store = store_with_token("tok");
        record_fhir(&store, crate::auth::db::secret_key("tok"), fhir(5));
        record_fhir(&store, crate::auth::db::secret_key("forged"), fhir(6));
        let seen = load(&store, "app").unwrap();
        assert_eq!(seen.len(), 1);
        match &seen[0].event {
            Event::Fhir { token, patient, .. } => {
                assert_eq!(token, &token_tag("tok"));
                assert_eq!(token.len(), 16);
                assert_eq!(patient, "M1");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_clear_forgets() {
        let store = store_with_token("tok");
        let key = crate::auth::db::secret_key("tok");
        let n = Kind::Fhir.capacity() as i64 + 10;
        for i in 0..n {
            record_fhir(&store, key.clone(), fhir(i));
        }
        let seen = load(&store, "app").unwrap();
        assert_eq!(seen.len() as u64, Kind::Fhir.capacity());
        assert_eq!(seen[0].at_ms, 10);
        clear(&store, "app").unwrap();
        assert!(load(&store, "app").unwrap().is_empty());
    }

    #[test]
    fn unknown_apps_are_not_recorded() {
        let store = Store::in_memory().unwrap();
        record_for_client(&store, "nobody".into(), fhir(1));
        assert!(load(&store, "nobody").unwrap().is_empty());
    }

    #[test]
    fn targets_lose_access_tokens_and_are_bounded() {
        assert_eq!(
            clean_target("/v2/fhir/Patient", "_id=M1&access_token=SECRET"),
            "/v2/fhir/Patient?_id=M1"
        );
        assert_eq!(clean_target("/p", ""), "/p");
        assert!(clean_target("/p", &"a".repeat(5000)).len() <= MAX_TARGET + 3);
    }
}
