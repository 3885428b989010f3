#!/usr/bin/env bats
# The same bundles under crun (the reference C runtime) and under the runtime
# being tested: what the container observes must match. Needs crun; see
# crun_rt in helpers.bash for how it runs on a hybrid cgroup host.

load helpers

setup() {
	command -v crun >/dev/null || skip "crun is not installed"
	berth_setup
	[ "$(runtime_name)" != crun ] || skip "the runtime under test is crun itself"
	CRUN_IDS=$TEST_DIR/crun-ids
	: >"$CRUN_IDS"
}

teardown() {
	if [ -n "${CRUN_IDS:-}" ] && [ -f "$CRUN_IDS" ]; then
		local id
		while read -r id; do
			crun_rt delete --force "$id" >/dev/null 2>&1 || true
		done <"$CRUN_IDS"
	fi
	berth_teardown
}

# observe SCRIPT: run `sh -c SCRIPT` in the bundle under both runtimes.
# Sets OURS/OURS_STATUS and CRUN/CRUN_STATUS.
observe() {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sh -c "$1"
	OURS_STATUS=0
	OURS=$(rt run --bundle "$BUNDLE" "$CT_ID" </dev/null 2>&1) || OURS_STATUS=$?
	local cid="crun-$CT_ID"
	echo "$cid" >>"$CRUN_IDS"
	CRUN_STATUS=0
	CRUN=$(crun_rt run --bundle "$BUNDLE" "$cid" </dev/null 2>&1) || CRUN_STATUS=$?
	[ "$CRUN_STATUS" -ne 125 ] || skip "could not move hugetlb off cgroup2 for crun: $CRUN"
}

# same WHAT: fail with a diff unless both runtimes observed the same.
same() {
	if [ "$OURS" != "$CRUN" ] || [ "$OURS_STATUS" != "$CRUN_STATUS" ]; then
		echo "$1 differs: $(runtime_name) exited $OURS_STATUS, crun $CRUN_STATUS" >&2
		diff <(echo "$CRUN") <(echo "$OURS") | sed 's/^/    /' >&2
		return 1
	fi
}

@test "crun and the runtime agree: hostname, ids, capabilities, NoNewPrivs, seccomp" {
	observe 'hostname; id; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status'
	same "identity and privileges"
}

@test "crun and the runtime agree: mount points and file system types" {
	observe 'cat /proc/self/mountinfo'
	# A masked file is /dev/null bound over it: crun binds the host's
	# (devtmpfs), runc the container's (tmpfs). Both hide the file equally.
	local masked='s#^\(/proc/[a-z_]*\) \(dev\)\?tmpfs$#\1 masked#'
	OURS=$(echo "$OURS" | mountinfo_points_types | sed "$masked" | sort)
	CRUN=$(echo "$CRUN" | mountinfo_points_types | sed "$masked" | sort)
	same "mount list"
}

@test "crun and the runtime agree: mount options of the standard mounts" {
	# The per-mount flags the kernel reports (field 6): ro, nosuid, nodev, noexec.
	observe 'for m in / /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /proc/sys; do
		awk -v m=$m "\$5 == m {print m, \$6}" /proc/self/mountinfo | tail -1
	done'
	# Atime flags vary; for /proc/sys (a read-only path) only ro matters:
	# runc keeps nosuid,nodev,noexec on the remount, crun does not.
	local norm='s/,\(rel\|strict\|no\)atime//g; s/ \(rel\|strict\|no\)atime,/ /; s#^/proc/sys \(r[ow]\).*#/proc/sys \1#'
	OURS=$(echo "$OURS" | sed "$norm")
	CRUN=$(echo "$CRUN" | sed "$norm")
	same "mount options"
}

@test "crun and the runtime agree: the /dev listing" {
	# crun also adds a /dev/core -> /proc/kcore link; it is left out.
	observe 'cd /dev && for f in $(ls -A | grep -vx core | sort); do
		if [ -L $f ]; then echo "$f -> $(readlink $f)"
		elif [ -c $f ] || [ -b $f ]; then stat -c "%n %F %t:%T" $f
		else stat -c "%n %F" $f; fi
	done'
	same "/dev"
}

@test "crun and the runtime agree: masked and read-only paths" {
	observe 'for p in /proc/kcore /proc/timer_list /proc/keys /proc/sched_debug /sys/firmware /proc/acpi /proc/scsi; do
		if [ -d $p ]; then echo "$p dir $(ls -A $p | wc -l)"
		elif [ -e $p ]; then echo "$p file $(cat $p 2>/dev/null | wc -c)"
		else echo "$p absent"; fi
	done
	{ echo x > /proc/sys/kernel/hostname; } 2>/dev/null && echo proc-sys-writable || echo proc-sys-ro'
	same "masked paths"
}

@test "crun and the runtime agree: user, groups, cwd, env, rlimits, oom_score_adj" {
	update_config '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}
		| .process.cwd = "/etc" | .process.env += ["FOO=bar"]
		| .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 555, hard: 666}]
		| .process.oomScoreAdj = 100'
	observe 'grep -E "^(Uid|Gid|Groups|CapEff|CapBnd)" /proc/self/status; pwd; env | sort
		ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj'
	same "process settings"
}

@test "crun and the runtime agree: a user namespace" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	observe 'cat /proc/self/uid_map /proc/self/gid_map; id; grep ^Cap /proc/self/status'
	same "user namespace"
}

@test "crun and the runtime agree: exit statuses 0, 1, 42" {
	local code
	for code in 0 1 42; do
		observe "exit $code"
		same "exit $code"
	done
}

@test "crun and the runtime agree: a missing or non-executable program fails" {
	# Only failure is compared: crun 1.8 and runc 1.1 exit 1 for both, while
	# berth exits 127 and 126 like docker run (runtime-basic.bats checks those).
	local prog
	for prog in nosuchprogram /etc/passwd; do
		new_id
		set_cgroup_path "$CT_ID"
		set_args "$prog"
		OURS_STATUS=0
		rt run --bundle "$BUNDLE" "$CT_ID" </dev/null >/dev/null 2>&1 || OURS_STATUS=$?
		echo "crun-$CT_ID" >>"$CRUN_IDS"
		CRUN_STATUS=0
		crun_rt run --bundle "$BUNDLE" "crun-$CT_ID" </dev/null >/dev/null 2>&1 || CRUN_STATUS=$?
		[ "$CRUN_STATUS" -ne 0 ] && [ "$CRUN_STATUS" -ne 125 ]
		[ "$OURS_STATUS" -ne 0 ] || fail "$prog: $(runtime_name) exited 0"
	done
}

@test "crun and the runtime agree: the exit status of a container killed by SIGKILL" {
	new_id
	set_cgroup_path "$CT_ID"
	set_args sleep 30
	rt run --bundle "$BUNDLE" "$CT_ID" </dev/null >/dev/null 2>&1 &
	local ours_pid=$!
	bg_pid "$ours_pid"
	local cid="crun-$CT_ID"
	echo "$cid" >>"$CRUN_IDS"
	crun_rt run --bundle "$BUNDLE" "$cid" </dev/null >/dev/null 2>&1 &
	local crun_pid=$!
	bg_pid "$crun_pid"
	wait_status "$CT_ID" running
	local i
	for i in $(seq 100); do
		[ "$(crun_rt state "$cid" 2>/dev/null | jq -r .status)" = running ] && break
		sleep 0.1
	done
	rt kill "$CT_ID" KILL
	crun_rt kill "$cid" KILL
	local ours=0 crun_st=0
	wait_pid "$ours_pid" || ours=$?
	wait_pid "$crun_pid" || crun_st=$?
	[ "$crun_st" -eq 137 ]
	[ "$ours" -eq "$crun_st" ]
}
