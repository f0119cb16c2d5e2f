#!/usr/bin/env bash
# The reach of the shell analyser's tool table (crates/holdpoint-core/src/shell/tools.rs)
# at one or more git revisions: how many entries, program names and rules it holds, and
# how many distinct subcommands the rules name (a rule's words up to its first option or
# wildcard, per program name). Programs the walker handles in code (git, the shells,
# the interpreters, database clients, find, xargs…) are not counted.
#
#   bash bench/reach.sh                    # HEAD
#   bash bench/reach.sh 65a8af1 HEAD       # side by side
set -euo pipefail
cd "$(dirname "$0")/.."
revisions=("$@")
[ ${#revisions[@]} -eq 0 ] && revisions=(HEAD)
for revision in "${revisions[@]}"; do
    git show "$revision:crates/holdpoint-core/src/shell/tools.rs" |
        REVISION="$revision" python3 -c '
import os, re, sys

text = sys.stdin.read()
start = text.find("static TOOLS: &[Tool] = &[")
if start < 0:
    sys.exit("no tool table found")
body = text[start:]
string = r"\"((?:[^\"\\]|\\.)*)\""
entries = names = rules = 0
subcommands = set()
programs = set()
# Each entry starts with `Tool {`; its names and rules are the first `names: &[…]` and
# `rules: &[…]` inside it.
for entry in body.split("Tool {")[1:]:
    found = re.search(r"names:\s*&\[(.*?)\]", entry, re.S)
    if not found:
        continue
    entries += 1
    entry_names = re.findall(string, found.group(1))
    names += len(entry_names)
    programs.update(entry_names)
    found = re.search(r"rules:\s*&\[(.*?)\],\s*\n\s*(?:otherwise|positionals|options|object|value_flags|\.\.)", entry, re.S)
    if not found:
        continue
    for pattern in re.findall(r"\(\s*" + string + r"\s*,", found.group(1)):
        rules += 1
        words = []
        for word in pattern.split():
            if word.startswith(("-", "!", "*")) or "*" in word:
                break
            words.append(word)
        if words:
            for name in entry_names:
                for alternative in words[0].split("|"):
                    subcommands.add((name, alternative, " ".join(words[1:2])))
revision = os.environ["REVISION"]
print(f"{revision:>12}: {entries} entries, {len(programs)} program names, {rules} rules, {len(subcommands)} (program, subcommand) pairs")
'
done
