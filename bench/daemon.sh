#!/usr/bin/env bash
# Benchmarks of berthd and its image store:
#   - daemon start time (exec to first /_ping answer) with 1, 100 and 1000
#     images in the store (target: under 50 ms and flat);
#   - `images` listing latency at those sizes (API call and full CLI);
#   - `load` of a ~200 MB image, against `docker load` when a Docker daemon
#     answers (DOCKER_HOST, or /var/run/docker.sock; ratio printed);
#   - sha256 throughput of berth's digester (target: >= 1 GB/s).
# Usage: bench/daemon.sh [-n RUNS] [-L] BUILD_DIR   (needs root; -L: load and sha256 only)
set -euo pipefail
RUNS=10
ONLY_LOAD=0
while getopts n:L opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	L) ONLY_LOAD=1 ;;
	*) echo "usage: $0 [-n RUNS] BUILD_DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
BUILD=$(cd "${1:?usage: $0 [-n RUNS] BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
BERTHD=$BUILD/berthd
BERTH=$BUILD/berth
for b in "$BERTHD" "$BERTH" "$BUILD/bench-startwait" "$BUILD/bench-sha256"; do
	[ -x "$b" ] || { echo "daemon.sh: $b is not built" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "daemon.sh: needs root" >&2; exit 1; }

tmp=$(mktemp -d /tmp/berth-bench-daemon.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# stats FILE: "min median" of the numbers in FILE (one per line).
stats() {
	sort -n "$1" | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f", v[1], m}'
}

daemon_args() { # DIR
	echo --data-root "$1/data" --exec-root "$1/run" -H "unix://$1/run/berth.sock"
}

start_daemon() { # DIR
	# shellcheck disable=SC2046
	"$BERTHD" $(daemon_args "$1") >"$1/berthd.log" 2>&1 &
	pid=$!
	for _ in $(seq 500); do
		"$BERTH" -H "unix://$1/run/berth.sock" version >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	echo "daemon.sh: berthd did not start; log:" >&2
	cat "$1/berthd.log" >&2
	exit 1
}

stop_daemon() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# time_ms CMD...: wall milliseconds of one run.
time_ms() {
	local a b
	a=$(date +%s%N)
	"$@" >/dev/null 2>&1
	b=$(date +%s%N)
	echo $(((b - a) / 1000))e-3 | awk '{printf "%.2f\n", $1}'
}

[ "$ONLY_LOAD" = 1 ] || {
echo "== daemon start and image listing ($RUNS runs each)"
printf '%-8s %18s %22s %22s\n' images "start min/median" "GET /images/json" "berth images"
for n in 1 100 1000; do
	dir=$tmp/n$n
	mkdir -p "$dir"
	"$SRC/bench/make-images-archive.sh" "$n" "$dir/images.tar"
	start_daemon "$dir"
	"$BERTH" -H "unix://$dir/run/berth.sock" load -q -i "$dir/images.tar" >/dev/null
	: >"$dir/api.txt"
	: >"$dir/cli.txt"
	for ((i = 0; i < RUNS; i++)); do
		time_ms curl -sf --unix-socket "$dir/run/berth.sock" http://berth/v1.44/images/json >>"$dir/api.txt"
		time_ms "$BERTH" -H "unix://$dir/run/berth.sock" images >>"$dir/cli.txt"
	done
	stop_daemon
	: >"$dir/start.txt"
	for ((i = 0; i < RUNS; i++)); do
		# shellcheck disable=SC2046
		"$BUILD/bench-startwait" "$dir/run/berth.sock" "$BERTHD" $(daemon_args "$dir") >>"$dir/start.txt"
	done
	printf '%-8s %18s %22s %22s\n' "$n" "$(stats "$dir/start.txt") ms" "$(stats "$dir/api.txt") ms" \
		"$(stats "$dir/cli.txt") ms"
done

}

echo "== load of a ~200 MB image"
big=$tmp/big
mkdir -p "$big/rootfs"
head -c 200000000 /dev/urandom >"$big/rootfs/blob"
tar -cf "$big/rootfs.tar" -C "$big/rootfs" .
start_daemon "$big"
"$BERTH" -H "unix://$big/run/berth.sock" import "$big/rootfs.tar" bench/big:1 >/dev/null
"$BERTH" -H "unix://$big/run/berth.sock" save -o "$big/big.tar" bench/big:1
: >"$big/load.txt"
for ((i = 0; i < 3; i++)); do
	"$BERTH" -H "unix://$big/run/berth.sock" rmi -f bench/big:1 >/dev/null
	time_ms "$BERTH" -H "unix://$big/run/berth.sock" load -q -i "$big/big.tar" >>"$big/load.txt"
done
stop_daemon
read -r bmin bmed <<<"$(stats "$big/load.txt")"
echo "berth load: min $bmin ms, median $bmed ms ($(du -m "$big/big.tar" | cut -f1) MB archive)"
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
	: >"$big/dload.txt"
	for ((i = 0; i < 3; i++)); do
		docker rmi -f bench/big:1 >/dev/null 2>&1 || true
		time_ms docker load -q -i "$big/big.tar" >>"$big/dload.txt"
	done
	docker rmi -f bench/big:1 >/dev/null 2>&1 || true
	read -r dmin dmed <<<"$(stats "$big/dload.txt")"
	echo "docker load: min $dmin ms, median $dmed ms; berth/docker = $(awk -v a="$bmed" -v b="$dmed" 'BEGIN{printf "%.2f", a/b}') (median)"
else
	echo "docker load: no Docker daemon reachable (apt-get install docker.io), ratio not measured"
fi

echo "== sha256"
"$BUILD/bench-sha256" 2048
