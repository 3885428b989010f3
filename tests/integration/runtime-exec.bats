#!/usr/bin/env bats
# exec: a new process in a running container shares its namespaces, cgroups
# and security settings; its own options (cwd, env, user, process.json,
# detach) are applied.

load helpers

setup() {
	berth_setup
	ct_start sleep 60
}

teardown() {
	berth_teardown
}

@test "exec sees the container's hostname and PID namespace" {
	run rt exec "$CT_ID" sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; echo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = berth-test ]
	[ "${lines[1]}" = "sleep 60 " ]
}

@test "exec joins every namespace of the container" {
	local pid ns
	pid=$(ct_pid "$CT_ID")
	for ns in pid net ipc uts mnt; do
		run rt exec "$CT_ID" readlink "/proc/self/ns/$ns"
		[ "$status" -eq 0 ]
		[ "$output" = "$(ns_inode "$pid" "$ns")" ] || fail "$ns: $output"
	done
}

@test "exec passes stdin in and stdout and stderr out" {
	echo hello | rt exec "$CT_ID" sh -c 'read l; echo "out:$l"; echo "err:$l" >&2' \
		>"$TEST_DIR/out" 2>"$TEST_DIR/err"
	[ "$(cat "$TEST_DIR/out")" = out:hello ]
	[ "$(cat "$TEST_DIR/err")" = err:hello ]
}

@test "exec exits with the process's status" {
	run rt exec "$CT_ID" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run rt exec "$CT_ID" true
	[ "$status" -eq 0 ]
	# The container keeps running.
	[ "$(ct_status "$CT_ID")" = running ]
}

@test "exec of a missing program fails with executable file not found" {
	run rt exec "$CT_ID" nosuchprogram </dev/null
	[[ "${output//\\/}" == *'exec: "nosuchprogram": executable file not found in $PATH'* ]]
	if [ "$(runtime_name)" = runc ]; then
		[ "$status" -eq 255 ]
		skip "runc exits 255, not 127"
	fi
	[ "$status" -eq 127 ]
}

@test "exec exits 137 when its process is killed with SIGKILL" {
	run rt exec "$CT_ID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "exec --cwd, --env and --user are applied" {
	run rt exec --cwd /etc --env FOO=bar --env PATH=/bin --user 1000:1001 "$CT_ID" \
		sh -c 'pwd; echo "$FOO $PATH"; id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /etc ]
	[ "${lines[1]}" = "bar /bin" ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1001 ]
}

@test "exec inherits the config's env, capabilities and NoNewPrivs" {
	run rt exec "$CT_ID" sh -c 'echo "$HOME"; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /root ]
	[[ "$output" =~ CapEff:[[:space:]]+00000000a80425fb ]]
	[[ "$output" =~ CapBnd:[[:space:]]+00000000a80425fb ]]
	[[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
}

@test "exec --process runs the process described in a JSON file" {
	jq -n '{terminal: false, user: {uid: 7, gid: 8, additionalGids: [9]}, args: ["sh", "-c", "pwd; echo $X; id -u; id -g; id -G"],
		env: ["PATH=/bin", "X=from-json"], cwd: "/tmp"}' >"$TEST_DIR/process.json"
	run rt exec --process "$TEST_DIR/process.json" "$CT_ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = from-json ]
	[ "${lines[2]}" = 7 ]
	[ "${lines[3]}" = 8 ]
	[[ "${lines[4]}" == *9* ]]
}

@test "exec -d returns at once; --pid-file names the process" {
	rt exec -d --pid-file "$TEST_DIR/pid" "$CT_ID" sleep 45 </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$TEST_DIR/pid")
	[ -n "$pid" ]
	grep -q "sleep" "/proc/$pid/cmdline"
	grep -qx "$pid" "$(cgroup_dir pids "$CT_ID")/cgroup.procs"
	run rt ps --format json "$CT_ID"
	echo "$output" | jq -e --argjson p "$pid" 'index($p) != null'
}

@test "an exec'd process does not outlive the container" {
	rt exec -d --pid-file "$TEST_DIR/pid" "$CT_ID" sleep 45 </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$TEST_DIR/pid")
	rt kill "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	for _ in $(seq 50); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	[ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"
}

@test "exec into a stopped or unknown container fails" {
	rt kill "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	run rt exec "$CT_ID" true
	[ "$status" -ne 0 ]
	run rt exec no-such-container true
	[ "$status" -ne 0 ]
}
