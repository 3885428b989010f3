#!/usr/bin/env bats
# The runtime's command line: spec, create/start/run, state, list, ps, kill,
# delete, exit statuses, stdio, and the process settings of config.json.

load helpers

setup() {
	berth_setup
}

teardown() {
	berth_teardown
}

@test "spec writes a config.json that is valid JSON with ociVersion, process and root" {
	mkdir "$TEST_DIR/spec"
	run rt spec --bundle "$TEST_DIR/spec"
	[ "$status" -eq 0 ]
	run jq -e '(.ociVersion | type == "string") and (.process.args | length > 0) and (.root.path | type == "string")' \
		"$TEST_DIR/spec/config.json"
	[ "$status" -eq 0 ]
}

@test "spec refuses to overwrite an existing config.json" {
	mkdir "$TEST_DIR/spec"
	echo '{}' >"$TEST_DIR/spec/config.json"
	run rt spec --bundle "$TEST_DIR/spec"
	[ "$status" -ne 0 ]
	[ "$(cat "$TEST_DIR/spec/config.json")" = '{}' ]
}

@test "the config from spec runs in our rootfs" {
	mkdir "$TEST_DIR/spec"
	rt spec --bundle "$TEST_DIR/spec"
	CONFIG_BUNDLE=$TEST_DIR/spec update_config '.root.path = $r | .process.terminal = false
		| .process.args = ["sh", "-c", "echo spec-ok"]' --arg r "$BERTH_ROOTFS"
	new_id
	CONFIG_BUNDLE=$TEST_DIR/spec set_cgroup_path "$CT_ID"
	run rt run --bundle "$TEST_DIR/spec" "$CT_ID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "spec-ok" ]
}

@test "run passes stdout and stderr through and stdin in" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'read line; echo "out:$line"; echo "err:$line" >&2'
	echo hello | rt run --bundle "$BUNDLE" "$CT_ID" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	[ "$(cat "$TEST_DIR/out")" = "out:hello" ]
	[ "$(cat "$TEST_DIR/err")" = "err:hello" ]
}

@test "run exits 0 for a successful process" {
	ct_run true
	[ "$status" -eq 0 ]
}

@test "run exits with the process's status (1 and 42)" {
	ct_run false
	[ "$status" -eq 1 ]
	ct_run sh -c 'exit 42'
	[ "$status" -eq 42 ]
}

@test "run of a missing program: executable file not found, exit 127" {
	ct_run nosuchprogram
	# runc's text log escapes the quotes: drop backslashes before matching.
	[[ "${output//\\/}" == *'exec: "nosuchprogram": executable file not found in $PATH'* ]]
	if [ "$(runtime_name)" = runc ]; then
		# runc 1.1.5 exits 1 here; berth follows docker run's 127.
		[ "$status" -eq 1 ]
		skip "runc exits 1, not 127"
	fi
	[ "$status" -eq 127 ]
}

@test "run of a non-executable file: exit 126" {
	ct_run /etc/passwd
	[ "$status" -ne 0 ]
	[[ "$output" == *'permission denied'* ]]
	if [ "$(runtime_name)" = runc ]; then
		[ "$status" -eq 1 ]
		skip "runc exits 1, not 126"
	fi
	[ "$status" -eq 126 ]
}

@test "run exits 137 when the container is killed with SIGKILL" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 30
	rt run --bundle "$BUNDLE" "$CT_ID" </dev/null >"$TEST_DIR/out" 2>&1 &
	local pid=$!
	bg_pid "$pid"
	wait_status "$CT_ID" running
	rt kill "$CT_ID" KILL
	local st=0
	wait_pid "$pid" || st=$?
	[ "$st" -eq 137 ]
}

@test "run exits 143 when the process dies of SIGTERM" {
	# PID 1 of a PID namespace ignores SIGTERM without a handler, so the
	# container shares the host's PID namespace here.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 30
	rt run --bundle "$BUNDLE" "$CT_ID" </dev/null >"$TEST_DIR/out" 2>&1 &
	local pid=$!
	bg_pid "$pid"
	wait_status "$CT_ID" running
	rt kill "$CT_ID" TERM
	local st=0
	wait_pid "$pid" || st=$?
	[ "$st" -eq 143 ]
}

@test "state reports created, running, stopped with the OCI fields" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'read x; exit 0'
	mkfifo "$TEST_DIR/in"
	# Hold the fifo open so the container's read blocks until we write.
	exec 8<>"$TEST_DIR/in"
	rt create --bundle "$BUNDLE" "$CT_ID" <"$TEST_DIR/in" >"$TEST_DIR/out" 2>&1
	run rt state "$CT_ID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CT_ID" --arg b "$BUNDLE" '
		.ociVersion != null and .id == $id and .status == "created"
		and (.pid | type == "number") and .pid > 0 and .bundle == $b
		and (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))'
	local pid
	pid=$(echo "$output" | jq -r .pid)
	[ -d "/proc/$pid" ]

	rt start "$CT_ID"
	[ "$(ct_status "$CT_ID")" = running ]
	[ "$(ct_pid "$CT_ID")" = "$pid" ]

	echo go >&8
	exec 8>&-
	wait_status "$CT_ID" stopped
	run rt state "$CT_ID"
	echo "$output" | jq -e '.status == "stopped"'

	rt delete "$CT_ID"
	run rt state "$CT_ID"
	[ "$status" -ne 0 ]
}

@test "create runs nothing until start" {
	new_id
	set_cgroup_path "$CT_ID"
	update_config '.mounts += [{destination: "/run", type: "bind", source: $d, options: ["bind"]}]' \
		--arg d "$TEST_DIR"
	set_args sh -c 'echo started > /run/marker'
	rt create --bundle "$BUNDLE" "$CT_ID" </dev/null >/dev/null 2>&1
	sleep 0.5
	[ ! -e "$TEST_DIR/marker" ]
	rt start "$CT_ID"
	wait_file "$TEST_DIR/marker"
	wait_status "$CT_ID" stopped
}

@test "create --pid-file and run --pid-file write the init's host PID" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 30
	rt create --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid" "$CT_ID" </dev/null >/dev/null 2>&1
	[ "$(cat "$TEST_DIR/pid")" = "$(ct_pid "$CT_ID")" ]
	rt delete --force "$CT_ID"

	new_id
	set_cgroup_path "$CT_ID"
	rt run -d --bundle "$BUNDLE" --pid-file "$TEST_DIR/pid2" "$CT_ID" </dev/null >/dev/null 2>&1
	[ "$(cat "$TEST_DIR/pid2")" = "$(ct_pid "$CT_ID")" ]
	grep -q sleep "/proc/$(cat "$TEST_DIR/pid2")/cmdline"
}

@test "create with an ID already in use fails" {
	ct_start sleep 30
	local first=$CT_ID
	run rt create --bundle "$BUNDLE" "$first" </dev/null
	[ "$status" -ne 0 ]
	[ "$(ct_status "$first")" = running ]
}

@test "invalid container IDs are refused" {
	for bad in "../escape" "a/b" ""; do
		run rt create --bundle "$BUNDLE" "$bad" </dev/null
		[ "$status" -ne 0 ]
	done
	[ ! -e "$TEST_DIR/escape" ]
}

@test "state, start, kill and delete of an unknown container fail" {
	for cmd in state start kill delete; do
		run rt "$cmd" no-such-container
		[ "$status" -ne 0 ]
	done
}

@test "list shows containers and their status; -q only the IDs" {
	ct_start sleep 30
	local a=$CT_ID
	new_id
	local b=$CT_ID
	set_cgroup_path "$b"
	rt create --bundle "$BUNDLE" "$b" </dev/null >/dev/null 2>&1
	run rt list -q
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort)" = "$(printf '%s\n%s\n' "$a" "$b" | sort)" ]
	run rt list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg a "$a" --arg b "$b" '
		(map(select(.id == $a))[0].status == "running")
		and (map(select(.id == $b))[0].status == "created")'
	run rt list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID* ]]
	[[ "$output" == *"$a"*running* ]]
}

@test "ps --format json lists the container's host PIDs" {
	ct_start sh -c 'sleep 30 & sleep 30 & wait'
	local init
	init=$(ct_pid "$CT_ID")
	local n
	for _ in $(seq 20); do
		n=$(rt ps --format json "$CT_ID" | jq length)
		[ "$n" -ge 3 ] && break
		sleep 0.1
	done
	run rt ps --format json "$CT_ID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson p "$init" 'index($p) != null and length == 3'
}

@test "kill sends the given signal; kill --all reaches every process" {
	ct_start sh -c 'trap "echo got-usr1; exit 7" USR1; while :; do sleep 0.1; done'
	rt kill "$CT_ID" USR1
	wait_status "$CT_ID" stopped
	grep -q got-usr1 "$TEST_DIR/$CT_ID.out"

	ct_start sh -c 'sleep 30 & sleep 30 & wait'
	local cgdir
	cgdir=$(cgroup_dir pids "$CT_ID")
	rt kill --all "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	for _ in $(seq 50); do
		[ -z "$(cat "$cgdir/cgroup.procs" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -z "$(cat "$cgdir/cgroup.procs" 2>/dev/null)" ]
}

@test "kill accepts signal numbers and names with or without SIG" {
	ct_start sleep 30
	rt kill "$CT_ID" 9
	wait_status "$CT_ID" stopped
	ct_start sleep 30
	rt kill "$CT_ID" SIGKILL
	wait_status "$CT_ID" stopped
}

@test "delete of a running container fails without --force and works with it" {
	ct_start sleep 30
	local pid
	pid=$(ct_pid "$CT_ID")
	run rt delete "$CT_ID"
	[ "$status" -ne 0 ]
	[ "$(ct_status "$CT_ID")" = running ]
	rt delete --force "$CT_ID"
	run rt state "$CT_ID"
	[ "$status" -ne 0 ]
	for _ in $(seq 50); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	[ ! -d "/proc/$pid" ] || grep -q zombie "/proc/$pid/status" 2>/dev/null ||
		grep -q '^State:.*Z' "/proc/$pid/status"
	[ -z "$(cgroup_dirs_of "$CT_ID")" ]
	[ ! -e "$STATE_ROOT/$CT_ID" ]
}

@test "delete of a created container removes it and its cgroups" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args true
	rt create --bundle "$BUNDLE" "$CT_ID" </dev/null >/dev/null 2>&1
	[ -d "$(cgroup_dir pids "$CT_ID")" ]
	rt delete --force "$CT_ID"
	[ -z "$(cgroup_dirs_of "$CT_ID")" ]
	run rt list -q
	[ -z "$output" ]
}

@test "process.env and process.cwd are applied" {
	update_config '.process.env += ["FOO=bar baz"] | .process.cwd = "/etc"'
	ct_run sh -c 'echo "$FOO"; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar baz" ]
	[ "${lines[1]}" = "/etc" ]
}

@test "process.user sets uid, gid and additionalGids" {
	update_config '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
	ct_run sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[1]}" =~ ^Gid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$ ]]
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]+10[[:space:]]+20[[:space:]]*$ ]]
}

@test "a non-root user gets no effective capabilities" {
	update_config '.process.user = {uid: 1000, gid: 1000}'
	ct_run sh -c 'grep ^CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" =~ CapEff:[[:space:]]+0000000000000000 ]]
}

@test "process.rlimits sets RLIMIT_NOFILE" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 555, hard: 666}]'
	ct_run sh -c 'ulimit -n; ulimit -Hn'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 555 ]
	[ "${lines[1]}" = 666 ]
}

@test "noNewPrivileges true and false show in NoNewPrivs" {
	ct_run grep ^NoNewPrivs /proc/self/status
	[[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
	update_config '.process.noNewPrivileges = false'
	ct_run grep ^NoNewPrivs /proc/self/status
	[[ "$output" =~ NoNewPrivs:[[:space:]]+0 ]]
}

@test "process.oomScoreAdj is applied" {
	update_config '.process.oomScoreAdj = 123'
	ct_run cat /proc/self/oom_score_adj
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "--log writes to the given file and --log-format json is JSON" {
	run rt --log "$TEST_DIR/log.json" --log-format json state no-such-container
	[ "$status" -ne 0 ]
	[ -s "$TEST_DIR/log.json" ]
	# Every line of the log is a JSON object with a message.
	run jq -e -s 'length > 0 and all(.[]; has("msg"))' "$TEST_DIR/log.json"
	[ "$status" -eq 0 ]
}
