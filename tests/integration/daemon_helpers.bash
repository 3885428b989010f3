# daemon_helpers.bash - start a private berthd for a test and talk to it.
#
# Environment (ctest sets them): BERTHD (the daemon binary), BERTH_FIXTURES
# (tests/data). Each test gets a temporary directory $T holding the data
# root, the exec root and the socket $SOCK; daemon_teardown stops the daemon
# and removes $T. Every wait is bounded.

daemon_setup() {
	[ -x "${BERTHD:-}" ] || skip "berthd not built"
	command -v curl >/dev/null || skip "curl missing"
	command -v jq >/dev/null || skip "jq missing"
	: "${BERTH_FIXTURES:=$BATS_TEST_DIRNAME/../data}"
	T=$(mktemp -d /tmp/berth-api.XXXXXX)
	SOCK=$T/run/berth.sock
	DATA=$T/data
	DPID=
}

daemon_teardown() {
	stop_daemon KILL
	[ -n "${T:-}" ] && rm -rf "$T"
}

# start_daemon [EXTRA FLAGS...]: start berthd and wait (5 s at most) until
# it answers /_ping.
start_daemon() {
	"$BERTHD" --data-root "$DATA" --exec-root "$T/run" -H "unix://$SOCK" "$@" >>"$T/berthd.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		curl -sf --max-time 2 --unix-socket "$SOCK" http://berth/_ping >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "berthd did not start:" >&2
	cat "$T/berthd.log" >&2
	return 1
}

# stop_daemon [SIGNAL]: signal berthd (TERM by default), wait up to 5 s,
# then kill it.
stop_daemon() {
	[ -n "${DPID:-}" ] || return 0
	kill -"${1:-TERM}" "$DPID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# api METHOD PATH [CURL ARGS...]: the body on stdout; the status code and
# content type go to $T/status ("200 application/json").
api() {
	local method=$1 path=$2
	shift 2
	curl -sS --max-time 60 --unix-socket "$SOCK" -X "$method" -o "$T/body" \
		-w '%{http_code} %{content_type}' "$@" "http://berth$path" >"$T/status"
	cat "$T/body"
}

status_of_last() {
	cut -d' ' -f1 "$T/status"
}

need_docker() {
	command -v docker >/dev/null || skip "docker CLI not installed"
}

# dk ARGS...: the real docker CLI against our daemon.
dk() {
	DOCKER_HOST=unix://$SOCK DOCKER_CONFIG=$T/docker-config timeout -k 5 60 docker "$@"
}

load_busybox() {
	api POST /images/load -H 'Content-Type: application/x-tar' \
		--data-binary @"$BERTH_FIXTURES/images/busybox-docker-save.tar" >/dev/null
	[ "$(status_of_last)" = 200 ]
}
