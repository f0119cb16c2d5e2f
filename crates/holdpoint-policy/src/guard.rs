//! Guards: the leading conditions of a policy on facts known before Cedar runs (a
//! boolean context attribute such as `context.frozen`, or which environment the action
//! is in). Cedar evaluates a policy's scope and then its conditions left to right and
//! stops at the first false one; when a request's facts fail a policy's guard, the policy
//! is therefore not satisfied and raises no error, exactly as if it were not in the set.
//! Leaving such policies out before evaluating is what keeps a decision's cost from
//! growing with every conditional policy a pack adds.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use cedar_policy::{Policy, PolicySet};
use holdpoint_core::Environment;
use serde_json::Value;

use crate::engine::ContextUse;

/// The facts a guard can test, one bit each.
const BOOLEANS: [&str; 6] = [
    "opaque",
    "unanalysable",
    "self_protection",
    "reads_secret",
    "frozen",
    "granted",
];
const ENVIRONMENTS: [Environment; 3] = [
    Environment::Production,
    Environment::Staging,
    Environment::Development,
];

/// What is true of one request, as bits: the boolean attributes in [`BOOLEANS`] order,
/// then one bit for the environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts(u16);

impl Facts {
    /// The facts as one number, for keys.
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    pub(crate) fn new(booleans: [bool; 6], environment: Environment) -> Self {
        let mut bits = 0u16;
        for (n, value) in booleans.into_iter().enumerate() {
            if value {
                bits |= 1 << n;
            }
        }
        if let Some(n) = ENVIRONMENTS.iter().position(|e| *e == environment) {
            bits |= 1 << (BOOLEANS.len() + n);
        }
        Facts(bits)
    }
}

/// The facts a policy needs true and needs false before anything else of it is
/// evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Guard {
    needs: u16,
    excludes: u16,
}

impl Guard {
    fn admits(self, facts: Facts) -> bool {
        facts.0 & self.needs == self.needs && facts.0 & self.excludes == 0
    }

    fn mentions(self) -> u16 {
        self.needs | self.excludes
    }

    fn and(self, other: Guard) -> Guard {
        Guard {
            needs: self.needs | other.needs,
            excludes: self.excludes | other.excludes,
        }
    }

    fn negated(self) -> Guard {
        Guard {
            needs: self.excludes,
            excludes: self.needs,
        }
    }

    /// The guard of a policy: the longest run of fact tests its conditions begin with.
    /// A policy whose form cannot be read has none, so it is always evaluated.
    pub(crate) fn of(policy: &Policy) -> Guard {
        let Ok(json) = policy.to_json() else {
            return Guard::default();
        };
        let mut guard = Guard::default();
        let conditions = json.get("conditions").and_then(Value::as_array);
        for condition in conditions.into_iter().flatten() {
            let Some(body) = condition.get("body") else {
                return guard;
            };
            match condition.get("kind").and_then(Value::as_str) {
                Some("when") => {
                    let mut terms = Vec::new();
                    conjuncts(body, &mut terms);
                    for term in terms {
                        match fact_test(term) {
                            Some(test) => guard = guard.and(test),
                            None => return guard,
                        }
                    }
                }
                // `unless { a && b }` is true as soon as `a` is false, so only a single
                // test can be turned around.
                Some("unless") => match fact_test(body) {
                    Some(test) => guard = guard.and(test.negated()),
                    None => return guard,
                },
                _ => return guard,
            }
        }
        guard
    }
}

/// The operands of a chain of `&&`, in the order Cedar evaluates them.
fn conjuncts<'a>(expr: &'a Value, out: &mut Vec<&'a Value>) {
    match expr.get("&&") {
        Some(and) => match (and.get("left"), and.get("right")) {
            (Some(left), Some(right)) => {
                conjuncts(left, out);
                conjuncts(right, out);
            }
            _ => out.push(expr),
        },
        None => out.push(expr),
    }
}

/// `context.NAME`, `!context.NAME`, `context.environment == "NAME"` or `!=` (either way
/// round) as a guard on one fact; anything else is not a fact test.
fn fact_test(expr: &Value) -> Option<Guard> {
    let object = expr.as_object()?;
    if object.len() != 1 {
        return None;
    }
    let (operator, operands) = object.iter().next()?;
    let one = |bit: usize| Guard {
        needs: 1 << bit,
        excludes: 0,
    };
    match operator.as_str() {
        "." => {
            let name = context_attribute(expr)?;
            BOOLEANS.iter().position(|b| *b == name).map(one)
        }
        "!" => fact_test(operands.get("arg")?).map(Guard::negated),
        "==" | "!=" => {
            let (left, right) = (operands.get("left")?, operands.get("right")?);
            let named = match (context_attribute(left), context_attribute(right)) {
                (Some("environment"), _) => literal(right)?,
                (_, Some("environment")) => literal(left)?,
                _ => return None,
            };
            let n = ENVIRONMENTS.iter().position(|e| e.as_str() == named)?;
            let test = one(BOOLEANS.len() + n);
            Some(if operator == "==" {
                test
            } else {
                test.negated()
            })
        }
        _ => None,
    }
}

/// A string literal's text.
fn literal(expr: &Value) -> Option<&str> {
    expr.get("Value")?.as_str()
}

/// The name in `context.NAME`.
fn context_attribute(expr: &Value) -> Option<&str> {
    let access = expr.get(".")?;
    if access.get("left")?.get("Var")?.as_str()? != "context" {
        return None;
    }
    access.get("attr")?.as_str()
}

/// One risk class's policies, evaluated whole the first time and, from the second
/// decision on, through the subset each request's facts admit. A process that decides
/// once (the hook) would spend more finding the guards than it saves.
#[derive(Debug, Default)]
pub(crate) struct Slice {
    pub(crate) policies: PolicySet,
    /// The context attributes the policies mention.
    pub(crate) used: ContextUse,
    decided_before: AtomicBool,
    guarded: OnceLock<Guarded>,
}

#[derive(Debug)]
struct Guarded {
    members: Vec<(Policy, Guard, ContextUse)>,
    /// The facts any member's guard tests.
    mask: u16,
    /// One subset per combination of the masked facts, made when first needed.
    subsets: Vec<OnceLock<(PolicySet, ContextUse)>>,
}

impl Slice {
    pub(crate) fn add(&mut self, policy: Policy) -> Result<(), Box<cedar_policy::PolicySetError>> {
        self.used.note(&policy.to_string());
        self.policies.add(policy).map_err(Box::new)
    }

    /// The policies a request with these facts must be evaluated against, and the
    /// context attributes they mention.
    pub(crate) fn for_facts(&self, facts: Facts) -> (&PolicySet, ContextUse) {
        if !self.decided_before.swap(true, Ordering::Relaxed) {
            return (&self.policies, self.used);
        }
        let guarded = self.guarded.get_or_init(|| Guarded::new(&self.policies));
        let index = compact(facts.0, guarded.mask);
        match guarded.subsets.get(index) {
            Some(subset) => {
                let (policies, used) = subset.get_or_init(|| guarded.subset(facts));
                (policies, *used)
            }
            None => (&self.policies, self.used),
        }
    }
}

impl Guarded {
    fn new(policies: &PolicySet) -> Self {
        let members: Vec<(Policy, Guard, ContextUse)> = policies
            .policies()
            .map(|policy| {
                let mut used = ContextUse::default();
                used.note(&policy.to_string());
                (policy.clone(), Guard::of(policy), used)
            })
            .collect();
        let mask = members.iter().fold(0, |m, (_, g, _)| m | g.mentions());
        Guarded {
            members,
            mask,
            subsets: (0..1usize << mask.count_ones())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    fn subset(&self, facts: Facts) -> (PolicySet, ContextUse) {
        let mut set = PolicySet::new();
        let mut used = ContextUse::default();
        for (policy, guard, mentions) in &self.members {
            if guard.admits(facts) {
                // The ids are unique in the slice they come from, so adding cannot fail;
                // if it somehow did, the policy's absence would only ever deny less, so
                // the whole slice is used instead.
                if set.add(policy.clone()).is_err() {
                    return (self.whole(), self.used_by_all());
                }
                used.merge(*mentions);
            }
        }
        (set, used)
    }

    fn whole(&self) -> PolicySet {
        let mut set = PolicySet::new();
        for (policy, _, _) in &self.members {
            let _ = set.add(policy.clone());
        }
        set
    }

    fn used_by_all(&self) -> ContextUse {
        self.members
            .iter()
            .fold(ContextUse::default(), |mut all, (_, _, used)| {
                all.merge(*used);
                all
            })
    }
}

/// The bits of `value` under `mask`, packed together low to high.
fn compact(value: u16, mask: u16) -> usize {
    let mut out = 0usize;
    let mut at = 0;
    for bit in 0..16 {
        if mask & (1 << bit) != 0 {
            if value & (1 << bit) != 0 {
                out |= 1 << at;
            }
            at += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn guard(text: &str) -> Guard {
        let policy = Policy::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Guard::of(&policy)
    }

    fn facts(booleans: &[&str], environment: Environment) -> Facts {
        Facts::new(BOOLEANS.map(|b| booleans.contains(&b)), environment)
    }

    #[test]
    fn leading_fact_tests_are_guards_and_the_first_other_term_ends_them() {
        let g = guard(
            r#"permit (principal, action, resource)
               when { context.reads_secret && context.environment == "production" };"#,
        );
        assert!(g.admits(facts(&["reads_secret"], Environment::Production)));
        assert!(!g.admits(facts(&[], Environment::Production)));
        assert!(!g.admits(facts(&["reads_secret"], Environment::Staging)));

        let g = guard(
            r#"permit (principal, action, resource)
               when { "production" != context.environment && !context.granted };"#,
        );
        assert!(g.admits(facts(&[], Environment::Staging)));
        assert!(!g.admits(facts(&["granted"], Environment::Staging)));
        assert!(!g.admits(facts(&[], Environment::Production)));

        // After a term that is not a fact test, nothing more is a guard: Cedar would
        // evaluate that term first, and it could fail.
        let g = guard(
            r#"permit (principal, action, resource)
               when { context.hour > 8 && context.frozen };"#,
        );
        assert_eq!(g, Guard::default());
        let g = guard(
            r#"permit (principal, action, resource)
               when { context.frozen && context.hour > 8 && context.granted };"#,
        );
        assert!(g.admits(facts(&["frozen"], Environment::Production)));
        assert!(!g.admits(facts(&["granted"], Environment::Production)));
    }

    #[test]
    fn unless_turns_a_single_test_around_and_nothing_else() {
        let g = guard("forbid (principal, action, resource) unless { context.granted };");
        assert!(g.admits(facts(&[], Environment::Production)));
        assert!(!g.admits(facts(&["granted"], Environment::Production)));

        let g = guard(
            "forbid (principal, action, resource) unless { context.granted && context.frozen };",
        );
        assert_eq!(g, Guard::default());

        let g = guard(
            r#"permit (principal, action, resource)
               when { context.unanalysable } unless { context.environment == "development" };"#,
        );
        assert!(g.admits(facts(&["unanalysable"], Environment::Staging)));
        assert!(!g.admits(facts(&["unanalysable"], Environment::Development)));
    }

    #[test]
    fn tests_of_other_attributes_or_values_are_not_guards() {
        for text in [
            r#"permit (principal, action, resource) when { context.surface == "shell" };"#,
            r#"permit (principal, action, resource) when { context.environment == "qa" };"#,
            r#"permit (principal, action, resource) when { context.environment like "prod*" };"#,
            r#"permit (principal, action, resource) when { context.granted == true };"#,
            r#"permit (principal, action, resource) when { context.granted || context.frozen };"#,
            "permit (principal, action, resource);",
        ] {
            assert_eq!(guard(text), Guard::default(), "{text}");
        }
    }

    #[test]
    fn a_slice_is_evaluated_whole_once_then_through_the_subset_the_facts_admit() {
        let mut slice = Slice::default();
        for text in [
            r#"@id("read") permit (principal, action, resource);"#,
            r#"@id("secret") permit (principal, action, resource)
               when { context.reads_secret && context.environment == "production" };"#,
            r#"@id("frozen") forbid (principal, action, resource) when { context.frozen };"#,
        ] {
            let policy = Policy::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let id = policy.annotation("id").unwrap_or_default().to_owned();
            slice
                .add(policy.new_id(cedar_policy::PolicyId::new(id)))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let ids = |set: &PolicySet| {
            let mut ids: Vec<String> = set.policies().map(|p| p.id().to_string()).collect();
            ids.sort();
            ids
        };
        let plain = facts(&[], Environment::Production);
        let (first, used) = slice.for_facts(plain);
        assert_eq!(ids(first), ["frozen", "read", "secret"]);
        assert!(used.reads_secret && used.frozen && used.environment);

        let (second, used) = slice.for_facts(plain);
        assert_eq!(ids(second), ["read"]);
        assert!(!used.reads_secret && !used.frozen && !used.environment);

        let (secret, used) = slice.for_facts(facts(&["reads_secret"], Environment::Production));
        assert_eq!(ids(secret), ["read", "secret"]);
        assert!(used.reads_secret && used.environment);
        let (elsewhere, _) = slice.for_facts(facts(&["reads_secret"], Environment::Staging));
        assert_eq!(ids(elsewhere), ["read"]);
        let (frozen, _) = slice.for_facts(facts(&["frozen"], Environment::Development));
        assert_eq!(ids(frozen), ["frozen", "read"]);
    }

    #[test]
    fn compact_packs_the_masked_bits() {
        assert_eq!(compact(0b0011_0110, 0b1010_0100), 0b011);
        assert_eq!(compact(0xffff, 0), 0);
    }
}
