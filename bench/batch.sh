#!/usr/bin/env bash
# Times `holdpoint check --batch` over 10,000 JSON lines drawn from the corpus, with
# `cat` over the same file beside it for scale. Prints the median and the slowest of
# five runs of each, and their ratio.
#
#   bash bench/batch.sh            # builds the release binary first
#   BIN=/tmp/holdpoint-old bash bench/batch.sh   # that binary, not this checkout's
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/actions.jsonl" <<'PY'
import json, pathlib, sys
cases = []
for path in sorted(pathlib.Path("corpus").glob("*.jsonl")):
    for line in path.read_text().splitlines():
        if line.strip():
            case = json.loads(line)
            cases.append({"surface": case["surface"], "input": case["input"], "env": "production"})
with open(sys.argv[1], "w") as out:
    for i in range(10_000):
        out.write(json.dumps(cases[i % len(cases)]) + "\n")
PY

time_runs() {
    local times=()
    for _ in 1 2 3 4 5; do
        local start end
        start=$(date +%s%N)
        "$@" < "$work/actions.jsonl" > "$work/out.jsonl"
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[3], a[5]}'
}

read -r hp_median hp_max < <(time_runs "$bin" check --batch - --cwd /home/dev/project)
lines=$(wc -l < "$work/out.jsonl")
read -r cat_median cat_max < <(time_runs cat)
echo "holdpoint check --batch, $lines lines: median ${hp_median} ms, slowest ${hp_max} ms (5 runs)"
echo "cat over the same file:             median ${cat_median} ms, slowest ${cat_max} ms"
awk -v h="$hp_median" -v l="$lines" 'BEGIN { printf "per line: %.1f µs; target: 10,000 lines in under 1000 ms\n", h * 1000 / l }'
