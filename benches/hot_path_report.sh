#!/usr/bin/env bash
# Runs the hot-path benchmarks (`benches/hot_path.rs`, then the heap bytes
# of `benches/hot_path_memory.rs`) and prints the table of BENCHMARKS.md:
# per workload, ours, each peer, the best peer, our ratio to it, and the
# target. Times are ns per operation: the minimum over criterion's
# samples, except for the two-thread workloads, where the minimum is a
# sample in which the threads happened not to overlap (on a loaded
# machine, one ran while the other waited for a CPU): there it is the
# median.
#
#   benches/hot_path_report.sh                # 1 s warm-up, 2 s measurement
#   WARM_UP=3 MEASURE=10 benches/hot_path_report.sh
#   REPORT_ONLY=1 benches/hot_path_report.sh  # the table of the last run
#
# Extra arguments go to criterion (e.g. a filter such as `labels`).
set -euo pipefail

cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
groups="floor_fetch_add floor_two_instant_now counter_inc_cached counter_inc_2_threads
labels_2_strings_inc labels_2_strings_inc_2_threads labels_2_enums_inc labels_str_u16_inc
histogram_observe histogram_observe_2_threads native_histogram_observe
native_histogram_observe_2_threads timed_empty_fn"

if [ -z "${REPORT_ONLY:-}" ]; then
    # Criterion keeps earlier runs: start from clean groups so that every
    # row of the table comes from this run.
    for g in $groups; do rm -rf "$target_dir/criterion/$g"; done

    cargo bench -p metrics-bench --bench hot_path -- \
        --warm-up-time "${WARM_UP:-1}" --measurement-time "${MEASURE:-2}" \
        --noplot "$@" >&2
    cargo bench -p metrics-bench --bench hot_path_memory |
        tee "$target_dir/hot_path_memory.log" >&2
fi

python3 - "$target_dir/criterion" "$target_dir/hot_path_memory.log" <<'EOF'
import json, os, re, sys

root, memory_log = sys.argv[1], sys.argv[2]
ours = "promscribe"
peers = ["prometheus", "prometheus-client", "metrics", "measured", "fastmetrics"]

def minimum(group):
    """Function name -> ns per iteration: the minimum over the samples, the
    median for a two-thread group."""
    out = {}
    base = os.path.join(root, group)
    if not os.path.isdir(base):
        return out
    for d in os.listdir(base):
        new = os.path.join(base, d, "new")
        try:
            with open(os.path.join(new, "benchmark.json")) as f:
                name = json.load(f)["function_id"]
            with open(os.path.join(new, "sample.json")) as f:
                s = json.load(f)
        except FileNotFoundError:
            continue
        per_iter = sorted(t / n for t, n in zip(s["times"], s["iters"]))
        if group.endswith("_2_threads"):
            out[name] = per_iter[len(per_iter) // 2]
        else:
            out[name] = per_iter[0]
    return out

fetch_add = minimum("floor_fetch_add").get("floor")
two_now = minimum("floor_two_instant_now").get("floor")

# (group, label, target as (ratio, against: "peer" or a floor), unit)
rows = [
    ("counter_inc_cached", "counter inc, cached", (1.0, "fetch_add")),
    ("counter_inc_2_threads", "counter inc, 2 threads, one counter (median)", (0.2, "peer")),
    ("labels_2_strings_inc", "lookup by 2 string labels + inc", (0.6, "peer")),
    ("labels_2_strings_inc_2_threads", "same, 2 threads, one series (median)", (0.15, "peer")),
    ("labels_2_enums_inc", "lookup by 2 enum labels + inc", (1.0, "peer")),
    ("labels_str_u16_inc", 'lookup by ("get", 200u16) + inc', (0.6, "peer")),
    ("histogram_observe", "histogram observe", (0.75, "peer")),
    ("histogram_observe_2_threads", "histogram observe, 2 threads (median)", (0.35, "peer")),
    ("native_histogram_observe", "native histogram observe (schema 3)", (0.5, "peer")),
    ("native_histogram_observe_2_threads", "native histogram observe, 2 threads (median)", (0.35, "peer")),
    ("timed_empty_fn", "`#[timed]` on an empty fn", (1.2, "two_now")),
]

memory, native_memory = {}, {}
with open(memory_log) as f:
    for line in f:
        m = re.match(r"heap_per_series (\S+): ([\d.]+)", line)
        if m:
            memory[m.group(1)] = float(m.group(2))
        m = re.match(r"heap_per_native_histogram_160 (\S+): ([\d.]+)", line)
        if m:
            native_memory[m.group(1)] = float(m.group(2))

def cell(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"

header = ["workload", ours] + peers + ["best peer", "ours / best peer", "target", "met"]
print("| " + " | ".join(header) + " |")
print("|" + "---|" * len(header))

def row(label, values, target):
    best_name = min((p for p in peers if values.get(p) is not None),
                    key=lambda p: values[p], default=None)
    best = values.get(best_name) if best_name else None
    mine = values.get(ours)
    ratio = mine / best if mine is not None and best else None
    ratio_text, against = target if target else (None, None)
    floor = {"fetch_add": fetch_add, "two_now": two_now}.get(against)
    if target is None:
        goal, met = "(reported)", None
    elif against == "peer":
        goal = f"<= {ratio_text}x best peer"
        met = ratio is not None and ratio <= ratio_text
    else:
        name = {"fetch_add": "a bare `fetch_add`", "two_now": "two `Instant::now()`"}[against]
        goal = f"<= {ratio_text}x {name} ({cell(floor)})"
        met = mine is not None and floor is not None and mine <= ratio_text * floor
    cells = [label, cell(mine)] + [cell(values.get(p)) for p in peers]
    cells += [f"{cell(best)} ({best_name})" if best_name else "-",
              cell(ratio, 2), goal, "-" if met is None else "yes" if met else "no"]
    print("| " + " | ".join(cells) + " |")

for group, label, target in rows:
    row(label, minimum(group), target)
row("heap bytes per labelled series (100k series)", memory, (0.85, "peer"))
row("heap bytes per native histogram, 160 buckets", native_memory, None)
print()
print(f"floors: bare `fetch_add` {cell(fetch_add, 2)} ns, two `Instant::now()` {cell(two_now, 2)} ns")
EOF
