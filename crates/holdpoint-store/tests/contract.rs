//! The same story told to the store on SQLite and on PostgreSQL: every kind of state
//! change, with the answers each gives and the ledger each keeps. Both must tell it
//! alike, so that a team that moves its store to PostgreSQL keeps the behaviour it had.
//! On PostgreSQL, two servers sharing one store: an approval lets exactly one of two
//! racing retries through, and what one server starts the other sees.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test stops at the first unexpected value, and says where"
)]

use std::sync::{Arc, Barrier};
use std::time::Duration;

use holdpoint_core::{Action, Environment, Risk, Surface};
use holdpoint_ledger::{Actors, Body, Entry, Kind, Verifier, Vote, VoteKind};
use holdpoint_policy::{Decision, Freeze, Grant, Outcome};
use holdpoint_store::{
    AgentIdentity, CHECKPOINT_EVERY, Human, Proposal, RecoveryPoint, SignIn, SqlStore, Store,
    StoreError, StoredFreeze, StoredGrant, StoredPasskey,
};

mod common;

use common::{Database, key};

const NOW: i64 = 1_700_000_000_000;

fn action(input: &str) -> Action {
    Action {
        surface: Surface::Shell,
        input: input.to_owned(),
        cwd: "/srv/app".to_owned(),
        target: "shell:host@production".to_owned(),
        environment: Environment::Production,
        agent: "claude".to_owned(),
        session: Some("s1".to_owned()),
        executed_content: Vec::new(),
    }
}

fn decision(outcome: Outcome, risk: Risk) -> Decision {
    Decision {
        outcome,
        risk,
        reasons: vec![format!("{risk:?} in production")],
        policies: vec!["prod-destroy".to_owned()],
        quorum: 1,
        confirm_target: false,
        grant: None,
    }
}

fn proposal<'a>(action: &'a Action, decision: &'a Decision) -> Proposal<'a> {
    Proposal {
        action,
        decision,
        effects: vec!["removes /var/lib/app/releases".to_owned()],
        os_user: Some("dev".to_owned()),
        approval_ttl_ms: 3_600_000,
        confirm: None,
        shown: None,
    }
}

fn vote(human: &str, kind: VoteKind, at_ms: i64) -> Vote {
    Vote {
        human: human.to_owned(),
        kind,
        reason: (kind == VoteKind::Refuse).then(|| "not during the freeze".to_owned()),
        at_ms,
        proof: None,
    }
}

fn invalid<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Every state change the store knows, each answer checked; returns the kinds of the
/// records it left, in order.
fn story(store: &SqlStore) -> Vec<String> {
    // Humans and agents: one name is never both.
    let ada = Human {
        name: "ada".to_owned(),
        secret_hash: "$argon2id$v=19$stub".to_owned(),
        created_ms: NOW,
        admin: true,
    };
    store.add_human(ada.clone(), None, None).unwrap();
    assert!(invalid(store.add_human(ada.clone(), None, None)).contains("already exists"));
    store
        .add_human(
            Human {
                name: "bob".to_owned(),
                admin: false,
                ..ada.clone()
            },
            Some("ada"),
            None,
        )
        .unwrap();
    let humans = store.humans().unwrap();
    assert_eq!(
        humans
            .iter()
            .map(|h| (h.name.as_str(), h.admin))
            .collect::<Vec<_>>(),
        [("ada", true), ("bob", false)]
    );
    let agent = AgentIdentity {
        name: "claude".to_owned(),
        token_hash: "$argon2id$v=19$token".to_owned(),
        created_ms: NOW,
    };
    store.add_agent(agent.clone(), "ada", None).unwrap();
    // Again: a new credential, the same agent.
    store
        .add_agent(
            AgentIdentity {
                token_hash: "$argon2id$v=19$new".to_owned(),
                ..agent.clone()
            },
            "ada",
            None,
        )
        .unwrap();
    assert_eq!(store.agents().unwrap().len(), 1);
    assert_eq!(store.agents().unwrap()[0].token_hash, "$argon2id$v=19$new");
    assert!(
        invalid(store.add_agent(
            AgentIdentity {
                name: "ada".to_owned(),
                ..agent
            },
            "ada",
            None
        ))
        .contains("a human named `ada` exists")
    );
    assert!(
        invalid(store.add_human(
            Human {
                name: "claude".to_owned(),
                ..ada
            },
            None,
            None
        ))
        .contains("an agent named `claude` exists")
    );

    // The person's instruction for the session, which a request shows its approvers.
    let instruction = Entry::new(
        Kind::Instructed,
        Actors {
            agent: Some("claude".to_owned()),
            session: Some("s1".to_owned()),
            ..Actors::default()
        },
        Body::of(
            &serde_json::json!({"text": "tidy the releases", "sha256": "sha256:00", "redacted": 0}),
        ),
    );
    store.append(&[instruction], NOW).unwrap();
    assert!(store.instructed("claude", "s1").unwrap());
    assert!(!store.instructed("codex", "s1").unwrap());

    // A grant in force: its task is what a new request says the agent is on.
    let grant = StoredGrant {
        grant: Grant {
            id: "grt-1".to_owned(),
            agent: "claude".to_owned(),
            task: "TICKET-7".to_owned(),
            targets: vec!["shell:*@production".to_owned()],
            max_risk: Risk::Change,
            expires_at: NOW / 1000 + 3600,
            revoked: false,
        },
        issued_by: "ada".to_owned(),
        created_ms: NOW,
    };
    store.issue_grant(grant, None).unwrap();

    // The retry protocol: held, approved, let through once, then held again.
    let removal = action("rm -rf /var/lib/app/releases");
    let ask = decision(Outcome::Ask, Risk::Destroy);
    let held = store.settle(&proposal(&removal, &ask), NOW).unwrap();
    assert_eq!(held.outcome, Outcome::Ask);
    assert!(held.new_request);
    let request = held.approval.unwrap();
    assert_eq!(request.asked.as_deref(), Some("tidy the releases"));
    assert_eq!(request.task.as_deref(), Some("TICKET-7"));
    // The same action again finds the same request.
    let again = store.settle(&proposal(&removal, &ask), NOW + 1).unwrap();
    assert!(!again.new_request);
    assert_eq!(again.approval.unwrap().id, request.id);
    store
        .note_approval(&request.id, "3 files, 12 KiB", NOW + 2)
        .unwrap();
    let answered = store
        .answer(
            &request.id,
            vote("ada", VoteKind::Approve, NOW + 3),
            None,
            None,
        )
        .unwrap();
    assert_eq!(answered.state.as_str(), "approved");
    assert!(answered.effects.iter().any(|e| e == "3 files, 12 KiB"));
    let through = store.settle(&proposal(&removal, &ask), NOW + 4).unwrap();
    assert_eq!(through.outcome, Outcome::Allow);
    assert_eq!(through.approved_by, ["ada"]);
    let once_more = store.settle(&proposal(&removal, &ask), NOW + 5).unwrap();
    assert_eq!(
        once_more.outcome,
        Outcome::Ask,
        "an approval lets one action through"
    );
    assert!(once_more.new_request);
    // Refused: asking again is answered with the reason, not a new request.
    let second = once_more.approval.unwrap();
    store
        .answer(
            &second.id,
            vote("bob", VoteKind::Refuse, NOW + 6),
            None,
            None,
        )
        .unwrap();
    let refused = store.settle(&proposal(&removal, &ask), NOW + 7).unwrap();
    assert_eq!(refused.outcome, Outcome::Deny);
    assert!(
        refused
            .reasons
            .iter()
            .any(|r| r.contains("bob refused") && r.contains("not during the freeze")),
        "{:?}",
        refused.reasons
    );
    assert!(matches!(
        store.answer(
            "apr-missing",
            vote("ada", VoteKind::Approve, NOW),
            None,
            None
        ),
        Err(StoreError::NotFound { .. })
    ));
    // Requests whose time is up are expired when listed.
    let listed = store.approvals(NOW + 7_200_000).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|r| r.state.as_str() != "pending"));

    // A batch, as a server writes one: an allowed read, a held change, and an outcome
    // of an earlier decision, in one transaction.
    let status = action("git status");
    let allow = decision(Outcome::Allow, Risk::Read);
    let restart = action("systemctl restart app");
    let batch = store
        .settle_all(
            &[proposal(&status, &allow), proposal(&restart, &ask)],
            &[Entry::new(
                Kind::Executed,
                Actors::default(),
                Body::of(&serde_json::json!({"exit_code": 0})),
            )
            .digest(status.digest().to_string())],
            NOW + 8,
        )
        .unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(batch[0].as_ref().unwrap().outcome, Outcome::Allow);
    assert_eq!(batch[1].as_ref().unwrap().outcome, Outcome::Ask);
    assert_eq!(store.approvals(NOW + 9).unwrap().len(), 3);

    // Grants and freezes end once.
    assert_eq!(store.grants().unwrap().len(), 1);
    assert!(
        store
            .revoke_grant("grt-1", "ada", None, NOW + 10)
            .unwrap()
            .grant
            .revoked
    );
    assert!(
        invalid(store.revoke_grant("grt-1", "ada", None, NOW + 11)).contains("already revoked")
    );
    let freeze = StoredFreeze {
        id: "frz-1".to_owned(),
        freeze: Freeze {
            environment: Environment::Production,
            reason: "release week".to_owned(),
            starts_at: NOW / 1000,
            until: None,
            ended: false,
        },
        started_by: "ada".to_owned(),
        ended_by: None,
    };
    store.start_freeze(freeze, None, NOW + 12).unwrap();
    assert!(!store.freezes().unwrap()[0].freeze.ended);
    store.end_freeze("frz-1", "bob", None, NOW + 13).unwrap();
    assert_eq!(store.freezes().unwrap()[0].ended_by.as_deref(), Some("bob"));
    assert!(invalid(store.end_freeze("frz-1", "bob", None, NOW + 14)).contains("already ended"));

    // Passkeys.
    let passkey = StoredPasskey {
        id: "cred-1".to_owned(),
        human: "ada".to_owned(),
        name: "laptop".to_owned(),
        credential: serde_json::json!({"counter": 1}),
        created_ms: NOW,
        used_ms: None,
    };
    store.add_passkey(&passkey, None).unwrap();
    assert!(invalid(store.add_passkey(&passkey, None)).contains("already registered"));
    assert!(matches!(
        store.add_passkey(
            &StoredPasskey {
                human: "nobody".to_owned(),
                id: "cred-2".to_owned(),
                ..passkey.clone()
            },
            None
        ),
        Err(StoreError::NotFound { .. })
    ));
    store
        .passkey_used("cred-1", &serde_json::json!({"counter": 2}), NOW + 15)
        .unwrap();
    let kept = store.passkeys("ada").unwrap();
    assert_eq!(kept[0].credential, serde_json::json!({"counter": 2}));
    assert_eq!(kept[0].used_ms, Some(NOW + 15));
    assert!(store.passkeys("bob").unwrap().is_empty());
    store
        .remove_passkey("cred-1", "ada", None, NOW + 16)
        .unwrap();
    assert!(store.passkeys("ada").unwrap().is_empty());

    // Recovery points, kept in the order they were kept.
    for (n, table) in ["orders", "customers"].iter().enumerate() {
        store
            .keep_recovery(
                &RecoveryPoint {
                    id: format!("rcv-{n}"),
                    loss: "drop".to_owned(),
                    table: (*table).to_owned(),
                    address: "127.0.0.1:5432".to_owned(),
                    database: "app".to_owned(),
                    user: "app".to_owned(),
                    statement: format!("DROP TABLE {table}"),
                    digest: "sha256:11".to_owned(),
                    agent: "claude".to_owned(),
                    session: None,
                    rows: Some(3),
                    created_ms: NOW,
                    state: "kept".to_owned(),
                },
                NOW + 17,
            )
            .unwrap();
    }
    assert_eq!(
        store
            .recoveries()
            .unwrap()
            .iter()
            .map(|p| p.table.as_str())
            .collect::<Vec<_>>(),
        ["orders", "customers"]
    );
    store
        .settle_recovery("rcv-0", "restored", "ada", None, NOW + 18)
        .unwrap();
    assert!(
        invalid(store.settle_recovery("rcv-0", "purged", "ada", None, NOW + 19))
            .contains("already restored")
    );

    // Sign-ins.
    let sign_in = SignIn {
        token_hash: "t1".to_owned(),
        human: "ada".to_owned(),
        csrf: "c1".to_owned(),
        created_ms: NOW,
        expires_ms: NOW + 1000,
        client: "127.0.0.1".to_owned(),
        browser: "Firefox".to_owned(),
    };
    store.open_sign_in(&sign_in).unwrap();
    assert_eq!(store.sign_in("t1", NOW + 1).unwrap(), Some(sign_in.clone()));
    assert_eq!(store.sign_in("t1", NOW + 1000).unwrap(), None);
    assert_eq!(store.sign_ins_of("ada", NOW + 1).unwrap(), [sign_in]);
    store.close_sign_in("t1").unwrap();
    assert_eq!(store.sign_in("t1", NOW + 1).unwrap(), None);

    // The export lease: one sender at a time, the mark only moves forward.
    assert_eq!(store.export_state("otel").unwrap(), None);
    assert_eq!(store.claim_export("otel", "a", NOW, 30_000).unwrap(), Ok(0));
    assert_eq!(
        store.claim_export("otel", "b", NOW + 1, 30_000).unwrap(),
        Err("a".to_owned())
    );
    assert!(store.exported("otel", "a", 10, NOW + 2).unwrap());
    assert!(store.exported("otel", "a", 4, NOW + 3).unwrap());
    assert!(!store.exported("otel", "b", 20, NOW + 3).unwrap());
    store
        .export_failed("otel", "a", "refused", NOW + 4)
        .unwrap();
    let state = store.export_state("otel").unwrap().unwrap();
    assert_eq!(
        (state.next_seq, state.failure.as_deref(), state.failed_ms),
        (10, Some("refused"), Some(NOW + 4))
    );
    store.release_export("otel", "a").unwrap();
    assert_eq!(
        store.claim_export("otel", "b", NOW + 5, 30_000).unwrap(),
        Ok(10)
    );

    // Judgements and validated policies.
    store.remember("fp1", "k1", "allow", NOW).unwrap();
    store.remember("fp1", "k1", "deny", NOW + 1).unwrap();
    assert_eq!(store.remembered("k1").unwrap().as_deref(), Some("deny"));
    assert!(store.remembers("fp1").unwrap());
    store.remember("fp2", "k2", "ask", NOW + 2).unwrap();
    assert!(
        !store.remembers("fp1").unwrap(),
        "another policy's judgements are forgotten"
    );
    assert!(!store.policies_validated("fp2").unwrap());
    store.mark_policies_validated("fp2", NOW).unwrap();
    store.mark_policies_validated("fp2", NOW + 1).unwrap();
    assert!(store.policies_validated("fp2").unwrap());

    // Turns.
    assert_eq!(store.turn_ended("s1").unwrap(), None);
    store.end_turn("s1", 5, NOW).unwrap();
    store.end_turn("s1", 9, NOW + 1).unwrap();
    assert_eq!(store.turn_ended("s1").unwrap(), Some((9, NOW + 1)));

    // The ledger: one session's records, a checkpoint signed on demand, and every
    // record verifying against the checkpoints.
    assert!(store.session_records("s1").unwrap().len() >= 10);
    let size = store.size().unwrap();
    let signed = store.checkpoint(NOW + 20).unwrap();
    assert_eq!(signed.size, size);
    assert!(store.checkpoint(NOW + 21).is_err(), "nothing new to sign");
    let mut verifier = Verifier::new(
        store.checkpoints().unwrap(),
        key().verifying_key(),
        CHECKPOINT_EVERY,
    );
    let mut kinds = Vec::new();
    store
        .scan(&mut |record| {
            kinds.push(record.kind.clone());
            verifier.feed(&record).map_err(|e| e.to_string())
        })
        .unwrap()
        .unwrap();
    let report = verifier.finish().unwrap();
    assert_eq!(report.records, size);
    assert_eq!(
        store
            .records(3, 2)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>(),
        [3, 4]
    );
    kinds
}

#[test]
fn the_store_tells_the_same_story_on_sqlite_and_on_postgresql() {
    let dir = std::env::temp_dir().join(format!("holdpoint-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    let _ = std::fs::remove_file(&path);
    let sqlite = story(&SqlStore::open(&path, key()).unwrap());
    let database = Database::new("story");
    let postgres = story(&SqlStore::connect(&database.url(), None, Some(key())).unwrap());
    assert_eq!(sqlite, postgres);
    assert!(sqlite.len() > 30, "{sqlite:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_store_copied_to_postgresql_holds_the_same_ledger_and_state_and_a_full_one_is_refused() {
    let dir = std::env::temp_dir().join(format!("holdpoint-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    let _ = std::fs::remove_file(&path);
    let source = SqlStore::open(&path, key()).unwrap();
    story(&source);
    let database = Database::new("copy");
    let target = SqlStore::connect(&database.url(), None, Some(key())).unwrap();
    let mut tables = Vec::new();
    source
        .copy_to(&target, &mut |table, rows| {
            tables.push((table.to_owned(), rows))
        })
        .unwrap();
    assert_eq!(tables.len(), 14, "{tables:?}");
    assert_eq!(tables[0], ("records".to_owned(), source.size().unwrap()));
    let rows = |name: &str| tables.iter().find(|(table, _)| table == name).unwrap().1;
    assert_eq!(rows("approvals"), 3);
    assert_eq!(rows("recovery_points"), 2);
    assert_eq!(rows("humans"), 2);
    // The ledger byte for byte, and it verifies where it now is.
    let records = |store: &SqlStore| store.records(0, usize::MAX).unwrap();
    assert_eq!(records(&source), records(&target));
    assert_eq!(source.checkpoints().unwrap(), target.checkpoints().unwrap());
    let mut verifier = Verifier::new(
        target.checkpoints().unwrap(),
        key().verifying_key(),
        CHECKPOINT_EVERY,
    );
    for record in records(&target) {
        verifier.feed(&record).unwrap();
    }
    assert_eq!(verifier.finish().unwrap().records, source.size().unwrap());
    // The state, in the order it was written.
    assert_eq!(
        source.approvals(NOW).unwrap(),
        target.approvals(NOW).unwrap()
    );
    assert_eq!(source.recoveries().unwrap(), target.recoveries().unwrap());
    assert_eq!(source.humans().unwrap(), target.humans().unwrap());
    assert_eq!(source.agents().unwrap(), target.agents().unwrap());
    assert_eq!(source.grants().unwrap(), target.grants().unwrap());
    assert_eq!(source.freezes().unwrap(), target.freezes().unwrap());
    assert_eq!(
        source.export_state("otel").unwrap(),
        target.export_state("otel").unwrap()
    );
    assert_eq!(
        source.turn_ended("s1").unwrap(),
        target.turn_ended("s1").unwrap()
    );
    // The copy goes on from where the ledger was: the next record chains to it.
    target
        .append(
            &[Entry::new(
                Kind::Executed,
                Actors::default(),
                Body::of(&serde_json::json!({})),
            )],
            NOW + 30,
        )
        .unwrap();
    assert_eq!(target.size().unwrap(), source.size().unwrap() + 1);
    // A store that holds anything is never copied into, and keeps what it held.
    let refused = source.copy_to(&target, &mut |_, _| {});
    assert!(
        matches!(&refused, Err(StoreError::Invalid(m)) if m.contains("already holds")),
        "{refused:?}"
    );
    assert_eq!(target.size().unwrap(), source.size().unwrap() + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_servers_sharing_a_store_let_an_approved_action_through_once_however_retries_race() {
    let database = Database::new("race");
    let servers: Vec<Arc<SqlStore>> = (0..2)
        .map(|_| Arc::new(SqlStore::connect(&database.url(), None, Some(key())).unwrap()))
        .collect();
    let human = Human {
        name: "ada".to_owned(),
        secret_hash: "$argon2id$v=19$stub".to_owned(),
        created_ms: NOW,
        admin: true,
    };
    servers[0].add_human(human, None, None).unwrap();
    // A third process listens: it hears of each request when it is made and again when
    // it is answered, by its id, whichever server wrote it.
    let (tell, heard) = std::sync::mpsc::channel::<String>();
    let _listening = SqlStore::listen(&database.url(), None, move |id| {
        let _ = tell.send(id.to_owned());
    })
    .unwrap();
    let hear = |wanted: &str| loop {
        match heard.recv_timeout(Duration::from_secs(10)) {
            Ok(id) if id == wanted => break,
            Ok(_) => {}
            Err(e) => panic!("never heard of `{wanted}`: {e}"),
        }
    };
    hear("");
    let ask = decision(Outcome::Ask, Risk::Destroy);
    for round in 0..20 {
        let removal = action(&format!("rm -rf /var/lib/app/releases/{round}"));
        let held = servers[0].settle(&proposal(&removal, &ask), NOW).unwrap();
        let id = held.approval.unwrap().id;
        hear(&id);
        // Approved on the other server.
        servers[1]
            .answer(&id, vote("ada", VoteKind::Approve, NOW + 1), None, None)
            .unwrap();
        hear(&id);
        let start = Arc::new(Barrier::new(2));
        let retries: Vec<_> = servers
            .iter()
            .map(|server| {
                let (server, start, removal, ask) = (
                    Arc::clone(server),
                    Arc::clone(&start),
                    removal.clone(),
                    ask.clone(),
                );
                std::thread::spawn(move || {
                    start.wait();
                    server
                        .settle(&proposal(&removal, &ask), NOW + 2)
                        .unwrap()
                        .outcome
                })
            })
            .collect();
        let outcomes: Vec<Outcome> = retries.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == Outcome::Allow).count(),
            1,
            "round {round}: {outcomes:?}"
        );
    }
    // What one server starts, the other reads at once: the store keeps no copy.
    let freeze = StoredFreeze {
        id: "frz-1".to_owned(),
        freeze: Freeze {
            environment: Environment::Production,
            reason: "incident".to_owned(),
            starts_at: NOW / 1000,
            until: None,
            ended: false,
        },
        started_by: "ada".to_owned(),
        ended_by: None,
    };
    servers[0].start_freeze(freeze, None, NOW + 3).unwrap();
    assert!(
        servers[1].freezes().unwrap()[0]
            .freeze
            .active(Environment::Production, NOW / 1000)
    );
}
