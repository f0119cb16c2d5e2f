//! A team's holdpoint: three `holdpoint serve` processes, each with a home of its own,
//! on one PostgreSQL store. Agents' hooks reach different servers; a request held on
//! one is approved at a terminal and let through once on another, also when two
//! retries race on two servers; an agent waiting at a server, and a statement waiting
//! at a proxy, are answered as soon as the approval is given elsewhere; a freeze started anywhere refuses everywhere at once;
//! two proxies before one database, on the same store meanwhile, let a statement held
//! on one run once through the other; a server killed under load leaves the others
//! answering and the ledger whole. A server whose database stops (as by a crash)
//! refuses until it is back, then decides again by itself, losing nothing; a home
//! whose key is not the team's is refused by the store.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::approvals::{answer_of, request_id};
use crate::setup::{Background, Setup};
use crate::{stderr, stdout};

/// One server of the team: its home and the process.
struct Server {
    home: PathBuf,
    process: Background,
}

/// The hook's answer to a Bash command sent through the server of `home`.
fn decided(setup: &Setup, home: &Path, command: &str) -> (String, String) {
    let mut hook = setup.command(&["hook", "claude-code"]);
    hook.env("HOLDPOINT_HOME", home);
    let input = crate::approvals::bash(setup, "team", command);
    answer_of(&crate::setup::pipe(hook, &input.to_string()))
}

#[test]
fn three_servers_and_two_proxies_on_one_store_share_approvals_and_freezes_and_one_killed_loses_nothing()
 {
    let setup = Setup::on_postgres("team");
    setup.add_human("alice", None);
    let token = setup.add_agent("claude-code");
    let config = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
    assert!(config.contains("\n[store]\n"), "{config}");

    // Three servers, each with a home of its own: the same configuration and key (every
    // process signs checkpoints with it), a socket of its own.
    let servers: Vec<Server> = (0..3)
        .map(|n| {
            let home = setup.scratch.0.join(format!("server-{n}"));
            let copied = Command::new("cp")
                .arg("-a")
                .arg(&setup.home)
                .arg(&home)
                .status()
                .unwrap();
            assert!(copied.success());
            let mut serve = setup.command(&["serve", "--listen", "127.0.0.1:0"]);
            serve.env("HOLDPOINT_HOME", &home);
            let (process, address) = Background::start(serve, "at http://");
            // From now on, hooks with this home ask this server.
            std::fs::write(home.join("agent.token"), format!("{token}\n")).unwrap();
            assert!(config.contains("\n[server]\n"), "{config}");
            std::fs::write(
                home.join("holdpoint.toml"),
                config.replacen(
                    "\n[server]\n",
                    &format!(
                        "\n[server]\nurl = \"http://{address}\"\ntoken_file = \"agent.token\"\n"
                    ),
                    1,
                ),
            )
            .unwrap();
            Server { home, process }
        })
        .collect();
    let [a, b, c] = [&servers[0].home, &servers[1].home, &servers[2].home];

    // Held on one server, approved at a terminal, let through once on another.
    let change = "systemctl restart nginx";
    let (decision, reason) = decided(&setup, a, change);
    assert_eq!(decision, "deny", "{reason}");
    let id = request_id(&reason);
    let (_, again) = decided(&setup, b, change);
    assert_eq!(
        request_id(&again),
        id,
        "the other server finds the same request"
    );
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    let (decision, reason) = decided(&setup, b, change);
    assert_eq!(decision, "allow", "{reason}");
    let (decision, _) = decided(&setup, c, change);
    assert_eq!(decision, "deny", "an approval lets one action through");

    // An agent waiting at one server for an approval given elsewhere (at a terminal,
    // straight into the store) is answered at once: the server hears the store. Were it
    // to look again only now and then, the wait would take about 5 s.
    let flag = setup.scratch.0.join("waited");
    let mark = setup.scratch.0.join("mark");
    std::fs::copy("/usr/bin/touch", &mark).unwrap();
    let mut exec = setup.command(&["exec", "--wait", "60s", "--"]);
    exec.arg(&mark)
        .arg(&flag)
        .env("HOLDPOINT_HOME", b)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut exec = exec.spawn().unwrap();
    let mut err = std::io::BufReader::new(exec.stderr.take().unwrap());
    let mut held = String::new();
    std::io::BufRead::read_line(&mut err, &mut held).unwrap();
    assert!(held.contains("held this action"), "{held}");
    let id = request_id(&held);
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    let approved = Instant::now();
    let status = exec.wait().unwrap();
    let waited = approved.elapsed();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(flag.exists(), "the approved command ran");
    eprintln!("an exec waiting at server B ran {waited:?} after the approval at a terminal");
    assert!(
        waited < Duration::from_secs(3),
        "the approval reached the waiting server late: {waited:?}"
    );

    // Two retries racing on two servers: exactly one runs.
    for round in 0..5 {
        let command = format!("systemctl restart worker@{round}");
        let (_, reason) = decided(&setup, c, &command);
        let id = request_id(&reason);
        let (code, text) = setup.approve(&id, "alice", None);
        assert_eq!(code, Some(0), "{text}");
        let outcomes: Vec<String> = std::thread::scope(|scope| {
            let racers: Vec<_> = [b, c]
                .into_iter()
                .map(|home| {
                    let (setup, command) = (&setup, &command);
                    scope.spawn(move || decided(setup, home, command).0)
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            outcomes.iter().filter(|o| *o == "allow").count(),
            1,
            "round {round}: {outcomes:?}"
        );
    }

    // Two proxies before one database, on the same store while the servers run: a
    // statement held on one, approved, runs once through the other.
    let db = crate::pg::Database::new("team_proxies");
    db.seed(10);
    let proxies = [
        crate::pg::Proxy::start(&setup, &db, &["--no-wait"]),
        crate::pg::Proxy::start(&setup, &db, &["--no-wait"]),
    ];
    let delete = "DELETE FROM users WHERE id = 3";
    let held = proxies[0].psql("claude-code", &token, &db.name, &[delete]);
    assert_ne!(held.status.code(), Some(0), "{}", proxies[0].log());
    let id = request_id(&stderr(&held));
    assert_eq!(db.direct("SELECT count(*) FROM users"), "10");
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    let ran = proxies[1].psql("claude-code", &token, &db.name, &[delete]);
    assert_eq!(
        ran.status.code(),
        Some(0),
        "{}{}",
        stderr(&ran),
        proxies[1].log()
    );
    assert_eq!(db.direct("SELECT count(*) FROM users"), "9");
    let again = proxies[0].psql("claude-code", &token, &db.name, &[delete]);
    assert_ne!(again.status.code(), Some(0));
    assert_ne!(
        request_id(&stderr(&again)),
        id,
        "an approval lets one statement through"
    );
    for proxy in &proxies {
        let read = proxy.psql(
            "claude-code",
            &token,
            &db.name,
            &["SELECT count(*) FROM users"],
        );
        assert_eq!(stdout(&read), "9\n", "{}", stderr(&read));
    }
    // A proxy that holds a statement until it is approved hears the approval given at
    // a terminal at once, as the servers do.
    let waiting = crate::pg::Proxy::start(&setup, &db, &[]);
    let mut psql = waiting
        .psql_command(
            "claude-code",
            &token,
            &db.name,
            &["DELETE FROM users WHERE id = 4"],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut notices = std::io::BufReader::new(psql.stderr.take().unwrap());
    let mut notice = String::new();
    while !notice.contains("request apr-") {
        notice.clear();
        assert!(
            std::io::BufRead::read_line(&mut notices, &mut notice).unwrap() > 0,
            "the proxy never said it was waiting: {}",
            waiting.log()
        );
    }
    let (code, text) = setup.approve(&request_id(&notice), "alice", None);
    assert_eq!(code, Some(0), "{text}");
    let approved = Instant::now();
    let ran = psql.wait_with_output().unwrap();
    let waited = approved.elapsed();
    assert_eq!(ran.status.code(), Some(0), "{}", waiting.log());
    assert_eq!(db.direct("SELECT count(*) FROM users"), "8");
    eprintln!("a statement waiting at a proxy ran {waited:?} after the approval at a terminal");
    assert!(
        waited < Duration::from_secs(3),
        "the approval reached the waiting proxy late: {waited:?}"
    );
    drop(waiting);

    // A freeze started at one home's terminal refuses on every server, from the next
    // decision on.
    let mut freeze = setup.command(&[
        "freeze",
        "start",
        "--env",
        "production",
        "--reason",
        "incident 7",
    ]);
    freeze.env("HOLDPOINT_HOME", a);
    let started = crate::setup::pipe(freeze, "");
    assert_eq!(started.status.code(), Some(0), "{}", stderr(&started));
    let frozen_at = Instant::now();
    for home in [c, b, a] {
        let (decision, reason) = decided(&setup, home, "systemctl restart cron");
        assert_eq!(decision, "deny");
        assert!(reason.contains("incident 7"), "{reason}");
    }
    eprintln!(
        "a freeze started at one home was enforced by all three servers within {:?}",
        frozen_at.elapsed()
    );

    // One server killed with SIGKILL while agents keep deciding through all three: the
    // others go on answering, the killed one's agents are refused, and the ledger keeps
    // every decision once.
    let killed_pid = servers[1].process.pid();
    let answered_by_b = std::sync::atomic::AtomicUsize::new(0);
    let answers = std::thread::scope(|scope| {
        let load: Vec<_> = [a, b, c]
            .into_iter()
            .map(|home| {
                let (setup, answered_by_b) = (&setup, &answered_by_b);
                scope.spawn(move || {
                    (0..30)
                        .map(|i| {
                            let answer = decided(setup, home, &format!("ls /srv/{i}"));
                            if home == b {
                                answered_by_b.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            answer
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let started = Instant::now();
        while answered_by_b.load(std::sync::atomic::Ordering::SeqCst) < 3 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "server b never answered"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let killed = Command::new("kill")
            .args(["-KILL", &killed_pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        load.into_iter()
            .map(|l| l.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (n, answers) in answers.iter().enumerate() {
        if n == 1 {
            assert!(
                answers.last().is_some_and(|(d, _)| d == "deny"),
                "after its server was killed, an agent is refused: {answers:?}"
            );
        } else {
            assert!(
                answers.iter().all(|(d, _)| d == "allow"),
                "server {n}: {answers:?}"
            );
        }
    }
    drop(proxies);
    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let records = setup.records();
    let proposed = records
        .iter()
        .filter(|r| r["kind"] == "proposed" && r["body"]["input"] == delete)
        .count();
    assert_eq!(proposed, 3, "held, run, held again: each recorded once");
    let allowed: usize = answers
        .iter()
        .flatten()
        .filter(|(d, _)| d == "allow")
        .count();
    let ran = records
        .iter()
        .filter(|r| {
            r["kind"] == "proposed"
                && r["body"]["input"]
                    .as_str()
                    .is_some_and(|i| i.starts_with("ls /srv/"))
        })
        .count();
    // Every allowed answer was recorded first; a call the killed server decided but
    // never answered may be recorded too.
    assert!(
        ran >= allowed,
        "{ran} recorded for {allowed} allowed answers"
    );
    assert!(allowed >= 63, "{allowed}");
    drop(servers);
}

#[test]
fn a_server_whose_database_stops_refuses_meanwhile_and_goes_on_when_it_is_back() {
    // The store on a PostgreSQL server of the test's own, which is stopped as by a
    // crash and started again.
    let database = crate::pg::OwnServer::start("team-outage", None);
    let setup = Setup::on_postgres("team-outage");
    let config = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
    let config = config.replace(
        &setup.store_url().unwrap(),
        &format!("postgres://postgres@127.0.0.1:{}/postgres", database.port),
    );
    std::fs::write(setup.home.join("holdpoint.toml"), &config).unwrap();
    let init = setup.run(&["init"], "");
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    setup.add_human("alice", None);
    let token = setup.add_agent("claude-code");
    let served = setup.serve();
    std::fs::write(setup.home.join("agent.token"), format!("{token}\n")).unwrap();
    std::fs::write(
        setup.home.join("holdpoint.toml"),
        config.replacen(
            "\n[server]\n",
            &format!(
                "\n[server]\nurl = \"http://{}\"\ntoken_file = \"agent.token\"\n",
                served.address
            ),
            1,
        ),
    )
    .unwrap();
    let home = setup.home.clone();
    let mut allowed = 0;
    for i in 0..5 {
        assert_eq!(decided(&setup, &home, &format!("ls /srv/{i}")).0, "allow");
        allowed += 1;
    }

    // An agent keeps asking all along, from before the database stops until after it
    // is back: whatever it was told was allowed must be in the ledger afterwards.
    let asking = std::sync::atomic::AtomicBool::new(true);
    let (load, back) = std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            let mut answers = Vec::new();
            while asking.load(std::sync::atomic::Ordering::SeqCst) {
                let command = format!("ls /srv/load-{}", answers.len());
                let (decision, _) = decided(&setup, &home, &command);
                answers.push((command, decision));
            }
            answers
        });
        std::thread::sleep(Duration::from_millis(300));

        // Gone: every action is refused, saying why; none is allowed unrecorded.
        database.stop();
        for i in 0..3 {
            let (decision, reason) = decided(&setup, &home, &format!("ls /tmp/{i}"));
            assert_eq!(decision, "deny", "{reason}");
            assert!(reason.contains("could not"), "{reason}");
        }

        // Back, once it has recovered: the server connects again by itself.
        database.run();
        let back = Instant::now();
        let mut answer = decided(&setup, &home, "ls /srv/back");
        while answer.0 != "allow" {
            assert!(
                back.elapsed() < Duration::from_secs(15),
                "the server never came back: {answer:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
            answer = decided(&setup, &home, "ls /srv/back");
        }
        let back = back.elapsed();
        std::thread::sleep(Duration::from_millis(300));
        asking.store(false, std::sync::atomic::Ordering::SeqCst);
        (load.join().unwrap(), back)
    });
    allowed += 1;
    let load_allowed: Vec<&String> = load
        .iter()
        .filter(|(_, decision)| decision == "allow")
        .map(|(command, _)| command)
        .collect();
    eprintln!(
        "decisions resumed {back:?} after the database returned; the agent under load was allowed {} of {} times",
        load_allowed.len(),
        load.len()
    );
    // Allowed before the stop and after the return; refused between.
    assert!(
        load.iter().any(|(_, decision)| decision == "deny"),
        "{load:?}"
    );
    assert!(
        load.last().is_some_and(|(_, decision)| decision == "allow"),
        "{load:?}"
    );
    allowed += load_allowed.len();
    for i in 5..8 {
        assert_eq!(decided(&setup, &home, &format!("ls /srv/{i}")).0, "allow");
        allowed += 1;
    }
    drop(served);
    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let recorded: Vec<String> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "proposed")
        .filter_map(|r| r["body"]["input"].as_str().map(str::to_owned))
        .filter(|input| input.starts_with("ls /srv/"))
        .collect();
    assert!(recorded.len() >= allowed, "{recorded:?}");
    // Nothing lost and nothing written twice: each allowed command once (the retries
    // of `back` that were refused were never recorded), the agent's under load too.
    let expected = (0..8)
        .map(|i| format!("ls /srv/{i}"))
        .chain(load_allowed.into_iter().cloned());
    for i in expected {
        assert_eq!(
            recorded.iter().filter(|r| **r == i).count(),
            1,
            "{i}: {recorded:?}"
        );
    }
}

#[test]
fn a_home_whose_key_is_not_the_teams_is_refused_by_the_store() {
    let setup = Setup::on_postgres("team-key");
    // A home set up on its own has a key of its own; it is pointed at the team's store.
    let other = Setup::bare("team-key-other");
    let init = other.run(&["init"], "");
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let config = std::fs::read_to_string(other.home.join("holdpoint.toml")).unwrap();
    std::fs::write(
        other.home.join("holdpoint.toml"),
        format!(
            "{config}\n[store]\nurl = \"{}\"\n",
            setup.store_url().unwrap()
        ),
    )
    .unwrap();

    // Its server does not start, saying why and what to do.
    let mut serve = other
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while serve.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = serve.kill();
            panic!("a server with another key started on the team's store");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let refused = serve.wait_with_output().unwrap();
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr(&refused).contains("copy keys/ledger.key"),
        "{}",
        stderr(&refused)
    );

    // Its hooks refuse, rather than sign checkpoints no one else can verify.
    let (decision, reason) = decided(&other, &other.home, "ls /srv");
    assert_eq!(decision, "deny", "{reason}");
    assert!(reason.contains("copy keys/ledger.key"), "{reason}");

    // The team's own home goes on.
    assert_eq!(decided(&setup, &setup.home, "ls /srv").0, "allow");
    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
}
