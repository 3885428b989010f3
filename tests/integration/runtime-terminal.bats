#!/usr/bin/env bats
# process.terminal: the pty master goes to --console-socket (received by the
# recvtty helper), or for a foreground run without one is proxied to the
# caller's terminal.

load helpers

setup() {
	berth_setup
	[ -x "$RECVTTY" ] || skip "recvtty helper not built (BERTH_HELPERS=$BERTH_HELPERS)"
	update_config '.process.terminal = true'
	SOCK=$TEST_DIR/console.sock
	TTY_OUT=$TEST_DIR/console.out
}

teardown() {
	berth_teardown
}

# The console output without carriage returns.
console() {
	tr -d '\r' <"$TTY_OUT"
}

@test "create --console-socket sends a pty; the process has it as stdio" {
	start_recvtty "$SOCK" "$TTY_OUT" --timeout 20
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'tty; test -t 0 && test -t 1 && test -t 2 && echo all-tty; stat -c %t /dev/pts/0'
	rt create --bundle "$BUNDLE" --console-socket "$SOCK" "$CT_ID" </dev/null
	rt start "$CT_ID"
	wait_pid "$RECVTTY_PID" 20
	grep -q 'fd is a tty' "$TTY_OUT.err"
	run console
	[ "${lines[0]}" = /dev/pts/0 ]
	[ "${lines[1]}" = all-tty ]
	# Unix98 pty slaves are major 136 (0x88).
	[ "${lines[2]}" = 88 ]
	wait_status "$CT_ID" stopped
}

@test "run -d --console-socket: input written to the pty reaches the process" {
	start_recvtty "$SOCK" "$TTY_OUT" --timeout 20 --input $'hello\n'
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'read line; echo "got:$line"'
	rt run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$CT_ID" </dev/null
	wait_pid "$RECVTTY_PID" 20
	console | grep -qx 'got:hello'
}

@test "with a terminal, /dev/console is the pty" {
	start_recvtty "$SOCK" "$TTY_OUT" --timeout 20
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'stat -c "%F %t" /dev/console'
	rt run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$CT_ID" </dev/null
	wait_pid "$RECVTTY_PID" 20
	run console
	[ "$output" = "character special file 88" ]
}

@test "process.consoleSize sets the pty's window size" {
	update_config '.process.consoleSize = {height: 31, width: 97}'
	start_recvtty "$SOCK" "$TTY_OUT" --timeout 20
	new_id
	set_cgroup_path "$CT_ID"
	set_args stty size
	rt run -d --bundle "$BUNDLE" --console-socket "$SOCK" "$CT_ID" </dev/null
	wait_pid "$RECVTTY_PID" 20
	run console
	[ "$output" = "31 97" ]
}

@test "exec -t --console-socket gives the exec'd process its own pty" {
	update_config '.process.terminal = false'
	ct_start sleep 60
	start_recvtty "$SOCK" "$TTY_OUT" --timeout 20
	rt exec -t -d --console-socket "$SOCK" "$CT_ID" sh -c 'tty; test -t 0 && echo stdin-tty' </dev/null
	wait_pid "$RECVTTY_PID" 20
	run console
	[[ "${lines[0]}" == /dev/pts/* ]]
	[ "${lines[1]}" = stdin-tty ]
}

@test "a detached terminal container without a console socket is refused" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args true
	run rt run -d --bundle "$BUNDLE" "$CT_ID" </dev/null
	[ "$status" -ne 0 ]
	run rt create --bundle "$BUNDLE" "$CT_ID" </dev/null
	[ "$status" -ne 0 ]
}

@test "foreground run with a terminal and no console socket proxies the pty" {
	command -v script >/dev/null || skip "script(1) is needed to give the runtime a terminal"
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'tty; test -t 0 && echo stdin-tty; exit 5'
	# script(1) gives the runtime a controlling terminal of its own.
	run timeout -k 5 30 script -qefc \
		"$(printf '%q ' "$BERTH_RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CT_ID")" /dev/null </dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdin-tty* ]]
}
