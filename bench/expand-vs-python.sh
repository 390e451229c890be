#!/usr/bin/env bash
# Benchmark `anslag expand` against the Python reference (icalendar 7.3.0 +
# recurring-ical-events 3.8.2) on the same file and window, in the same run:
# wall time (hyperfine, else repeated timing) and peak RSS (/usr/bin/time -v).
#
#   bench/expand-vs-python.sh [ICS] [FROM] [TO] [TZ]
#
# Defaults: ../shared/bench/calendar-5000.ics 2026-01-01 2026-03-01 Europe/Riga.
# Env: VENV (default /tmp/anslag-bench-venv), CARGO_TARGET_DIR, RUNS (default 10).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ics="${1:-$root/../shared/bench/calendar-5000.ics}"
from="${2:-2026-01-01}"
to="${3:-2026-03-01}"
tz="${4:-Europe/Riga}"
venv="${VENV:-/tmp/anslag-bench-venv}"
runs="${RUNS:-10}"
target="${CARGO_TARGET_DIR:-$root/target}"
ref="$root/../shared/conformance/reference/expand.py"

# Python side: a venv with the reference's pinned versions.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import icalendar, recurring_ical_events' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet icalendar==7.3.0 recurring-ical-events==3.8.2
fi

# Rust side: release build of the CLI only.
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --quiet --release -p anslag-cli)
anslag="$target/release/anslag"

rust_cmd=("$anslag" expand "$ics" --from "$from" --to "$to" --tz "$tz")
py_cmd=("$venv/bin/python" "$ref" "$ics" --from "$from" --to "$to" --tz "$tz")

echo "# machine: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc) cpus"
echo "# anslag: $("$anslag" --version); python: $("$venv/bin/python" --version 2>&1)"
echo "# input: $ics ($(wc -c <"$ics") bytes), window [$from, $to) $tz"

# Same answer first: a fast wrong answer is no result.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${rust_cmd[@]}" 2>/dev/null | python3 -c 'import sys,json; [print(json.dumps(json.loads(l),sort_keys=True)) for l in sys.stdin]' | sort >"$tmp/rust.jsonl"
"${py_cmd[@]}" | python3 -c 'import sys,json; [print(json.dumps(json.loads(l),sort_keys=True)) for l in sys.stdin]' | sort >"$tmp/py.jsonl"
if cmp -s "$tmp/rust.jsonl" "$tmp/py.jsonl"; then
    echo "# outputs identical: $(wc -l <"$tmp/rust.jsonl") occurrences"
else
    echo "# WARNING: outputs differ ($(wc -l <"$tmp/rust.jsonl") vs $(wc -l <"$tmp/py.jsonl") lines)"
    diff "$tmp/rust.jsonl" "$tmp/py.jsonl" | head -10 || true
fi

q() { printf '%q ' "$@"; }
echo
echo "## wall time"
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 1 --runs "$runs" -N --export-json "$tmp/hf.json" \
        -n anslag "$(q "${rust_cmd[@]}")" -n python "$(q "${py_cmd[@]}")" >/dev/null 2>&1 ||
        hyperfine --warmup 1 --runs "$runs" --export-json "$tmp/hf.json" \
            -n anslag "$(q "${rust_cmd[@]}") >/dev/null" -n python "$(q "${py_cmd[@]}") >/dev/null" >/dev/null
    python3 - "$tmp/hf.json" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, p = r["anslag"], r["python"]
for name, x in (("anslag", a), ("python", p)):
    print(f"{name:7} mean {x['mean']*1000:9.1f} ms  ± {x['stddev']*1000:7.1f} ms  (min {x['min']*1000:.1f}, {len(x['times'])} runs)")
print(f"speed-up: {p['mean']/a['mean']:.1f}x")
EOF
else
    for name in anslag python; do
        if [ "$name" = anslag ]; then cmd=("${rust_cmd[@]}"); else cmd=("${py_cmd[@]}"); fi
        start=$(date +%s.%N)
        for _ in $(seq "$runs"); do "${cmd[@]}" >/dev/null 2>&1; done
        end=$(date +%s.%N)
        echo "$name mean $(echo "($end - $start) * 1000 / $runs" | bc -l | cut -c1-8) ms ($runs runs)"
    done
fi

echo
echo "## peak memory (max RSS of 3 runs)"
peak() {
    local best=0 kb
    for _ in 1 2 3; do
        kb=$(/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}')
        [ "$kb" -gt "$best" ] && best=$kb
    done
    echo "$best"
}
ra=$(peak "${rust_cmd[@]}")
rp=$(peak "${py_cmd[@]}")
echo "anslag  ${ra} KiB"
echo "python  ${rp} KiB"
python3 -c "print(f'memory ratio: anslag uses {$ra/$rp:.3f} of python (1/{$rp/$ra:.1f})')"
