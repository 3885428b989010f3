#!/usr/bin/env bats
# The cgroup v2 driver end to end. Most container hosts are pure cgroup v2;
# this machine is hybrid, but its /sys/fs/cgroup/unified is a real cgroup2
# mount (with no controllers delegated to it). berth-runtime's --cgroup-root
# (a berth extension) points the runtime at it, so the v2 paths run for real:
# clone3(CLONE_INTO_CGROUP), the eBPF device filter, the cgroup namespace's
# cgroup2 mount, cgroup.freeze and cgroup.kill.

load helpers

V2=/sys/fs/cgroup/unified

setup() {
	berth_setup
	[ "$(runtime_name)" = berth-runtime ] || skip "--cgroup-root is a berth-runtime extension"
	[ "$(stat -f -c %T "$V2" 2>/dev/null)" = cgroup2fs ] || skip "$V2 is not a cgroup2 mount"
	# mknod needs the capability; the device cgroup decides about the node.
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"]
		| .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]
		| .root.readonly = false'
	cp -a "$BERTH_ROOTFS" "$TEST_DIR/rootfs"
	update_config '.root.path = $p' --arg p "$TEST_DIR/rootfs"
}

teardown() {
	berth_teardown
}

# v2 CMD...: run CMD in a container whose cgroup is on the cgroup2 mount.
v2_run() {
	new_id
	set_cgroup_path "$CT_ID"
	set_args "$@"
	run rt --cgroup-root "$V2" run --bundle "$BUNDLE" "$CT_ID" </dev/null
}

TUN_OPEN='mknod /tmp/tun c 10 200 2>&1 && { (exec 3<>/tmp/tun && echo opened) 2>&1; }; rm -f /tmp/tun'

@test "cgroup2: the eBPF device filter denies a device the rules do not allow" {
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
	v2_run sh -c "$TUN_OPEN"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *opened* ]]
}

@test "cgroup2: the eBPF device filter allows a device a later rule allows" {
	update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: true, type: "c", major: 10, minor: 200, access: "rwm"}]'
	v2_run sh -c "$TUN_OPEN"
	[ "$status" -eq 0 ]
	[ "$output" = opened ]
}

@test "cgroup2: the process is born in its cgroup and sees only it" {
	update_config '.linux.namespaces += [{type: "cgroup"}] | .linux.namespaces |= unique_by(.type)
		| .mounts += [{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
			options: ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c 'cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs; sleep 30'
	rt --cgroup-root "$V2" run -d --bundle "$BUNDLE" "$CT_ID" </dev/null >"$TEST_DIR/out" 2>&1
	wait_status "$CT_ID" running
	local pid
	pid=$(ct_pid "$CT_ID")
	grep -qx "$pid" "$V2/$CGROUP_PARENT/$CT_ID/cgroup.procs"
	for _ in $(seq 50); do grep -q cgroup.procs "$TEST_DIR/out" && break; sleep 0.1; done
	grep -q '^0::/$' "$TEST_DIR/out"
	grep -qx /sys/fs/cgroup/cgroup.procs "$TEST_DIR/out"
}

@test "cgroup2: pause and resume through cgroup.freeze, kill --all through the cgroup" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 60
	rt --cgroup-root "$V2" run -d --bundle "$BUNDLE" "$CT_ID" </dev/null
	wait_status "$CT_ID" running
	rt pause "$CT_ID"
	[ "$(ct_status "$CT_ID")" = paused ]
	grep -q '^frozen 1' "$V2/$CGROUP_PARENT/$CT_ID/cgroup.events"
	rt resume "$CT_ID"
	[ "$(ct_status "$CT_ID")" = running ]
	rt kill --all "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	rt delete "$CT_ID"
	[ ! -e "$V2/$CGROUP_PARENT/$CT_ID" ]
}

@test "cgroup2: exec joins the container's cgroup2 cgroup" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 60
	rt --cgroup-root "$V2" run -d --bundle "$BUNDLE" "$CT_ID" </dev/null
	wait_status "$CT_ID" running
	run rt exec "$CT_ID" sh -c 'echo $$; sleep 0.5'
	[ "$status" -eq 0 ]
	# The exec'd shell ran in the container's cgroup: the cgroup's procs
	# count exceeded one while it ran (sampled), and it is empty after kill.
	rt exec -d --pid-file "$TEST_DIR/exec.pid" "$CT_ID" sleep 30
	local epid
	epid=$(cat "$TEST_DIR/exec.pid")
	grep -qx "$epid" "$V2/$CGROUP_PARENT/$CT_ID/cgroup.procs"
}
