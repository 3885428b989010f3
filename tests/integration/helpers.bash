# helpers.bash - shared setup for the berth-runtime integration tests (bats).
#
# Environment (ctest sets all of them):
#   BERTH_RUNTIME  the OCI runtime under test (berth-runtime; runc or crun to
#                  validate the tests themselves)
#   BERTH_ROOTFS   a busybox root filesystem (tests/integration/make-rootfs.sh)
#   BERTH_HELPERS  directory holding the helper programs (recvtty)
#
# Every test gets its own temporary directory ($TEST_DIR), its own runtime
# state root (--root $STATE_ROOT) and container IDs unique to the test; every
# container's cgroupsPath is /berth-it/<id>. berth_teardown force-deletes each
# container the test made, then fails the test if anything is left: a state
# directory, a cgroup, a mount below $TEST_DIR. Every wait is bounded.
#
# The bundle's config.json starts from a template written here (Docker's
# defaults, see docs/security.md), not from "$BERTH_RUNTIME spec", so a broken
# `spec` command cannot hide other results; `spec` has its own tests. Tests
# change the config with jq filters (update_config).

: "${BERTH_RUNTIME:?BERTH_RUNTIME must name the runtime binary to test}"
: "${BERTH_ROOTFS:?BERTH_ROOTFS must name a busybox rootfs (make-rootfs.sh)}"
BERTH_HELPERS=${BERTH_HELPERS:-}
RECVTTY=${BERTH_HELPERS:+$BERTH_HELPERS/recvtty}
CGROUP_PARENT=berth-it
# Upper bound, in seconds, for any one runtime command.
RT_TIMEOUT=${RT_TIMEOUT:-30}

# The 14 capabilities Docker grants by default.
DEFAULT_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD",
"CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP",
"CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# Name of the runtime under test without its directory (runc, crun, berth-runtime).
runtime_name() {
	basename "$BERTH_RUNTIME"
}

berth_setup() {
	command -v jq >/dev/null || skip "jq is not installed"
	[ "$(id -u)" -eq 0 ] || skip "the runtime tests need root"
	[ -x "$BERTH_RUNTIME" ] || command -v "$BERTH_RUNTIME" >/dev/null ||
		skip "runtime $BERTH_RUNTIME not found"
	[ -x "$BERTH_ROOTFS/bin/busybox" ] || skip "no busybox rootfs at $BERTH_ROOTFS"
	TEST_DIR=$(mktemp -d /tmp/berth-it.XXXXXX)
	# Mapped users (user namespace tests) must be able to reach the bundle.
	chmod 755 "$TEST_DIR"
	STATE_ROOT=$TEST_DIR/state
	IDS_FILE=$TEST_DIR/ids
	: >"$IDS_FILE"
	BUNDLE=$TEST_DIR/bundle
	make_bundle "$BUNDLE"
}

# A new container ID, unique to this test, remembered for the teardown.
# Call it outside `run` (which is a subshell) so the ID is kept.
new_id() {
	CT_ID="bt$$-${BATS_TEST_NUMBER:-0}-$RANDOM"
	echo "$CT_ID" >>"$IDS_FILE"
}

# make_bundle DIR [copy]: a bundle in DIR. Without "copy" the root is the
# shared $BERTH_ROOTFS, read-only; with it, a private writable copy.
make_bundle() {
	local dir=$1 root=$BERTH_ROOTFS readonly=true
	mkdir -p "$dir"
	if [ "${2:-}" = copy ]; then
		cp -a "$BERTH_ROOTFS" "$dir/rootfs"
		root=rootfs
		readonly=false
	fi
	jq -n --arg root "$root" --argjson ro "$readonly" --argjson caps "$DEFAULT_CAPS" '{
	ociVersion: "1.0.2",
	process: {
		terminal: false,
		user: { uid: 0, gid: 0 },
		args: ["true"],
		env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
		cwd: "/",
		capabilities: { bounding: $caps, effective: $caps, permitted: $caps },
		rlimits: [ { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 } ],
		noNewPrivileges: true
	},
	root: { path: $root, readonly: $ro },
	hostname: "berth-test",
	mounts: [
		{ destination: "/proc", type: "proc", source: "proc",
		  options: ["nosuid", "noexec", "nodev"] },
		{ destination: "/dev", type: "tmpfs", source: "tmpfs",
		  options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
		{ destination: "/dev/pts", type: "devpts", source: "devpts",
		  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
		{ destination: "/dev/shm", type: "tmpfs", source: "shm",
		  options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
		{ destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
		  options: ["nosuid", "noexec", "nodev"] },
		{ destination: "/sys", type: "sysfs", source: "sysfs",
		  options: ["nosuid", "noexec", "nodev", "ro"] }
	],
	linux: {
		resources: {
			devices: [
				{ allow: false, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 7, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
				{ allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
				{ allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
				{ allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
				{ allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
				{ allow: true, type: "c", major: 136, access: "rwm" }
			]
		},
		namespaces: [
			{ type: "pid" }, { type: "network" }, { type: "ipc" },
			{ type: "uts" }, { type: "mount" }
		],
		maskedPaths: [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
			"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
			"/proc/sched_debug", "/proc/scsi", "/sys/firmware"
		],
		readonlyPaths: [
			"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
		]
	}
}' >"$dir/config.json"
}

# update_config FILTER [JQ-ARGS...]: edit $BUNDLE/config.json (or $CONFIG_BUNDLE's) with jq.
update_config() {
	local cfg=${CONFIG_BUNDLE:-$BUNDLE}/config.json
	jq "${@:2}" "$1" "$cfg" >"$cfg.new" </dev/null && [ -s "$cfg.new" ] && mv "$cfg.new" "$cfg"
}

# set_args CMD...: the container's process.args.
set_args() {
	local args
	# "--": without it jq takes a "-c" in the list as its own option.
	args=$(jq -cn '$ARGS.positional' --args -- "$@")
	update_config '.process.args = $a' --argjson a "$args"
}

# rt ARGS...: the runtime under test with this test's state root, bounded.
rt() {
	timeout -k 5 "$RT_TIMEOUT" "$BERTH_RUNTIME" --root "$STATE_ROOT" "$@"
}

# Point the bundle's cgroupsPath at /berth-it/ID.
set_cgroup_path() {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CGROUP_PARENT/$1"
}

# ct_run CMD...: run CMD in a new container in the foreground, under bats'
# `run`: $status is the runtime's exit status, $output its output (the
# container's stdout and stderr, and the runtime's own messages).
ct_run() {
	new_id
	set_cgroup_path "$CT_ID"
	set_args "$@"
	run rt run --bundle "$BUNDLE" "$CT_ID" </dev/null
}

# ct_detach CMD...: run CMD in a new detached container; its stdout and
# stderr go to $TEST_DIR/$CT_ID.out.
ct_detach() {
	new_id
	set_cgroup_path "$CT_ID"
	set_args "$@"
	rt run -d --bundle "$BUNDLE" "$CT_ID" </dev/null >"$TEST_DIR/$CT_ID.out" 2>&1 || {
		echo "run -d $CT_ID failed:" >&2
		cat "$TEST_DIR/$CT_ID.out" >&2
		return 1
	}
}

# ct_start CMD...: ct_detach, then fail the test unless the container runs.
ct_start() {
	ct_detach "$@" && wait_status "$CT_ID" running
}

# ct_status ID: the status field of `state ID` ("" when state fails).
ct_status() {
	rt state "$1" 2>/dev/null | jq -r .status 2>/dev/null
}

# ct_pid ID: the host PID of the container's init.
ct_pid() {
	rt state "$1" | jq -r .pid
}

# wait_status ID STATUS [SECONDS]: wait until `state ID` reports STATUS.
wait_status() {
	local id=$1 want=$2 secs=${3:-10} i got=
	for ((i = 0; i < secs * 10; i++)); do
		got=$(ct_status "$id")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "container $id: status '$got', expected '$want' within ${secs}s" >&2
	return 1
}

# wait_file PATH [SECONDS]: wait until PATH exists.
wait_file() {
	local path=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		[ -e "$path" ] && return 0
		sleep 0.1
	done
	echo "$path did not appear within ${secs}s" >&2
	return 1
}

# cgroup_dir CONTROLLER ID: the container's cgroup directory in a v1 hierarchy.
cgroup_dir() {
	echo "/sys/fs/cgroup/$1/$CGROUP_PARENT/$2"
}

# The cgroup directories of ID that exist, one a line.
cgroup_dirs_of() {
	local d
	for d in /sys/fs/cgroup/*/"$CGROUP_PARENT/$1" /sys/fs/cgroup/"$CGROUP_PARENT/$1"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# Mount points below DIR in the host's mount table, one a line.
host_mounts_below() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# Kill and remove what a cgroup directory still holds, then the directory.
remove_cgroup_dir() {
	local d=$1 p
	if [ -f "$d/cgroup.procs" ]; then
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$d/cgroup.procs"
	fi
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		rmdir "$d" 2>/dev/null && return 0
		[ -d "$d" ] || return 0
		sleep 0.2
	done
	rmdir "$d"
}

berth_teardown() {
	[ -n "${TEST_DIR:-}" ] && [ -d "$TEST_DIR" ] || return 0
	local id leaks="" d m
	while read -r id; do
		[ -n "$id" ] || continue
		rt delete --force "$id" >/dev/null 2>&1 || true
		if [ -e "$STATE_ROOT/$id" ]; then
			leaks+="state dir $STATE_ROOT/$id; "
			rm -rf "${STATE_ROOT:?}/$id"
		fi
		# Give an asynchronous cleanup a moment, then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -z "$(cgroup_dirs_of "$id")" ] && break
			sleep 0.2
		done
		for d in $(cgroup_dirs_of "$id"); do
			leaks+="cgroup $d; "
			remove_cgroup_dir "$d" || true
		done
	done <"$IDS_FILE"
	for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	for m in $(host_mounts_below "$TEST_DIR" | sort -r); do
		leaks+="mount $m; "
		umount -l "$m" 2>/dev/null || true
	done
	# Helper processes a test left in the background (recvtty, runtimes).
	if [ -f "$TEST_DIR/bgpids" ]; then
		while read -r id; do kill -9 "$id" 2>/dev/null || true; done <"$TEST_DIR/bgpids"
	fi
	rm -rf "$TEST_DIR"
	if [ -n "$leaks" ]; then
		echo "left behind after delete --force: $leaks" >&2
		return 1
	fi
}

# bg_pid PID: remember a background process for the teardown to kill.
bg_pid() {
	echo "$1" >>"$TEST_DIR/bgpids"
}

# start_recvtty SOCKET OUT [recvtty options...]: recvtty in the background,
# copying the console to OUT (its messages go to OUT.err); waits until it
# listens. Sets RECVTTY_PID.
start_recvtty() {
	local sock=$1 out=$2
	shift 2
	[ -x "$RECVTTY" ] || skip "recvtty helper not built (BERTH_HELPERS=$BERTH_HELPERS)"
	rm -f "$sock.ready"
	timeout -k 2 60 "$RECVTTY" --ready "$sock.ready" "$@" "$sock" >"$out" 2>"$out.err" &
	RECVTTY_PID=$!
	bg_pid "$RECVTTY_PID"
	wait_file "$sock.ready" 10
}

# wait_pid PID [SECONDS]: wait for a background child; its exit status.
wait_pid() {
	local pid=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "process $pid still running after ${secs}s" >&2
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid"
}

# Fail with a message (for checks that are not a plain [ ... ]).
fail() {
	echo "$@" >&2
	return 1
}

# copy_host_binary BIN ROOTFS: copy a host program and the shared libraries
# it loads into ROOTFS (for tools busybox lacks, such as ipcmk).
copy_host_binary() {
	local bin lib root=$2
	bin=$(command -v "$1") || return 1
	mkdir -p "$root/usr/bin"
	cp -L "$bin" "$root/usr/bin/"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# ns_inode PID TYPE: the inode of a process's namespace (e.g. "net:[4026531840]").
ns_inode() {
	readlink "/proc/$1/ns/$2"
}

# mountinfo_points_types: read /proc/PID/mountinfo lines on stdin, print
# "MOUNTPOINT FSTYPE" for each (the type follows the "-" separator, after a
# variable number of optional fields).
mountinfo_points_types() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $5, $(i + 1); break } }'
}

# crun_rt ARGS...: crun with this test's own state root, bounded. crun 1.8
# refuses a hybrid cgroup host ("cgroups in hybrid mode not supported") while
# the cgroup2 hierarchy has a controller (here hugetlb). So each call runs in
# a private mount namespace that binds hugetlb to a v1 hierarchy mounted
# below $TEST_DIR for as long as the call lasts; when the namespace goes, the
# controller returns to cgroup2. crun itself runs with
# --cgroup-manager=disabled: the comparisons look at what the process sees,
# not at cgroups.
crun_rt() {
	local v2=/sys/fs/cgroup/unified/cgroup.controllers
	mkdir -p "$TEST_DIR/crun-hugetlb"
	timeout -k 5 "$RT_TIMEOUT" unshare -m --propagation private sh -c '
		# Mount even when cgroup2 looks empty: a hierarchy left by the
		# previous call may be dying and give hugetlb back any moment.
		# When the mount does not take hugetlb off cgroup2, retry.
		if [ -f "$1" ]; then
			i=0
			until mount -t cgroup -o hugetlb berth-test-hugetlb "$2" && ! grep -q . "$1"; do
				[ $i -lt 50 ] || exit 125
				mountpoint -q "$2" && umount "$2"
				sleep 0.1
				i=$((i + 1))
			done
		fi
		shift 2
		exec "$@"' sh "$v2" "$TEST_DIR/crun-hugetlb" \
		crun --cgroup-manager=disabled --root "$TEST_DIR/crun-state" "$@"
}
