//! Attempt budgets for anything guessable: beneficiary and developer passwords, client
//! secrets. One [`Throttle`] counts attempts per key (an account, or a client address) and
//! refuses them once the key's budget is spent, saying when to retry.
//!
//! The budget is a GCRA (a token bucket kept as one number per key): `attempts` may come in a
//! burst, and one is given back every `window_secs / attempts`. Callers give back the attempt
//! of a success ([`Throttle::succeeded`]), so only failures spend a budget. Memory is bounded:
//! keys whose budget has refilled are forgotten, and when `max_keys` are tracked the least
//! spent one is dropped. Plain Rust; the time is passed in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// How many attempts a key may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Attempts allowed in a burst.
    pub attempts: u32,
    /// Seconds for a spent budget to refill completely.
    pub window_secs: i64,
}

impl Budget {
    /// Milliseconds until one attempt is given back.
    fn interval_ms(self) -> i64 {
        (self.window_secs.max(1) * 1000) / i64::from(self.attempts.max(1))
    }

    /// How far ahead of now a key's schedule may run before it is refused.
    fn tolerance_ms(self) -> i64 {
        self.window_secs.max(1) * 1000 - self.interval_ms()
    }
}

/// A refused attempt: seconds until the key may try again (for `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; try again in {0} s")]
pub struct RetryAfter(pub i64);

/// Attempt budgets per key.
pub struct Throttle {
    budget: Budget,
    max_keys: usize,
    /// Key → the time (unix ms) at which its budget is full again.
    refilled_at: Mutex<HashMap<String, i64>>,
}

impl Throttle {
    pub fn new(budget: Budget, max_keys: usize) -> Throttle {
        Throttle {
            budget,
            max_keys: max_keys.max(1),
            refilled_at: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one attempt of `key`'s budget, or refuses it when the budget is spent.
    pub fn attempt(&self, key: &str, now: i64) -> Result<(), RetryAfter> {
        let now_ms = now.saturating_mul(1000);
        let mut keys = self
            .refilled_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let full_at = keys.get(key).copied().unwrap_or(now_ms).max(now_ms);
        let ahead = full_at - now_ms;
        if ahead > self.budget.tolerance_ms() {
            let wait_ms = ahead - self.budget.tolerance_ms();
            return Err(RetryAfter((wait_ms + 999) / 1000));
        }
        if !keys.contains_key(key) && keys.len() >= self.max_keys {
            evict(&mut keys, now_ms, self.max_keys);
        }
        keys.insert(key.to_string(), full_at + self.budget.interval_ms());
        Ok(())
    }

    /// Gives back the attempt of a success: only failures spend a budget.
    pub fn succeeded(&self, key: &str, now: i64) {
        let now_ms = now.saturating_mul(1000);
        let mut keys = self
            .refilled_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(full_at) = keys.get_mut(key) {
            *full_at -= self.budget.interval_ms();
            if *full_at <= now_ms {
                keys.remove(key);
            }
        }
    }

    /// How many keys are tracked (their budget is not full).
    pub fn tracked(&self) -> usize {
        self.refilled_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Makes room for one key: forgets every key whose budget has refilled, and when that is not
/// enough the least spent one (an attacker spraying keys can at worst free a nearly full one).
fn evict(keys: &mut HashMap<String, i64>, now_ms: i64, max_keys: usize) {
    keys.retain(|_, full_at| *full_at > now_ms);
    while keys.len() >= max_keys {
        let Some(least) = keys
            .iter()
            .min_by_key(|(_, full_at)| **full_at)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        keys.remove(&least);
    }
}

/// The budgets an authorization server keeps: one per client address and one per account
/// (a developer's email, a beneficiary's login, an app's client id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    pub per_address: Budget,
    pub per_account: Budget,
    /// Keys tracked per throttle at most (memory bound).
    pub max_keys: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            // Generous enough for a developer's scripts and the test suite on 127.0.0.1, tight
            // enough that guessing costs minutes per handful of tries.
            per_address: Budget {
                attempts: 50,
                window_secs: 300,
            },
            per_account: Budget {
                attempts: 10,
                window_secs: 300,
            },
            max_keys: 10_000,
        }
    }
}

/// The kinds of account a guess can aim at (they never share a budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Beneficiary,
    Developer,
    Client,
}

impl Account {
    fn prefix(self) -> &'static str {
        match self {
            Account::Beneficiary => "beneficiary",
            Account::Developer => "developer",
            Account::Client => "client",
        }
    }
}

/// The per-address and per-account throttles.
pub struct Throttles {
    addresses: Throttle,
    accounts: Throttle,
}

/// An attempt that both budgets allowed; [`Attempt::succeeded`] gives it back.
#[must_use = "call succeeded() when the guess was right"]
pub struct Attempt<'a> {
    throttles: &'a Throttles,
    address: Option<String>,
    account: String,
    now: i64,
}

impl Attempt<'_> {
    pub fn succeeded(self) {
        if let Some(address) = &self.address {
            self.throttles.addresses.succeeded(address, self.now);
        }
        self.throttles.accounts.succeeded(&self.account, self.now);
    }
}

impl Throttles {
    pub fn new(config: ThrottleConfig) -> Throttles {
        Throttles {
            addresses: Throttle::new(config.per_address, config.max_keys),
            accounts: Throttle::new(config.per_account, config.max_keys),
        }
    }

    /// Spends an attempt from the client address's budget and the account's; refused when
    /// either is spent. `account` is compared case-insensitively.
    pub fn attempt(
        &self,
        address: Option<IpAddr>,
        kind: Account,
        account: &str,
        now: i64,
    ) -> Result<Attempt<'_>, RetryAfter> {
        let address = address.map(address_key);
        if let Some(a) = &address {
            self.addresses.attempt(a, now)?;
        }
        let account = format!("{}:{}", kind.prefix(), account.trim().to_lowercase());
        self.accounts.attempt(&account, now)?;
        Ok(Attempt {
            throttles: self,
            address,
            account,
            now,
        })
    }
}

/// The budget key of a client address: an IPv4 address, or the /64 of an IPv6 one (a single
/// host usually holds a whole /64, so single IPv6 addresses would be free budgets).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE_PER_MINUTE: Budget = Budget {
        attempts: 5,
        window_secs: 60,
    };

    #[test]
    fn a_burst_spends_the_budget_and_time_gives_it_back() {
        let t = Throttle::new(FIVE_PER_MINUTE, 100);
        for _ in 0..5 {
            assert_eq!(t.attempt("k", 1_000), Ok(()));
        }
        assert_eq!(t.attempt("k", 1_000), Err(RetryAfter(12)));
        assert_eq!(t.attempt("other", 1_000), Ok(()), "keys are separate");
        assert_eq!(t.attempt("k", 1_011), Err(RetryAfter(1)));
        assert_eq!(t.attempt("k", 1_012), Ok(()), "one attempt back per 12 s");
        assert!(t.attempt("k", 1_012).is_err());
        for _ in 0..5 {
            assert_eq!(
                t.attempt("k", 1_100),
                Ok(()),
                "a full window refills it all"
            );
        }
    }

    #[test]
    fn successes_give_their_attempt_back() {
        let t = Throttle::new(FIVE_PER_MINUTE, 100);
        for _ in 0..50 {
            assert_eq!(t.attempt("k", 7), Ok(()));
            t.succeeded("k", 7);
        }
        assert_eq!(t.tracked(), 0, "a full budget is not kept");
    }

    #[test]
    fn memory_is_bounded_and_refilled_keys_go_first() {
        let t = Throttle::new(FIVE_PER_MINUTE, 3);
        for _ in 0..5 {
            t.attempt("spent", 0).unwrap();
        }
        t.attempt("a", 0).unwrap();
        t.attempt("b", 0).unwrap();
        for i in 0..1_000 {
            t.attempt(&format!("spray{i}"), 0).unwrap();
            assert!(t.tracked() <= 3);
        }
        assert!(
            t.attempt("spent", 0).is_err(),
            "the most spent key outlives a spray of fresh ones"
        );
        let t = Throttle::new(FIVE_PER_MINUTE, 2);
        t.attempt("old", 0).unwrap();
        t.attempt("older", 0).unwrap();
        t.attempt("new", 3_600).unwrap();
        assert_eq!(t.tracked(), 1, "refilled keys are forgotten");
    }

    #[test]
    fn address_and_account_budgets_both_apply() {
        let throttles = Throttles::new(ThrottleConfig {
            per_address: Budget {
                attempts: 3,
                window_secs: 60,
            },
            per_account: Budget {
                attempts: 2,
                window_secs: 60,
            },
            max_keys: 100,
        });
        let home: IpAddr = "192.0.2.1".parse().unwrap();
        let away: IpAddr = "198.51.100.7".parse().unwrap();
        let _ = throttles.attempt(Some(home), Account::Developer, "Ada@x.org", 0);
        let _ = throttles.attempt(Some(away), Account::Developer, "ada@x.org", 0);
        assert!(
            throttles
                .attempt(Some(away), Account::Developer, "ada@x.org", 0)
                .is_err(),
            "the account's budget is spent from any address"
        );
        assert!(
            throttles
                .attempt(Some(home), Account::Beneficiary, "ada@x.org", 0)
                .is_ok(),
            "kinds of account never share a budget"
        );
        assert!(throttles
            .attempt(Some(home), Account::Client, "c1", 0)
            .is_ok());
        assert!(
            throttles
                .attempt(Some(home), Account::Client, "c2", 0)
                .is_err(),
            "the address's budget is spent across accounts"
        );
        assert!(
            throttles
                .attempt(None, Account::Client, "c1", 0)
                .map(Attempt::succeeded)
                .is_ok(),
            "no address, only the account's budget"
        );
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.9".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.9");
    }
}
