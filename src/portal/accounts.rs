//! Developer accounts: email and an argon2id password hash (a random salt per password), kept
//! in the `portal_developers` table (`store::tables`), with a lockout after repeated failed sign-ins. Plain Rust: the
//! caller passes the time.

use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

pub use super::hashing::{hash_password, verify_password, Busy};
use crate::store::record;
use crate::store::{Store, StoreError};

/// Lower-cased email → JSON [`Developer`].
pub use crate::store::tables::PORTAL_DEVELOPERS as DEVELOPERS;

/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked, in seconds.
pub const LOCKOUT_SECS: i64 = 15 * 60;
pub const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords too common to accept even at eight characters or more.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "11111111",
    "abc12345",
    "letmein1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Developer {
    /// Lower-cased; the account's key.
    pub email: String,
    pub name: String,
    pub organization: String,
    /// PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
    pub password_hash: String,
    pub created_at: i64,
    /// Failed sign-ins since the last success or lock.
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub locked_until: Option<i64>,
    /// Bumped on sign-out: every session cookie made before stops working.
    #[serde(default)]
    pub session_version: u64,
}

/// What a new account needs.
#[derive(Debug, Clone, Default)]
pub struct NewDeveloper {
    pub email: String,
    pub name: String,
    pub organization: String,
    pub password: String,
    pub password_again: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    #[error("{0}")]
    Invalid(String),
    #[error("an account with this email already exists; sign in instead")]
    Taken,
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The answer to a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Success(Developer),
    /// Wrong email or password (the same answer for both).
    Refused,
    /// Too many failures: no password is checked until `until` (unix seconds).
    Locked {
        until: i64,
    },
    /// Too many passwords are being checked at once: nothing was decided, try again.
    Busy,
}

/// The first step of a sign-in: the attempt counted, or why no password will be checked.
enum Reservation {
    NoAccount,
    Locked(i64),
    /// Counted as a failure until the password proves right.
    Counted(Developer),
}

/// The developer accounts table.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
}

impl Accounts {
    pub fn new(store: &Store) -> Accounts {
        Accounts {
            store: store.clone(),
        }
    }

    pub fn get(&self, email: &str) -> Result<Option<Developer>, StoreError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        let tx = self.store.database().begin_read()?;
        let table = match tx.open_table(DEVELOPERS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        record::get(&table, &email)
    }

    /// Creates an account after checking the email, the password's strength and that the
    /// email is free.
    pub fn sign_up(&self, new: &NewDeveloper, now: i64) -> Result<Developer, SignupError> {
        let email = normalize_email(&new.email).ok_or_else(|| {
            SignupError::Invalid("Enter a valid email address, like name@example.com.".into())
        })?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(SignupError::Invalid(
                "Enter your name (1 to 100 characters).".into(),
            ));
        }
        let organization = new.organization.trim();
        if organization.chars().count() > 100 || organization.chars().any(char::is_control) {
            return Err(SignupError::Invalid(
                "The organization name can have at most 100 characters.".into(),
            ));
        }
        check_password(&new.password, &email).map_err(SignupError::Invalid)?;
        if new.password != new.password_again {
            return Err(SignupError::Invalid(
                "The two passwords are not the same.".into(),
            ));
        }
        let developer = Developer {
            email: email.clone(),
            name: name.to_string(),
            organization: organization.to_string(),
            password_hash: hash_password(&new.password)?,
            created_at: now,
            failures: 0,
            locked_until: None,
            session_version: 0,
        };
        let tx = self.store.begin_write()?;
        {
            let mut table = tx.open_table(DEVELOPERS).map_err(StoreError::from)?;
            if table
                .get(email.as_str())
                .map_err(StoreError::from)?
                .is_some()
            {
                return Err(SignupError::Taken);
            }
            record::put(&mut table, &email, &developer)?;
        }
        tx.commit().map_err(StoreError::from)?;
        Ok(developer)
    }

    /// Checks a sign-in, counting failures: [`MAX_FAILURES`] in a row lock the account for
    /// [`LOCKOUT_SECS`]. A locked account is refused without looking at the password.
    ///
    /// The attempt is counted as a failure in the same write transaction that reads the lock,
    /// before the password is checked: parallel attempts queue on that transaction, so no more
    /// than [`MAX_FAILURES`] passwords are ever checked before the lock holds, and a right
    /// password checked while a parallel burst locked the account does not unlock it.
    pub fn log_in(
        &self,
        email: &str,
        password: &str,
        now: i64,
    ) -> Result<LoginOutcome, StoreError> {
        self.log_in_checked_by(email, password, now, &verify_password)
    }

    /// [`Accounts::log_in`] with the password check given (tests hold it to line attempts up).
    fn log_in_checked_by(
        &self,
        email: &str,
        password: &str,
        now: i64,
        verify_password: &dyn Fn(&str, &str) -> Result<bool, Busy>,
    ) -> Result<LoginOutcome, StoreError> {
        let counted = match self.count_attempt(email, now)? {
            Reservation::NoAccount => {
                // The same work as for a real account, so timing does not tell which emails
                // exist.
                return Ok(match verify_password(DUMMY_HASH, password) {
                    Ok(_) => LoginOutcome::Refused,
                    Err(Busy) => LoginOutcome::Busy,
                });
            }
            Reservation::Locked(until) => return Ok(LoginOutcome::Locked { until }),
            Reservation::Counted(d) => d,
        };
        let Ok(ok) = verify_password(&counted.password_hash, password) else {
            // Nothing was checked: the attempt does not count.
            self.update(&counted.email, |d| {
                d.failures = d.failures.saturating_sub(1);
            })?;
            return Ok(LoginOutcome::Busy);
        };
        let settled = self.update(&counted.email, |d| {
            if d.locked_until.is_some_and(|until| until > now) {
                // Locked by a parallel attempt meanwhile: it stays locked.
                return;
            }
            if ok {
                d.failures = 0;
            } else if d.failures >= MAX_FAILURES {
                d.failures = 0;
                d.locked_until = Some(now + LOCKOUT_SECS);
            }
        })?;
        Ok(match settled {
            Some(Developer {
                locked_until: Some(until),
                ..
            }) if until > now => LoginOutcome::Locked { until },
            Some(d) if ok => LoginOutcome::Success(d),
            _ => LoginOutcome::Refused,
        })
    }

    /// Counts a sign-in attempt as a failure, unless the account is locked (or as many
    /// attempts as allowed are already being checked: a burst, which locks it).
    fn count_attempt(&self, email: &str, now: i64) -> Result<Reservation, StoreError> {
        let mut reservation = Reservation::NoAccount;
        self.update(email, |d| {
            if d.locked_until.is_some_and(|until| until <= now) {
                d.locked_until = None;
                d.failures = 0;
            }
            if d.locked_until.is_none() && d.failures >= MAX_FAILURES {
                d.failures = 0;
                d.locked_until = Some(now + LOCKOUT_SECS);
            }
            reservation = match d.locked_until {
                Some(until) => Reservation::Locked(until),
                None => {
                    d.failures += 1;
                    Reservation::Counted(d.clone())
                }
            };
        })?;
        Ok(reservation)
    }

    /// Ends every session of an account (sign-out).
    pub fn end_sessions(&self, email: &str) -> Result<(), StoreError> {
        self.update(email, |d| d.session_version += 1).map(|_| ())
    }

    /// Changes a record in one write transaction; None when there is no such account.
    fn update(
        &self,
        email: &str,
        change: impl FnOnce(&mut Developer),
    ) -> Result<Option<Developer>, StoreError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        let tx = self.store.begin_write()?;
        let updated = {
            let mut table = tx.open_table(DEVELOPERS)?;
            let current: Option<Developer> = record::get(&table, &email)?;
            match current {
                Some(before) => {
                    let mut d = before.clone();
                    change(&mut d);
                    // Unchanged (a locked account refused again): nothing to commit.
                    if d == before {
                        return Ok(Some(d));
                    }
                    record::put(&mut table, &email, &d)?;
                    Some(d)
                }
                None => None,
            }
        };
        if updated.is_some() {
            tx.commit()?;
        }
        Ok(updated)
    }
}

/// A hash of a random password, verified against when the email is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FuZGJveGR1bW15c2FsdA$\
                          k5vXpDCsFAjCJwYtlrOUqNzbk7Cb3XObUdKJkYwbv7I";

/// The email in canonical form (trimmed, lower case), if it looks like an address.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let well_formed = !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@')
        && email
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '\\'));
    well_formed.then_some(email)
}

/// Why a password is too weak, if it is.
pub fn check_password(password: &str, email: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "Choose a password of at least {MIN_PASSWORD_CHARS} characters."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "Choose a password of at most {MAX_PASSWORD_CHARS} characters."
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("That password is one of the most common ones; choose another.".into());
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err("A password of one repeated character is too easy to guess.".into());
    }
    if lower == email || email.split('@').next() == Some(lower.as_str()) {
        return Err("The password must not be your email address.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(email: &str, password: &str) -> NewDeveloper {
        NewDeveloper {
            email: email.into(),
            name: "Ada".into(),
            organization: String::new(),
            password: password.into(),
            password_again: password.into(),
        }
    }

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a b@example.com",
            "ada@exa..mple.com",
            "ada@x@y.com",
            "<ada@example.com>",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password("short1!", "a@b.co").is_err());
        assert!(check_password("password123", "a@b.co").is_err());
        assert!(check_password("aaaaaaaaaa", "a@b.co").is_err());
        assert!(check_password("adalovelace", "adalovelace@b.co").is_err());
        assert!(check_password("correct horse", "a@b.co").is_ok());
    }

    #[test]
    fn passwords_are_stored_as_salted_argon2id_hashes() {
        let store = Store::in_memory().unwrap();
        let accounts = Accounts::new(&store);
        let a = accounts
            .sign_up(&new("ada@example.com", "analytical engine"), 1)
            .unwrap();
        assert!(a.password_hash.starts_with("$argon2id$v=19$"));
        assert!(!a.password_hash.contains("analytical engine"));
        let b = accounts
            .sign_up(&new("bob@example.com", "analytical engine"), 1)
            .unwrap();
        assert_ne!(a.password_hash, b.password_hash, "a salt per password");
        assert!(matches!(
            accounts.sign_up(&new("ADA@example.com", "another password"), 2),
            Err(SignupError::Taken)
        ));
        let stored = accounts.get("Ada@Example.com").unwrap().unwrap();
        assert_eq!(stored, a);
        assert!(
            argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash costs a real check"
        );
        assert_eq!(verify_password(DUMMY_HASH, ""), Ok(false));
    }

    #[test]
    fn five_failures_lock_an_account_for_fifteen_minutes() {
        let store = Store::in_memory().unwrap();
        let accounts = Accounts::new(&store);
        accounts
            .sign_up(&new("ada@example.com", "analytical engine"), 0)
            .unwrap();
        assert!(matches!(
            accounts.log_in("ada@example.com", "analytical engine", 10),
            Ok(LoginOutcome::Success(_))
        ));
        for i in 1..MAX_FAILURES {
            assert_eq!(
                accounts.log_in("ada@example.com", "wrong", 10).unwrap(),
                LoginOutcome::Refused,
                "failure {i}"
            );
        }
        let until = 20 + LOCKOUT_SECS;
        assert_eq!(
            accounts.log_in("ada@example.com", "wrong", 20).unwrap(),
            LoginOutcome::Locked { until }
        );
        assert_eq!(
            accounts
                .log_in("ada@example.com", "analytical engine", until - 1)
                .unwrap(),
            LoginOutcome::Locked { until },
            "even the right password waits"
        );
        assert!(matches!(
            accounts.log_in("ada@example.com", "analytical engine", until),
            Ok(LoginOutcome::Success(d)) if d.failures == 0 && d.locked_until.is_none()
        ));
        assert_eq!(
            accounts.log_in("nobody@example.com", "x", 0).unwrap(),
            LoginOutcome::Refused
        );
    }
}

#[cfg(test)]
mod burst_tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::RwLock;

    #[test]
    fn a_parallel_burst_checks_no_more_passwords_than_the_limit_and_stays_locked() {
        let store = Store::in_memory().unwrap();
        let accounts = Accounts::new(&store);
        let new = NewDeveloper {
            email: "burst@example.com".into(),
            name: "Burst".into(),
            organization: String::new(),
            password: "the right password".into(),
            password_again: "the right password".into(),
        };
        accounts.sign_up(&new, 0).unwrap();
        // Every guess's check waits until the right password has been tried: the slowest
        // argon2 there can be, so the right one comes while 40 guesses are in flight.
        let slow_argon2 = RwLock::new(());
        let held = slow_argon2.write().unwrap();
        let (checked, answered) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let slow_check = |hash: &str, password: &str| {
            checked.fetch_add(1, Ordering::SeqCst);
            let _wait = slow_argon2.read().unwrap();
            verify_password(hash, password)
        };
        std::thread::scope(|scope| {
            let guesses: Vec<_> = (0..40)
                .map(|i| {
                    let (accounts, slow_check, answered) = (&accounts, &slow_check, &answered);
                    scope.spawn(move || {
                        let guess = format!("guess {i}");
                        let outcome = accounts
                            .log_in_checked_by("burst@example.com", &guess, 10, slow_check)
                            .unwrap();
                        answered.fetch_add(1, Ordering::SeqCst);
                        outcome
                    })
                })
                .collect();
            // Every guess is either being checked or already answered.
            while checked.load(Ordering::SeqCst) + answered.load(Ordering::SeqCst) < 40 {
                std::thread::yield_now();
            }
            assert_eq!(
                accounts
                    .log_in("burst@example.com", "the right password", 10)
                    .unwrap(),
                LoginOutcome::Locked {
                    until: 10 + LOCKOUT_SECS
                },
                "the lock holds while the guesses are still being checked"
            );
            drop(held);
            for guess in guesses {
                assert!(matches!(
                    guess.join().unwrap(),
                    LoginOutcome::Refused | LoginOutcome::Locked { .. }
                ));
            }
        });
        assert!(
            checked.load(Ordering::SeqCst) <= MAX_FAILURES as usize,
            "at most {MAX_FAILURES} guesses are checked, not {}",
            checked.load(Ordering::SeqCst)
        );
        assert_eq!(
            accounts
                .log_in("burst@example.com", "the right password", 11)
                .unwrap(),
            LoginOutcome::Locked {
                until: 10 + LOCKOUT_SECS
            }
        );
    }
}
