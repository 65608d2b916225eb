//! argon2id password hashing, a few at a time. Each hash or check takes ~19 MiB and a core
//! for tens of milliseconds, so unbounded parallel sign-ins (even with unknown emails) would
//! take memory and every core. A [`Gate`] lets about one per core run, lets a bounded number
//! wait, and turns the rest away at once ([`Busy`]: answer 503 with `Retry-After`).

use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// The server is hashing as many passwords as it takes, and as many wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks are running; try again in a moment")]
pub struct Busy;

/// A counting semaphore for blocking threads, with a bounded queue.
pub struct Gate {
    permits: usize,
    max_waiting: usize,
    counts: Mutex<Counts>,
    freed: Condvar,
}

#[derive(Default)]
struct Counts {
    running: usize,
    waiting: usize,
}

impl Gate {
    pub fn new(permits: usize, max_waiting: usize) -> Gate {
        Gate {
            permits: permits.max(1),
            max_waiting,
            counts: Mutex::new(Counts::default()),
            freed: Condvar::new(),
        }
    }

    /// Runs `f` once a permit is free; waits for one only when fewer than `max_waiting`
    /// callers already do, and is [`Busy`] otherwise.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> Result<T, Busy> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.running >= self.permits {
            if counts.waiting >= self.max_waiting {
                return Err(Busy);
            }
            counts.waiting += 1;
            while counts.running >= self.permits {
                counts = self
                    .freed
                    .wait(counts)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            counts.waiting -= 1;
        }
        counts.running += 1;
        drop(counts);
        let _permit = Permit(self);
        Ok(f())
    }

    /// (running, waiting) now.
    #[cfg(test)]
    pub fn load(&self) -> (usize, usize) {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        (counts.running, counts.waiting)
    }
}

/// Gives the permit back even if `f` panics.
struct Permit<'a>(&'a Gate);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut counts = self.0.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.running -= 1;
        drop(counts);
        self.0.freed.notify_one();
    }
}

/// Every argon2 hash and check in the process goes through this gate: one per core at a
/// time, four per core waiting.
static ARGON2_GATE: LazyLock<Gate> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Gate::new(cores, cores * 4)
});

/// argon2id (the crate's defaults: 19 MiB, 2 passes) with a fresh 128-bit salt.
pub fn hash_password(password: &str) -> Result<String, Busy> {
    let bytes = crate::auth::keys::random_bytes::<16>();
    #[expect(clippy::expect_used, reason = "16 bytes always encode to a valid salt")]
    let salt = SaltString::encode_b64(&bytes).expect("a 16-byte salt");
    ARGON2_GATE.run(|| {
        match Argon2::default().hash_password(password.as_bytes(), &salt) {
            Ok(hash) => hash.to_string(),
            // Only possible for absurd inputs, which check_password refuses first.
            Err(e) => {
                tracing::error!("argon2 could not hash a password: {e}");
                String::new()
            }
        }
    })
}

/// True when `password` matches the PHC hash.
pub fn verify_password(hash: &str, password: &str) -> Result<bool, Busy> {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return Ok(false);
    };
    ARGON2_GATE.run(|| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn no_more_than_the_permits_run_at_once() {
        let gate = Arc::new(Gate::new(2, 64));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (gate, running, peak) = (gate.clone(), running.clone(), peak.clone());
                std::thread::spawn(move || {
                    gate.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        for t in threads {
            assert_eq!(
                t.join().unwrap(),
                Ok(()),
                "64 may wait: nobody is turned away"
            );
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        assert_eq!(gate.load(), (0, 0));
    }

    #[test]
    fn beyond_the_waiting_room_callers_are_turned_away() {
        let gate = Arc::new(Gate::new(1, 1));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let holder = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.run(|| {
                    started.send(()).unwrap();
                    held.recv().unwrap();
                })
            })
        };
        running.recv().unwrap();
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || gate.run(|| 7))
        };
        while gate.load() != (1, 1) {
            std::thread::yield_now();
        }
        assert_eq!(
            gate.run(|| 0),
            Err(Busy),
            "one runs, one waits, the third is busy"
        );
        release.send(()).unwrap();
        assert_eq!(holder.join().unwrap(), Ok(()));
        assert_eq!(
            waiter.join().unwrap(),
            Ok(7),
            "the waiter ran once the permit was free"
        );
        assert_eq!(gate.load(), (0, 0));
    }
}
