#!/usr/bin/env bash
# Whether sending the ledger to an OpenTelemetry collector costs a decision anything:
# the Claude Code hook through `holdpoint serve` (a whole process per call, as the agent
# runs it), against four servers side by side, each with a home of its own: one
# without `[telemetry]`, one sending to a collector that takes everything (the test's
# OTLP receiver, tests/data/otlp_receiver.py, which needs PyPI's opentelemetry-proto),
# one whose collector takes the connection and never answers, and one whose collector
# is down (nothing listens). Calls alternate between them, so the machine's load falls
# on all alike. Prints the median and p99 of each and their ratio to the first, then
# how far each server's sender got.
#
#   bash bench/telemetry.sh            # builds the release binary first
#   RUNS=500 bash bench/telemetry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/holdpoint-target}"
if [ -n "${BIN:-}" ]; then
    bin="$BIN"
else
    cargo build --release --quiet -p holdpoint
    bin="$CARGO_TARGET_DIR/release/holdpoint"
fi
if ! python3 -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2' 2>/dev/null; then
    python3 -m pip install --quiet 'opentelemetry-proto>=1.30,<2'
fi
BIN="$bin" RUNS="${RUNS:-300}" RECEIVER="$PWD/crates/holdpoint/tests/data/otlp_receiver.py" python3 - <<'PY'
import json, os, re, socket, statistics, subprocess, tempfile, threading, time

binary, runs, receiver = os.environ["BIN"], int(os.environ["RUNS"]), os.environ["RECEIVER"]
work = tempfile.mkdtemp(prefix="holdpoint-bench-telemetry-")
secret = "bench secret 123"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

# The collectors.
up = free_port()
received = os.path.join(work, "received.jsonl")
collector = subprocess.Popen(["python3", receiver, str(up), received], stdout=subprocess.PIPE,
                             text=True)
import atexit
atexit.register(collector.kill)
assert collector.stdout.readline().startswith("listening on")
hung_socket = socket.socket()
hung_socket.bind(("127.0.0.1", 0))
hung_socket.listen(64)
hung = hung_socket.getsockname()[1]
held = []  # taken and never answered
threading.Thread(target=lambda: [held.append(hung_socket.accept()) for _ in iter(int, 1)],
                 daemon=True).start()
down = free_port()

def server(name, port):
    """A home with a human, an agent and `holdpoint serve`; its hooks ask the server."""
    home = os.path.join(work, name.replace(" ", "-"))
    env = dict(os.environ, HOLDPOINT_HOME=home, HOLDPOINT_ENV="production")
    subprocess.run([binary, "init"], env=env, stdout=subprocess.DEVNULL, check=True)
    token_file = os.path.join(home, "agent.token")
    for line, text in ((f"{binary} human add bench", f"{secret}\n{secret}\n"),
                       (f"{binary} agent add bench-agent --write {token_file}", f"{secret}\n")):
        subprocess.run(["script", "-qec", line, "/dev/null"], input=text.encode(), env=env,
                       stdout=subprocess.DEVNULL, check=True)
    telemetry = f'[telemetry]\nendpoint = "http://127.0.0.1:{port}"\n' if port else ""
    config = os.path.join(home, "holdpoint.toml")
    with open(config, "w") as f:
        f.write(telemetry)
    serve = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0"], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    line = serve.stderr.readline()
    assert re.search(r"at http://127\.0\.0\.1:\d+", line), line
    threading.Thread(target=lambda: [None for _ in serve.stderr], daemon=True).start()
    with open(config, "w") as f:
        f.write(f'{telemetry}[server]\nurl = "unix"\ntoken_file = "{token_file}"\n')
    return {"name": name, "env": env, "serve": serve, "times": [], "home": home}

servers = [server("no telemetry", None), server("collector up", up),
           server("collector hung", hung), server("collector down", down)]
cases = ["git status", "rm -rf /var/lib/app/releases"]

def hook(s, command, session):
    payload = json.dumps({
        "session_id": session, "transcript_path": "/tmp/t.jsonl", "cwd": work,
        "permission_mode": "default", "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": command}})
    start = time.perf_counter()
    done = subprocess.run([binary, "hook", "claude-code"], input=payload.encode(),
                          env=s["env"], cwd=work, capture_output=True)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{s['name']}: {done.stderr.decode()}")
    return elapsed

for s in servers:  # warm-up
    for command in cases:
        hook(s, command, "warm")
for i in range(runs):
    for s in servers:
        s["times"].append(hook(s, cases[i % len(cases)], f"s{i % 7}"))

def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

base = statistics.median(servers[0]["times"])
print(f"{runs} hook calls through holdpoint serve per server, interleaved "
      f"({len(held)} connections held by the hung collector)")
print(f"{'':16} {'median ms':>10} {'p99 ms':>8} {'x median':>9}")
for s in servers:
    m = statistics.median(s["times"])
    print(f"{s['name']:16} {m:10.2f} {p99(s['times']):8.2f} {m / base:9.2f}")
time.sleep(2)
for s in servers[1:]:
    status = subprocess.run([binary, "telemetry", "status"], env=s["env"],
                            capture_output=True, text=True).stdout
    sent = re.search(r"sent\s+(.*)", status)
    print(f"{s['name']:16} sent {sent.group(1) if sent else '?'}")
for s in servers:
    s["serve"].terminate()
    s["serve"].wait(timeout=20)
collector.terminate()
PY
