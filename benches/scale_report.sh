#!/usr/bin/env bash
# One counter family at scale: builds the `scale` program in release mode
# and runs it for promscribe and prometheus-client, each in its own
# process, at 1,000,000 and 100,000 series (or the counts given), then
# prints a Markdown table with the ratios ours / peer. Fails if a run
# fails or a scrape does not hold every series.
#
#   benches/scale_report.sh                  # 1000000 and 100000 series
#   benches/scale_report.sh 10000 100000     # other counts
set -euo pipefail

cd "$(dirname "$0")/.."
cargo build --release -q -p metrics-bench --bin scale
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

counts=("$@")
if [ ${#counts[@]} -eq 0 ]; then counts=(1000000 100000); fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for n in "${counts[@]}"; do
    for library in ours prometheus-client; do
        if ! line=$("$target_dir/release/scale" "$library" "$n"); then
            echo "scale $library $n failed" >&2
            exit 1
        fi
        echo "$line" >&2
        echo "$line" >>"$results"
    done
done

python3 - "$results" <<'EOF'
import sys

runs = {}
for line in open(sys.argv[1]):
    fields = dict(kv.split("=", 1) for kv in line.split())
    n = int(fields["series"])
    if int(fields["samples"]) != n:
        sys.exit(f"FAILED: {fields['library']} at {n} series scraped "
                 f"{fields['samples']} samples")
    runs[(fields["library"], n)] = fields

def mib(kib):
    return float(kib) / 1024

rows = [
    # (label, function of a run's fields, format)
    ("RSS before the series (MiB)", lambda f: mib(f["baseline_rss_kib"]), "{:,.1f}"),
    ("RSS once created (MiB)", lambda f: mib(f["rss_after_create_kib"]), "{:,.1f}"),
    ("RSS per series once created (bytes)",
     lambda f: (int(f["rss_after_create_kib"]) - int(f["baseline_rss_kib"])) * 1024
     / int(f["series"]), "{:,.0f}"),
    ("peak RSS after one scrape (MiB)", lambda f: mib(f["peak_rss_kib"]), "{:,.1f}"),
    ("time to create, each incremented once (ms)", lambda f: float(f["create_ms"]), "{:,.1f}"),
    ("scrape time (ms)", lambda f: float(f["scrape_ms"]), "{:,.1f}"),
    ("scrape bytes", lambda f: int(f["scrape_bytes"]), "{:,}"),
]
created_rows = [
    ("scrape time with `_created` (ms)", lambda f: float(f["scrape_created_ms"]), "{:,.1f}"),
    ("scrape bytes with `_created`", lambda f: int(f["scrape_created_bytes"]), "{:,}"),
    ("peak RSS after the scrape with `_created` (MiB)",
     lambda f: mib(f["peak_rss_created_kib"]), "{:,.1f}"),
]

print("| series | measure | promscribe | prometheus-client | ours / peer |")
print("|---|---|---|---|---|")
for n in sorted({n for (_, n) in runs}, reverse=True):
    ours, peer = runs[("ours", n)], runs[("prometheus-client", n)]
    for label, get, fmt in rows:
        a, b = get(ours), get(peer)
        ratio = f"{a / b:.2f}" if b else "-"
        print(f"| {n:,} | {label} | {fmt.format(a)} | {fmt.format(b)} | {ratio} |")
    for label, get, fmt in created_rows:
        print(f"| {n:,} | {label} | {fmt.format(get(ours))} | (not written) | - |")
EOF
