#!/usr/bin/env bash
# The memory of a bounded family: builds the `bounded` program in release
# mode and runs each case in its own process, then prints a Markdown table
# and the ratios. Fails if a run fails or its scrape does not hold what
# the case implies.
#
# - at the cap: 1,000,000 distinct values into a family with
#   max_series = 10,000, against only the first 10,000 values into a family
#   without a cap (target: peak RSS within 10%), and the 1,000,000 values
#   without a cap for context;
# - expiry without scrapes: 1,000,000 distinct values at a steady rate over
#   5 s into a family with expire_after = 100 ms, against the same without
#   a timeout.
#
#   benches/bounded_report.sh
#   VALUES=100000 CAP=1000 PACED_SECONDS=2 EXPIRE_MS=50 benches/bounded_report.sh
set -euo pipefail

cd "$(dirname "$0")/.."
cargo build --release -q -p metrics-bench --bin bounded
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

values=${VALUES:-1000000}
cap=${CAP:-10000}
seconds=${PACED_SECONDS:-5}
expire_ms=${EXPIRE_MS:-100}

# name|arguments
cases=(
    "capped|$values max_series=$cap"
    "uncapped_first|$cap"
    "uncapped_all|$values"
    "expiring|$values expire_ms=$expire_ms seconds=$seconds"
    "steady|$values seconds=$seconds"
)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for case in "${cases[@]}"; do
    name=${case%%|*}
    # shellcheck disable=SC2086 # the arguments are words
    if ! line=$("$target_dir/release/bounded" ${case#*|}); then
        echo "bounded ${case#*|} failed" >&2
        exit 1
    fi
    echo "case=$name $line" >&2
    echo "case=$name $line" >>"$results"
done

python3 - "$results" <<'EOF'
import sys

runs = {}
for line in open(sys.argv[1]):
    fields = dict(kv.split("=", 1) for kv in line.split())
    runs[fields["case"]] = fields

def mib(kib):
    return int(kib) / 1024

labels = {
    "capped": "values past the cap (max_series)",
    "uncapped_first": "only the first max_series values, no cap",
    "uncapped_all": "every value, no cap",
    "expiring": "steady rate, expire_after, no scrape",
    "steady": "steady rate, no expiry, no scrape",
}
print("| case | values | max_series | expire_after (ms) | seconds | peak RSS (MiB) "
      "| peak RSS over baseline (MiB) | time to record (ms) | len() at the end "
      "| largest len() | series in a scrape after | overflowed updates |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, f in runs.items():
    over = int(f["peak_rss_kib"]) - int(f["baseline_rss_kib"])
    print(f"| {labels[name]} | {int(f['values']):,} | {f['max_series']} | {f['expire_ms']} "
          f"| {f['seconds']} | {mib(f['peak_rss_kib']):,.1f} | {over / 1024:,.1f} "
          f"| {float(f['record_ms']):,.1f} | {int(f['len']):,} | {int(f['peak_len']):,} "
          f"| {int(f['samples']):,} | {int(f['overflow']):,} |")

def ratio(a, b, what):
    ra, rb = runs[a], runs[b]
    peak = int(ra["peak_rss_kib"]) / int(rb["peak_rss_kib"])
    over_a = int(ra["peak_rss_kib"]) - int(ra["baseline_rss_kib"])
    over_b = int(rb["peak_rss_kib"]) - int(rb["baseline_rss_kib"])
    over = over_a / over_b if over_b else float("nan")
    return f"{what}: peak RSS {peak:.3f}x, over baseline {over:.3f}x"

print()
print(ratio("capped", "uncapped_first",
            "at the cap / only the first max_series values (target: peak RSS <= 1.10x)"))
print(ratio("capped", "uncapped_all", "at the cap / every value without a cap"))
print(ratio("expiring", "steady", "expire_after / no expiry, steady rate"))
EOF
