#!/usr/bin/env bash
# Times `holdpoint replay` on one generated Claude Code transcript of CALLS tool calls
# (default 10,000: shell commands from reads to destroys, file writes and edits, MCP
# calls), RUNS times (default 5). Prints the median and the slowest wall time, and the
# CPU time over the wall time (above 1 when more than one core decides).
#
#   bash bench/replay.sh
#   CALLS=50000 RUNS=3 bash bench/replay.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
cargo build --release --quiet -p holdpoint
BIN="$CARGO_TARGET_DIR/release/holdpoint" CALLS="${CALLS:-10000}" RUNS="${RUNS:-5}" python3 - <<'PY'
import json, os, resource, statistics, subprocess, tempfile, time

calls, runs, binary = int(os.environ["CALLS"]), int(os.environ["RUNS"]), os.environ["BIN"]
work = tempfile.mkdtemp(prefix="holdpoint-bench-replay-")
home = os.path.join(work, "home")
subprocess.run([binary, "init"], env=dict(os.environ, HOLDPOINT_HOME=home),
               stdout=subprocess.DEVNULL, check=True)
tools = [
    ("Bash", {"command": "git status --short"}),
    ("Bash", {"command": "ls -la src && grep -rn TODO src/ | head"}),
    ("Bash", {"command": "cargo test --workspace 2>&1 | tail -20"}),
    ("Bash", {"command": "npm install && npm run build"}),
    ("Bash", {"command": "git push origin feature/x"}),
    ("Bash", {"command": "kubectl apply -f deploy.yaml"}),
    ("Bash", {"command": "rm -rf /var/lib/app/releases"}),
    ("Bash", {"command": "psql -h db.internal -c 'DELETE FROM users WHERE id = 5'"}),
    ("Bash", {"command": "find . -name '*.log' -mtime +7 -delete"}),
    ("Bash", {"command": "python3 -c 'import json; print(json.dumps({}))'"}),
    ("Read", {"file_path": "/home/dev/app/README.md"}),
    ("Write", {"file_path": "/home/dev/app/notes.md", "content": "notes\n" * 20}),
    ("Edit", {"file_path": "/home/dev/app/src/main.rs", "old_string": "a", "new_string": "b"}),
    ("Write", {"file_path": "/etc/hosts", "content": "127.0.0.1 localhost\n"}),
    ("mcp__db__query", {"sql": "SELECT count(*) FROM orders WHERE status = 'open'"}),
    ("mcp__db__query", {"sql": "DROP TABLE sessions"}),
]
path = os.path.join(work, "session.jsonl")
with open(path, "w") as f:
    for n in range(calls):
        tool, given = tools[n % len(tools)]
        given = dict(given)
        if tool == "Bash":
            given["command"] += f"  # {n}"
        line = {"parentUuid": f"u{n}", "isSidechain": False, "userType": "external",
                "cwd": "/home/dev/app", "sessionId": f"s{n // 500}", "version": "2.1.90",
                "type": "assistant", "uuid": f"a{n}", "timestamp": "2026-12-01T10:00:00.000Z",
                "message": {"role": "assistant", "content": [
                    {"type": "tool_use", "id": f"toolu_{n}", "name": tool, "input": given}]}}
        f.write(json.dumps(line) + "\n")
walls, ratios = [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([binary, "replay", path, "--format", "json"], stdout=subprocess.PIPE,
                          env=dict(os.environ, HOLDPOINT_HOME=home))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"replay exited {done.returncode}")
    report = json.loads(done.stdout)
    assert report["total"]["calls"] == calls, report["total"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    walls.append(wall)
    ratios.append(cpu / wall)
t = report["total"]
print(f"{calls} tool calls ({t['allowed']} allowed, {t['asked']} held, {t['refused']} refused), "
      f"{runs} runs on {os.cpu_count()} cores")
print(f"  wall: median {statistics.median(walls):.2f} s, slowest {max(walls):.2f} s")
print(f"  CPU time / wall time: median {statistics.median(ratios):.2f}")
PY
