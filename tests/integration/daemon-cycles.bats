#!/usr/bin/env bats
# 200 run --rm cycles through berthd leave nothing behind: no mount, no
# shim, no cgroup, no container directory or record, no descriptor leaked by
# the daemon.

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "${BERTHD:-}" ] && [ -x "${BERTH:-}" ] && [ -x "${BERTH_SHIM:-}" ] || skip "binaries not built"
	T=$(mktemp -d /tmp/berth-cycles.XXXXXX)
	"$BERTHD" --data-root "$T/data" --exec-root "$T/run" -H "unix://$T/berth.sock" >"$T/berthd.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		b version >/dev/null 2>&1 && break
		sleep 0.05
	done
	b load -q -i "$BERTH_FIXTURES/images/busybox-docker-save.tar" >/dev/null
}

teardown() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}

b() { timeout -k 5 60 "$BERTH" -H "unix://$T/berth.sock" "$@"; }

snapshot() {
	echo "mounts $(grep -c " $T" /proc/self/mountinfo)"
	echo "shims $(pgrep -f "berth-shim .*$T" | wc -l)"
	echo "cgroups $(find /sys/fs/cgroup/*/berth -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)"
	echo "dirs $(find "$T/data/containers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
	echo "records $(b ps -aq | wc -l)"
	echo "fds $(ls /proc/"$DPID"/fd | wc -l)"
}

@test "200 run --rm cycles leave no mount, shim, cgroup, directory, record or fd" {
	b run --rm busybox true # warm up: the daemon opens what it keeps open
	local before after
	before=$(snapshot)
	for i in $(seq 200); do
		b run --rm busybox true || { echo "cycle $i failed" >&2; return 1; }
	done
	# Removal is the daemon's; give the last one a moment.
	for _ in $(seq 50); do
		after=$(snapshot)
		[ "$after" = "$before" ] && break
		sleep 0.1
	done
	if [ "$after" != "$before" ]; then
		diff <(echo "$before") <(echo "$after") >&2
		return 1
	fi
}
