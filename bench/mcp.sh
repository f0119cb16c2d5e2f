#!/usr/bin/env bash
# Times `read_text_file` on the reference filesystem server (npm), spoken to directly
# and through `holdpoint mcp` in the same run, in JSON lines over stdio (no client SDK,
# so the figures are the servers' and the gateway's). Both sessions are open side by
# side; calls alternate between them so that the machine's load falls on both alike.
#   latency:    one call at a time, interleaved; median and p99 of the round trip.
#   throughput: bursts of BURST calls sent at once, interleaved; calls per second.
# The gateway decides every call in production with its own holdpoint home, and
# records its decision and outcome in the ledger (SQLite, synchronous = FULL).
#
#   bash bench/mcp.sh                 # builds the release binary first
#   RUNS=2000 BURST=64 bash bench/mcp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
cargo build --release --quiet -p holdpoint
npm_cache="$HOME/.cache/holdpoint-test-npm"
server="$npm_cache/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
if [ ! -f "$server" ]; then
    npm install --silent --prefix "$npm_cache" @modelcontextprotocol/server-filesystem
fi
BIN="$CARGO_TARGET_DIR/release/holdpoint" SERVER="$server" RUNS="${RUNS:-1000}" \
    BURST="${BURST:-32}" BURSTS="${BURSTS:-30}" python3 - <<'PY'
import json, os, statistics, subprocess, tempfile, time

binary, server = os.environ["BIN"], os.environ["SERVER"]
runs, burst, bursts = int(os.environ["RUNS"]), int(os.environ["BURST"]), int(os.environ["BURSTS"])
work = tempfile.mkdtemp(prefix="holdpoint-bench-mcp-")
home = os.path.join(work, ".holdpoint")
env = dict(os.environ, HOLDPOINT_HOME=home, HOLDPOINT_ENV="production")
subprocess.run([binary, "init"], env=env, stdout=subprocess.DEVNULL, check=True)
with open(os.path.join(work, "notes.md"), "w") as f:
    f.write("a line of notes\n" * 64)

class Session:
    def __init__(self, name, command):
        self.name = name
        self.p = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next = 1
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.latency, self.calls, self.seconds = [], 0, 0.0

    def send(self, message):
        self.p.stdin.write((json.dumps(message) + "\n").encode())

    def call(self):
        self.send({"jsonrpc": "2.0", "id": self.next, "method": "tools/call",
                   "params": {"name": "read_text_file",
                              "arguments": {"path": os.path.join(work, "notes.md")}}})
        self.next += 1

    def answer(self):
        line = json.loads(self.p.stdout.readline())
        if "error" in line or line["result"].get("isError"):
            raise SystemExit(f"{self.name}: {line}")
        return line

    def request(self, method, params):
        self.send({"jsonrpc": "2.0", "id": 0, "method": method, "params": params})
        self.p.stdin.flush()
        return self.answer()

    def one(self):
        start = time.perf_counter()
        self.call()
        self.p.stdin.flush()
        self.answer()
        self.latency.append((time.perf_counter() - start) * 1000)

    def many(self):
        start = time.perf_counter()
        for _ in range(burst):
            self.call()
        self.p.stdin.flush()
        for _ in range(burst):
            self.answer()
        self.seconds += time.perf_counter() - start
        self.calls += burst

direct = Session("direct", ["node", server, work])
gateway = Session("holdpoint mcp", [binary, "mcp", "--name", "files", "--", "node", server, work])
subjects = [direct, gateway]
for s in subjects:  # warm-up
    for _ in range(20):
        s.one()
    s.latency.clear()
for _ in range(runs):
    for s in subjects:
        s.one()
for _ in range(bursts):
    for s in subjects:
        s.many()

def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

base = subjects[0]
print(f"read_text_file on the filesystem server, {runs} calls one at a time and "
      f"{bursts} bursts of {burst}, interleaved")
print(f"{'':16} {'median ms':>10} {'p99 ms':>8} {'calls/s':>9} {'x median':>9} {'x calls/s':>10}")
for s in subjects:
    rate = s.calls / s.seconds
    print(f"{s.name:16} {statistics.median(s.latency):10.3f} {p99(s.latency):8.3f} {rate:9.0f} "
          f"{statistics.median(s.latency) / statistics.median(base.latency):9.2f} "
          f"{rate / (base.calls / base.seconds):10.2f}")
print(f"added to the median: {statistics.median(gateway.latency) - statistics.median(direct.latency):.3f} ms")
for s in subjects:
    s.p.stdin.close()
    s.p.wait(timeout=10)
PY
