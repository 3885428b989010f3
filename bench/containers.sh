#!/usr/bin/env bash
# Container benchmarks through the whole engine (CLI -> berthd -> berth-shim
# -> runtime -> exit -> removal), side by side with Docker and Podman when
# they answer here:
#   - `run --rm busybox true`, end to end (target: under 1/10 of docker's);
#   - 20 detached containers: time to start them all, and RSS per shim
#     (berth-shim against containerd-shim / conmon; target: under 300 KiB).
# Docker is used when `docker info` answers (DOCKER_HOST or the default
# socket) and has a busybox image; podman when installed with busybox.
# Usage: bench/containers.sh [-n RUNS] BUILD_DIR   (needs root)
set -euo pipefail
RUNS=20
while getopts n: opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] BUILD_DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
BUILD=$(cd "${1:?usage: $0 [-n RUNS] BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "containers.sh: needs root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "containers.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

T=$(mktemp -d /tmp/berth-bench-ctr.XXXXXX)
DPID=
cleanup() {
	if [ -n "$DPID" ]; then
		"$BUILD/berth" -H "unix://$T/run/berth.sock" rm -f $("$BUILD/berth" -H "unix://$T/run/berth.sock" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
		kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
"$BUILD/berthd" --data-root "$T/data" --exec-root "$T/run" -H "unix://$T/run/berth.sock" >"$T/berthd.log" 2>&1 &
DPID=$!
b() { "$BUILD/berth" -H "unix://$T/run/berth.sock" "$@"; }
for _ in $(seq 100); do b version >/dev/null 2>&1 && break; sleep 0.05; done
b load -q -i "$SRC/tests/data/images/busybox-docker-save.tar" >/dev/null

median_ms() { # hyperfine JSON -> median in ms
	jq -r '.results[0].median * 1000' "$1"
}

echo "== run --rm busybox true ($RUNS runs)"
hyperfine -N -w 3 -r "$RUNS" --export-json "$T/berth.json" \
	"$BUILD/berth -H unix://$T/run/berth.sock run --rm busybox true" >/dev/null
bm=$(median_ms "$T/berth.json")
printf 'berth:  median %.1f ms\n' "$bm"
if command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker image inspect busybox >/dev/null 2>&1; then
	for net in "" "--network none"; do
		# shellcheck disable=SC2086
		if ! docker run --rm $net busybox true >/dev/null 2>&1; then
			echo "docker${net:+ $net}: run fails here (no default bridge?); skipped"
			continue
		fi
		hyperfine -N -w 2 -r "$RUNS" --export-json "$T/docker.json" "docker run --rm $net busybox true" >/dev/null
		dm=$(median_ms "$T/docker.json")
		printf 'docker%s: median %.1f ms; berth/docker = %.3f\n' "${net:+ $net}" "$dm" "$(echo "$bm / $dm" | bc -l)"
	done
else
	echo "docker: no daemon with a busybox image answers here; ratio not measured"
fi
if command -v podman >/dev/null && podman image exists busybox 2>/dev/null; then
	hyperfine -N -w 2 -r "$RUNS" --export-json "$T/podman.json" "podman run --rm --network none busybox true" >/dev/null
	pm=$(median_ms "$T/podman.json")
	printf 'podman --network none: median %.1f ms; berth/podman = %.3f\n' "$pm" "$(echo "$bm / $pm" | bc -l)"
else
	echo "podman: not installed or no busybox image; ratio not measured"
fi

echo "== 20 detached containers"
a=$(date +%s%N)
for i in $(seq 20); do b run -d --name "bench-$i" busybox sleep 60 >/dev/null; done
z=$(date +%s%N)
printf 'berth: started 20 in %d ms\n' $(((z - a) / 1000000))
total=0 n=0
for p in $(pgrep -x berth-shim || pgrep -f "berth-shim --id"); do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
	total=$((total + kb)) n=$((n + 1)) pt=$((${pt:-0} + pss))
done
[ "$n" -gt 0 ] && printf 'berth-shim: %d running, RSS %d KiB each (PSS %d KiB; target < 300 KiB)\n' "$n" $((total / n)) $((pt / n))
b rm -f $(b ps -aq) >/dev/null
