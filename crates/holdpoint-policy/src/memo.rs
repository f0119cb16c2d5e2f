//! Remembered judgements: what the policies answered for a request, keyed by everything
//! that answer depends on, so that a process that meets the same request again can
//! decide without loading Cedar.
//!
//! A [`crate::Judged`] is a function of the policies (their fingerprint), the risk class,
//! the facts that choose which policies are evaluated, the agent, the target and the
//! context attributes the policies mention. The key hashes all of these. Which
//! attributes the policies mention is found in their source text, before any parsing, as
//! a superset of what any one evaluation reads: an attribute named in a comment only
//! makes the key finer. A source with a backslash could spell an attribute's name with an
//! escape, so it counts as mentioning every attribute.

use sha2::{Digest as _, Sha256};

use crate::engine::{
    ContextUse, DecisionRequest, PolicyEngine, PolicySource, Scope, context_values, pack_in_force,
};

/// Computes the keys under which judgements of one set of policies are remembered.
#[derive(Clone, Debug)]
pub struct Memo {
    fingerprint: String,
    uses: ContextUse,
}

/// The version of the key's layout: a key of another layout never matches.
const LAYOUT: &str = "holdpoint-judged-1";

impl Memo {
    /// The memo for the policies [`PolicyEngine::load`] would load from `sources`.
    pub fn new(sources: &[PolicySource]) -> Self {
        let pack = pack_in_force(sources);
        let mut uses = ContextUse::default();
        for text in pack
            .into_iter()
            .chain(sources.iter().map(|s| s.text.as_str()))
        {
            if text.contains('\\') {
                uses = ContextUse::all();
            } else {
                uses.note(text);
            }
        }
        Memo {
            fingerprint: PolicyEngine::fingerprint(sources),
            uses,
        }
    }

    /// Whether the policies name `context.instructed` anywhere: when they do not, no
    /// evaluation reads it and a caller need not look it up.
    pub fn reads_instructed(&self) -> bool {
        self.uses.instructed
    }

    /// The policies' [`PolicyEngine::fingerprint`].
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key of `request`'s judgement: requests with equal keys are judged alike.
    pub fn key(&self, request: &DecisionRequest<'_>) -> String {
        let scope = Scope::of(request);
        let action = request.action;
        let key = serde_json::json!([
            LAYOUT,
            self.fingerprint,
            request.analysis.risk(),
            scope.facts(request).bits(),
            action.environment.as_str(),
            action.agent,
            action.target,
            context_values(self.uses, request, &scope),
        ]);
        holdpoint_core::content_hash(&Sha256::digest(key.to_string().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use holdpoint_core::{Action, AnalysisContext, Environment, NoFiles, Risk, Surface, analyse};

    use super::*;
    use crate::{Freeze, Grant, Judged};

    /// Every input of the project's corpus, with its surface.
    fn corpus() -> Vec<(Surface, String)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus");
        let mut cases = Vec::new();
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                if line.trim().is_empty() {
                    continue;
                }
                let case: serde_json::Value = serde_json::from_str(line).unwrap();
                let surface: Surface = serde_json::from_value(case["surface"].clone()).unwrap();
                cases.push((surface, case["input"].as_str().unwrap().to_owned()));
            }
        }
        assert!(cases.len() > 1_000, "the corpus was not found");
        cases
    }

    fn action(surface: Surface, input: &str, environment: Environment, agent: &str) -> Action {
        Action {
            agent: agent.to_owned(),
            session: Some(format!("session-{}", input.len() % 3)),
            ..crate::engine::tests::action(surface, input, environment)
        }
    }

    fn grant() -> Grant {
        Grant {
            id: "grant-1".to_owned(),
            agent: "claude".to_owned(),
            task: "migrate the orders table".to_owned(),
            targets: vec!["*".to_owned()],
            max_risk: Risk::Destroy,
            expires_at: i64::MAX,
            revoked: false,
        }
    }

    fn freeze(environment: Environment) -> Freeze {
        Freeze {
            environment,
            reason: "release week".to_owned(),
            starts_at: 0,
            until: None,
            ended: false,
        }
    }

    /// Judges every corpus input in every environment, with and without a grant and a
    /// freeze, at two times and for two agents: requests with equal keys must be judged
    /// alike, or a remembered judgement would decide a request it does not fit.
    fn equal_keys_are_judged_alike(sources: &[PolicySource]) -> (usize, usize) {
        let engine = PolicyEngine::load(sources).unwrap();
        let memo = Memo::new(sources);
        let mut judged: HashMap<String, (Judged, String)> = HashMap::new();
        let mut requests = 0;
        let grants = [grant()];
        // A grant in force that covers nothing: its task counts, `granted` is false.
        let narrow = [Grant {
            targets: vec!["nowhere".to_owned()],
            ..grant()
        }];
        for (surface, input) in corpus() {
            for environment in [
                Environment::Production,
                Environment::Staging,
                Environment::Development,
            ] {
                let freezes = [freeze(environment)];
                let first = action(surface, &input, environment, "claude");
                let analysis =
                    analyse(&first, &AnalysisContext::new("/home/dev/project"), &NoFiles);
                for agent in ["claude", "codex"] {
                    let action = Action {
                        agent: agent.to_owned(),
                        ..first.clone()
                    };
                    for (grants, freezes, now, instructed) in [
                        (&grants[..0], &freezes[..0], 1_000, false),
                        (&grants[..], &freezes[..0], 90_000, false),
                        (&narrow[..], &freezes[..0], 90_000, true),
                        (&grants[..0], &freezes[..0], 90_000, false),
                        (&grants[..0], &freezes[..], 200_000, false),
                    ] {
                        let request = DecisionRequest {
                            action: &action,
                            analysis: &analysis,
                            now,
                            grants,
                            freezes,
                            destroy_quorum: 1,
                            instructed,
                        };
                        let Ok(this) = engine.judge(&request) else {
                            continue;
                        };
                        requests += 1;
                        let what = format!("{input:?} in {environment} for {agent} at {now}");
                        let key = memo.key(&request);
                        if let Some((before, first)) = judged.get(&key) {
                            assert_eq!(
                                before, &this,
                                "{what} has the key of {first} but is judged otherwise"
                            );
                        } else {
                            judged.insert(key, (this, what));
                        }
                    }
                }
            }
        }
        (requests, judged.len())
    }

    #[test]
    fn the_default_pack_judges_equal_keys_alike_and_few_keys_cover_the_corpus() {
        let (requests, keys) = equal_keys_are_judged_alike(&[]);
        // The policies see an action through a handful of attributes, so a command met
        // once mostly stands for many: that is what makes remembering worth it.
        assert!(keys * 20 < requests, "{keys} keys for {requests} requests");
    }

    #[test]
    fn policies_reading_every_attribute_judge_equal_keys_alike() {
        let reads_all = PolicySource {
            name: "all.cedar".to_owned(),
            text: r#"
                forbid (principal, action, resource)
                when { context.effects.contains("delete:table") && context.surface == "sql" };
                forbid (principal, action, resource)
                when { context.hour > 100 || context.weekday == 9 || context.time < 0 };
                forbid (principal == Agent::"codex", action, resource)
                when { context.session == "session-1" && context.opaque && !context.granted };
                forbid (principal, action == Action::"change", resource)
                when { context.task like "*orders*" && context.surface == "shell" };
                forbid (principal == Agent::"codex", action == Action::"destroy", resource)
                when { !context.instructed && context.surface == "shell" };
                permit (principal, action, resource)
                when { context.reads_secret && context.environment == "development" };
            "#
            .to_owned(),
        };
        equal_keys_are_judged_alike(&[reads_all]);
    }

    /// The key of `git status` in production for `claude`, in `session`.
    fn key_in_session(sources: &[PolicySource], session: &str) -> String {
        let mut action = action(
            Surface::Shell,
            "git status",
            Environment::Production,
            "claude",
        );
        action.session = Some(session.to_owned());
        let analysis = analyse(
            &action,
            &AnalysisContext::new("/home/dev/project"),
            &NoFiles,
        );
        Memo::new(sources).key(&DecisionRequest {
            action: &action,
            analysis: &analysis,
            now: 1_000,
            grants: &[],
            freezes: &[],
            destroy_quorum: 1,
            instructed: false,
        })
    }

    #[test]
    fn an_attribute_no_policy_names_is_left_out_of_the_key_unless_an_escape_could_name_it() {
        let plain = PolicySource {
            name: "plain.cedar".to_owned(),
            text: r#"forbid (principal, action, resource) when { context["opaque"] };"#.to_owned(),
        };
        assert_eq!(
            key_in_session(std::slice::from_ref(&plain), "a"),
            key_in_session(&[plain], "b")
        );
        // `\u{73}` is `s`: Cedar reads `context.session`, which the text never spells.
        let escaped = PolicySource {
            name: "escaped.cedar".to_owned(),
            text:
                r#"forbid (principal, action, resource) when { context["\u{73}ession"] == "a" };"#
                    .to_owned(),
        };
        assert_ne!(
            key_in_session(std::slice::from_ref(&escaped), "a"),
            key_in_session(&[escaped], "b")
        );
    }

    #[test]
    fn other_policies_never_share_a_key() {
        let extra = PolicySource {
            name: "extra.cedar".to_owned(),
            text: "forbid (principal, action, resource);".to_owned(),
        };
        assert_ne!(key_in_session(&[], "a"), key_in_session(&[extra], "a"));
    }
}
