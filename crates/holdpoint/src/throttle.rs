//! Failed sign-ins, counted per client and per human name, so that guessing a credential
//! is slow and a refused guess costs no password hash. One count per process, shared by
//! `holdpoint serve` (the API and the console) and `holdpoint pg`.
//!
//! The rule: a client that failed [`MAX_FAILURES`] times within [`WINDOW`] of its first
//! failure has no new credential checked until the window ends. A human's name that
//! failed as often is refused the same way, except from a client that name has signed
//! in from before. The clock is an argument, so the arithmetic is tested without waiting.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How many failed sign-ins a client, or a human's name, may make within [`WINDOW`].
pub(crate) const MAX_FAILURES: u32 = 10;
/// How long failures count, from the first one.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Past this many clients or names, the windows that have ended are forgotten. Each
/// client can add at most [`MAX_FAILURES`] names a window, so this grows only as fast as
/// an attacker gains addresses.
const PRUNE_AT: usize = 10_000;
/// How many clients a human is remembered signing in from (the latest ones).
const KNOWN_PER_NAME: usize = 8;

/// Who a failure is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Client {
    /// A TCP client: its IPv4 address, or its IPv6 /64 network, since one host is
    /// usually handed a whole /64 and could try a new address each time.
    Address(IpAddr),
    /// A client of the Unix socket, by the uid of the process at the other end.
    LocalUser(u32),
    /// A client of the Unix socket whose uid the system did not tell, or a request that
    /// came with no connection at all (the router driven in tests): one shared bucket.
    LocalSocket,
}

impl Client {
    /// The client a TCP peer at `ip` counts as.
    pub(crate) fn address(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Client::Address(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client::Address(IpAddr::V4(v4)),
                None if v6.is_loopback() => Client::Address(IpAddr::V6(v6)),
                None => {
                    let network = u128::from(v6) & !u128::from(u64::MAX);
                    Client::Address(IpAddr::V6(Ipv6Addr::from(network)))
                }
            },
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Client::Address(IpAddr::V6(v6)) if !v6.is_loopback() => write!(f, "{v6}/64"),
            Client::Address(ip) => write!(f, "{ip}"),
            Client::LocalUser(uid) => write!(f, "local user {uid}"),
            Client::LocalSocket => f.write_str("the local socket"),
        }
    }
}

/// Why a credential was not checked, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    barred: Barred,
    /// Until the window that barred it ends.
    pub(crate) retry_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Barred {
    Client(Client),
    Name(String),
}

impl Refusal {
    /// Whole seconds to wait, at least one, as `Retry-After` gives them.
    pub(crate) fn seconds(&self) -> u64 {
        let whole = self.retry_after.as_secs();
        whole
            .saturating_add(u64::from(self.retry_after.subsec_nanos() > 0))
            .max(1)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.seconds();
        match &self.barred {
            Barred::Client(client) => write!(
                f,
                "too many failed sign-ins from {client}; try again in {seconds} s"
            ),
            Barred::Name(name) => write!(
                f,
                "too many failed sign-ins as `{name}`; try again in {seconds} s, or from where `{name}` last signed in"
            ),
        }
    }
}

/// The failures of one client or name since its window began.
#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    since: Instant,
}

impl Window {
    fn live(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.since) < WINDOW
    }

    /// How long it stays barred, when it is.
    fn barred(&self, now: Instant) -> Option<Duration> {
        if self.failures < MAX_FAILURES || !self.live(now) {
            return None;
        }
        WINDOW.checked_sub(now.saturating_duration_since(self.since))
    }
}

/// The counts, behind one lock: checking and counting an attempt is one step, so
/// requests sent at once cannot all pass the check before any is counted.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    clients: HashMap<Client, Window>,
    names: HashMap<String, Window>,
    /// The clients each human signed in from, latest last: they skip the name's count,
    /// so someone failing as `alice` elsewhere does not lock her out where she works.
    known: HashMap<String, Vec<Client>>,
}

impl Throttle {
    /// Whether `client` may have a credential checked at `now`.
    pub(crate) fn admit(&self, client: Client, now: Instant) -> Result<(), Refusal> {
        self.lock().client_barred(client, now)
    }

    /// Admits a check that costs a password hash (an agent credential, or a human's
    /// secret given with their `name`), and counts it as failed until [`Self::succeeded`]
    /// takes it back. Counting it first bounds the hashes a client gets even when it
    /// sends all its guesses at once.
    pub(crate) fn reserve(
        &self,
        client: Client,
        name: Option<&str>,
        now: Instant,
    ) -> Result<(), Refusal> {
        let mut counts = self.lock();
        counts.client_barred(client, now)?;
        let name = name.filter(|n| countable(n));
        if let Some(name) = name
            && !counts.is_known(name, client)
        {
            counts.name_barred(name, now)?;
        }
        counts.count(client, name, now);
        Ok(())
    }

    /// A reserved check succeeded: it is no failure, and the human `name` is remembered
    /// signing in from `client`.
    pub(crate) fn succeeded(&self, client: Client, name: Option<&str>, now: Instant) {
        let mut counts = self.lock();
        if let Some(window) = counts.clients.get_mut(&client)
            && window.live(now)
        {
            window.failures = window.failures.saturating_sub(1);
        }
        let Some(name) = name.filter(|n| countable(n)) else {
            return;
        };
        if let Some(window) = counts.names.get_mut(name)
            && window.live(now)
        {
            window.failures = window.failures.saturating_sub(1);
        }
        let known = counts.known.entry(name.to_owned()).or_default();
        known.retain(|c| *c != client);
        known.push(client);
        if known.len() > KNOWN_PER_NAME {
            known.remove(0);
        }
    }

    /// Counts a failure that cost no password hash (a malformed credential, an unknown
    /// agent, a sign-in token nobody holds), unless the client is already barred: then
    /// the refusal, for the caller to answer instead.
    pub(crate) fn failed(&self, client: Client, now: Instant) -> Result<(), Refusal> {
        let mut counts = self.lock();
        counts.client_barred(client, now)?;
        counts.count(client, None, now);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        // Nothing panics while the lock is held; were it poisoned, the counts are still
        // whole, and throttling on them beats refusing everyone or no one.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Counts {
    fn client_barred(&self, client: Client, now: Instant) -> Result<(), Refusal> {
        match self.clients.get(&client).and_then(|w| w.barred(now)) {
            Some(retry_after) => Err(Refusal {
                barred: Barred::Client(client),
                retry_after,
            }),
            None => Ok(()),
        }
    }

    fn name_barred(&self, name: &str, now: Instant) -> Result<(), Refusal> {
        match self.names.get(name).and_then(|w| w.barred(now)) {
            Some(retry_after) => Err(Refusal {
                barred: Barred::Name(name.to_owned()),
                retry_after,
            }),
            None => Ok(()),
        }
    }

    fn is_known(&self, name: &str, client: Client) -> bool {
        self.known.get(name).is_some_and(|c| c.contains(&client))
    }

    fn count(&mut self, client: Client, name: Option<&str>, now: Instant) {
        if self.clients.len() > PRUNE_AT {
            self.clients.retain(|_, w| w.live(now));
        }
        bump(self.clients.entry(client).or_insert(fresh(now)), now);
        if let Some(name) = name {
            if self.names.len() > PRUNE_AT {
                self.names.retain(|_, w| w.live(now));
            }
            bump(self.names.entry(name.to_owned()).or_insert(fresh(now)), now);
        }
    }
}

fn fresh(now: Instant) -> Window {
    Window {
        failures: 0,
        since: now,
    }
}

fn bump(window: &mut Window, now: Instant) {
    if !window.live(now) {
        *window = fresh(now);
    }
    window.failures = window.failures.saturating_add(1);
}

/// Whether a name could be a human's: only those get a count of their own, so the
/// counts hold no more than a name's 64 characters however long the name sent. A name
/// that cannot exist has no secret to guess.
fn countable(name: &str) -> bool {
    crate::humans::valid_name(name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, seconds: u64) -> Instant {
        start + Duration::from_secs(seconds)
    }

    const HOME: Client = Client::Address(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const AWAY: Client = Client::Address(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn a_client_is_barred_after_ten_failures_until_its_window_ends() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(throttle.admit(HOME, t0), Ok(()), "failure {i}");
            throttle.failed(HOME, t0).unwrap();
        }
        let refusal = throttle.admit(HOME, at(t0, 20)).unwrap_err();
        assert_eq!(refusal.seconds(), 40);
        assert_eq!(
            refusal.to_string(),
            "too many failed sign-ins from 10.0.0.1; try again in 40 s"
        );
        // Refused attempts are not counted, so the window does not stretch.
        assert!(throttle.failed(HOME, at(t0, 30)).is_err());
        assert!(throttle.reserve(HOME, None, at(t0, 30)).is_err());
        assert_eq!(throttle.admit(AWAY, at(t0, 30)), Ok(()));
        assert_eq!(throttle.admit(HOME, at(t0, 61)), Ok(()));
        // A new window starts at the next failure.
        throttle.failed(HOME, at(t0, 61)).unwrap();
        assert_eq!(throttle.admit(HOME, at(t0, 62)), Ok(()));
    }

    #[test]
    fn a_reserved_check_counts_until_it_succeeds_and_success_forgives_nothing_else() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        // Ten checks at once: the eleventh is refused before any of them ends.
        for _ in 0..MAX_FAILURES {
            throttle.reserve(HOME, None, t0).unwrap();
        }
        assert!(throttle.reserve(HOME, None, t0).is_err());
        // One succeeds: its place is free again, but only its own.
        throttle.succeeded(HOME, None, t0);
        throttle.reserve(HOME, None, t0).unwrap();
        assert!(throttle.reserve(HOME, None, t0).is_err());
    }

    #[test]
    fn a_name_is_barred_after_ten_failures_from_anywhere_but_where_it_signed_in() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        throttle.reserve(HOME, Some("alice"), t0).unwrap();
        throttle.succeeded(HOME, Some("alice"), t0);
        // Ten addresses, one guess each: no address is barred, the name is.
        for i in 0..MAX_FAILURES {
            let guesser = Client::Address(IpAddr::from([192, 0, 2, u8::try_from(i).unwrap()]));
            throttle.reserve(guesser, Some("alice"), t0).unwrap();
        }
        let refusal = throttle.reserve(AWAY, Some("alice"), t0).unwrap_err();
        assert!(
            refusal
                .to_string()
                .starts_with("too many failed sign-ins as `alice`; try again in 60 s"),
            "{refusal}"
        );
        assert_eq!(throttle.reserve(AWAY, Some("bob"), t0), Ok(()));
        assert_eq!(throttle.reserve(HOME, Some("alice"), t0), Ok(()), "known");
        assert_eq!(throttle.reserve(AWAY, Some("alice"), at(t0, 60)), Ok(()));
        // A name no human could have gets no count of its own.
        for _ in 0..MAX_FAILURES {
            throttle
                .reserve(Client::LocalSocket, Some("no such name!"), t0)
                .unwrap();
        }
        assert!(!throttle.lock().names.contains_key("no such name!"));
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(Client::address(a), Client::address(b));
        assert_eq!(Client::address(a).to_string(), "2001:db8:1:2::/64");
        assert_ne!(
            Client::address(a),
            Client::address("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(Client::address("::ffff:10.0.0.1".parse().unwrap()), HOME);
        assert_eq!(Client::address("::1".parse().unwrap()).to_string(), "::1");
        assert_eq!(Client::LocalUser(1000).to_string(), "local user 1000");
    }
}
