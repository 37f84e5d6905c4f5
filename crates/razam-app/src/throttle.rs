//! Login throttling: failed logins counted in memory, per account name and per network
//! address, each under a keyed hash (never the name or the address itself); nothing here is
//! ever written anywhere. An onion service sees every visitor as one address, so the limit per
//! account is the one that stops guessing; the limit per address is set far higher, against one
//! machine trying many names.
//!
//! A name or address over its limit is locked for a while: every login through it is refused
//! without checking the password (even the right one), which also spares the server the
//! Argon2 work an attacker would make it do. Unknown names are counted like known ones, so the
//! lock tells nobody which names exist.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use crate::config::LoginLimits;

/// A keyed 16-byte hash of a network address (IPv4 as IPv4-mapped IPv6).
pub(crate) fn address_key(key: &[u8; 32], ip: IpAddr) -> [u8; 16] {
    let bytes = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    short_hash(key, &bytes)
}

fn short_hash(key: &[u8; 32], bytes: &[u8]) -> [u8; 16] {
    let hash = blake3::keyed_hash(key, bytes);
    let mut short = [0u8; 16];
    short.copy_from_slice(&hash.as_bytes()[..16]);
    short
}

#[derive(Default)]
struct Counter {
    /// Times (ms) of recent failures, oldest first.
    failures: VecDeque<i64>,
    locked_until_ms: i64,
}

impl Counter {
    fn forget_before(&mut self, since: i64) {
        while self.failures.front().is_some_and(|&t| t <= since) {
            self.failures.pop_front();
        }
    }
}

#[derive(Default)]
struct State {
    by_name: HashMap<[u8; 16], Counter>,
    by_address: HashMap<[u8; 16], Counter>,
}

pub(crate) struct LoginThrottle {
    key: [u8; 32],
    limits: LoginLimits,
    state: Mutex<State>,
}

/// What a login attempt is counted under.
#[derive(Clone)]
pub(crate) struct Attempt {
    name: [u8; 16],
    address: Option<[u8; 16]>,
}

impl LoginThrottle {
    pub(crate) fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            key: rand::random(),
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// The attempt of `username` (as typed, compared without case or outer spaces) from `peer`.
    pub(crate) fn attempt(&self, username: &str, peer: Option<IpAddr>) -> Attempt {
        Attempt {
            name: short_hash(&self.key, username.trim().to_lowercase().as_bytes()),
            address: peer.map(|ip| address_key(&self.key, ip)),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another request panicked mid-count; the counts stay usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(until_ms)` while the name or the address is locked.
    pub(crate) fn locked(&self, attempt: &Attempt, now: i64) -> Option<i64> {
        let state = self.state();
        let name = state.by_name.get(&attempt.name).map_or(0, |c| c.locked_until_ms);
        let address = attempt
            .address
            .and_then(|a| state.by_address.get(&a))
            .map_or(0, |c| c.locked_until_ms);
        let until = name.max(address);
        (until > now).then_some(until)
    }

    /// Counts a failed login; `Some(until_ms)` when this failure locks the name or the address.
    pub(crate) fn failed(&self, attempt: &Attempt, now: i64) -> Option<i64> {
        let window = i64::from(self.limits.window_minutes) * 60_000;
        let until = now + i64::from(self.limits.lockout_minutes) * 60_000;
        let mut guard = self.state();
        let state = &mut *guard;
        let since = now - window;
        // Forget what is over, so that the maps never hold more than the window's failures.
        for counters in [&mut state.by_name, &mut state.by_address] {
            counters.retain(|_, c| {
                c.forget_before(since);
                !c.failures.is_empty() || c.locked_until_ms > now
            });
        }
        let mut locked = None;
        let mut count = |counter: &mut Counter, limit: u32| {
            counter.failures.push_back(now);
            if counter.failures.len() >= limit as usize {
                counter.failures.clear();
                counter.locked_until_ms = until;
                locked = Some(until);
            }
        };
        count(
            state.by_name.entry(attempt.name).or_default(),
            self.limits.failures_per_account,
        );
        if let Some(address) = attempt.address {
            count(
                state.by_address.entry(address).or_default(),
                self.limits.failures_per_address,
            );
        }
        locked
    }

    /// A successful login clears the name's failures (not the address's).
    pub(crate) fn succeeded(&self, attempt: &Attempt) {
        self.state().by_name.remove(&attempt.name);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limits() -> LoginLimits {
        LoginLimits {
            failures_per_account: 3,
            failures_per_address: 5,
            window_minutes: 15,
            lockout_minutes: 10,
        }
    }

    #[test]
    fn a_name_is_locked_after_its_failures_and_free_again_after_the_lockout() {
        let t = LoginThrottle::new(limits());
        let peer = Some("10.0.0.1".parse().unwrap());
        let a = t.attempt("Ales", peer);
        assert_eq!(t.failed(&a, 1_000), None);
        assert_eq!(t.failed(&t.attempt(" ales ", peer), 2_000), None, "same name, any case");
        assert_eq!(t.failed(&a, 3_000), Some(3_000 + 600_000));
        assert_eq!(t.locked(&a, 4_000), Some(603_000));
        assert_eq!(t.locked(&t.attempt("hanna", peer), 4_000), None, "another name is free");
        assert_eq!(t.locked(&a, 603_000), None, "free once the lockout is over");
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten_and_success_clears_the_name() {
        let t = LoginThrottle::new(limits());
        let a = t.attempt("ales", None);
        t.failed(&a, 0);
        t.failed(&a, 1);
        assert_eq!(
            t.failed(&a, 15 * 60_000 + 2),
            None,
            "the first two are out of the window"
        );
        t.succeeded(&a);
        t.failed(&a, 15 * 60_000 + 3);
        assert_eq!(t.failed(&a, 15 * 60_000 + 4), None, "success started the count again");
    }

    #[test]
    fn one_address_trying_many_names_is_locked() {
        let t = LoginThrottle::new(limits());
        let peer = Some("2001:db8::1".parse().unwrap());
        for (n, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
            assert_eq!(t.failed(&t.attempt(name, peer), n as i64), None);
        }
        assert!(t.failed(&t.attempt("e", peer), 5).is_some());
        assert!(
            t.locked(&t.attempt("f", peer), 6).is_some(),
            "a new name from that address"
        );
        assert!(
            t.locked(&t.attempt("f", Some("10.0.0.2".parse().unwrap())), 6)
                .is_none()
        );
    }
}
