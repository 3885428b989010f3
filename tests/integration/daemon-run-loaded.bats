#!/usr/bin/env bats
# Images loaded into berthd run identically: the store's unpacked layers
# (GraphDriver.Data.LowerDir, overlayfs whiteouts included), stacked with
# overlayfs and run with berth-runtime, show exactly what Docker showed when
# it ran the same images (the fixtures' *-final-tree.txt files are docker
# run's output). A docker-save archive and an OCI layout of the same image
# give the same root filesystem. (berthd's own `run` comes with containers;
# this checks the images themselves.)

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "${BERTHD:-}" ] && [ -x "${BERTH:-}" ] && [ -x "${BERTH_RUNTIME:-}" ] || skip "binaries not built"
	command -v jq >/dev/null || skip "jq missing"
	export T=$(mktemp -d /tmp/berth-runloaded.XXXXXX)
	"$BERTHD" --data-root "$T/data" --exec-root "$T/run" -H "unix://$T/berth.sock" >"$T/berthd.log" 2>&1 &
	echo $! >"$T/berthd.pid"
	for _ in $(seq 100); do
		"$BERTH" -H "unix://$T/berth.sock" version >/dev/null 2>&1 && break
		sleep 0.05
	done
	local f
	for f in whiteouts-docker-save.tar special-files-docker-save.tar busybox-docker-save.tar busybox-oci-layout.tar; do
		"$BERTH" -H "unix://$T/berth.sock" load -q -i "$BERTH_FIXTURES/images/$f" >/dev/null
	done
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	[ -f "$T/berthd.pid" ] && kill "$(cat "$T/berthd.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$T"
}

teardown() {
	if [ -n "${MERGED:-}" ]; then umount "$MERGED" 2>/dev/null || true; fi
	# `run` deletes its container; this only catches one a failure left.
	if [ -n "${CID:-}" ]; then "$BERTH_RUNTIME" --root "$T/rt" delete --force "$CID" >/dev/null 2>&1 || true; fi
	MERGED=
	CID=
	return 0
}

# run_image IMAGE CMD...: stack IMAGE's layers, run CMD in it, output in $output.
run_image() {
	local image=$1
	shift
	local lower env dir
	dir=$(mktemp -d "$T/c.XXXXXX")
	lower=$("$BERTH" -H "unix://$T/berth.sock" image inspect --format '{{.GraphDriver.Data.LowerDir}}' "$image")
	env=$("$BERTH" -H "unix://$T/berth.sock" image inspect --format '{{json .Config.Env}}' "$image")
	mkdir -p "$dir/upper" "$dir/work" "$dir/merged" "$dir/bundle"
	MERGED=$dir/merged
	mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$MERGED"
	(cd "$dir/bundle" && "$BERTH_RUNTIME" spec)
	jq --arg root "$MERGED" --argjson env "$env" --argjson args "$(jq -cn '$ARGS.positional' --args -- "$@")" \
		'.root = {path: $root, readonly: false} | .process.terminal = false
		 | .process.env = ($env // ["PATH=/bin"]) | .process.args = $args' \
		"$dir/bundle/config.json" >"$dir/bundle/c.json"
	mv "$dir/bundle/c.json" "$dir/bundle/config.json"
	CID=runloaded-$BATS_TEST_NUMBER-$$
	run timeout 60 "$BERTH_RUNTIME" --root "$T/rt" run --bundle "$dir/bundle" "$CID"
}

@test "the whiteouts image shows what docker run showed (whiteouts, opaque dirs)" {
	run_image fixture/whiteouts:1 sh -c 'find /data /www /var | sort'
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$BERTH_FIXTURES/images/whiteouts-final-tree.txt"
}

@test "the special-files image shows docker's modes, owners, sizes and links" {
	run_image fixture/special-files:1 sh -c \
		'find /special | sort | while read -r f; do stat -c "%A %u:%g %s %N" "$f"; done'
	[ "$status" -eq 0 ]
	diff <(echo "$output") "$BERTH_FIXTURES/images/special-files-final-tree.txt"
}

@test "a docker-save archive and an OCI layout of busybox give the same filesystem" {
	local oci
	oci=$("$BERTH" -H "unix://$T/berth.sock" images --format '{{.Repository}}:{{.Tag}}' | grep -v -e busybox -e fixture | head -1)
	[ -n "$oci" ]
	run_image busybox:latest sh -c 'find / -xdev | sort | md5sum; cat /etc/passwd'
	[ "$status" -eq 0 ]
	local a=$output
	teardown
	run_image "$oci" sh -c 'find / -xdev | sort | md5sum; cat /etc/passwd'
	[ "$status" -eq 0 ]
	[ "$output" = "$a" ]
}
