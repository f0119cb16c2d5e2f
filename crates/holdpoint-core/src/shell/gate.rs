//! One gate per action: a `psql` line whose every connection setting names one of
//! holdpoint's own PostgreSQL proxies on this machine's loopback sends its statements
//! through that proxy, which sees each statement as the database will and decides it
//! there. The hook leaves those statements to it instead of holding the line and then
//! the same statement again at the proxy.
//!
//! Only positive knowledge leaves a statement to a proxy, because a line that goes
//! elsewhere would then be decided by nobody. The line is one `psql` command and nothing
//! else (checked by the walker), its options are read as psql's own parser reads them,
//! every host it names is an address at which only the proxy can listen on that port
//! (`Gate::hosts`, which the caller establishes), and every port is the proxy's. Anything that could
//! send the connection elsewhere without naming a host (`hostaddr`, `service`, an
//! option psql has not got, a host given twice differently) leaves the line to the
//! hook's own judgement, as before.

/// psql's one-letter options that take a value (its `getopt` string,
/// `aAbc:d:eEf:F:h:HlL:no:p:P:qR:sStT:U:v:VwWxXz?01`).
const SHORT_WITH_VALUE: &str = "cdfFhLopPRTUv";

/// psql's one-letter options without a value.
const SHORT_FLAGS: &str = "aAbeEHlnqsStVwWxXz?01";

/// psql's long options that take a value, and the settings among them that say where
/// it connects.
const LONG_WITH_VALUE: [&str; 15] = [
    "command",
    "dbname",
    "file",
    "field-separator",
    "host",
    "log-file",
    "output",
    "port",
    "pset",
    "record-separator",
    "set",
    "table-attr",
    "username",
    "variable",
    "csv-separator",
];

/// psql's long options without a value.
const LONG_FLAGS: [&str; 24] = [
    "echo-all",
    "no-align",
    "echo-errors",
    "echo-queries",
    "echo-hidden",
    "html",
    "list",
    "no-readline",
    "single-step",
    "single-line",
    "tuples-only",
    "version",
    "no-password",
    "password",
    "expanded",
    "no-psqlrc",
    "field-separator-zero",
    "record-separator-zero",
    "single-transaction",
    "help",
    "quiet",
    "csv",
    "echo",
    "log",
];

/// The hosts and the one port every connection setting of a `psql` line (its arguments
/// after the program) names; `None` when anything could send it elsewhere, or it names
/// no host or no port.
pub(crate) fn psql_destination(args: &[String]) -> Option<(Vec<String>, u16)> {
    let mut hosts: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let mut databases: Vec<String> = Vec::new();
    let mut positionals = 0;
    let mut iter = args.iter();
    let mut options_end = false;
    while let Some(arg) = iter.next() {
        if options_end || !arg.starts_with('-') || arg == "-" {
            // The first word is the database (or a connection string), the second the
            // user; psql takes no third.
            positionals += 1;
            match positionals {
                1 => databases.push(arg.clone()),
                2 => {}
                _ => return None,
            }
            continue;
        }
        if arg == "--" {
            options_end = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            if LONG_FLAGS.contains(&name) && attached.is_none() {
                continue;
            }
            if !LONG_WITH_VALUE.contains(&name) {
                return None;
            }
            let value = match attached {
                Some(value) => value,
                None => iter.next()?.clone(),
            };
            match name {
                "host" => hosts.push(value),
                "port" => ports.push(value),
                "dbname" => databases.push(value),
                _ => {}
            }
            continue;
        }
        // A cluster of one-letter options, the last of which may take a value: the rest
        // of the word, else the next word (`-h127.0.0.1`, `-Atc 'SQL'`).
        let mut letters = arg.chars().skip(1);
        while let Some(letter) = letters.next() {
            if SHORT_WITH_VALUE.contains(letter) {
                let rest: String = letters.by_ref().collect();
                let value = if rest.is_empty() {
                    iter.next()?.clone()
                } else {
                    rest
                };
                match letter {
                    'h' => hosts.push(value),
                    'p' => ports.push(value),
                    'd' => databases.push(value),
                    _ => {}
                }
            } else if !SHORT_FLAGS.contains(letter) {
                return None;
            }
        }
    }
    for database in &databases {
        connection_string(database, &mut hosts, &mut ports)?;
    }
    if hosts.is_empty() || ports.is_empty() {
        return None;
    }
    let hosts: Vec<String> = hosts
        .iter()
        .flat_map(|h| h.split(','))
        .map(|h| h.trim().to_owned())
        .collect();
    let mut port = None;
    for text in ports.iter().flat_map(|p| p.split(',')) {
        let number: u16 = text.trim().parse().ok()?;
        if port.is_some_and(|p| p != number) {
            return None;
        }
        port = Some(number);
    }
    Some((hosts, port?))
}

/// Whether every host of a `psql` line is one at which only `gate` listens on its port.
pub(crate) fn only_through(gate: &crate::Gate, hosts: &[String], port: u16) -> bool {
    gate.port == port && !hosts.is_empty() && hosts.iter().all(|h| gate.hosts.contains(h))
}

/// Adds the hosts and ports a database argument names, when it is a connection string
/// (`postgres://…` or `key=value …`); `None` when it names what could go elsewhere
/// (`hostaddr`, `service`) or cannot be read with certainty.
fn connection_string(text: &str, hosts: &mut Vec<String>, ports: &mut Vec<String>) -> Option<()> {
    let uri = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"));
    if let Some(rest) = uri {
        if rest.contains('%') {
            return None;
        }
        let (authority, query) = match rest.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (rest, None),
        };
        let authority = authority.split('/').next().unwrap_or("");
        let hostspec = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        for part in hostspec.split(',').filter(|p| !p.is_empty()) {
            let (host, port) = split_host_port(part)?;
            hosts.push(host);
            if let Some(port) = port {
                ports.push(port);
            }
        }
        for pair in query.iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            setting(key, value, hosts, ports)?;
        }
        return Some(());
    }
    if !text.contains('=') {
        return Some(());
    }
    // `key=value` pairs; quoting and escapes are left to the hook's own judgement.
    if text.contains(['\'', '\\']) {
        return None;
    }
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let (key, value) = if let Some((key, value)) = word.split_once('=') {
            if value.is_empty() {
                (key.to_owned(), words.next()?.to_owned())
            } else {
                (key.to_owned(), value.to_owned())
            }
        } else if words.peek() == Some(&"=") {
            words.next();
            (word.to_owned(), words.next()?.to_owned())
        } else {
            return None;
        };
        setting(&key, &value, hosts, ports)?;
    }
    Some(())
}

/// One connection setting: a host or port is noted; `hostaddr` and `service`, which
/// can send the connection somewhere no host names, are `None`.
fn setting(key: &str, value: &str, hosts: &mut Vec<String>, ports: &mut Vec<String>) -> Option<()> {
    match key {
        "host" => hosts.push(value.to_owned()),
        "port" => ports.push(value.to_owned()),
        "hostaddr" | "service" => return None,
        _ => {}
    }
    Some(())
}

/// `host`, `host:port`, `[::1]`, `[::1]:port`.
fn split_host_port(part: &str) -> Option<(String, Option<String>)> {
    if let Some(rest) = part.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.to_owned()),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match part.split_once(':') {
        Some((host, port)) => Some((host.to_owned(), Some(port.to_owned()))),
        None => Some((part.to_owned(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(args: &[&str]) -> bool {
        let gate = crate::Gate {
            port: 6432,
            hosts: vec!["127.0.0.1".to_owned(), "::1".to_owned()],
            name: "holdpoint pg".to_owned(),
        };
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        psql_destination(&args).is_some_and(|(hosts, port)| only_through(&gate, &hosts, port))
    }

    #[test]
    fn the_ways_psql_is_told_where_to_connect_are_read() {
        let ok = |args: &[&str]| assert!(through(args), "{args:?}");
        ok(&["-h", "127.0.0.1", "-p", "6432", "-c", "DROP"]);
        ok(&["-h127.0.0.1", "-p6432", "-Atc", "DROP"]);
        ok(&["--host=127.0.0.1", "--port", "6432", "app"]);
        ok(&["-d", "postgres://bot@127.0.0.1:6432/app", "-c", "DROP"]);
        ok(&["postgresql://[::1]:6432/app"]);
        ok(&["host=127.0.0.1 port=6432 dbname=app"]);
        ok(&["host = 127.0.0.1 port = 6432"]);
        ok(&["-h", "127.0.0.1", "-p", "6432", "app", "bot"]);
    }

    #[test]
    fn anything_that_could_go_elsewhere_is_not_left_to_a_proxy() {
        let not = |args: &[&str]| assert!(!through(args), "{args:?}");
        // No host, or no port: the socket directory, or 5432, or the environment's.
        not(&["-c", "DROP"]);
        not(&["-p", "6432", "-c", "DROP"]);
        not(&["-h", "127.0.0.1", "-c", "DROP"]);
        // Another host, anywhere it can be named; a name that resolves to several.
        not(&["-h", "10.0.0.5", "-p", "6432"]);
        not(&["-h", "127.0.0.2", "-p", "6432"]);
        not(&["-h", "localhost", "-p", "6432"]);
        not(&["-h", "127.0.0.1", "-p", "6432", "-d", "host=db.internal"]);
        not(&[
            "-h",
            "127.0.0.1",
            "-p",
            "6432",
            "postgres://db.internal/app",
        ]);
        not(&["-h", "127.0.0.1,db.internal", "-p", "6432,5432"]);
        not(&["postgres://127.0.0.1:6432,db.internal:5432/app"]);
        not(&["-h", "/var/run/postgresql", "-p", "6432"]);
        // Another port besides.
        not(&["-h", "127.0.0.1", "-p", "6432", "-d", "port=5432"]);
        not(&["-h", "127.0.0.1", "-p", "5432"]);
        // What names no host: hostaddr, a service.
        not(&["-h", "127.0.0.1", "-p", "6432", "-d", "hostaddr=10.0.0.5"]);
        not(&["postgres://127.0.0.1:6432/app?hostaddr=10.0.0.5"]);
        not(&["-h", "127.0.0.1", "-p", "6432", "-d", "service=prod"]);
        // A host hidden in a cluster is read as psql reads it.
        not(&["-h", "127.0.0.1", "-p", "6432", "-qh", "10.0.0.5"]);
        // Options psql has not got, quotes and escapes, encodings: not read.
        not(&["-h", "127.0.0.1", "-p", "6432", "--hostaddr", "10.0.0.5"]);
        not(&["-h", "127.0.0.1", "-p", "6432", "-Y"]);
        not(&["host=127.0.0.1 port=6432 hostaddr='10.0.0.5'"]);
        not(&[
            "postgres://%31%30.0.0.5:6432/app",
            "-h",
            "127.0.0.1",
            "-p",
            "6432",
        ]);
        not(&["-h", "127.0.0.1", "-p", "6432", "app", "bot", "extra"]);
        not(&["-h", "127.0.0.1", "-p", "6432", "--host"]);
    }
}
