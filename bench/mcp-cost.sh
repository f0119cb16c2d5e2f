#!/usr/bin/env bash
# Counts the instructions `holdpoint mcp` spends per tool call, all its threads, under
# valgrind's callgrind: `read_text_file` on the reference filesystem server (npm) in
# bursts of 32, decided in production and recorded in the ledger as ever. Instructions,
# unlike seconds, come out the same whatever else the machine is doing, so two builds
# compare exactly, one after the other. The gateway's start (opening the store, loading
# the policies) is taken out by running it twice: with one burst and with BURSTS, and
# dividing the difference by the calls between.
#
# Under valgrind, SHA-256 runs without the processor's SHA extensions, which makes the
# ledger's hashing look several times dearer than it is; the comparison between builds
# still holds.
#
#   bash bench/mcp-cost.sh                       # builds the release binary first
#   BIN=/tmp/holdpoint-old bash bench/mcp-cost.sh   # that binary, not this checkout's
#   BURSTS=60 bash bench/mcp-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    cargo build --release --quiet -p holdpoint
    bin="$CARGO_TARGET_DIR/release/holdpoint"
fi
if ! command -v valgrind >/dev/null; then
    echo "installing valgrind to count instructions"
    apt-get update -qq && apt-get install -y -qq valgrind
fi
npm_cache="$HOME/.cache/holdpoint-test-npm"
server="$npm_cache/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
if [ ! -f "$server" ]; then
    npm install --silent --prefix "$npm_cache" @modelcontextprotocol/server-filesystem
fi
BIN="$bin" SERVER="$server" BURSTS="${BURSTS:-30}" python3 - <<'PY'
import json, os, re, subprocess, tempfile

binary, server, bursts = os.environ["BIN"], os.environ["SERVER"], int(os.environ["BURSTS"])
BURST = 32

def instructions(count):
    """The instructions the gateway ran for `count` bursts, its start included."""
    work = tempfile.mkdtemp(prefix="holdpoint-bench-mcp-cost-")
    env = dict(os.environ, HOLDPOINT_HOME=os.path.join(work, ".holdpoint"),
               HOLDPOINT_ENV="production")
    subprocess.run([binary, "init"], env=env, stdout=subprocess.DEVNULL, check=True)
    notes = os.path.join(work, "notes.md")
    with open(notes, "w") as f:
        f.write("a line of notes\n" * 64)
    out = os.path.join(work, "callgrind.out")
    gateway = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "mcp",
         "--name", "files", "--", "node", server, work],
        cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)
    def send(message):
        gateway.stdin.write((json.dumps(message) + "\n").encode())
    send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
          "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                     "clientInfo": {"name": "bench", "version": "1"}}})
    gateway.stdin.flush()
    gateway.stdout.readline()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    n = 1
    for _ in range(count):
        for _ in range(BURST):
            send({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                  "params": {"name": "read_text_file", "arguments": {"path": notes}}})
            n += 1
        gateway.stdin.flush()
        for _ in range(BURST):
            answer = json.loads(gateway.stdout.readline())
            if "error" in answer or answer["result"].get("isError"):
                raise SystemExit(f"the gateway refused a read: {answer}")
    gateway.stdin.close()
    gateway.wait(timeout=120)
    with open(out) as f:
        totals = [line for line in f if line.startswith("totals:") or line.startswith("summary:")]
    return int(re.findall(r"\d+", totals[-1])[0])

one, many = instructions(1), instructions(bursts)
calls = (bursts - 1) * BURST
print(f"{binary}")
print(f"  start and one burst: {one:,} instructions")
print(f"  per call, over {calls} calls: {(many - one) / calls:,.0f} instructions")
PY
