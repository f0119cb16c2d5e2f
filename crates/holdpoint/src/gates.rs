//! holdpoint's own PostgreSQL proxies that an agent's `psql` line may be left to
//! (`holdpoint_core::Gate`): each `[[database]]` of holdpoint.toml that is listening on
//! this machine's loopback now, as a principal the agent is not.
//!
//! Who listens is the kernel's word (`/proc/net/tcp` and `tcp6`: address, port, state
//! and the uid that opened the socket). A proxy counts only when every socket listening
//! on its port belongs to the user who owns holdpoint's home, and that user is not the
//! agent's: an agent cannot then stand in for the proxy, on that address or another
//! loopback address of the same port, since it cannot open a socket as that user. When
//! the agent runs as holdpoint's own user (one user for both), or its user is not known
//! (a client over TCP), no proxy counts, and the hook judges the SQL itself.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use holdpoint_core::Gate;

use crate::home::DatabaseConfig;

/// A listening TCP socket: where, and whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listener {
    ip: IpAddr,
    port: u16,
    uid: u32,
}

/// The proxies of `databases` an agent running as `agent_uid` may leave SQL to.
pub(crate) fn gates(
    databases: &[DatabaseConfig],
    home: &Path,
    agent_uid: Option<u32>,
) -> Vec<Gate> {
    let Some(agent_uid) = agent_uid else {
        return Vec::new();
    };
    let Ok(owner) = std::fs::metadata(home).map(|m| m.uid()) else {
        return Vec::new();
    };
    if databases.is_empty() || owner == agent_uid {
        return Vec::new();
    }
    let mut listeners = Vec::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        if let Ok(text) = std::fs::read_to_string(file) {
            listeners.extend(listening(&text, v6));
        }
    }
    gates_among(databases, &listeners, owner)
}

/// The proxies of `databases` that `listeners` show listening as `owner` alone.
fn gates_among(databases: &[DatabaseConfig], listeners: &[Listener], owner: u32) -> Vec<Gate> {
    databases
        .iter()
        .filter_map(|database| {
            let port = database.listen.port();
            let ip = database.listen.ip();
            let on_port: Vec<&Listener> = listeners.iter().filter(|l| l.port == port).collect();
            let held = on_port.iter().any(|l| l.ip == ip && l.uid == owner);
            if !held || on_port.iter().any(|l| l.uid != owner) {
                return None;
            }
            let hosts = match ip {
                IpAddr::V4(v4) if v4.is_unspecified() => vec![Ipv4Addr::LOCALHOST.to_string()],
                IpAddr::V6(v6) if v6.is_unspecified() => {
                    vec![
                        Ipv4Addr::LOCALHOST.to_string(),
                        Ipv6Addr::LOCALHOST.to_string(),
                    ]
                }
                ip if ip.is_loopback() => vec![ip.to_string()],
                _ => return None,
            };
            Some(Gate {
                port,
                hosts,
                name: format!("holdpoint pg on {}", database.listen),
            })
        })
        .collect()
}

/// The listening sockets in the text of `/proc/net/tcp` (or `tcp6` when `v6`).
fn listening(text: &str, v6: bool) -> Vec<Listener> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (address, port) = fields.get(1)?.split_once(':')?;
            // `0A`: TCP_LISTEN.
            if *fields.get(3)? != "0A" {
                return None;
            }
            Some(Listener {
                ip: address_of(address, v6)?,
                port: u16::from_str_radix(port, 16).ok()?,
                uid: fields.get(7)?.parse().ok()?,
            })
        })
        .collect()
}

/// An address as the kernel prints it: 32-bit words in hex, each in the machine's own
/// byte order.
fn address_of(hex: &str, v6: bool) -> Option<IpAddr> {
    let words = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
        .collect::<Option<Vec<u32>>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    match (v6, bytes.len()) {
        (false, 4) => {
            let octets: [u8; 4] = bytes.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        (true, 16) => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            let v6 = Ipv6Addr::from(octets);
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(listen: &str) -> DatabaseConfig {
        DatabaseConfig {
            listen: listen.parse().unwrap(),
            upstream: "postgres://app@db.internal/app".to_owned(),
            environment: None,
            wait: None,
            tls: None,
            password_file: None,
        }
    }

    #[test]
    fn the_kernels_table_is_read() {
        // A little-endian machine's lines: 127.0.0.1:6432 listening as uid 998, an
        // established connection, and [::1]:6432 listening as uid 1000.
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1920 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1920 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1\n";
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:1920 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4444 1\n";
        if cfg!(target_endian = "little") {
            assert_eq!(
                listening(tcp, false),
                vec![Listener {
                    ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    port: 6432,
                    uid: 998
                }]
            );
            assert_eq!(
                listening(tcp6, true),
                vec![Listener {
                    ip: IpAddr::V6(Ipv6Addr::LOCALHOST),
                    port: 6432,
                    uid: 1000
                }]
            );
        }
    }

    #[test]
    fn a_proxy_counts_only_where_nobody_else_listens_on_its_port() {
        let listener = |ip: &str, port, uid| Listener {
            ip: ip.parse().unwrap(),
            port,
            uid,
        };
        let proxy = [database("127.0.0.1:6432")];
        let gates = gates_among(&proxy, &[listener("127.0.0.1", 6432, 998)], 998);
        assert_eq!(gates.len(), 1);
        assert_eq!(gates[0].hosts, vec!["127.0.0.1".to_owned()]);
        assert_eq!(gates[0].name, "holdpoint pg on 127.0.0.1:6432");
        // Not running, run by someone else, or someone else on the same port too.
        assert!(gates_among(&proxy, &[], 998).is_empty());
        assert!(gates_among(&proxy, &[listener("127.0.0.1", 6432, 1000)], 998).is_empty());
        assert!(
            gates_among(
                &proxy,
                &[
                    listener("127.0.0.1", 6432, 998),
                    listener("::1", 6432, 1000)
                ],
                998
            )
            .is_empty()
        );
        // Listening on every address: loopback is the proxy's.
        let wide = [database("0.0.0.0:6432")];
        let gates = gates_among(&wide, &[listener("0.0.0.0", 6432, 998)], 998);
        assert_eq!(gates[0].hosts, vec!["127.0.0.1".to_owned()]);
        // An address that is not loopback: an agent's 127.0.0.1 is not it.
        let remote = [database("10.0.0.7:6432")];
        assert!(gates_among(&remote, &[listener("10.0.0.7", 6432, 998)], 998).is_empty());
    }

    #[test]
    fn an_agent_running_as_holdpoints_own_user_leaves_nothing_to_a_proxy() {
        let dir = std::env::temp_dir();
        let owner = std::fs::metadata(&dir).map(|m| m.uid()).unwrap();
        assert!(gates(&[database("127.0.0.1:6432")], &dir, Some(owner)).is_empty());
        assert!(gates(&[database("127.0.0.1:6432")], &dir, None).is_empty());
    }
}
