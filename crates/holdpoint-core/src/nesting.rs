//! The bound on how deeply analysis recurses, whatever the input.
//!
//! The shell parser recurses once per level of nesting, and the analysers follow text
//! found inside other text (`bash -c`, SQL given to `psql`, the program a `COPY` runs, a
//! script a command executes) by analysing it in turn, shell inside SQL inside shell. An
//! input that nests without end would exhaust the stack, and a process that aborts
//! answers nothing: an agent's hook that dies lets the call through. So every chain of
//! analysis carries a [`Nesting`] budget, and past it the rest is opaque, never a crash.
//!
//! The budget is counted in *openers*: characters and words that can open a level of
//! nesting. The count never goes down at a closing bracket or keyword (a `)` may end a
//! case pattern, and a `fi` may be quoted, escaped or inside a here-document), so it is
//! an upper bound of how deeply the parsers and the walker recurse, however the text is
//! quoted. Callers run analysis on threads whose stack holds [`MAX_OPENERS`] levels of
//! the costliest construct (the `holdpoint` crate's `ANALYSIS_STACK`, checked by its
//! tests with inputs at the budget and ten times past it).

/// The most openers one chain of analysis parses: the top-level text and every text
/// analysed inside it, added up.
pub const MAX_OPENERS: usize = 1_000;

/// The stack a thread needs to analyse any input: [`MAX_OPENERS`] levels of the
/// costliest construct, with room to spare in an unoptimised build. The analysers'
/// tests hold that every construct at the budget fits in half of it.
pub const ANALYSIS_STACK: usize = 64 * 1024 * 1024;

/// How many texts deep one chain may go (`bash -c "eval 'sh -c …'"`), and how deeply
/// functions may call functions.
const MAX_LEVELS: u32 = 12;

/// What parsing one SQL text costs, in openers. The SQL parser stops itself at its own
/// recursion limit (50 levels), which costs about as much stack as this many shell
/// levels.
const SQL_COST: usize = 64;

/// What one chain of analysis has used of the budget so far.
// INVARIANT: `openers <= MAX_OPENERS` and `levels <= MAX_LEVELS`: only `start` and the
// `enter_*` methods make a `Nesting` past `default()`, and each refuses to exceed them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Nesting {
    levels: u32,
    openers: usize,
}

/// Why a text is not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TooDeep {
    /// Texts inside texts, or functions calling functions, more than `MAX_LEVELS` deep.
    Levels,
    /// More than `MAX_OPENERS` openers in the chain.
    Openers,
}

impl TooDeep {
    /// The end of a sentence saying why `what` is not analysed.
    pub(crate) fn reason(self) -> String {
        match self {
            TooDeep::Levels => format!("nests commands more than {MAX_LEVELS} levels deep"),
            TooDeep::Openers => format!(
                "nests too deeply to analyse safely (more than {MAX_OPENERS} brackets, braces, backquotes, `!` and compound commands in all)"
            ),
        }
    }
}

impl Nesting {
    /// The budget for a top-level text, once it is parsed.
    pub(crate) fn start(text: &str) -> Result<Nesting, TooDeep> {
        Nesting::default().add(openers(text))
    }

    /// The budget inside a shell text found in the current one.
    pub(crate) fn enter_shell(self, text: &str) -> Result<Nesting, TooDeep> {
        self.deeper()?.add(openers(text))
    }

    /// The budget inside a SQL text found in the current one.
    pub(crate) fn enter_sql(self) -> Result<Nesting, TooDeep> {
        self.deeper()?.add(SQL_COST)
    }

    /// One level deeper with no new text: a function's body, a file included.
    pub(crate) fn deeper(self) -> Result<Nesting, TooDeep> {
        if self.levels >= MAX_LEVELS {
            return Err(TooDeep::Levels);
        }
        Ok(Nesting {
            levels: self.levels + 1,
            ..self
        })
    }

    fn add(self, openers: usize) -> Result<Nesting, TooDeep> {
        match self.openers.checked_add(openers) {
            Some(total) if total <= MAX_OPENERS => Ok(Nesting {
                openers: total,
                ..self
            }),
            _ => Err(TooDeep::Openers),
        }
    }
}

/// How many constructs in `text` could open a level of nesting for the shell parser or
/// the walker: every `(`, `{`, backquote and `!` (which nests in `[[ ! ! … ]]`), and every
/// word that opens a compound command, quoted or not.
pub fn openers(text: &str) -> usize {
    let punctuation = text
        .bytes()
        .filter(|b| matches!(b, b'(' | b'{' | b'`' | b'!'))
        .count();
    let keywords = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| {
            matches!(
                *word,
                "if" | "while" | "until" | "for" | "select" | "case" | "function" | "coproc"
            )
        })
        .count();
    punctuation + keywords
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_brackets_and_keywords_never_lower_the_count() {
        // Regression: the old bound subtracted at `)`, so case patterns and escaped
        // brackets let real nesting grow unseen.
        assert_eq!(openers("( echo \\) ( echo \\) ( x"), 3);
        assert_eq!(openers("case x in a) $(case y in b) z;; esac);; esac"), 3);
        assert_eq!(openers("if true; then echo fi fi; if x; then y; fi; fi"), 2);
        assert_eq!(openers("ls -la /srv/app"), 0);
        assert_eq!(openers("[[ ! ! -f x ]]"), 2);
        // A backquote both opens and closes, so both count.
        assert_eq!(openers("${a:-${b}} `c` <(d)"), 5);
        // Words that merely contain a keyword are not keywords.
        assert_eq!(openers("iffy forward cased"), 0);
    }

    #[test]
    fn the_budget_is_shared_by_a_whole_chain() {
        let half = "(".repeat(MAX_OPENERS / 2);
        let outer = Nesting::start(&half).unwrap();
        let inner = outer.enter_shell(&half).unwrap();
        assert_eq!(inner.enter_shell("("), Err(TooDeep::Openers));
        assert_eq!(
            Nesting::start(&"(".repeat(MAX_OPENERS + 1)),
            Err(TooDeep::Openers)
        );
        let mut deep = Nesting::default();
        for _ in 0..MAX_LEVELS {
            deep = deep.deeper().unwrap();
        }
        assert_eq!(deep.enter_sql(), Err(TooDeep::Levels));
    }
}
