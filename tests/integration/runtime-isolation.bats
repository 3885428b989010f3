#!/usr/bin/env bats
# Namespaces, mounts and devices: what the container sees of the host, and
# what the host sees of the container.

load helpers

setup() {
	berth_setup
}

teardown() {
	berth_teardown
}

@test "the container has the configured hostname; the host's is unchanged" {
	local before
	before=$(hostname)
	update_config '.hostname = "box-42"'
	ct_run sh -c 'hostname; cat /proc/sys/kernel/hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box-42 ]
	[ "${lines[1]}" = box-42 ]
	[ "$(hostname)" = "$before" ]
}

@test "the process is PID 1 of its own PID namespace" {
	ct_run sh -c 'echo $$; ls -d /proc/[0-9]* | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# sh, ls and wc: nothing of the host's processes.
	[ "${lines[1]}" -le 3 ]
}

@test "every requested namespace differs from the host's" {
	ct_start sleep 30
	local pid ns
	pid=$(ct_pid "$CT_ID")
	for ns in pid net ipc uts mnt; do
		[ "$(ns_inode "$pid" "$ns")" != "$(ns_inode $$ "$ns")" ] ||
			fail "namespace $ns is the host's"
	done
	# No user namespace was asked for.
	[ "$(ns_inode "$pid" user)" = "$(ns_inode $$ user)" ]
}

@test "a namespace left out of the config is shared with the host" {
	# A hostname needs a UTS namespace of its own.
	update_config 'del(.hostname) | .linux.namespaces |= map(select(.type != "network" and .type != "uts"))'
	ct_start sleep 30
	local pid
	pid=$(ct_pid "$CT_ID")
	[ "$(ns_inode "$pid" net)" = "$(ns_inode $$ net)" ]
	[ "$(ns_inode "$pid" uts)" = "$(ns_inode $$ uts)" ]
	[ "$(ns_inode "$pid" mnt)" != "$(ns_inode $$ mnt)" ]
}

@test "a namespace path joins an existing namespace" {
	ct_start sleep 30
	local first=$CT_ID pid
	pid=$(ct_pid "$first")
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "/proc/$pid/ns/net"
	ct_start sleep 30
	[ "$(ns_inode "$(ct_pid "$CT_ID")" net)" = "$(ns_inode "$pid" net)" ]
	[ "$(ns_inode "$(ct_pid "$CT_ID")" uts)" != "$(ns_inode "$pid" uts)" ]
}

@test "the container has its own mount table" {
	ct_run cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	local inside=$output
	[ "$inside" != "$(cat /proc/self/mountinfo)" ]
	# The configured mounts, and the root is the rootfs, not the host's /.
	local mounts
	mounts=$(echo "$inside" | mountinfo_points_types)
	echo "$mounts" | grep -qx '/proc proc'
	echo "$mounts" | grep -qx '/dev tmpfs'
	echo "$mounts" | grep -qx '/dev/pts devpts'
	echo "$mounts" | grep -qx '/sys sysfs'
	echo "$inside" | awk '{print $5}' | grep -qx '/'
	# None of the host's cgroup hierarchies leaks in.
	! echo "$inside" | awk '{print $5}' | grep -q '^/sys/fs/cgroup/'
	# The test's directory is not visible inside.
	! echo "$inside" | grep -q "$TEST_DIR"
}

@test "the container's mounts do not appear on the host" {
	ct_start sleep 30
	! grep -q "$BERTH_ROOTFS" /proc/self/mountinfo
	[ -z "$(host_mounts_below "$TEST_DIR")" ]
}

@test "a System V IPC object made inside is not visible on the host" {
	make_bundle "$TEST_DIR/ipc" copy
	copy_host_binary ipcmk "$TEST_DIR/ipc/rootfs"
	copy_host_binary ipcs "$TEST_DIR/ipc/rootfs"
	BUNDLE=$TEST_DIR/ipc
	ct_start sh -c 'ipcmk -M 4096 && ipcs -m && sleep 30'
	local id key
	for _ in $(seq 50); do
		grep -q '^0x' "$TEST_DIR/$CT_ID.out" && break
		sleep 0.1
	done
	# ipcs -m lines: key shmid owner perms bytes ...; the segment is 4096 bytes.
	read -r key id < <(awk '/^0x/ && $5 == 4096 {print $1, $2}' "$TEST_DIR/$CT_ID.out")
	[ -n "$key" ] || fail "no segment inside: $(cat "$TEST_DIR/$CT_ID.out")"
	! ipcs -m | awk '{print $1, $2}' | grep -qx "$key $id"
}

@test "a new network namespace has only lo" {
	ct_run ls /sys/class/net
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "without a network namespace the host's interfaces are visible" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	ct_run ls /sys/class/net
	[ "$status" -eq 0 ]
	[ "$output" = "$(ls /sys/class/net)" ]
}

@test "a user namespace maps container root to the configured host uid" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	ct_start sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; sleep 30'
	local pid
	pid=$(ct_pid "$CT_ID")
	for _ in $(seq 50); do
		[ "$(wc -l <"$TEST_DIR/$CT_ID.out")" -ge 4 ] && break
		sleep 0.1
	done
	run cat "$TEST_DIR/$CT_ID.out"
	[[ "${lines[0]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[[ "${lines[1]}" =~ ^[[:space:]]*0[[:space:]]+100000[[:space:]]+65536$ ]]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	# The host sees the mapped ids.
	grep -Eq '^Uid:[[:space:]]+100000[[:space:]]+100000' "/proc/$pid/status"
	grep -Eq '^Gid:[[:space:]]+100000[[:space:]]+100000' "/proc/$pid/status"
	[ "$(ns_inode "$pid" user)" != "$(ns_inode $$ user)" ]
}

@test "linux.sysctl is applied inside and not on the host" {
	local fwd shm
	fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	shm=$(cat /proc/sys/kernel/shmmax)
	local want=$((fwd == 1 ? 0 : 1))
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": $f, "kernel.shmmax": "123456789"}' \
		--arg f "$want"
	ct_run sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$want" ]
	[ "${lines[1]}" = 123456789 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$fwd" ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$shm" ]
}

@test "/dev has the standard devices with the right numbers" {
	ct_run sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
		test -e /dev/ptmx && echo ptmx-ok; test -d /dev/pts && echo pts-ok
		test -d /dev/shm && echo shm-ok; test -d /dev/mqueue && echo mqueue-ok
		readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0" ]
	[ "${lines[6]}" = ptmx-ok ]
	[ "${lines[7]}" = pts-ok ]
	[ "${lines[8]}" = shm-ok ]
	[ "${lines[9]}" = mqueue-ok ]
	[ "${lines[10]}" = /proc/self/fd ]
	[ "${lines[11]}" = /proc/self/fd/0 ]
	[ "${lines[12]}" = /proc/self/fd/1 ]
	[ "${lines[13]}" = /proc/self/fd/2 ]
}

@test "the standard devices work: null, zero, full, urandom" {
	ct_run sh -c 'echo x > /dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1
		echo x > /dev/full || echo full-refused
		test "$(head -c 16 /dev/urandom | wc -c)" = 16 && echo urandom-ok'
	[ "${lines[0]}" = null-ok ]
	[ "$(echo "${lines[1]}" | tr -s ' ')" = " 00 00 00 00" ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *full-refused* ]]
	[[ "$output" == *urandom-ok* ]]
}

@test "linux.devices creates an extra device node with mode and owner" {
	update_config '.linux.devices = [{path: "/dev/berthnull", type: "c", major: 1, minor: 3,
		fileMode: 432, uid: 7, gid: 8}]'
	ct_run sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/berthnull; echo hello > /dev/berthnull && echo write-ok'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 7:8" ]
	[ "${lines[1]}" = write-ok ]
}

@test "the device cgroup refuses a device the config does not allow" {
	# /dev is a tmpfs with devices allowed; CAP_MKNOD lets us make the node,
	# the device cgroup must still refuse to open it.
	ct_run sh -c 'mknod /dev/berthloop b 7 0 && head -c 1 /dev/berthloop'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "a bind mount shows the host directory; ro makes it read-only" {
	mkdir "$TEST_DIR/data"
	echo from-host >"$TEST_DIR/data/file"
	update_config '.mounts += [{destination: "/home", type: "bind", source: $d, options: ["rbind", "ro"]},
		{destination: "/run", type: "bind", source: $w, options: ["bind", "rw"]}]' \
		--arg d "$TEST_DIR/data" --arg w "$TEST_DIR"
	mkdir -p "$TEST_DIR/out"
	ct_run sh -c 'cat /home/file; echo changed > /home/file || echo ro-refused; echo inside > /run/out/written'
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *ro-refused* ]]
	[ "$(cat "$TEST_DIR/data/file")" = from-host ]
	[ "$(cat "$TEST_DIR/out/written")" = inside ]
}

@test "a tmpfs mount is a tmpfs with the given size and mode" {
	update_config '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
		options: ["nosuid", "nodev", "size=1m", "mode=1777"]}]'
	ct_run sh -c 'grep " /tmp " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1; stat -c %a /tmp
		echo hello > /tmp/f && cat /tmp/f
		dd if=/dev/zero of=/tmp/big bs=1k count=2048 2>&1 || echo too-big'
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = 1777 ]
	[ "${lines[2]}" = hello ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *too-big* ]]
}

@test "mount destinations missing from the rootfs are created inside it" {
	make_bundle "$TEST_DIR/mk" copy
	BUNDLE=$TEST_DIR/mk
	update_config '.mounts += [{destination: "/new/deep/dir", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	ct_run sh -c 'grep " /new/deep/dir " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1'
	[ "$status" -eq 0 ]
	[ "$output" = tmpfs ]
	[ -d "$TEST_DIR/mk/rootfs/new/deep/dir" ]
	[ ! -e /new/deep/dir ]
}
