#!/usr/bin/env bash
# Runs the exposition benchmarks (`benches/encode.rs`: text 0.0.4, then
# OpenMetrics 1.0.0) with short warm-up and measurement times, then prints,
# per format, the median time of each library and the ratio of ours to the
# fastest peer.
#
#   benches/report.sh                # 1 s warm-up, 3 s measurement
#   WARM_UP=3 MEASURE=10 benches/report.sh
#
# Extra arguments go to criterion (e.g. a filter such as `measured`).
set -euo pipefail

cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
groups="encode_10k_counters_1k_histograms encode_openmetrics_10k_counters_1k_histograms"

# Criterion keeps the previous run in `new/`: start from clean groups so
# that every row of the tables comes from this run.
for group in $groups; do
    rm -rf "${target_dir:?}/criterion/$group"
done

cargo bench -p metrics-bench --bench encode -- \
    --warm-up-time "${WARM_UP:-1}" --measurement-time "${MEASURE:-3}" \
    --noplot "$@" | tee "$target_dir/encode-bench.log"

python3 - "$target_dir/criterion" "$target_dir/encode-bench.log" <<'EOF'
import json, os, re, sys

criterion_dir, log = sys.argv[1], sys.argv[2]
ours_prefix = "promscribe"
# (group, prefix of its `encode output` lines, title)
groups = [
    ("encode_10k_counters_1k_histograms", "", "text 0.0.4"),
    ("encode_openmetrics_10k_counters_1k_histograms", "openmetrics:", "OpenMetrics 1.0.0"),
]

sizes = {}
with open(log) as f:
    for line in f:
        m = re.match(r"encode output (\S+): (\d+) bytes", line)
        if m:
            sizes[m.group(1)] = int(m.group(2))

def fmt(ns):
    return f"{ns / 1e6:9.3f} ms"

found = False
for group, size_prefix, title in groups:
    group_dir = os.path.join(criterion_dir, group)
    medians = {}
    names = sorted(os.listdir(group_dir)) if os.path.isdir(group_dir) else []
    for name in names:
        path = os.path.join(group_dir, name, "new", "estimates.json")
        if not os.path.exists(path):
            continue
        with open(os.path.join(group_dir, name, "new", "benchmark.json")) as f:
            function = json.load(f)["function_id"]
        with open(path) as f:
            medians[function] = json.load(f)["median"]["point_estimate"]  # ns
    if not medians:
        continue
    found = True
    peers = {k: v for k, v in medians.items() if not k.startswith(ours_prefix)}
    best = min(peers, key=peers.get) if peers else None
    print()
    print(f"{title} ({group})")
    print(f"{'library':<26} {'median':>12} {'output':>12}  vs best peer")
    for name, ns in sorted(medians.items(), key=lambda kv: kv[1]):
        size = sizes.get(size_prefix + name)
        size = f"{size} B" if size else ""
        ratio = f"{ns / peers[best]:.2f}x" if best else ""
        print(f"{name:<26} {fmt(ns):>12} {size:>12}  {ratio}")
    if best:
        for name in sorted(k for k in medians if k.startswith(ours_prefix)):
            print(f"{title}: {name} / {best} (best peer): {medians[name] / peers[best]:.2f}")

if not found:
    sys.exit("no results under " + criterion_dir)
EOF
