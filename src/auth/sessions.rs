//! Beneficiaries signing in (within the throttles' budgets) and their browser sessions.
//!
//! A session lives on the server: the cookie holds only a random value, the store its BLAKE3
//! hash and who signed in when. Signing out deletes the record, so a copy of the cookie made
//! before stops working too.

use std::net::IpAddr;

use super::db::{secret_key, SESSIONS};
use super::keys::random_token;
use super::records::SessionRecord;
use super::throttle::{Account, RetryAfter};
use super::users::{self, Beneficiary};
use super::AuthServer;
use crate::store::StoreError;

/// The answer to a beneficiary's sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Welcome(Beneficiary),
    /// Wrong login or password (the same answer for both).
    Refused,
    /// Too many failures from this address or on this login: no password was checked.
    Throttled(RetryAfter),
}

/// A live browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub who: Beneficiary,
    /// When the password was checked (unix seconds).
    pub signed_in_at: i64,
}

impl AuthServer {
    /// Checks a beneficiary's login and password; only failures spend the budgets of the
    /// client address and of the login.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
        now: i64,
    ) -> Result<SignIn, StoreError> {
        let attempt = match self
            .throttles
            .attempt(address, Account::Beneficiary, username, now)
        {
            Ok(attempt) => attempt,
            Err(wait) => return Ok(SignIn::Throttled(wait)),
        };
        let read = self.store().read()?;
        Ok(match users::authenticate(&read, username, password)? {
            Some(who) => {
                attempt.succeeded();
                SignIn::Welcome(who)
            }
            None => SignIn::Refused,
        })
    }

    /// Starts a session for a beneficiary who has just signed in; returns the cookie's value.
    pub fn start_session(&self, who: &Beneficiary, now: i64) -> Result<String, StoreError> {
        let id = random_token();
        let record = SessionRecord {
            username: who.username.clone(),
            patient: who.patient.clone(),
            signed_in_at: now,
            expires_at: now + self.config.session_ttl,
        };
        self.db
            .write(|tx| tx.put(SESSIONS, &secret_key(&id), &record))?;
        Ok(id)
    }

    /// The live session a cookie names, if any.
    pub fn session(&self, cookie: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let record: Option<SessionRecord> = self.db.get(SESSIONS, &secret_key(cookie))?;
        Ok(record.filter(|r| now < r.expires_at).map(|r| Session {
            who: Beneficiary {
                username: r.username,
                patient: r.patient,
            },
            signed_in_at: r.signed_in_at,
        }))
    }

    /// Signs out: the session ends for every copy of its cookie.
    pub fn end_session(&self, cookie: &str) -> Result<(), StoreError> {
        self.db
            .write(|tx| tx.remove(SESSIONS, &secret_key(cookie)).map(|_| ()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::throttle::{Budget, ThrottleConfig};
    use crate::auth::AuthConfig;
    use crate::store::Store;

    fn who() -> Beneficiary {
        Beneficiary {
            username: "BBUser00001".into(),
            patient: "M00001".into(),
        }
    }

    #[test]
    fn a_session_ends_on_sign_out_and_at_its_expiry() {
        let store = Store::in_memory().unwrap();
        let auth = AuthServer::open(&store, AuthConfig::default(), 0).unwrap();
        let cookie = auth.start_session(&who(), 100).unwrap();
        let live = auth.session(&cookie, 100).unwrap().unwrap();
        assert_eq!((live.who, live.signed_in_at), (who(), 100));
        assert!(auth.session("forged", 100).unwrap().is_none());
        let ttl = auth.config.session_ttl;
        assert!(auth.session(&cookie, 100 + ttl).unwrap().is_none());
        let other = auth.start_session(&who(), 100).unwrap();
        auth.end_session(&cookie).unwrap();
        assert!(auth.session(&cookie, 101).unwrap().is_none());
        assert!(
            auth.session(&other, 101).unwrap().is_some(),
            "another browser's session goes on"
        );
    }

    #[test]
    fn failed_sign_ins_spend_the_budget_and_a_spent_budget_checks_no_password() {
        let store = Store::in_memory().unwrap();
        let config = AuthConfig {
            throttle: ThrottleConfig {
                per_account: Budget {
                    attempts: 2,
                    window_secs: 60,
                },
                ..ThrottleConfig::default()
            },
            ..AuthConfig::default()
        };
        let auth = AuthServer::open(&store, config, 0).unwrap();
        // The store is empty: every login is refused, and each refusal spends the budget.
        for _ in 0..2 {
            assert_eq!(
                auth.sign_in("BBUser00001", "PW00001!", None, 0).unwrap(),
                SignIn::Refused
            );
        }
        assert_eq!(
            auth.sign_in("bbuser00001", "PW00001!", None, 0).unwrap(),
            SignIn::Throttled(RetryAfter(30))
        );
        assert_eq!(
            auth.sign_in("BBUser00002", "PW00002!", None, 0).unwrap(),
            SignIn::Refused,
            "another login has its own budget"
        );
    }
}
