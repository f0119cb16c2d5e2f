//! Humans: who may approve, grant and end freezes, and how a human proves it at the
//! command line: a secret typed at a terminal.
//!
//! An agent often runs as the same OS user as its human, so the OS user proves nothing.
//! The secret is read only from the terminal (`/dev/tty`) and only when standard input is
//! a terminal too: never from a pipe, an argument or the environment, which is all an
//! agent's tool call has.

use std::fs::OpenOptions;
use std::io::{BufRead as _, BufReader, IsTerminal as _, Write as _};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use clap::Subcommand;
use holdpoint_store::{Human, SqlStore, Store as _};

use crate::home::{Home, now_ms, os_user};
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum HumanCommand {
    /// Add a human who may approve, grant and end freezes (asks for their secret twice,
    /// at the terminal). Once one human exists, adding another needs an admin's secret.
    /// The secret also signs the human in to the console (`holdpoint serve`).
    Add {
        /// The name the ledger records, e.g. `alice`.
        name: String,
        /// The admin who vouches for the new human [default: the only human].
        #[arg(long = "as", value_name = "NAME")]
        by: Option<String>,
        /// Let the new human add humans and agents too. The first human is always an
        /// admin.
        #[arg(long)]
        admin: bool,
    },
    /// List a human's passkeys (added in the console), or everyone's.
    Passkeys {
        /// Whose [default: everyone's].
        name: Option<String>,
    },
    /// Take a passkey away, e.g. of a lost authenticator (the human's own secret, or an
    /// admin's, typed at the terminal). Recorded as `passkey_removed`.
    ForgetPasskey {
        /// Whose passkey it is.
        name: String,
        /// The passkey's id, or the start of it, as `holdpoint human passkeys` shows.
        id: String,
        /// Who removes it [default: NAME themselves]; anyone else must be an admin.
        #[arg(long = "as", value_name = "NAME")]
        by: Option<String>,
    },
    /// List the humans (names only; secrets are stored as Argon2id hashes).
    List {
        /// `text` for a person, `json` for a program.
        #[arg(long, value_enum, default_value_t = crate::approvals::Format::Text)]
        format: crate::approvals::Format,
    },
}

pub(crate) fn run(command: &HumanCommand) -> Result<u8, Failure> {
    let home = Home::locate();
    let store = home.open_store()?;
    match command {
        HumanCommand::Passkeys { name } => {
            let humans = store.humans().map_err(store_failure)?;
            let names: Vec<String> = match name {
                Some(name) if humans.iter().any(|h| &h.name == name) => vec![name.clone()],
                Some(name) => return Err(Failure::usage(format!("no human is named `{name}`"))),
                None => humans.into_iter().map(|h| h.name).collect(),
            };
            let mut shown = 0;
            for human in names {
                for key in store.passkeys(&human).map_err(store_failure)? {
                    if shown == 0 {
                        println!(
                            "{:<12} {:<24} {:<24} {:<20} LAST USED",
                            "HUMAN", "ID", "NAME", "ADDED"
                        );
                    }
                    shown += 1;
                    println!(
                        "{:<12} {:<24} {:<24} {:<20} {}",
                        crate::approvals::one_line(&human, 12),
                        crate::approvals::one_line(&key.id, 24),
                        crate::approvals::one_line(&key.name, 24),
                        crate::time::datetime(key.created_ms),
                        key.used_ms
                            .map(crate::time::datetime)
                            .unwrap_or_else(|| "never".to_owned())
                    );
                }
            }
            if shown == 0 {
                println!("no passkeys: humans add them on the console's Passkeys page");
            }
            Ok(exit::ALLOW)
        }
        HumanCommand::ForgetPasskey { name, id, by } => {
            let keys = store.passkeys(name).map_err(store_failure)?;
            let matching: Vec<_> = keys
                .iter()
                .filter(|k| k.id.starts_with(id.as_str()))
                .collect();
            let key = match matching.as_slice() {
                [key] if id.len() >= 6 => *key,
                [_] => {
                    return Err(Failure::usage(
                        "give at least 6 characters of the passkey's id",
                    ));
                }
                [] => {
                    return Err(Failure::usage(format!(
                        "`{name}` has no passkey whose id starts `{id}`: `holdpoint human passkeys {name}` lists them"
                    )));
                }
                _ => {
                    return Err(Failure::usage(format!(
                        "several of `{name}`'s passkeys start `{id}`: give more of the id"
                    )));
                }
            };
            let by = by.clone().unwrap_or_else(|| name.clone());
            // Found before a secret is asked: only an admin removes another's passkey.
            if by != *name && !choose_human(&store, Some(&by), "remove a passkey")?.admin {
                return Err(Failure::usage(format!(
                    "`{by}` is not an admin: only `{name}` or an admin may remove `{name}`'s passkey"
                )));
            }
            let remover = if by == *name {
                authenticate(&store, Some(&by), "remove a passkey")?
            } else {
                authenticate_admin(&store, Some(&by), "remove another human's passkey")?
            };
            let removed = store
                .remove_passkey(&key.id, &remover, os_user(), now_ms())
                .map_err(store_failure)?;
            println!(
                "removed {}'s passkey `{}` ({})",
                removed.human, removed.name, removed.id
            );
            Ok(exit::ALLOW)
        }
        HumanCommand::List { format } => {
            let humans = store.humans().map_err(store_failure)?;
            if *format == crate::approvals::Format::Json {
                let view: Vec<serde_json::Value> = humans
                    .iter()
                    .map(|h| {
                        serde_json::json!({
                            "name": h.name,
                            "admin": h.admin,
                            "created_ms": h.created_ms,
                        })
                    })
                    .collect();
                crate::approvals::print_json(&view)?;
                return Ok(exit::ALLOW);
            }
            if humans.is_empty() {
                println!("no humans yet: add one with `holdpoint human add NAME`");
            }
            for human in humans {
                if human.admin {
                    println!("{} (admin)", human.name);
                } else {
                    println!("{}", human.name);
                }
            }
            Ok(exit::ALLOW)
        }
        HumanCommand::Add { name, by, admin } => {
            valid_name(name)?;
            let existing = store.humans().map_err(store_failure)?;
            let added_by = if existing.is_empty() {
                require_terminal("add the first human")?;
                None
            } else {
                Some(authenticate_admin(&store, by.as_deref(), "add a human")?)
            };
            let secret = read_secret(&format!("new secret for {name}: "))?;
            if secret.chars().count() < 8 {
                return Err(Failure::usage("the secret must be at least 8 characters"));
            }
            let again = read_secret(&format!("repeat the secret for {name}: "))?;
            if again != secret {
                return Err(Failure::usage("the two secrets differ; nothing was added"));
            }
            let human = Human {
                name: name.clone(),
                secret_hash: hash_secret(&secret)?,
                created_ms: now_ms(),
                admin: *admin || existing.is_empty(),
            };
            store
                .add_human(human, added_by.as_deref(), os_user())
                .map_err(store_failure)?;
            println!(
                "added {name}: they can now approve with `holdpoint approvals approve ID --as {name}`, or in the console of `holdpoint serve`, where they can add a passkey (its Passkeys page) so that approving there needs their authenticator"
            );
            Ok(exit::ALLOW)
        }
    }
}

pub(crate) fn store_failure(e: holdpoint_store::StoreError) -> Failure {
    match e {
        holdpoint_store::StoreError::Refused(_)
        | holdpoint_store::StoreError::NotFound { .. }
        | holdpoint_store::StoreError::Invalid(_) => Failure::usage(e.to_string()),
        other => Failure::internal(other.to_string()),
    }
}

pub(crate) fn valid_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{name}` is not a usable name: use letters, digits, `.`, `_`, `-` or `@`, up to 64"
        )))
    }
}

/// Refuses unless a person is at a terminal.
pub(crate) fn require_terminal(what: &str) -> Result<(), Failure> {
    if std::io::stdin().is_terminal() {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "only a human at a terminal can {what}: standard input is not a terminal, and holdpoint never reads a secret from a pipe, an argument or the environment"
        )))
    }
}

/// Reads a secret from the terminal (`/dev/tty`) without echo.
pub(crate) fn read_secret(prompt: &str) -> Result<String, Failure> {
    rpassword::prompt_password(prompt)
        .map_err(|e| Failure::usage(format!("cannot read a secret from the terminal: {e}")))
}

/// Reads one line, echoed, from the terminal.
pub(crate) fn read_line(prompt: &str) -> Result<String, Failure> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| Failure::usage(format!("cannot open the terminal: {e}")))?;
    let mut writer = &tty;
    writer
        .write_all(prompt.as_bytes())
        .and_then(|()| writer.flush())
        .map_err(|e| Failure::usage(format!("cannot write to the terminal: {e}")))?;
    let mut line = String::new();
    BufReader::new(&tty)
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read from the terminal: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

pub(crate) fn hash_secret(secret: &str) -> Result<String, Failure> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| Failure::internal(format!("no randomness for a salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Failure::internal(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Failure::internal(format!("cannot hash the secret: {e}")))
}

pub(crate) fn secret_matches(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Proves that a human is at the terminal: picks the human (`--as`, or the only one),
/// asks for their secret and checks it. Returns the human's name.
pub(crate) fn authenticate(
    store: &SqlStore,
    name: Option<&str>,
    what: &str,
) -> Result<String, Failure> {
    require_terminal(what)?;
    let human = choose_human(store, name, what)?;
    let secret = read_secret(&format!("secret for {}: ", human.name))?;
    if !secret_matches(&secret, &human.secret_hash) {
        return Err(Failure::usage(format!(
            "wrong secret for `{}`; nothing was done",
            human.name
        )));
    }
    Ok(human.name)
}

/// The human who is to `what`: the one named, or the only one. Everything that can be
/// wrong with that is found here, before anything is shown or a secret asked for.
pub(crate) fn choose_human(
    store: &SqlStore,
    name: Option<&str>,
    what: &str,
) -> Result<Human, Failure> {
    let humans = store.humans().map_err(store_failure)?;
    match (name, humans.as_slice()) {
        (_, []) => Err(Failure::usage(format!(
            "no human may {what} yet: add one with `holdpoint human add NAME` at a terminal"
        ))),
        (Some(name), humans) => humans
            .iter()
            .find(|h| h.name == name)
            .cloned()
            .ok_or_else(|| {
                Failure::usage(format!(
                    "no human named `{name}`: see `holdpoint human list`"
                ))
            }),
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(Failure::usage(
            "several humans exist: say which one you are with `--as NAME`",
        )),
    }
}

/// [`authenticate`], for what only an admin may do.
pub(crate) fn authenticate_admin(
    store: &SqlStore,
    name: Option<&str>,
    what: &str,
) -> Result<String, Failure> {
    let human = authenticate(store, name, what)?;
    let admin = store
        .humans()
        .map_err(store_failure)?
        .iter()
        .any(|h| h.name == human && h.admin);
    if admin {
        Ok(human)
    } else {
        Err(Failure::usage(format!(
            "`{human}` is not an admin; only an admin may {what} (see `holdpoint human list`)"
        )))
    }
}
