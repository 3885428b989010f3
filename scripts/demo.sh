#!/usr/bin/env bash
# make demo: build a busybox root filesystem, run a container from it with
# berth-runtime and show what the container sees: its own hostname, its own
# PID 1, its user, its capabilities and its cgroup limits. Then start berthd
# (on a private data root and socket, so nothing of yours is touched),
# import that root filesystem as an image, load a `docker save` archive,
# list and inspect them with the berth CLI, and run containers through the
# daemon (one in the foreground, one detached: ps, logs, stop, rm). Cleans up.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
rt="$here/$build/berth-runtime"
[ -x "$rt" ] || { echo "demo: $rt not built (run make build)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: containers need root: re-running with sudo" >&2
	exec sudo "$0" "$@"
fi

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
state="$work/state"
id="berth-demo-$$"
dpid=
cleanup() {
	"$rt" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== making a busybox root filesystem (from Debian's busybox-static)"
"$here/tests/integration/make-rootfs.sh" "$work/bundle/rootfs"

echo "== writing config.json (berth-runtime spec), then: hostname, 64 MiB memory, 32 pids, half a CPU"
(cd "$work/bundle" && "$rt" spec)
script='
echo "hostname:       $(hostname)"
echo "PID 1 is:       $(cat /proc/1/comm) (this shell is PID $$)"
echo "user:           $(id)"
echo "capabilities:   $(grep CapEff /proc/self/status)"
echo "memory limit:   $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
echo "pids limit:     $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"
echo "network:        $(ls /sys/class/net | tr "\n" " ")"
echo "processes:"; ps
echo "root is read-only:"; touch /x 2>&1 || true
'
printf '%s' "$script" > "$work/bundle/rootfs/demo.sh"
jq '
  .process.terminal = false
  | .process.args = ["sh", "/demo.sh"]
  | .hostname = "berth-demo"
  | .linux.resources += {memory: {limit: 67108864}, pids: {limit: 32}, cpu: {quota: 50000, period: 100000}}
' "$work/bundle/config.json" > "$work/bundle/config.json.new"
mv "$work/bundle/config.json.new" "$work/bundle/config.json"

echo "== berth-runtime run"
"$rt" --root "$state" run --bundle "$work/bundle" "$id"
echo "== exit status $?"

berthd="$here/$build/berthd"
berth="$here/$build/berth"
if [ ! -x "$berthd" ] || [ ! -x "$berth" ]; then
	echo "== berthd/berth not built: skipping the daemon part"
	exit 0
fi
sock="$work/run/berth.sock"
echo "== starting berthd (data root $work/data, socket $sock)"
"$berthd" --data-root "$work/data" --exec-root "$work/run" -H "unix://$sock" >"$work/berthd.log" 2>&1 &
dpid=$!
b() { "$berth" -H "unix://$sock" "$@"; }
for _ in $(seq 100); do
	b version >/dev/null 2>&1 && break
	sleep 0.05
done
b version
echo "== berth import: the busybox root filesystem as busybox:latest"
rm -f "$work/bundle/rootfs/demo.sh"
tar -C "$work/bundle/rootfs" --exclude=./.complete -cf "$work/busybox.tar" .
b import -c 'CMD ["sh"]' -m "made by make demo" "$work/busybox.tar" busybox:latest
echo "== berth load: an image saved by Docker"
b load -i "$here/tests/data/images/whiteouts-docker-save.tar"
echo "== berth images"
b images
echo "== berth image inspect busybox (Cmd, layers)"
b image inspect --format '{{json .Config.Cmd}} {{json .RootFS.Layers}}' busybox
echo "== berth history fixture/whiteouts:1"
b history fixture/whiteouts:1
echo "== berth run --rm busybox: a container through the daemon"
b run --rm busybox sh -c 'echo "hello from $(hostname), PID $$, as $(id -u)"'
echo "== a detached container, ps, logs, stop, rm"
b run -d --name demo-ticker busybox sh -c 'trap "exit 0" TERM; i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.3; done'
sleep 1
b ps
b logs --tail 3 demo-ticker
b stop -t 2 demo-ticker
b ps -a --format '{{.Names}}: {{.Status}}'
b rm demo-ticker
echo "== done; stopping berthd and cleaning up"
