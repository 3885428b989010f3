# shim_helpers.bash - berth-shim driven alone (no daemon), for shim*.bats.
#
# Environment (ctest sets it): BERTH_SHIM, plus what helpers.bash needs.
# The test client is tests/helpers/shimctl (connect, send one JSON line,
# print the reply, relay an attach stream). Every shim a test starts is
# remembered for the teardown, which kills it if it is still there before
# berth_teardown checks for leftovers.

load helpers

SHIMCTL=${BERTH_HELPERS:+$BERTH_HELPERS/shimctl}

shim_setup() {
	berth_setup
	[ -x "${BERTH_SHIM:-}" ] || skip "berth-shim not built (BERTH_SHIM=${BERTH_SHIM:-})"
	[ -x "$SHIMCTL" ] || skip "shimctl helper not built"
}

shim_teardown() {
	local p
	if [ -n "${TEST_DIR:-}" ] && [ -f "$TEST_DIR/shimpids" ]; then
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$TEST_DIR/shimpids"
	fi
	berth_teardown
}

# start_shim [SHIM-OPTIONS...] -- CMD...: a shim for a new container running
# CMD; waits for its ready line. Sets CT_ID, SHIM_SOCK, SHIM_LOG, SHIM_EXIT,
# SHIM_PID (the shim's pid), CT_PID (the container's) and SHIM_READY (the line).
start_shim() {
	local opts=() i
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	new_id
	set_cgroup_path "$CT_ID"
	set_args "$@"
	SHIM_SOCK=$TEST_DIR/$CT_ID.sock
	SHIM_LOG=$TEST_DIR/$CT_ID.log
	SHIM_EXIT=$TEST_DIR/$CT_ID.exit
	local ready=$TEST_DIR/$CT_ID.ready
	# fd 3 is bats' own: the shim must not keep it open.
	"$BERTH_SHIM" --id "$CT_ID" --bundle "$BUNDLE" --runtime-root "$STATE_ROOT" --socket "$SHIM_SOCK" \
		--log "$SHIM_LOG" --exit-file "$SHIM_EXIT" --pid-file "$TEST_DIR/$CT_ID.shimpid" \
		--ready-fd 5 "${opts[@]}" 5>"$ready" 3>&- </dev/null >/dev/null 2>"$TEST_DIR/$CT_ID.shimerr"
	for ((i = 0; i < 100; i++)); do
		[ -s "$ready" ] && break
		sleep 0.1
	done
	SHIM_READY=$(head -n1 "$ready")
	if [[ $SHIM_READY != ok\ * ]]; then
		echo "shim not ready: '$SHIM_READY'" >&2
		cat "$TEST_DIR/$CT_ID.shimerr" >&2
		return 1
	fi
	CT_PID=${SHIM_READY#ok }
	SHIM_PID=$(cat "$TEST_DIR/$CT_ID.shimpid")
	echo "$SHIM_PID" >>"$TEST_DIR/shimpids"
}

# ctl JSON: one request to the current shim; prints the reply.
ctl() {
	timeout -k 2 20 "$SHIMCTL" --timeout 15 "$SHIM_SOCK" "$1"
}

# ctl_ok JSON: a request that must answer {"ok":true}.
ctl_ok() {
	local out
	out=$(ctl "$1") || return 1
	[ "$out" = '{"ok":true}' ] || fail "$1 -> $out"
}

# shim_field FIELD: a field of the state reply.
shim_field() {
	ctl '{"op":"state"}' | jq -r ".$1"
}

# wait_shim_gone [SECONDS]: wait until the shim process has exited.
wait_shim_gone() {
	local secs=${1:-15} i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$SHIM_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "shim $SHIM_PID still running after ${secs}s"
}

# exit_code: the exit_code in the exit file (waits for the shim to finish).
exit_code() {
	wait_shim_gone && jq -r .exit_code "$SHIM_EXIT"
}
