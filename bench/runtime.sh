#!/bin/bash
# Benchmark container start-up: `run` of the same busybox bundle running
# `true` under berth-runtime, crun and runc (those installed), N times each.
# Prints min and median wall time in ms per runtime and berth's ratio to the
# others.
#
# Usage: bench/runtime.sh [-n N] [-l] BUILD_DIR   (N >= 1, default 30; needs root)
#
# Timing: hyperfine (--shell=none, CSV export) when installed, else (or with
# -l) a bash loop over `date +%s%N`.
#
# cgroups: every runtime creates a cgroup for each run (cgroupsPath
# /berth-bench/<runtime>) with its cgroupfs driver. crun 1.8 refuses a hybrid
# host whose cgroup2 hierarchy holds a controller (here hugetlb), so on such
# a host the whole benchmark runs in a private mount namespace whose
# /sys/fs/cgroup is a private copy of the host's plus hugetlb bound to its
# own v1 hierarchy; nothing of that is visible in the host's mount table.
# While it runs, hugetlb is off cgroup2 for the whole machine; the script
# gives it back when done. If that cannot be arranged, crun runs with
# --cgroup-manager=disabled and the output says so.
#
# Everything made (bundle, state dirs, cgroups, mounts) is removed on exit.
set -euo pipefail

RUNS=30
LOOP=0
usage() { echo "usage: $0 [-n RUNS] [-l] BUILD_DIR" >&2; exit 2; }
while getopts n:lh opt; do
	case $opt in
	n) RUNS=$OPTARG ;;
	l) LOOP=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "runtime.sh: -n wants a positive number" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "runtime.sh: needs root" >&2; exit 1; }

CG_PARENT=berth-bench
V2_CONTROLLERS=/sys/fs/cgroup/unified/cgroup.controllers

hybrid_v2_busy() {
	[ -f "$V2_CONTROLLERS" ] && grep -q . "$V2_CONTROLLERS"
}

# The hugetlb hierarchy id in /proc/cgroups (0: on cgroup2 or unused).
hugetlb_hierarchy() {
	awk '$1 == "hugetlb" {print $2}' /proc/cgroups
}

# ---------------------------------------------------------------------------
# Inner part: runs the benchmark (possibly inside the private namespace).
# ---------------------------------------------------------------------------
bench_inner() {
	local tmp=$1 crun_mode=$2
	local rootfs=$BUILD/tests/busybox-rootfs
	"$SRC/tests/integration/make-rootfs.sh" "$rootfs"

	mkdir -p "$tmp/bundle"
	cat >"$tmp/bundle/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "true" ],
    "env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective": [ "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted": [ "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "noNewPrivileges": true
  },
  "root": { "path": "$rootfs", "readonly": true },
  "hostname": "bench",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] }
  ],
  "linux": {
    "cgroupsPath": "/$CG_PARENT/RUNTIME",
    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
                    { "type": "uts" }, { "type": "mount" } ],
    "maskedPaths": [ "/proc/kcore", "/sys/firmware" ],
    "readonlyPaths": [ "/proc/sys" ]
  }
}
EOF

	# name|command (without the final "run --bundle B ID" part)
	local -a rts=()
	[ -x "$BUILD/berth-runtime" ] && rts+=("berth|$BUILD/berth-runtime --root $tmp/state-berth")
	if command -v crun >/dev/null; then
		if [ "$crun_mode" = cgroupfs ]; then
			rts+=("crun|$(command -v crun) --cgroup-manager=cgroupfs --root $tmp/state-crun")
		else
			rts+=("crun|$(command -v crun) --cgroup-manager=disabled --root $tmp/state-crun")
		fi
	fi
	command -v runc >/dev/null && rts+=("runc|$(command -v runc) --root $tmp/state-runc")
	[ ${#rts[@]} -gt 0 ] || { echo "runtime.sh: no runtime found" >&2; return 1; }

	local use_hyperfine=0
	[ "$LOOP" = 0 ] && command -v hyperfine >/dev/null && use_hyperfine=1
	echo "runs per runtime: $RUNS; timing: $([ $use_hyperfine = 1 ] && echo hyperfine || echo "bash loop (date +%s%N)")"
	case $crun_mode in
	cgroupfs) echo "cgroups: every runtime creates /$CG_PARENT/<runtime> (crun: cgroupfs driver;" \
		"hugetlb bound to a private v1 hierarchy for the run)" ;;
	disabled) echo "cgroups: berth and runc create /$CG_PARENT/<runtime>;" \
		"crun runs with --cgroup-manager=disabled (hybrid host; could not move hugetlb off cgroup2)" ;;
	*) echo "cgroups: every runtime creates /$CG_PARENT/<runtime> (cgroupfs driver)" ;;
	esac
	printf '%-8s %10s %10s\n' runtime "min ms" "median ms"

	local entry name cmd bundle cfg
	declare -gA MIN=() MED=()
	for entry in "${rts[@]}"; do
		name=${entry%%|*}
		cmd=${entry#*|}
		bundle=$tmp/bundle-$name
		mkdir -p "$bundle"
		sed "s|/$CG_PARENT/RUNTIME|/$CG_PARENT/$name|" "$tmp/bundle/config.json" >"$bundle/config.json"
		cfg="$cmd run --bundle $bundle bench-$name"
		# A first run that must work, so a broken runtime is reported, not timed.
		if ! timeout 30 $cfg </dev/null >"$tmp/$name.first" 2>&1; then
			printf '%-8s failed: %s\n' "$name" "$(head -c 300 "$tmp/$name.first")"
			continue
		fi
		if [ $use_hyperfine = 1 ]; then
			hyperfine --shell=none --warmup 3 --runs "$RUNS" --style none \
				--export-csv "$tmp/$name.csv" "$cfg" >/dev/null 2>"$tmp/$name.err" || {
				printf '%-8s failed: %s\n' "$name" "$(head -c 300 "$tmp/$name.err")"
				continue
			}
			# command,mean,stddev,median,user,system,min,max (seconds)
			MIN[$name]=$(awk -F, 'NR == 2 {printf "%.2f", $7 * 1000}' "$tmp/$name.csv")
			MED[$name]=$(awk -F, 'NR == 2 {printf "%.2f", $4 * 1000}' "$tmp/$name.csv")
		else
			local i t0 t1 failed=0
			: >"$tmp/$name.times"
			for ((i = 0; i < RUNS; i++)); do
				t0=$(date +%s%N)
				timeout 30 $cfg </dev/null >/dev/null 2>&1 || failed=1
				t1=$(date +%s%N)
				echo $(((t1 - t0) / 1000)) >>"$tmp/$name.times"
			done
			[ $failed = 0 ] || { printf '%-8s failed during the runs\n' "$name"; continue; }
			MIN[$name]=$(sort -n "$tmp/$name.times" | head -1 | awk '{printf "%.2f", $1 / 1000}')
			MED[$name]=$(sort -n "$tmp/$name.times" | awk '{v[NR] = $1}
				END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000}')
		fi
		printf '%-8s %10s %10s\n' "$name" "${MIN[$name]}" "${MED[$name]}"
	done

	local other
	if [ -n "${MED[berth]:-}" ]; then
		for other in crun runc; do
			[ -n "${MED[$other]:-}" ] || continue
			awk -v b="${MED[berth]}" -v o="${MED[$other]}" -v bm="${MIN[berth]}" -v om="${MIN[$other]}" -v n="$other" \
				'BEGIN {printf "berth/%s: %.2f (median), %.2f (min)\n", n, b / o, bm / om}'
		done
	fi
}

# Remove what the runs may have left: containers, then the cgroup parents.
cleanup_inner() {
	local tmp=$1 name d
	for name in berth crun runc; do
		[ -d "$tmp/state-$name" ] || continue
		case $name in
		berth) [ -x "$BUILD/berth-runtime" ] && timeout 10 "$BUILD/berth-runtime" --root "$tmp/state-berth" delete --force "bench-$name" ;;
		crun) timeout 10 crun --root "$tmp/state-crun" delete --force "bench-$name" ;;
		runc) timeout 10 runc --root "$tmp/state-runc" delete --force "bench-$name" ;;
		esac
	done >/dev/null 2>&1 || true
	for d in /sys/fs/cgroup/*/"$CG_PARENT" /sys/fs/cgroup/"$CG_PARENT"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# ---------------------------------------------------------------------------
# Namespace part: build a private /sys/fs/cgroup with hugetlb on v1, bench.
# ---------------------------------------------------------------------------
if [ "${BERTH_BENCH_INNER:-}" = 1 ]; then
	tmp=$BERTH_BENCH_TMP
	view=$tmp/cgroup-view
	mode=cgroupfs
	mkdir -p "$view"
	mount -t tmpfs -o mode=755 berth-bench-cgroup "$view"
	for d in /sys/fs/cgroup/*; do
		[ -d "$d" ] || continue
		mkdir "$view/$(basename "$d")"
		mount --bind "$d" "$view/$(basename "$d")"
	done
	mkdir "$view/hugetlb"
	if ! mount -t cgroup -o hugetlb berth-bench-hugetlb "$view/hugetlb"; then
		mode=disabled
		rmdir "$view/hugetlb"
	fi
	mount --rbind "$view" /sys/fs/cgroup
	trap 'cleanup_inner "$tmp"' EXIT
	bench_inner "$tmp" "$mode"
	exit
fi

tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
restore_hugetlb() {
	# Once the namespace is gone the hierarchy dies, provided it has no
	# child cgroups left; a dying child can delay that, so look again.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(hugetlb_hierarchy)" = 0 ] && return 0
		mkdir -p "$tmp/hugetlb-fix"
		unshare -m --propagation private sh -c '
			mount -t cgroup -o hugetlb berth-bench-hugetlb "$1" || exit 0
			find "$1" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			umount "$1"' sh "$tmp/hugetlb-fix" || true
		sleep 0.5
	done
	echo "runtime.sh: warning: hugetlb is still bound to a v1 hierarchy" >&2
}
finish() {
	local rc=$?
	if [ "${moved_hugetlb:-0}" = 1 ]; then
		restore_hugetlb
	fi
	cleanup_inner "$tmp"
	rm -rf "$tmp"
	exit $rc
}
trap finish EXIT

if command -v crun >/dev/null && hybrid_v2_busy; then
	moved_hugetlb=1
	BERTH_BENCH_INNER=1 BERTH_BENCH_TMP=$tmp \
		unshare -m --propagation private "$0" -n "$RUNS" $([ "$LOOP" = 1 ] && echo -l) "$BUILD"
else
	bench_inner "$tmp" plain
fi
