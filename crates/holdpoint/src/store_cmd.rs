//! `holdpoint store copy`: moving everything the store keeps to another store (from the
//! SQLite file to a team's PostgreSQL database, or back), the ledger verified before and
//! after.

use std::path::Path;

use clap::Subcommand;
use holdpoint_ledger::VerifyReport;
use holdpoint_store::SqlStore;

use crate::home::{Home, Opening, StoreConfig};
use crate::humans::store_failure;
use crate::log_cmd::{TAMPERED, counted, verify};
use crate::{Failure, exit};

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Copy everything the store keeps into another store that holds nothing yet
    ///
    /// The ledger (records and signed checkpoints, byte for byte), approval requests,
    /// grants, freezes, humans, agents, passkeys, recovery points and the rest. The
    /// ledger is verified with the home's public key before anything is copied (a
    /// ledger that does not verify is not copied: exit status 5) and again where it
    /// was copied to. The copy is one transaction: one that fails leaves the other
    /// store empty. The store copied from is left as it was; point every process at
    /// the new one with `[store] url` (and `password`) in holdpoint.toml. Stop the
    /// processes that write the store first: what they write during the copy is not
    /// copied.
    #[command(verbatim_doc_comment)]
    Copy {
        /// The store to copy into: a PostgreSQL database
        /// (`postgres://user@host:port/database`, its schema made if missing), or the
        /// path of a new SQLite file.
        #[arg(long, value_name = "URL|PATH")]
        to: String,
        /// Where the PostgreSQL user's password comes from: `env:NAME`, or `file:PATH`
        /// (relative to $HOLDPOINT_HOME). Never the password itself.
        #[arg(long, value_name = "env:NAME|file:PATH")]
        password: Option<String>,
    },
}

pub(crate) fn run(command: &StoreCommand) -> Result<u8, Failure> {
    let StoreCommand::Copy { to, password } = command;
    let home = Home::locate();
    let config = home.load_config()?;
    let from = home.store_place(&config);
    let source = home.open_store_as(&config, Opening::ToRead)?;
    let key = home.verifying_key(None)?;
    let postgres = to.starts_with("postgres://") || to.starts_with("postgresql://");
    if *to == from || (!postgres && Path::new(to) == home.store()) {
        return Err(Failure::usage(format!(
            "`{to}` is where the store is now: copy it to another database or file"
        )));
    }
    let target = if postgres {
        let target =
            StoreConfig::parse(to.clone(), password.clone(), &home.dir).map_err(Failure::usage)?;
        let password = match &target.password {
            Some(setting) => Some(setting.resolve("`--password`")?),
            None => None,
        };
        SqlStore::connect(to, password.as_deref(), None)
    } else {
        if password.is_some() {
            return Err(Failure::usage(
                "`--password` is for a PostgreSQL store; a SQLite file needs none",
            ));
        }
        if Path::new(to).exists() {
            return Err(Failure::usage(format!(
                "`{to}` exists: copy into a new file (or a PostgreSQL database, postgres://…)"
            )));
        }
        SqlStore::open_to_read(Path::new(to))
    }
    .map_err(|e| Failure::internal(e.to_string()))?;

    eprintln!("verifying the ledger at {from}…");
    let Some(before) = verified(&source, &home, &key, &from)? else {
        return Ok(TAMPERED);
    };
    eprintln!("copying to {to}…");
    source
        .copy_to(&target, &mut |table, rows| {
            eprintln!("  {table:<20} {}", counted(rows, "row"));
        })
        .map_err(store_failure)?;
    eprintln!("verifying the ledger at {to}…");
    let Some(after) = verified(&target, &home, &key, to)? else {
        return Ok(TAMPERED);
    };
    if (after.records, after.root) != (before.records, before.root) {
        return Err(Failure::internal(format!(
            "the copy's ledger is not the one copied ({} with root {}, where {} with root {} were copied): do not use it",
            counted(after.records, "record"),
            after.root,
            counted(before.records, "record"),
            before.root
        )));
    }
    println!(
        "copied to {to}: {}, {} (root {}), verified there",
        counted(after.records, "record"),
        counted(after.checkpoints, "signed checkpoint"),
        after.root
    );
    if postgres {
        println!(
            "Next: in every holdpoint.toml of the team, under [store], set url = \"{to}\"{}; the store at {from} is left as it was.",
            if password.is_some() {
                " and password as given here"
            } else {
                ""
            }
        );
    }
    Ok(exit::ALLOW)
}

/// The ledger of `store` verified, or `None` (said on stderr) when it does not verify.
fn verified(
    store: &SqlStore,
    home: &Home,
    key: &holdpoint_ledger::VerifyingKey,
    place: &str,
) -> Result<Option<VerifyReport>, Failure> {
    match verify(store, home, key.clone())? {
        Ok(report) => Ok(Some(report)),
        Err(b) => {
            eprintln!(
                "holdpoint: the ledger at {place} does not verify, at record #{}: {b}; nothing was copied",
                b.record()
            );
            Ok(None)
        }
    }
}
