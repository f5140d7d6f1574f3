#!/usr/bin/env bash
# Load test of `/metrics` as `start_http_server` serves it: builds the
# `serve_load` program (the exposition workload of `benches/encode.rs`,
# about 1.6 MB of text) in release mode, starts it, and drives it with
# `wrk` (Debian package `wrk`) at 1, 10 and 100 connections uncompressed,
# then at 10 connections with gzip and with zstd. Prints requests per
# second and the body size of each case.
#
#   benches/serve_report.sh              # 8 s per case
#   DURATION=20s benches/serve_report.sh
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

echo "| case | connections | body bytes | requests/s |"
echo "|---|---|---|---|"
run() { # name connections encoding
    local name=$1 conns=$2 coding=$3 header=() size threads rps
    if [ -n "$coding" ]; then header=(-H "Accept-Encoding: $coding"); fi
    size=$(curl -fsS "${header[@]}" "$url" | wc -c)
    threads=$(( conns < 2 ? 1 : 2 ))
    rps=$(wrk -t"$threads" -c"$conns" -d"${DURATION:-8s}" "${header[@]}" "$url" |
        awk '/Requests\/sec/ {print $2}')
    echo "| $name | $conns | $size | $rps |"
}
run identity 1 ""
run identity 10 ""
run identity 100 ""
run gzip 10 gzip
run zstd 10 zstd
