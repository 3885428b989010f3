#!/usr/bin/env bats
# The berth CLI's container commands against a private berthd: run (the
# create/attach/wait/start sequence, exit codes 0/3/126/127, -d, -i with
# stdin half-close, -t on a pty), ps, logs, stop, rm and docker's errors.
# Skips cleanly while berthd has no container endpoints.

bats_require_minimum_version 1.5.0

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "${BERTHD:-}" ] && [ -x "${BERTH:-}" ] || skip "binaries not built"
	command -v curl >/dev/null || skip "curl missing"
	export T=$(mktemp -d /tmp/berth-cli-ctr.XXXXXX)
	"$BERTHD" --data-root "$T/data" --exec-root "$T/run" -H "unix://$T/berth.sock" >"$T/berthd.log" 2>&1 &
	echo $! >"$T/berthd.pid"
	for _ in $(seq 100); do
		"$BERTH" -H "unix://$T/berth.sock" version >/dev/null 2>&1 && break
		sleep 0.05
	done
	# the daemon side of containers may not exist yet
	local reply
	reply=$(curl -s --max-time 10 --unix-socket "$T/berth.sock" -X POST -H 'Content-Type: application/json' \
		-d '{}' -w ' %{http_code}' http://berth/v1.44/containers/create || true)
	if [[ $reply == *"page not found"*" 404" ]]; then
		touch "$T/no-containers"
		return 0
	fi
	"$BERTH" -H "unix://$T/berth.sock" load -q -i "$BERTH_FIXTURES/images/busybox-docker-save.tar" >/dev/null
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	"$BERTH" -H "unix://$T/berth.sock" rm -f web >/dev/null 2>&1 || true
	[ -f "$T/berthd.pid" ] && kill "$(cat "$T/berthd.pid")" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$(cat "$T/berthd.pid")" 2>/dev/null || break
		sleep 0.05
	done
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}

setup() {
	[ ! -f "$T/no-containers" ] || skip "berthd has no container support yet"
	B=("$BERTH" -H "unix://$T/berth.sock")
}

@test "run --rm busybox echo hi" {
	run timeout 60 "${B[@]}" run --rm busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = "hi" ]
}

@test "run separates stdout and stderr of a non-tty container" {
	run --separate-stderr timeout 60 "${B[@]}" run --rm busybox sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$output" = "out" ]
	[ "$stderr" = "err" ]
}

@test "run exits with the container's status" {
	run timeout 60 "${B[@]}" run --rm busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "run: command not found is 127, not executable is 126" {
	run -127 timeout 60 "${B[@]}" run --rm busybox no-such-command
	[ "$status" -eq 127 ]
	[[ $output == "berth: Error response from daemon: "* ]]
	run -126 timeout 60 "${B[@]}" run --rm busybox /etc/passwd
	[ "$status" -eq 126 ]
}

@test "run with a missing image says so and fails with 125" {
	run timeout 60 "${B[@]}" run --rm no-such-image-here:v1 true
	[ "$status" -eq 125 ]
	[[ $output == *"Unable to find image 'no-such-image-here:v1' locally"* ]]
}

@test "run -i forwards stdin and ends at its EOF" {
	run timeout 60 bash -c 'echo x | "$@" run -i --rm busybox cat' _ "${B[@]}"
	[ "$status" -eq 0 ]
	[ "$output" = "x" ]
}

@test "run -t gets a terminal" {
	command -v script >/dev/null || skip "script missing"
	run timeout 60 script -qec "$BERTH -H unix://$T/berth.sock run --rm -t busybox tty" /dev/null
	[ "$status" -eq 0 ]
	[[ $output == */dev/pts/* ]]
}

@test "run -d, ps, logs, stop -t 1, rm" {
	run timeout 60 "${B[@]}" run -d --name web busybox sh -c 'echo started; exec sleep 1000'
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run "${B[@]}" ps
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "CONTAINER ID   IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
	[[ $output == *"${id:0:12}   busybox"*web* ]]
	run "${B[@]}" ps -q --no-trunc
	[[ $output == *"$id"* ]]
	for _ in $(seq 50); do
		run "${B[@]}" logs web
		[ "$output" = "started" ] && break
		sleep 0.1
	done
	[ "$output" = "started" ]
	run timeout 30 "${B[@]}" stop -t 1 web
	[ "$status" -eq 0 ]
	[ "$output" = "web" ]
	run "${B[@]}" ps -a --format '{{.Names}} {{.Status}}'
	[ "$status" -eq 0 ]
	[[ $output == *"web Exited (137)"* || $output == *"web Exited (143)"* ]]
	run "${B[@]}" rm web
	[ "$status" -eq 0 ]
	[ "$output" = "web" ]
	run "${B[@]}" ps -a -q
	[[ $output != *"${id:0:12}"* ]]
}

@test "errors on missing containers" {
	run "${B[@]}" rm no-such-ctr
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such container: no-such-ctr" ]
	run "${B[@]}" rm -f no-such-ctr
	[ "$status" -eq 0 ]
	run "${B[@]}" stop no-such-ctr
	[ "$status" -eq 1 ]
	[ "$output" = "Error response from daemon: No such container: no-such-ctr" ]
}
