#!/usr/bin/env bats
# cgroup v1 resource limits (this host's controllers live under
# /sys/fs/cgroup/<controller>): each is read back from the host while the
# container runs, and enforced where a shell can observe it.

load helpers

setup() {
	berth_setup
	[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/cpu ] ||
		skip "needs cgroup v1 memory, pids and cpu hierarchies"
}

teardown() {
	berth_teardown
}

@test "the container's processes are in cgroupsPath in every hierarchy" {
	ct_start sleep 30
	local pid ctrl
	pid=$(ct_pid "$CT_ID")
	for ctrl in memory pids cpu devices freezer; do
		[ -d "$(cgroup_dir "$ctrl" "$CT_ID")" ] || fail "no $ctrl cgroup"
		grep -qx "$pid" "$(cgroup_dir "$ctrl" "$CT_ID")/cgroup.procs" ||
			fail "$pid not in the $ctrl cgroup"
	done
	grep -q ":memory:/$CGROUP_PARENT/$CT_ID\$" "/proc/$pid/cgroup"
	grep -q ":pids:/$CGROUP_PARENT/$CT_ID\$" "/proc/$pid/cgroup"
}

@test "an exec'd process joins the container's cgroups" {
	ct_start sleep 30
	run rt exec "$CT_ID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:/$CGROUP_PARENT/$CT_ID"* ]]
	[[ "$output" == *":pids:/$CGROUP_PARENT/$CT_ID"* ]]
}

@test "memory limit and swap limit are written" {
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	ct_start sleep 30
	local d
	d=$(cgroup_dir memory "$CT_ID")
	[ "$(cat "$d/memory.limit_in_bytes")" = 33554432 ]
	if [ -f "$d/memory.memsw.limit_in_bytes" ]; then
		[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 33554432 ]
	fi
}

@test "a process allocating past the memory limit is OOM-killed" {
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	# The subshell stores 200 MB in a variable: it, not the init, is the
	# biggest process and gets killed; the init reports and stays up.
	ct_start sh -c '(x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived) ; echo "child $?"; sleep 30'
	local d i
	d=$(cgroup_dir memory "$CT_ID")
	for i in $(seq 300); do
		grep -q '^child' "$TEST_DIR/$CT_ID.out" && break
		sleep 0.1
	done
	# (sh may also print "Killed".)
	grep -qx 'child 137' "$TEST_DIR/$CT_ID.out" || fail "$(cat "$TEST_DIR/$CT_ID.out")"
	grep -Eq '^oom_kill [1-9]' "$d/memory.oom_control"
}

@test "run exits 137 when the container's init is OOM-killed" {
	update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	ct_run sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
}

@test "pids limit is written and bounds a fork loop" {
	update_config '.linux.resources.pids = {limit: 20}'
	ct_start sh -c 'sleep 30'
	[ "$(cat "$(cgroup_dir pids "$CT_ID")/pids.max")" = 20 ]
	rt delete --force "$CT_ID"

	ct_run sh -c 'for i in $(seq 50); do sleep 10 & done; echo all-forked'
	[ "$status" -ne 0 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *all-forked* ]]
}

@test "cpu quota, period and shares are written" {
	update_config '.linux.resources.cpu = {quota: 50000, period: 100000, shares: 512}'
	ct_start sleep 30
	local d
	d=$(cgroup_dir cpu "$CT_ID")
	[ "$(cat "$d/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$d/cpu.cfs_period_us")" = 100000 ]
	[ "$(cat "$d/cpu.shares")" = 512 ]
}

@test "a cpu quota throttles a busy loop" {
	update_config '.linux.resources.cpu = {quota: 20000, period: 100000}'
	ct_start sh -c 'while :; do :; done'
	local d
	d=$(cgroup_dir cpu "$CT_ID")
	sleep 1
	grep -Eq '^nr_throttled [1-9]' "$d/cpu.stat"
}

@test "cpuset cpus and mems are written and seen by the process" {
	update_config '.linux.resources.cpu = {cpus: "0", mems: "0"}'
	ct_start sh -c 'grep ^Cpus_allowed_list /proc/self/status; sleep 30'
	[ "$(cat "$(cgroup_dir cpuset "$CT_ID")/cpuset.cpus")" = 0 ]
	[ "$(cat "$(cgroup_dir cpuset "$CT_ID")/cpuset.mems")" = 0 ]
	wait_file "$TEST_DIR/$CT_ID.out"
	for _ in $(seq 50); do
		[ -s "$TEST_DIR/$CT_ID.out" ] && break
		sleep 0.1
	done
	grep -Eq '^Cpus_allowed_list:[[:space:]]+0$' "$TEST_DIR/$CT_ID.out"
}

@test "the device allow list is written to devices.list" {
	ct_start sleep 30
	run cat "$(cgroup_dir devices "$CT_ID")/devices.list"
	[[ "$output" == *"c 1:3 rwm"* ]]
	[[ "$output" == *"c 136:* rwm"* ]]
	[[ "$output" != *"a *:* rwm"* ]]
}

@test "delete removes the cgroup of a stopped container" {
	ct_detach true
	wait_status "$CT_ID" stopped
	rt delete "$CT_ID"
	[ -z "$(cgroup_dirs_of "$CT_ID")" ]
}
