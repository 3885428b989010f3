#!/usr/bin/env bats
# Read-only root, masked and read-only paths, capabilities, seccomp, the
# device cgroup, and regression checks for the published runtime escapes
# (docs/security.md).

load helpers

setup() {
	berth_setup
}

teardown() {
	berth_teardown
}

@test "a read-only root refuses writes; a writable one accepts them" {
	ct_run sh -c 'touch /newfile'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$BERTH_ROOTFS/newfile" ]

	make_bundle "$TEST_DIR/rw" copy
	BUNDLE=$TEST_DIR/rw
	ct_run sh -c 'echo hi > /newfile'
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_DIR/rw/rootfs/newfile")" = hi ]
}

@test "masked paths read empty inside" {
	# Only the masked paths this host has prove anything.
	local p checked=""
	for p in /proc/kcore /proc/timer_list /proc/keys /proc/sched_debug /sys/firmware; do
		[ -e "$p" ] && checked+=" $p"
	done
	[ -n "$checked" ] || skip "none of the masked paths exist on this host"
	ct_run sh -c 'for p in '"$checked"'; do
		if [ -d $p ]; then echo "$p $(ls -A $p | wc -l)"; else echo "$p $(cat $p 2>/dev/null | wc -c)"; fi
	done'
	[ "$status" -eq 0 ]
	for p in $checked; do
		echo "$output" | grep -qx "$p 0" || fail "$p is not masked: $output"
	done
	# And they are not empty on the host.
	[ "$(ls -A /sys/firmware | wc -l)" -gt 0 ] || [ ! -d /sys/firmware ]
}

@test "read-only paths refuse writes: /proc/sys is mounted ro" {
	ct_run sh -c 'echo other > /proc/sys/kernel/hostname; hostname
		awk "\$5 == \"/proc/sys\" {print \$6}" /proc/self/mountinfo'
	[[ "$output" == *"Read-only file system"* ]]
	[ "${lines[1]}" = berth-test ]
	[[ "${lines[2]}" == ro,* ]] || [ "${lines[2]}" = ro ]
}

@test "/sys is mounted read-only" {
	ct_run sh -c 'awk "\$5 == \"/sys\" {print \$6}" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" == ro,* ]] || [ "$output" = ro ]
}

@test "the capability sets are Docker's 14 defaults" {
	ct_run grep ^Cap /proc/self/status
	[ "$status" -eq 0 ]
	# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
	# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP = 0xa80425fb
	[[ "$output" =~ CapInh:[[:space:]]+0000000000000000 ]]
	[[ "$output" =~ CapPrm:[[:space:]]+00000000a80425fb ]]
	[[ "$output" =~ CapEff:[[:space:]]+00000000a80425fb ]]
	[[ "$output" =~ CapBnd:[[:space:]]+00000000a80425fb ]]
	[[ "$output" =~ CapAmb:[[:space:]]+0000000000000000 ]]
}

@test "without CAP_NET_ADMIN network setup fails; with it, it works" {
	ct_run ip link add berth0 type veth peer name berth1
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]

	update_config '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
	# (busybox ip ignores "peer name": the peer gets a kernel-chosen name.)
	ct_run sh -c 'ip link add berth0 type veth peer name berth1 && ls /sys/class/net'
	[ "$status" -eq 0 ]
	[[ "$output" == *berth0* ]]
	# Made in the container's namespace, not the host's.
	[ ! -e /sys/class/net/berth0 ]
}

@test "a capability dropped from the bounding set cannot be regained" {
	update_config '.process.capabilities |= with_entries(.value -= ["CAP_CHOWN"])'
	make_bundle "$TEST_DIR/rw" copy
	CONFIG_BUNDLE=$TEST_DIR/rw update_config '.process.capabilities |= with_entries(.value -= ["CAP_CHOWN"])'
	BUNDLE=$TEST_DIR/rw
	ct_run sh -c 'touch /f && chown 1:1 /f'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "a seccomp rule returns the configured errno for mkdir" {
	ct_run mkdir /dev/shm/allowed
	[ "$status" -eq 0 ]

	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 95}]}'
	ct_run mkdir /dev/shm/blocked
	[ "$status" -ne 0 ]
	# 95 is EOPNOTSUPP.
	[[ "$output" == *"can't create directory '/dev/shm/blocked': Not supported"* ]] ||
		[[ "$output" == *"/dev/shm/blocked"*"Operation not supported"* ]]
}

@test "a seccomp rule without errnoRet returns EPERM; other calls still work" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["sethostname"], action: "SCMP_ACT_ERRNO"}]}'
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	ct_run sh -c 'echo ok; hostname other'
	[ "${lines[0]}" = ok ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "a seccomp argument filter blocks only the matching call" {
	# personality(0xffffffff) queries; anything else is refused with EPERM.
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
			args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}]}]}'
	# linux32 sets PER_LINUX32 (8): refused; linux64 sets PER_LINUX (0): allowed.
	ct_run linux32 true
	[ "$status" -ne 0 ]
	ct_run linux64 true
	[ "$status" -eq 0 ]
}

@test "no file descriptor beyond 0, 1, 2 reaches the container" {
	# The caller leaks descriptors 7 and 9 (bats itself leaks 3); none may
	# appear in the container.
	new_id
	set_cgroup_path "$CT_ID"
	# The shell lists its own fds through a forked ls: no pipe (the shell's
	# pipe for `ls | tr` shows up while the pipeline starts), and not the
	# last command (busybox would exec ls, which sees its own directory fd).
	set_args sh -c 'ls /proc/$$/fd; true'
	run rt run --bundle "$BUNDLE" "$CT_ID" </dev/null 7<"$TEST_DIR" 9>"$TEST_DIR/leak"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 " ]
}

@test "no file descriptor beyond 0, 1, 2 reaches an exec'd process" {
	ct_start sleep 30
	run rt exec "$CT_ID" sh -c 'ls /proc/$$/fd; true' </dev/null 7<"$TEST_DIR" 9>"$TEST_DIR/leak"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 " ]
}

# Walk up from the cwd to whatever root it belongs to and look for the
# host-only marker file.
ESCAPE_PROBE='pwd; cat ../../../../../../../../../..'

@test "CVE-2024-21626: process.cwd through /proc/self/fd/N cannot reach the host" {
	mkdir "$TEST_DIR/hostdir"
	echo host-secret >"$TEST_DIR/hostdir/MARKER"
	local n
	for n in $(seq 3 12); do
		update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		ct_run sh -c "$ESCAPE_PROBE$TEST_DIR/hostdir/MARKER" 7<"$TEST_DIR/hostdir"
		[[ "$output" != *host-secret* ]] || fail "fd $n: the cwd reached the host: $output"
	done
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N cannot reach the host" {
	mkdir "$TEST_DIR/hostdir"
	echo host-secret >"$TEST_DIR/hostdir/MARKER"
	ct_start sleep 60
	local n
	for n in $(seq 3 12); do
		run rt exec --cwd "/proc/self/fd/$n" "$CT_ID" sh -c "$ESCAPE_PROBE$TEST_DIR/hostdir/MARKER" \
			</dev/null 7<"$TEST_DIR/hostdir"
		[[ "$output" != *host-secret* ]] || fail "fd $n: the cwd reached the host: $output"
	done
}

@test "a symlink in the rootfs cannot redirect a mount destination to the host" {
	make_bundle "$TEST_DIR/sym" copy
	mkdir "$TEST_DIR/hostside" "$TEST_DIR/src"
	echo bind-content >"$TEST_DIR/src/file"
	# An absolute symlink and a relative one climbing out with "..".
	ln -s "$TEST_DIR/hostside" "$TEST_DIR/sym/rootfs/mnt"
	ln -s "../../../../../../../..$TEST_DIR/hostside" "$TEST_DIR/sym/rootfs/opt"
	BUNDLE=$TEST_DIR/sym
	update_config '.mounts += [
		{destination: "/mnt/sub", type: "bind", source: $src, options: ["bind", "ro"]},
		{destination: "/opt/t", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]' \
		--arg src "$TEST_DIR/src"
	ct_run sh -c 'cat /mnt/sub/file; touch /opt/t/x && echo tmpfs-ok'
	# Refusing the container is acceptable; mounting on the host is not.
	[ -z "$(ls -A "$TEST_DIR/hostside")" ] ||
		fail "the runtime wrote through the symlink onto the host: $(ls -A "$TEST_DIR/hostside")"
	[ -z "$(host_mounts_below "$TEST_DIR/hostside")" ]
	if [ "$status" -eq 0 ]; then
		# Then the mounts landed inside the rootfs, where the links resolve.
		[ "${lines[0]}" = bind-content ]
		[ "${lines[1]}" = tmpfs-ok ]
		[ -d "$TEST_DIR/sym/rootfs$TEST_DIR/hostside/sub" ]
	fi
}

@test "CVE-2023-27561: a rootfs whose /proc is a symlink does not get the host's path mounted" {
	make_bundle "$TEST_DIR/pl" copy
	mkdir "$TEST_DIR/hostproc"
	rmdir "$TEST_DIR/pl/rootfs/proc"
	ln -s "$TEST_DIR/hostproc" "$TEST_DIR/pl/rootfs/proc"
	BUNDLE=$TEST_DIR/pl
	ct_run sh -c 'cat /proc/self/status | grep ^Pid'
	[ -z "$(ls -A "$TEST_DIR/hostproc")" ]
	[ -z "$(host_mounts_below "$TEST_DIR/hostproc")" ]
}

@test "CVE-2019-5736: a container cannot overwrite the runtime binary via /proc/PID/exe" {
	# A best-effort probe of the published attack, run against a copy of the
	# runtime so a vulnerable one cannot damage the installed binary: while
	# the runtime execs into the container (including a program whose
	# interpreter is /proc/self/exe), a process inside grabs every foreign
	# /proc/PID/exe read-only and keeps trying to reopen it for writing
	# through /proc/self/fd. Afterwards the runtime binary must be unchanged.
	local real sum_before
	real=$(command -v "$BERTH_RUNTIME")
	cp "$real" "$TEST_DIR/rt-copy"
	sum_before=$(sha256sum <"$TEST_DIR/rt-copy")
	BERTH_RUNTIME=$TEST_DIR/rt-copy

	make_bundle "$TEST_DIR/exe" copy
	local root=$TEST_DIR/exe/rootfs
	printf '#!/proc/self/exe\n' >"$root/bin/evil"
	chmod 755 "$root/bin/evil"
	cat >"$root/bin/attack" <<'SH'
#!/bin/sh
# Runs until killed; logs every write that succeeded to /attack.log.
while :; do
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		[ "$exe" = /bin/busybox ] && continue
		(
			exec 5<"$d/exe" || exit 0
			i=0
			while [ $i -lt 100 ]; do
				if (echo pwned >>/proc/self/fd/5) 2>/dev/null; then
					echo "WROTE $exe via $d" >>/attack.log
					exit 0
				fi
				i=$((i + 1))
				usleep 10000
			done
		) 2>/dev/null &
	done
	usleep 1000
done
SH
	chmod 755 "$root/bin/attack"
	BUNDLE=$TEST_DIR/exe
	ct_start /bin/attack
	local i
	for i in $(seq 10); do
		rt exec "$CT_ID" /bin/evil </dev/null >/dev/null 2>&1 || true
		rt exec "$CT_ID" true </dev/null >/dev/null 2>&1 || true
	done
	# Give the grabbers time to try after the runtime processes are gone.
	sleep 2
	rt kill "$CT_ID" KILL
	wait_status "$CT_ID" stopped
	[ "$(sha256sum <"$TEST_DIR/rt-copy")" = "$sum_before" ] || fail "the runtime binary was modified"
	[ ! -s "$root/attack.log" ] || fail "writes succeeded: $(cat "$root/attack.log")"
}
