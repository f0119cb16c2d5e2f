#!/usr/bin/env bash
# Times the Claude Code hook as the agent runs it, a whole process per call: the
# supervised hook (`holdpoint hook claude-code`, which runs its worker in a child
# process), the worker alone (`hook --worker`), and `true` for scale. With OLD set to
# another holdpoint binary, that binary's hook is timed in the same run, each call
# interleaved with the others so that the machine's load falls on all alike. Prints
# the median and p99 of each, and ratios to the first.
#
#   bash bench/hook.sh                          # builds the release binary first
#   RUNS=300 OLD=/path/to/old/holdpoint bash bench/hook.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
cargo build --release --quiet -p holdpoint
BIN="$CARGO_TARGET_DIR/release/holdpoint" RUNS="${RUNS:-200}" OLD="${OLD:-}" python3 - <<'PY'
import json, os, statistics, subprocess, tempfile, time

runs = int(os.environ["RUNS"])
new, old = os.environ["BIN"], os.environ["OLD"]
work = tempfile.mkdtemp(prefix="holdpoint-bench-hook-")
cases = {
    "read": "git status --short && grep -rn TODO src/ | head",
    "destroy": "rm -rf /srv/data",
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
if old:
    subjects.append(("OLD hook", old, ["hook", "claude-code"], home("old", old)))
subjects.append(("true", "true", [], home("true")))

def call(binary, args, holdpoint_home, command):
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
    if binary != "true" and done.returncode != 0:
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
