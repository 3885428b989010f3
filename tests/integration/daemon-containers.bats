#!/usr/bin/env bats
# Containers through berthd with the real docker CLI: run (foreground,
# --rm, -d), exit codes, ps, logs, inspect, stop, kill, rm, restart of the
# daemon. Each test checks that no mount, shim or cgroup of its containers
# is left behind. Every wait is bounded.

load daemon_helpers
bats_require_minimum_version 1.5.0

setup() {
	daemon_setup
	need_docker
	[ "$(id -u)" = 0 ] || skip "needs root (overlay mounts, namespaces)"
	[ -x "${BERTH_SHIM:-$(dirname "$BERTHD")/berth-shim}" ] || skip "berth-shim not built"
	start_daemon
	load_busybox
}

# No mount below $T, no shim for our exec root, no container cgroup of ours.
no_leftovers() {
	local i ids
	ids=$(ls "$DATA/containers" 2>/dev/null || true)
	for ((i = 0; i < 50; i++)); do
		if ! grep -q " $T/" /proc/mounts && ! pgrep -f -- "--runtime-root $T/run/" >/dev/null; then
			break
		fi
		sleep 0.1
	done
	if grep " $T/" /proc/mounts; then
		echo "mounts left" >&2
		return 1
	fi
	if pgrep -af -- "--runtime-root $T/run/"; then
		echo "shims left" >&2
		return 1
	fi
	for id in $ids; do
		for d in /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"; do
			[ -e "$d" ] && { echo "cgroup left: $d" >&2; return 1; }
		done
	done
	return 0
}

teardown() {
	if [ -n "${DPID:-}" ]; then
		local ids
		ids=$(dk ps -aq 2>/dev/null || true)
		[ -n "$ids" ] && dk rm -f $ids >/dev/null 2>&1 || true
	fi
	pkill -KILL -f -- "--runtime-root $T/run/" 2>/dev/null || true
	grep " $T/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	daemon_teardown
}

@test "containers: docker run --rm prints the output and leaves no container" {
	run dk run --rm busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[ -z "$(dk ps -aq)" ]
	no_leftovers
}

@test "containers: exit codes of docker run (3, 127 missing program, 126 not executable)" {
	run dk run busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run -127 dk run busybox nosuchprog
	[[ $output == *"executable file not found"* ]]
	run -126 dk run busybox /etc/passwd
	run dk run --rm busybox sh -c 'exit 7'
	[ "$status" -eq 7 ]
	[ "$(dk ps -aq | wc -l)" = 3 ]
	[ "$(dk inspect -f '{{.State.ExitCode}}' "$(dk ps -aq --filter status=exited | head -n1)")" != "" ]
	dk rm $(dk ps -aq) >/dev/null
	[ -z "$(dk ps -aq)" ]
	no_leftovers
}

@test "containers: run -d, ps, logs, stop -t 1, rm" {
	id=$(dk run -d busybox sleep 30)
	[ ${#id} -eq 64 ]
	run dk ps --no-trunc -q
	[ "$output" = "$id" ]
	run dk ps --format '{{.Status}}'
	[[ $output == Up* ]]
	dk logs "$id"
	start=$SECONDS
	dk stop -t 1 "$id"
	[ $((SECONDS - start)) -lt 10 ]
	[ -z "$(dk ps -q)" ]
	run dk ps -a --format '{{.Status}}'
	[[ $output == "Exited (137)"* ]]
	run dk stop "$id" # 304: not running is fine
	[ "$status" -eq 0 ]
	run dk kill "$id"
	[ "$status" -ne 0 ]
	[[ $output == *"is not running"* ]]
	dk rm "$id"
	[ -z "$(dk ps -aq)" ]
	no_leftovers
}

@test "containers: named container logs stdout and stderr; inspect; rm refuses a running one; rm -f" {
	dk run -d --name web busybox sh -c 'echo out; echo err >&2; sleep 30' >/dev/null
	for _ in $(seq 50); do
		[ "$(dk logs web 2>&1 | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(dk logs web 2>/dev/null)" = out ]
	[ "$(dk logs web 2>&1 >/dev/null)" = err ]
	[ "$(dk inspect -f '{{.State.Status}} {{.State.Running}} {{.Name}}' web)" = "running true /web" ]
	[ "$(dk inspect -f '{{.State.Pid}}' web)" -gt 0 ]
	[[ $(dk inspect -f '{{.Image}}' web) == sha256:* ]]
	run dk run -d --name web busybox true
	[ "$status" -ne 0 ]
	[[ $output == *"is already in use"* ]]
	run dk rm web
	[ "$status" -ne 0 ]
	[[ $output == *"running"* ]]
	dk rm -f web
	run dk inspect web
	[ "$status" -ne 0 ]
	no_leftovers
}

@test "containers: a daemon restart keeps records and running containers" {
	dk run -d --name keep busybox sleep 30 >/dev/null
	dk create --name later busybox true >/dev/null
	stop_daemon KILL
	start_daemon
	[ "$(dk inspect -f '{{.State.Status}}' keep)" = running ]
	[ "$(dk inspect -f '{{.State.Status}}' later)" = created ]
	run dk start -a later
	[ "$status" -eq 0 ]
	dk rm -f keep later >/dev/null
	[ -z "$(dk ps -aq)" ]
	no_leftovers
}

@test "containers: events create, start, die, destroy with names and exit code" {
	dk run --rm --label app=x busybox true
	run curl -sf --max-time 5 --unix-socket "$SOCK" "http://berth/events?since=0&until=$(($(date +%s) + 1))"
	[ "$status" -eq 0 ]
	for a in create attach start die destroy; do
		echo "$output" | jq -s -e --arg a "$a" 'any(.[]; .Type=="container" and .Action==$a and .Actor.Attributes.app=="x")' >/dev/null
	done
	echo "$output" | jq -s -e 'any(.[]; .Action=="die" and .Actor.Attributes.exitCode == "0")' >/dev/null
	no_leftovers
}

@test "containers: info counts, system df, rmi refuses an image in use" {
	dk create --name c1 busybox true >/dev/null
	[ "$(dk info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}')" = "1 0 1" ]
	run dk system df --format '{{.Type}} {{.TotalCount}}'
	[[ $output == *"Containers 1"* ]]
	run dk rmi busybox
	[ "$status" -ne 0 ]
	[[ $output == *"is using its referenced image"* ]]
	dk rm c1 >/dev/null
	no_leftovers
}

@test "containers: stdin through attach (-i), wait, kill with a signal" {
	run dk run --rm -i busybox cat <<<"piped input"
	[ "$status" -eq 0 ]
	[ "$output" = "piped input" ]
	dk run -d --name kk busybox sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done' >/dev/null
	sleep 0.3
	dk kill -s USR1 kk >/dev/null
	[ "$(dk wait kk)" = 9 ]
	dk rm kk >/dev/null
	no_leftovers
}
