#!/usr/bin/env bash
# Load test of `/metrics` as `start_http_server` serves it: builds the
# `serve_load` program (the exposition workload of `benches/encode.rs`,
# about 1.6 MB of text) in release mode, starts it, and drives it with
# `wrk` (Debian package `wrk`): one connection uncompressed, with gzip and
# with zstd (what a single scraper waits for), then 10 and 100 connections
# uncompressed and 10 with gzip and zstd. Prints the body size, requests
# per second and median latency (`wrk --latency`) of each case, all from
# this one run.
#
#   benches/serve_report.sh              # 8 s per case
#   DURATION=20s benches/serve_report.sh
#   PROMETHEUS_DISABLE_CREATED_SERIES=True benches/serve_report.sh   # no _created
set -euo pipefail

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p metrics-bench --bin serve_load
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

port=${PORT:-19464}
"$target_dir/release/serve_load" --listen "127.0.0.1:$port" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null && break
    sleep 0.1
done
url="http://127.0.0.1:$port/metrics"

case "${PROMETHEUS_DISABLE_CREATED_SERIES:-}" in
    ""|0|[Ff]alse) created=on ;;
    *) created=off ;;
esac
echo "_created $created; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | connections | body bytes | requests/s | p50 latency |"
echo "|---|---|---|---|---|"
run() { # name connections encoding
    local name=$1 conns=$2 coding=$3 header=() size threads out rps p50
    if [ -n "$coding" ]; then header=(-H "Accept-Encoding: $coding"); fi
    size=$(curl -fsS "${header[@]}" "$url" | wc -c)
    threads=$(( conns < 2 ? 1 : 2 ))
    out=$(wrk -t"$threads" -c"$conns" -d"${DURATION:-8s}" --latency "${header[@]}" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    echo "| $name | $conns | $size | $rps | $p50 |"
}
run identity 1 ""
run gzip 1 gzip
run zstd 1 zstd
run identity 10 ""
run identity 100 ""
run gzip 10 gzip
run zstd 10 zstd
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
