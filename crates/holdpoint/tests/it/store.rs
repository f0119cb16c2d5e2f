//! `holdpoint store copy`: a home's store moved to a PostgreSQL database as a team does
//! it, then used there: the ledger verifies, the held request is still held and its
//! approval lets the action through once. A ledger that does not verify is not
//! copied, and a store that holds anything is never copied into. A store's password
//! written into holdpoint.toml is refused, by commands and hooks alike.

use crate::pg::Database;
use crate::setup::Setup;
use crate::{stderr, stdout};

/// Claude Code's answer to a Bash command: the decision and its reason.
fn decided(setup: &Setup, command: &str) -> (String, String) {
    crate::approvals::claude(setup, "moved", command)
}

fn url(database: &Database) -> String {
    format!(
        "postgres://postgres@{}:5432/{}",
        crate::pg::SERVER,
        database.name
    )
}

#[test]
fn a_store_copied_to_postgresql_goes_on_there_with_its_ledger_and_its_held_requests() {
    let setup = Setup::new("store-copy");
    setup.add_human("alice", None);
    // Some history: reads, a held change.
    for command in ["ls", "git status", "cat README.md"] {
        assert_eq!(decided(&setup, command).0, "allow");
    }
    let (decision, reason) = decided(&setup, "systemctl restart nginx");
    assert_eq!(decision, "deny", "{reason}");
    let id = crate::approvals::request_id(&reason);
    let records_before = stdout(&setup.run(&["log", "show", "--format", "json"], ""))
        .lines()
        .count();
    assert!(records_before >= 6, "{records_before}");

    let team = Database::new("store_copy_team");
    let output = setup.run(&["store", "copy", "--to", &url(&team)], "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!(
            "copied to {}: {records_before} records",
            url(&team)
        )),
        "{}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("approvals"), "{}", stderr(&output));

    // Every process now names the team's database.
    let config = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
    let config = match config.find("\n[store]\n") {
        Some(at) => config[..at].to_owned(),
        None => config,
    };
    std::fs::write(
        setup.home.join("holdpoint.toml"),
        format!("{config}\n[store]\nurl = \"{}\"\n", url(&team)),
    )
    .unwrap();
    let verified = setup.run(&["log", "verify"], "");
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains(&format!("ledger verified: {records_before} records")),
        "{}",
        stdout(&verified)
    );
    let listed = stdout(&setup.run(&["approvals", "list"], ""));
    assert!(
        listed.contains(&id) && listed.contains("pending"),
        "{listed}"
    );
    // The request held before the move is approved after it, and lets the action
    // through once.
    let (code, text) = setup.approve(&id, "alice", None);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(decided(&setup, "systemctl restart nginx").0, "allow");
    assert_eq!(decided(&setup, "systemctl restart nginx").0, "deny");
    let count = team.direct("SELECT count(*) FROM holdpoint.records");
    assert!(
        count.parse::<usize>().unwrap() > records_before,
        "{count} records"
    );

    // A store that holds anything is never copied into.
    let again = Database::new("store_copy_again");
    std::fs::write(
        setup.home.join("holdpoint.toml"),
        format!("{config}\n[store]\nurl = \"{}\"\n", url(&team)),
    )
    .unwrap();
    let output = setup.run(&["store", "copy", "--to", &url(&team)], "");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is where the store is now"),
        "{}",
        stderr(&output)
    );
    let first = setup.run(&["store", "copy", "--to", &url(&again)], "");
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = setup.run(&["store", "copy", "--to", &url(&again)], "");
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("already holds"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn a_ledger_that_does_not_verify_is_not_copied() {
    let setup = Setup::new("store-copy-tampered");
    assert_eq!(decided(&setup, "ls").0, "allow");
    assert_eq!(decided(&setup, "git status").0, "allow");
    // Someone with write access to the store changed a record.
    let sql = "UPDATE records SET text = replace(text, 'git status', 'git push') WHERE text LIKE '%git status%'";
    let changed = match &setup.store {
        None => rusqlite::Connection::open(setup.home.join("store.db"))
            .unwrap()
            .execute(sql, [])
            .unwrap(),
        Some(database) => {
            database.direct(&format!("SET search_path TO holdpoint; {sql}"));
            1
        }
    };
    assert!(changed >= 1, "{changed}");
    let team = Database::new("store_copy_tampered");
    let output = setup.run(&["store", "copy", "--to", &url(&team)], "");
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not verify, at record #")
            && stderr(&output).contains("nothing was copied"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        team.direct("SELECT count(*) FROM pg_namespace WHERE nspname = 'holdpoint'"),
        "1",
        "connected (the schema is made) but nothing copied"
    );
    assert_eq!(team.direct("SELECT count(*) FROM holdpoint.records"), "0");
}

#[test]
fn a_store_password_written_into_the_configuration_is_refused_saying_where_to_put_it() {
    let setup = Setup::new("store-password");
    let original = std::fs::read_to_string(setup.home.join("holdpoint.toml")).unwrap();
    let config = match original.find("\n[store]\n") {
        Some(at) => original[..at].to_owned(),
        None => original.clone(),
    };
    for (store, expected) in [
        (
            "url = \"postgres://holdpoint:s3cret@127.0.0.1:5432/holdpoint\"",
            "`[store] url` holds a password: take it out of the address",
        ),
        (
            "url = \"postgres://holdpoint@127.0.0.1:5432/holdpoint\"\npassword = \"s3cret\"",
            "`[store] password` is written here in the clear",
        ),
        (
            "url = \"mysql://holdpoint@127.0.0.1/holdpoint\"",
            "is not a PostgreSQL address",
        ),
    ] {
        std::fs::write(
            setup.home.join("holdpoint.toml"),
            format!("{config}\n[store]\n{store}\n"),
        )
        .unwrap();
        // A command refuses with what to write; a hook refuses the action.
        let output = setup.run(&["log", "verify"], "");
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
        assert!(!stderr(&output).contains("s3cret"), "{}", stderr(&output));
        let hook = setup.run(
            &["hook", "claude-code"],
            &crate::approvals::bash(&setup, "s", "ls").to_string(),
        );
        let (decision, reason) = crate::approvals::answer_of(&hook);
        assert_eq!(decision, "deny", "{reason}");
        assert!(reason.contains(expected), "{reason}");
    }
    // Nor is one taken on the command line.
    std::fs::write(setup.home.join("holdpoint.toml"), &original).unwrap();
    let output = setup.run(
        &[
            "store",
            "copy",
            "--to",
            "postgres://holdpoint:s3cret@127.0.0.1:5432/x",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("holds a password"),
        "{}",
        stderr(&output)
    );
}
