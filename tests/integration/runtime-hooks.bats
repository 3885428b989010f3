#!/usr/bin/env bats
# OCI hooks: each runs at its point of the life cycle with the container's
# state JSON on stdin, in order; a failing hook fails the operation.

load helpers

setup() {
	berth_setup
	HOOKS=$TEST_DIR/hooks
	mkdir "$HOOKS"
}

teardown() {
	berth_teardown
}

# hook_json NAME: a hook that saves its stdin to $HOOKS/NAME.json, its
# environment to $HOOKS/NAME.env, and appends NAME to $HOOKS/order.
hook_json() {
	jq -n --arg n "$1" --arg d "$HOOKS" '{path: "/bin/sh",
		args: ["sh", "-c", "cat > \($d)/\($n).json; env > \($d)/\($n).env; echo \($n) >> \($d)/order", "hook-\($n)"],
		env: ["BERTH_HOOK=\($n)"]}'
}

add_hook() {
	update_config ".hooks.$1 += [\$h]" --argjson h "$(hook_json "$1")"
}

@test "prestart, createRuntime, poststart and poststop run in order with the state on stdin" {
	local h
	for h in prestart createRuntime poststart poststop; do
		add_hook "$h"
	done
	ct_start sleep 30
	local pid
	pid=$(ct_pid "$CT_ID")
	wait_file "$HOOKS/poststart.json"
	rt kill "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	rt delete "$CT_ID"
	wait_file "$HOOKS/poststop.json"

	for h in prestart createRuntime poststart; do
		jq -e --arg id "$CT_ID" --arg b "$BUNDLE" --argjson pid "$pid" \
			'.id == $id and .bundle == $b and .pid == $pid and (.ociVersion | type == "string")' \
			"$HOOKS/$h.json" || fail "$h state: $(cat "$HOOKS/$h.json")"
	done
	if [ "$(runtime_name)" = runc ]; then
		# runc 1.1 runs poststart hooks at the end of create (fixed in 1.2).
		jq -e '.status == "created" or .status == "running"' "$HOOKS/poststart.json"
	else
		jq -e '.status == "running"' "$HOOKS/poststart.json"
	fi
	jq -e --arg id "$CT_ID" '.id == $id and .status == "stopped"' "$HOOKS/poststop.json"
	[ "$(tr '\n' ' ' <"$HOOKS/order")" = "prestart createRuntime poststart poststop " ]
}

@test "a hook gets its env and args" {
	add_hook prestart
	ct_run true
	[ "$status" -eq 0 ]
	grep -qx BERTH_HOOK=prestart "$HOOKS/prestart.env"
}

@test "startContainer runs inside the container before the process" {
	update_config '.mounts += [{destination: "/run", type: "bind", source: $d, options: ["bind", "rw"]}]
		| .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "hostname > /run/start-hook; cat > /run/start-state"]}]' \
		--arg d "$HOOKS"
	ct_run sh -c 'cat /run/start-hook'
	[ "$status" -eq 0 ]
	# It ran in the container's UTS namespace, and before the process.
	[ "$(cat "$HOOKS/start-hook")" = berth-test ]
	[ "$output" = berth-test ]
	jq -e --arg id "$CT_ID" '.id == $id' "$HOOKS/start-state"
}

@test "poststop runs when run deletes the container" {
	add_hook poststop
	ct_run true
	[ "$status" -eq 0 ]
	wait_file "$HOOKS/poststop.json"
	jq -e --arg id "$CT_ID" '.id == $id' "$HOOKS/poststop.json"
}

@test "a failing prestart hook fails create and leaves no container" {
	update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
	new_id
	set_cgroup_path "$CT_ID"
	set_args true
	run rt create --bundle "$BUNDLE" "$CT_ID" </dev/null
	[ "$status" -ne 0 ]
	run rt state "$CT_ID"
	[ "$status" -ne 0 ]
	[ -z "$(cgroup_dirs_of "$CT_ID")" ]
}

@test "a hook that outlives its timeout is killed and fails the operation" {
	update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "exec sleep 20"], timeout: 1}]'
	new_id
	set_cgroup_path "$CT_ID"
	set_args true
	local start=$SECONDS
	run rt create --bundle "$BUNDLE" "$CT_ID" </dev/null
	[ "$status" -ne 0 ]
	[ $((SECONDS - start)) -lt 15 ]
	run rt state "$CT_ID"
	[ "$status" -ne 0 ]
}
