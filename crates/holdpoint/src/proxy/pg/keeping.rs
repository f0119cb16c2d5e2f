//! The SQL that keeps what a destroy would lose before it runs: a `DO` block of
//! holdpoint's, quoted with the connection's nonce, that copies the rows (or moves the
//! table) into `holdpoint_recovery` and reports its counts in a notice.

use std::time::Instant;

use holdpoint_core::Action;
use holdpoint_core::recovery::{Loss, Recoverable};
use holdpoint_store::RecoveryPoint;

use super::Fault;
use super::driver::Context;
use super::statements::Slot;
use crate::home::now_ms;
use crate::keep::{self, DECLARE, RECOVERY_SETUP, SETUP_STATEMENTS, literal};

/// A destroy run after a block of holdpoint's that first keeps what it destroys (the
/// same block, for one prepared over the extended protocol); the block reports the
/// counts in a notice.
#[derive(Clone, Debug)]
pub(super) struct Keeping {
    pub(super) point: RecoveryPoint,
    pub(super) loss: Loss,
    /// Rows the statement itself changed, from the block's notice.
    pub(super) changed: Option<u64>,
    /// Rows kept of other tables its cascades reach, and the parts kept besides the
    /// table itself (rows of other tables, views, foreign keys).
    pub(super) cascaded: (u64, u64),
}

impl Context {
    /// The query that keeps what `plan` would destroy and then runs `sql` (or, for a
    /// `DROP TABLE`, moves the table instead), and the reply it is owed.
    pub(super) fn keeping(
        &self,
        plan: &Recoverable,
        action: Action,
        sql: &str,
    ) -> Result<(String, Slot), Fault> {
        let keeping = self.keeping_point(plan, &action, sql)?;
        let kept_as = keeping.point.id.replace('-', "_");
        let body = format!("{} {}", keep::keep(plan, &kept_as), self.kept_notice());
        let quote = self.dollar_quote(&[&body])?;
        let block = format!("DO {quote} DECLARE {DECLARE} BEGIN {body} END {quote}");
        // The setup and the block answer with tags of their own, hidden from the client.
        let hide = SETUP_STATEMENTS + 1;
        let (query, tag) = if plan.loss == Loss::Drop {
            // Moved, not dropped; the client is owed DROP's own tag.
            (
                format!("{RECOVERY_SETUP} {block}"),
                Some("DROP TABLE".to_owned()),
            )
        } else {
            (format!("{RECOVERY_SETUP} {block}; {sql}"), None)
        };
        Ok((
            query,
            Slot::Simple {
                action: Some(action),
                allowed: None,
                started: Instant::now(),
                tags: Vec::new(),
                error: None,
                hide,
                tag,
                kept: Some(Box::new(keeping)),
            },
        ))
    }

    /// The one statement that keeps what `plan` would destroy and then runs `sql` (or,
    /// for a `DROP TABLE`, moves the table instead): a `DO` block, so that it can stand
    /// in for a statement prepared over the extended protocol, with no replies of its
    /// own but a notice of the counts.
    pub(super) fn keeping_block(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<(String, Keeping), Fault> {
        let keeping = self.keeping_point(plan, action, sql)?;
        let kept_as = keeping.point.id.replace('-', "_");
        let run = if plan.loss == Loss::Drop {
            String::new()
        } else {
            format!(
                "EXECUTE {}; GET DIAGNOSTICS hp_n = ROW_COUNT;",
                literal(sql.trim().trim_end_matches(';'))
            )
        };
        let body = format!(
            "{RECOVERY_SETUP} {keep} {run} {notice}",
            keep = keep::keep(plan, &kept_as),
            notice = self.kept_notice(),
        );
        // Everything inside, the statement and what holdpoint made of it, is checked.
        let quote = self.dollar_quote(&[&body])?;
        let block = format!("DO {quote} DECLARE {DECLARE} BEGIN {body} END {quote}");
        Ok((block, keeping))
    }

    /// The PL/pgSQL notice in which a keeping block reports its counts (see `counted`).
    pub(super) fn kept_notice(&self) -> String {
        format!(
            "RAISE NOTICE 'HOLDPOINT_KEPT_{} % % % %', hp_k, hp_n, hp_d, hp_m;",
            self.link.nonce
        )
    }

    /// What a statement about to run keeps, before the counts are known.
    fn keeping_point(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<Keeping, Fault> {
        Ok(Keeping {
            point: self.recovery_point(plan, action, sql)?,
            loss: plan.loss,
            changed: None,
            cascaded: (0, 0),
        })
    }

    /// The recovery point a statement about to run keeps.
    fn recovery_point(
        &self,
        plan: &Recoverable,
        action: &Action,
        sql: &str,
    ) -> Result<RecoveryPoint, Fault> {
        let upstream = &self.proxy.upstream;
        Ok(RecoveryPoint {
            id: holdpoint_store::new_id("rcv").map_err(|e| Fault::Upstream(e.to_string()))?,
            loss: plan.loss.as_str().to_owned(),
            table: plan.table.clone(),
            address: upstream.address.clone(),
            database: upstream.database.clone(),
            user: upstream.user.clone(),
            statement: sql.to_owned(),
            digest: action.digest().to_string(),
            agent: action.agent.clone(),
            session: action.session.clone(),
            rows: None,
            created_ms: now_ms(),
            state: "kept".to_owned(),
        })
    }

    /// This connection's dollar quote for holdpoint's `DO` blocks, refused when one of
    /// `texts` to be put inside holds it.
    fn dollar_quote(&self, texts: &[&str]) -> Result<String, Fault> {
        let quote = format!("$hp_{}$", self.link.nonce);
        if texts.iter().any(|text| text.contains(&quote)) {
            return Err(Fault::Client(
                "a statement holdpoint cannot quote".to_owned(),
            ));
        }
        Ok(quote)
    }
}
