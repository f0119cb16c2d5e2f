#!/usr/bin/env bash
# Times `read_text_file` on the reference filesystem server (npm), spoken to directly
# and through `holdpoint mcp` in the same run: in JSON lines over stdio, and over
# Streamable HTTP through `holdpoint mcp --listen` (an [[mcp]] command entry; the agent
# presents its credential). Then HTTP on both sides: `echo` on the reference
# server-everything listening on loopback, spoken to directly and through `holdpoint mcp
# --listen` (an [[mcp]] url entry), and through a TCP relay that does nothing but copy
# bytes (a Python process of its own): what any intermediary on these cores costs, the
# floor for the gateway. No client SDK (Python's http.client for HTTP), so the
# figures are the servers' and the gateway's. The sessions are open side by side; calls
# alternate between them so that the machine's load falls on all alike.
#   latency:    one call at a time, interleaved; median and p99 of the round trip.
#   throughput: bursts of BURST calls sent at once, interleaved; calls per second, and
#               the CPU the gateway and the server spent per call meanwhile.
# The gateway decides every call in production with its own holdpoint home, and
# records its decision and outcome in the ledger (SQLite, synchronous = FULL).
#
#   bash bench/mcp.sh                 # builds the release binary first
#   RUNS=2000 BURST=64 bash bench/mcp.sh
#   BIN=/tmp/holdpoint-old bash bench/mcp.sh   # that binary, not this checkout's
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
# BIN=/path/to/holdpoint runs another build (an earlier commit's, to compare) as it is.
if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    cargo build --release --quiet -p holdpoint
    bin="$CARGO_TARGET_DIR/release/holdpoint"
fi
npm_cache="$HOME/.cache/holdpoint-test-npm"
server="$npm_cache/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js"
if [ ! -f "$server" ]; then
    npm install --silent --prefix "$npm_cache" @modelcontextprotocol/server-filesystem
fi
# The version the conformance test runs, in its prefix.
everything_prefix="$HOME/.cache/holdpoint-test-conformance"
everything="$everything_prefix/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
if [ ! -f "$everything" ]; then
    npm install --silent --no-audit --no-fund --prefix "$everything_prefix" \
        @modelcontextprotocol/server-everything@2026.8.31
fi
BIN="$bin" SERVER="$server" EVERYTHING="$everything" LOOPBACK="$PWD/crates/holdpoint/tests/data/mcp/loopback.cjs" RUNS="${RUNS:-1000}" \
    BURST="${BURST:-32}" BURSTS="${BURSTS:-30}" python3 - <<'PY'
import http.client, json, os, re, socket, statistics, subprocess, tempfile, threading, time

binary, server = os.environ["BIN"], os.environ["SERVER"]
runs, burst, bursts = int(os.environ["RUNS"]), int(os.environ["BURST"]), int(os.environ["BURSTS"])
work = tempfile.mkdtemp(prefix="holdpoint-bench-mcp-")
home = os.path.join(work, ".holdpoint")
env = dict(os.environ, HOLDPOINT_HOME=home, HOLDPOINT_ENV="production")
subprocess.run([binary, "init"], env=env, stdout=subprocess.DEVNULL, check=True)
with open(os.path.join(work, "notes.md"), "w") as f:
    f.write("a line of notes\n" * 64)
# The HTTP gateway's agent needs a credential, issued by a human at a terminal.
secret = "bench secret 123"
token_file = os.path.join(work, "agent.token")
for line, text in ((f"{binary} human add bench", f"{secret}\n{secret}\n"),
                   (f"{binary} agent add bench-agent --write {token_file}", f"{secret}\n")):
    subprocess.run(["script", "-qec", line, "/dev/null"], input=text.encode(), env=env,
                   stdout=subprocess.DEVNULL, check=True)
token = open(token_file).read().strip()
# server-everything over Streamable HTTP on loopback: the upstream of the url entry.
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    everything_port = probe.getsockname()[1]
everything = subprocess.Popen(["node", "-r", os.environ["LOOPBACK"], os.environ["EVERYTHING"],
                               "streamableHttp"], env=dict(env, PORT=str(everything_port)),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", everything_port), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
else:
    raise SystemExit("server-everything did not start listening")
everything_url = f"http://127.0.0.1:{everything_port}/mcp"
# The do-nothing intermediary: each connection copied both ways, byte for byte.
relay_code = os.path.join(work, "relay.py")
with open(relay_code, "w") as f:
    f.write("""
import socket, sys, threading
target = int(sys.argv[1])
def pipe(a, b):
    while True:
        try:
            data = a.recv(65536)
        except OSError:
            break
        if not data:
            break
        try:
            b.sendall(data)
        except OSError:
            break
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(128)
print(listener.getsockname()[1], flush=True)
while True:
    client, _ = listener.accept()
    upstream = socket.create_connection(("127.0.0.1", target))
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
""")
relay = subprocess.Popen(["python3", relay_code, str(everything_port)], stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True)
relay_port = int(relay.stdout.readline())
with open(os.path.join(home, "holdpoint.toml"), "w") as f:
    f.write(f'[[mcp]]\nname = "files"\ncommand = "node"\nargs = {json.dumps([server, work])}\n'
            f'\n[[mcp]]\nname = "everything"\nurl = "{everything_url}"\n')
listening = subprocess.Popen([binary, "mcp", "--listen", "127.0.0.1:0"], cwd=work, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
port = int(re.search(r"at http://127\.0\.0\.1:(\d+)/", listening.stderr.readline()).group(1))
threading.Thread(target=lambda: [None for _ in listening.stderr], daemon=True).start()

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

class HttpSession:
    """An MCP session over Streamable HTTP: one connection for calls one at a time, and
    one per call of a burst (kept open, as an agent's HTTP client keeps them). By
    default through the gateway to the filesystem server; else to `at` (port, path),
    calling `tool` with `arguments`."""

    def __init__(self, name, at=None, tool=None, arguments=None):
        self.name = name
        at_port, self.path = at or (port, "/mcp/files")
        self.tool = tool or "read_text_file"
        self.arguments = arguments or {"path": os.path.join(work, "notes.md")}
        self.headers = {"Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}
        if at is None or at_port == port:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection("127.0.0.1", at_port)
        self.pool = [http.client.HTTPConnection("127.0.0.1", at_port) for _ in range(burst)]
        self.next = 1
        _, headers = self.post(self.conn, {
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "bench", "version": "1"}}})
        self.headers["Mcp-Session-Id"] = headers["mcp-session-id"]
        self.headers["MCP-Protocol-Version"] = "2025-06-18"
        self.post(self.conn, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        self.latency, self.calls, self.seconds = [], 0, 0.0

    def post(self, conn, message):
        conn.request("POST", self.path, json.dumps(message), self.headers)
        response = conn.getresponse()
        body = response.read().decode()
        if response.status not in (200, 202):
            raise SystemExit(f"{self.name}: HTTP {response.status} {body}")
        for line in body.splitlines():
            if line.startswith("data: "):
                answer = json.loads(line[6:])
                if "error" in answer or answer.get("result", {}).get("isError"):
                    raise SystemExit(f"{self.name}: {answer}")
        return body, {k.lower(): v for k, v in response.getheaders()}

    def call(self, conn, failures=None):
        self.next += 1
        message = {"jsonrpc": "2.0", "id": self.next, "method": "tools/call",
                   "params": {"name": self.tool, "arguments": self.arguments}}
        if failures is None:
            return self.post(conn, message)
        # Ids are taken before the threads start; a failure is kept for the caller.
        def run():
            try:
                self.post(conn, message)
            except BaseException as e:
                failures.append(e)
        return threading.Thread(target=run)

    def one(self):
        start = time.perf_counter()
        self.call(self.conn)
        self.latency.append((time.perf_counter() - start) * 1000)

    def many(self):
        failures = []
        threads = [self.call(c, failures) for c in self.pool]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.seconds += time.perf_counter() - start
        if failures:
            raise SystemExit(f"{self.name}: {failures[0]}")
        self.calls += burst

    def close(self):
        # On a connection of its own: the server may have closed an idle one meanwhile.
        conn = http.client.HTTPConnection(self.conn.host, self.conn.port)
        conn.request("DELETE", self.path, headers=self.headers)
        conn.getresponse().read()

direct = Session("direct", ["node", server, work])
gateway = Session("holdpoint mcp", [binary, "mcp", "--name", "files", "--", "node", server, work])
over_http = HttpSession("mcp --listen")
echo = ("echo", {"message": "a line of notes"})
http_direct = HttpSession("HTTP direct", (everything_port, "/mcp"), *echo)
http_relay = HttpSession("HTTP TCP relay", (relay_port, "/mcp"), *echo)
http_through = HttpSession("HTTP --listen", (port, "/mcp/everything"), *echo)
subjects = [direct, gateway, over_http, http_direct, http_relay, http_through]
for s in subjects:  # warm-up
    for _ in range(20):
        s.one()
    s.latency.clear()
for _ in range(runs):
    for s in subjects:
        s.one()
def cpu(pid):
    """Seconds of CPU a process has used, all its threads."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def server_of(pid):
    """The server a gateway started: its child process."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                return int(entry)
    return None

# CPU during the bursts: the gateway's own, and the server's, per call.
processes = {direct.name: (None, direct.p.pid), gateway.name: (gateway.p.pid, server_of(gateway.p.pid)),
             over_http.name: (listening.pid, server_of(listening.pid)),
             http_direct.name: (None, everything.pid), http_relay.name: (relay.pid, everything.pid),
             http_through.name: (listening.pid, everything.pid)}
# Each subject's bursts are timed on their own, so that a process two subjects share
# (the HTTP gateway, server-everything) is charged to each for its own calls only.
spent = {name: [0.0 for _ in pids] for name, pids in processes.items()}
for _ in range(bursts):
    for s in subjects:
        pids = processes[s.name]
        before = [cpu(p) if p else 0.0 for p in pids]
        s.many()
        for i, (p, b) in enumerate(zip(pids, before)):
            spent[s.name][i] += (cpu(p) - b) if p else 0.0

def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

print(f"{runs} calls one at a time and {bursts} bursts of {burst}, all interleaved; each "
      f"against the server spoken to directly")
print(f"{'':16} {'median ms':>10} {'p99 ms':>8} {'calls/s':>9} {'x median':>9} {'x calls/s':>10}")
def table(title, rows, base):
    print(title)
    for s in rows:
        rate = s.calls / s.seconds
        print(f"{s.name:16} {statistics.median(s.latency):10.3f} {p99(s.latency):8.3f} {rate:9.0f} "
              f"{statistics.median(s.latency) / statistics.median(base.latency):9.2f} "
              f"{rate / (base.calls / base.seconds):10.2f}")
table("read_text_file on the filesystem server (stdio)", [direct, gateway, over_http], direct)
table("echo on server-everything (Streamable HTTP)", [http_direct, http_relay, http_through],
      http_direct)
print(f"CPU per call in the bursts (/proc, all threads): {'':>2}gateway µs   server µs"
      " (the relay's own under gateway)")
for s in subjects:
    own, server_cpu = spent[s.name]
    print(f"  {s.name:16} {'-' if s in (direct, http_direct) else f'{own / s.calls * 1e6:.0f}':>24} "
          f"{server_cpu / s.calls * 1e6:11.0f}")
for s, base in ((gateway, direct), (over_http, direct), (http_relay, http_direct),
                (http_through, http_direct)):
    print(f"{s.name}: added to the median: "
          f"{statistics.median(s.latency) - statistics.median(base.latency):.3f} ms")
for s in (direct, gateway):
    s.p.stdin.close()
    s.p.wait(timeout=10)
for s in (over_http, http_direct, http_relay, http_through):
    s.close()
relay.kill()
listening.terminate()
listening.wait(timeout=20)
everything.terminate()
everything.wait(timeout=20)
PY
