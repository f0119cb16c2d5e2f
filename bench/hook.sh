#!/usr/bin/env bash
# Times the Claude Code hook as the agent runs it, a whole process per call: the
# supervised hook (`holdpoint hook claude-code`, which runs its worker in a child
# process), the worker alone (`hook --worker`), the dcg hook where it is installed
# (`dcg` on the PATH, or DCG=/path/to/dcg; skipped with a note where not), a stand-in
# that only reads the JSON and exits (`cat`), and `true` for scale. With OLD set to
# another holdpoint binary, that binary's hook is timed in the same run. Each call is
# interleaved with the others so that the machine's load falls on all alike. Prints the
# median and p99 of each, and ratios to the first.
#
# holdpoint decides in production, from a fresh home; its first call of each command is
# a warm-up (it creates the store's files and remembers the policies' judgement).
#
#   bash bench/hook.sh                          # builds the release binary first
#   RUNS=300 OLD=/path/to/old/holdpoint bash bench/hook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
cargo build --release --quiet -p holdpoint
DCG="${DCG:-$(command -v dcg || true)}"
BIN="$CARGO_TARGET_DIR/release/holdpoint" RUNS="${RUNS:-200}" OLD="${OLD:-}" DCG="$DCG" python3 - <<'PY'
import json, os, sqlite3, statistics, subprocess, tempfile, time

runs = int(os.environ["RUNS"])
new, old, dcg = os.environ["BIN"], os.environ["OLD"], os.environ["DCG"]
work = tempfile.mkdtemp(prefix="holdpoint-bench-hook-")
cases = {
    "read": "git status",
    "test": "cargo test --workspace 2>&1 | tail -20",
    "destroy": "rm -rf /var/lib/app/releases",
}

def home(name, binary=None):
    """A holdpoint home of its own for each binary, set up by that binary's init."""
    path = os.path.join(work, name)
    if binary and not os.path.exists(os.path.join(path, "store.db")):
        subprocess.run([binary, "init"], env=dict(os.environ, HOLDPOINT_HOME=path),
                       stdout=subprocess.DEVNULL, check=True)
    os.makedirs(path, exist_ok=True)
    return path

subjects = [("hook (supervised)", new, ["hook", "claude-code"], home("new", new))]
subjects.append(("hook --worker", new, ["hook", "--worker", "claude-code"], home("new", new)))
# The same hook with nothing remembered: before each of its calls (untimed), the store's
# remembered judgements are forgotten, so it parses the policies as a new home's first
# calls do.
subjects.append(("hook, not remembered", new, ["hook", "claude-code"], home("forgets", new)))
if old:
    subjects.append(("OLD hook", old, ["hook", "claude-code"], home("old", old)))
if dcg:
    subjects.append(("dcg", dcg, [], home("dcg")))
else:
    print("dcg is not installed (put it on the PATH or set DCG=/path/to/dcg): not timed")
subjects.append(("stand-in (cat)", "cat", [], home("cat")))
subjects.append(("true", "true", [], home("true")))

def forget(holdpoint_home):
    with sqlite3.connect(os.path.join(holdpoint_home, "store.db")) as db:
        db.execute("DELETE FROM judgements")

def call(binary, args, holdpoint_home, command):
    if holdpoint_home.endswith("forgets"):
        forget(holdpoint_home)
    hook_input = json.dumps({
        "session_id": "bench", "transcript_path": "/tmp/t.jsonl", "cwd": work,
        "permission_mode": "default", "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": "toolu_1",
    })
    env = dict(os.environ, HOLDPOINT_HOME=holdpoint_home, HOLDPOINT_ENV="production")
    start = time.perf_counter()
    done = subprocess.run([binary, *args], input=hook_input.encode(), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if binary in (new, old) and done.returncode != 0:
        raise SystemExit(f"{binary} {' '.join(args)} exited {done.returncode}")
    return elapsed * 1000

for case, command in cases.items():
    times = {name: [] for name, *_ in subjects}
    for name, binary, args, h in subjects:  # warm-up: first-run store creation
        call(binary, args, h, command)
    for _ in range(runs):
        for name, binary, args, h in subjects:
            times[name].append(call(binary, args, h, command))
    print(f"{case} ({command!r}), {runs} calls each, interleaved")
    print(f"  {'':20} {'median ms':>10} {'p99 ms':>10} {'median ratio':>13}")
    base = statistics.median(times[subjects[0][0]])
    for name, *_ in subjects:
        t = sorted(times[name])
        median = statistics.median(t)
        p99 = t[min(len(t) - 1, int(len(t) * 0.99))]
        print(f"  {name:20} {median:10.2f} {p99:10.2f} {median / base:13.2f}")
PY
