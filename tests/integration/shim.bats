#!/usr/bin/env bats
# berth-shim alone: lifecycle, logs, exit status, attach streams, tty,
# stdin, rotation, signals and cleanup. The client is tests/helpers/shimctl.

load shim_helpers

setup() {
	shim_setup
}

teardown() {
	shim_teardown
}

@test "shim: created, started, exit code in the exit file and from wait, everything cleaned up" {
	start_shim -- sh -c 'read x </dev/null; sleep 0.3; echo out; echo err >&2; exit 3'
	[ "$(stat -c %a "$SHIM_SOCK")" = 600 ]
	[ "$(shim_field status)" = created ]
	[ "$(shim_field pid)" = "$CT_PID" ]
	[ "$(shim_field started_at)" = 0001-01-01T00:00:00Z ]
	timeout 20 "$SHIMCTL" "$SHIM_SOCK" '{"op":"wait"}' >"$TEST_DIR/wait.out" &
	local waiter=$!
	ctl_ok '{"op":"start"}'
	[ "$(shim_field status)" = running ]
	[[ $(shim_field started_at) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z$ ]]
	wait "$waiter"
	[ "$(cat "$TEST_DIR/wait.out")" = '{"exit_code":3}' ]
	[ "$(exit_code)" = 3 ]
	jq -e '.oom_killed == false and (.finished_at | test("^[0-9-]+T[0-9:]+\\.[0-9]{9}Z$"))' "$SHIM_EXIT"
	# gone: the socket, the pid file, the runtime state, the cgroups
	[ ! -e "$SHIM_SOCK" ]
	[ ! -e "$TEST_DIR/$CT_ID.shimpid" ]
	[ ! -e "$STATE_ROOT/$CT_ID" ]
	[ -z "$(cgroup_dirs_of "$CT_ID")" ]
}

@test "shim: output goes to the json-file log with the right stream and format" {
	start_shim -- sh -c 'echo hello; echo oops >&2; printf "no newline"'
	ctl_ok '{"op":"start"}'
	[ "$(exit_code)" = 0 ]
	run jq -c '[.stream, .log]' "$SHIM_LOG"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Fx '["stdout","hello\n"]'
	echo "$output" | grep -Fx '["stderr","oops\n"]'
	echo "$output" | grep -Fx '["stdout","no newline"]'
	# every line has exactly log, stream, time (RFC 3339, nanoseconds)
	jq -e 'keys == ["log","stream","time"] and (.time | test("^[0-9-]+T[0-9:]+(\\.[0-9]{1,9})?Z$"))' "$SHIM_LOG"
}

@test "shim: exit codes 0, 3, and 128+N for signals (kill -9: 137, SIGTERM: 143)" {
	start_shim -- true
	ctl_ok '{"op":"start"}'
	[ "$(exit_code)" = 0 ]

	start_shim -- sh -c 'exit 3'
	ctl_ok '{"op":"start"}'
	[ "$(exit_code)" = 3 ]

	start_shim -- sleep 100
	ctl_ok '{"op":"start"}'
	ctl_ok '{"op":"kill","signal":9}'
	[ "$(exit_code)" = 137 ]

	# A pid namespace's init ignores SIGTERM it has no handler for, so
	# the 143 case runs without one.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	start_shim -- sleep 100
	ctl_ok '{"op":"start"}'
	ctl_ok '{"op":"kill","signal":15}'
	[ "$(exit_code)" = 143 ]
}

@test "shim: bad requests get errors; a second start is refused" {
	start_shim -- sh -c 'sleep 0.5; exit 5'
	run ctl '{"op":"kill","signal":99}'
	[[ $output == *'"error":"kill: invalid signal"'* ]]
	run ctl '{"op":"bogus"}'
	[[ $output == *'"error":"unknown op'* ]]
	run ctl 'not json'
	[[ $output == *'"error"'* ]]
	ctl_ok '{"op":"start"}'
	run ctl '{"op":"start"}'
	[[ $output == *'"error":"container already started"'* ]]
	[ "$(exit_code)" = 5 ]
}

@test "shim: attach gets Docker's multiplexed frames without a tty" {
	start_shim -- sh -c 'sleep 0.3; echo hello; echo oops >&2; sleep 0.2; echo bye'
	timeout 20 "$SHIMCTL" --demux "$SHIM_SOCK" '{"op":"attach","stdout":true,"stderr":true}' \
		</dev/null >"$TEST_DIR/a.out" 2>"$TEST_DIR/a.err" &
	local a=$!
	timeout 20 "$SHIMCTL" "$SHIM_SOCK" '{"op":"attach","stdout":true,"stderr":false}' \
		</dev/null >"$TEST_DIR/raw.out" &
	local b=$!
	sleep 0.2
	ctl_ok '{"op":"start"}'
	wait "$a"
	wait "$b"
	# the client half-closed at once (stdin /dev/null): output kept coming
	[ "$(cat "$TEST_DIR/a.out")" = $'{"ok":true}\nhello\nbye' ]
	[ "$(cat "$TEST_DIR/a.err")" = oops ]
	# raw bytes: reply line, then header {1,0,0,0,0,0,0,6} "hello\n"; no stderr frames
	run od -An -tx1 -v -j 12 -N 8 "$TEST_DIR/raw.out"
	[ "$(echo $output)" = "01 00 00 00 00 00 00 06" ]
	[ "$(tail -c +21 "$TEST_DIR/raw.out" | head -c 6)" = hello ]
	! grep -q oops "$TEST_DIR/raw.out"
	[ "$(exit_code)" = 0 ]
}

@test "shim: with a tty, attach gets raw bytes and resize reaches the pty" {
	update_config '.process.terminal = true'
	start_shim --tty --stdin -- sh -c 'read x; stty size; echo done'
	ctl_ok '{"op":"resize","height":31,"width":101}'
	ctl_ok '{"op":"start"}'
	(sleep 0.5; printf 'go\n'; sleep 1) | timeout 20 "$SHIMCTL" "$SHIM_SOCK" \
		'{"op":"attach","stdin":true,"stdout":true,"stderr":true}' >"$TEST_DIR/tty.out"
	grep -q $'31 101\r' "$TEST_DIR/tty.out"
	grep -q $'done\r' "$TEST_DIR/tty.out"
	# no frame headers in a tty stream
	! od -An -c "$TEST_DIR/tty.out" | grep -q '001  \\0  \\0  \\0'
	[ "$(exit_code)" = 0 ]
	jq -r .log "$SHIM_LOG" | grep -q '31 101'
}

@test "shim: resize without a tty is an error" {
	start_shim -- sleep 100
	run ctl '{"op":"resize","height":10,"width":10}'
	[[ $output == *'"error":"container has no tty"'* ]]
	ctl_ok '{"op":"kill","signal":9}'
	[ "$(exit_code)" = 137 ]
}

@test "shim: attach stdin reaches the container; stdin_once closes it at the client's EOF" {
	start_shim --stdin -- cat
	ctl_ok '{"op":"start"}'
	printf 'one\ntwo\n' | timeout 20 "$SHIMCTL" --demux "$SHIM_SOCK" \
		'{"op":"attach","stdin":true,"stdout":true,"stderr":true,"stdin_once":true}' >"$TEST_DIR/cat.out"
	[ "$(cat "$TEST_DIR/cat.out")" = $'{"ok":true}\none\ntwo' ]
	[ "$(exit_code)" = 0 ]
}

@test "shim: a client's EOF without stdin_once leaves the container's stdin open" {
	start_shim --stdin -- cat
	ctl_ok '{"op":"start"}'
	printf 'first\n' | timeout 20 "$SHIMCTL" "$SHIM_SOCK" '{"op":"attach","stdin":true}' >/dev/null &
	sleep 1
	[ "$(shim_field status)" = running ]
	printf 'second\n' | timeout 20 "$SHIMCTL" "$SHIM_SOCK" '{"op":"attach","stdin":true,"stdin_once":true}'
	[ "$(exit_code)" = 0 ]
	[ "$(jq -r .log "$SHIM_LOG" | tr -d '\n')" = firstsecond ]
}

@test "shim: logs rotate at --log-max-size and keep --log-max-files" {
	start_shim --log-max-size 2048 --log-max-files 3 -- sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done'
	ctl_ok '{"op":"start"}'
	[ "$(exit_code)" = 0 ]
	[ -f "$SHIM_LOG.1" ]
	[ -f "$SHIM_LOG.2" ]
	[ ! -e "$SHIM_LOG.3" ]
	local f
	for f in "$SHIM_LOG" "$SHIM_LOG.1" "$SHIM_LOG.2"; do
		[ "$(stat -c %s "$f")" -le 2048 ]
	done
	# the newest entries survive, in order
	[ "$(tail -n1 "$SHIM_LOG" | jq -r .log)" = $'line 299' ]
}

@test "shim: SIGTERM to the shim is relayed to the container's init" {
	start_shim -- sh -c 'trap "echo got-term; exit 7" TERM; echo up; while :; do sleep 0.1; done'
	ctl_ok '{"op":"start"}'
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q up "$SHIM_LOG" 2>/dev/null && break
		sleep 0.1
	done
	kill -TERM "$SHIM_PID"
	[ "$(exit_code)" = 7 ]
	jq -r .log "$SHIM_LOG" | grep -qx got-term
}

@test "shim: a client that stops reading is dropped, the container is not blocked" {
	start_shim -- sh -c 'sleep 0.5; head -c 4000000 /dev/zero | tr "\0" x; echo; echo end'
	# shimctl itself (not a `timeout` wrapper) must be the stopped process;
	# its own --timeout bounds it.
	"$SHIMCTL" --timeout 25 "$SHIM_SOCK" '{"op":"attach","stdout":true}' </dev/null >/dev/null &
	local slow=$!
	echo "$slow" >>"$TEST_DIR/shimpids"
	sleep 0.2
	kill -STOP "$slow"
	ctl_ok '{"op":"start"}'
	[ "$(exit_code)" = 0 ]
	tail -n1 "$SHIM_LOG" | jq -e '.log == "end\n"'
	kill -9 "$slow"
	wait "$slow" 2>/dev/null || true
}

@test "shim: a bundle that cannot be created reports an error on the ready fd and leaves nothing" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args /no/such/program
	update_config '.root.path = "/nonexistent-root"'
	"$BERTH_SHIM" --id "$CT_ID" --bundle "$BUNDLE" --runtime-root "$STATE_ROOT" --socket "$TEST_DIR/x.sock" \
		--log "$TEST_DIR/x.log" --exit-file "$TEST_DIR/x.exit" --ready-fd 5 5>"$TEST_DIR/ready" 3>&- </dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$TEST_DIR/ready" ] && break
		sleep 0.1
	done
	run cat "$TEST_DIR/ready"
	[[ $output == error\ * ]]
	[ ! -e "$TEST_DIR/x.sock" ]
	[ ! -e "$STATE_ROOT/$CT_ID" ]
}

@test "shim: bad arguments fail at once with usage" {
	run "$BERTH_SHIM" --id x
	[ "$status" -eq 2 ]
	[[ $output == *usage:* ]]
}
