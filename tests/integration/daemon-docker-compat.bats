#!/usr/bin/env bats
# berth and a real Docker engine exchanging images: what `berth save` writes
# loads in dockerd with the same IDs and runs there; what dockerd saves loads
# in berthd with the same IDs. Needs dockerd (Debian's docker.io); skipped
# when it is not installed. Both daemons run on private roots and sockets,
# dockerd without bridge or iptables changes.

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v dockerd >/dev/null || skip "dockerd not installed (apt-get install docker.io)"
	[ -x "${BERTHD:-}" ] && [ -x "${BERTH:-}" ] || skip "berthd/berth not built"
	export T=$(mktemp -d /tmp/berth-dcompat.XXXXXX)
	dockerd --data-root "$T/docker" --exec-root "$T/dockerrun" -H "unix://$T/docker.sock" \
		--pidfile "$T/docker.pid" --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
		--containerd-namespace "berthcompat" --containerd-plugins-namespace "berthcompatp" \
		>"$T/dockerd.log" 2>&1 &
	echo $! >"$T/dockerd.pid"
	"$BERTHD" --data-root "$T/berth" --exec-root "$T/berthrun" -H "unix://$T/berth.sock" >"$T/berthd.log" 2>&1 &
	echo $! >"$T/berthd.pid"
	local i
	for ((i = 0; i < 120; i++)); do
		docker -H "unix://$T/docker.sock" version >/dev/null 2>&1 && break
		sleep 0.5
	done
	docker -H "unix://$T/docker.sock" version >/dev/null 2>&1 || {
		cat "$T/dockerd.log" >&3
		return 1
	}
	for ((i = 0; i < 100; i++)); do
		"$BERTH" -H "unix://$T/berth.sock" version >/dev/null 2>&1 && break
		sleep 0.05
	done
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	local p
	for p in berthd dockerd; do
		[ -f "$T/$p.pid" ] && kill "$(cat "$T/$p.pid")" 2>/dev/null
	done
	for p in berthd dockerd; do
		[ -f "$T/$p.pid" ] || continue
		for _ in $(seq 100); do
			kill -0 "$(cat "$T/$p.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$T/$p.pid")" 2>/dev/null || true
	done
	# dockerd leaves mounts under its roots when killed hard.
	grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}

dk() { timeout -k 5 120 docker -H "unix://$T/docker.sock" "$@"; }
bt() { timeout -k 5 120 "$BERTH" -H "unix://$T/berth.sock" "$@"; }

@test "berth save loads in dockerd with the same image ID and tags" {
	bt load -i "$BERTH_FIXTURES/images/whiteouts-docker-save.tar"
	local id
	id=$(bt image inspect --format '{{.Id}}' fixture/whiteouts:1)
	bt save -o "$T/w.tar" fixture/whiteouts:1
	run dk load -i "$T/w.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: fixture/whiteouts:1"* ]]
	[ "$(dk image inspect --format '{{.Id}}' fixture/whiteouts:1)" = "$id" ]
	[ "$(dk image inspect --format '{{json .RootFS.Layers}}' fixture/whiteouts:1)" = \
		"$(bt image inspect --format '{{json .RootFS.Layers}}' fixture/whiteouts:1)" ]
}

@test "an image imported into berth runs in dockerd after save/load" {
	mkdir -p "$T/rootfs/bin"
	cp /bin/busybox "$T/rootfs/bin/busybox"
	ln -s busybox "$T/rootfs/bin/sh"
	ln -s busybox "$T/rootfs/bin/cat"
	echo "made by berth" >"$T/rootfs/hello.txt"
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
	bt import -c 'CMD ["cat", "/hello.txt"]' "$T/rootfs.tar" compat/imported:1
	bt save -o "$T/imp.tar" compat/imported:1
	dk load -i "$T/imp.tar"
	[ "$(dk image inspect --format '{{.Id}}' compat/imported:1)" = \
		"$(bt image inspect --format '{{.Id}}' compat/imported:1)" ]
	run dk run --rm --network none compat/imported:1
	[ "$status" -eq 0 ]
	[ "$output" = "made by berth" ]
}

@test "what dockerd saves loads in berthd with the same ID" {
	dk load -i "$BERTH_FIXTURES/images/special-files-docker-save.tar"
	dk save -o "$T/sf.tar" fixture/special-files:1
	run bt load -i "$T/sf.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: fixture/special-files:1"* ]]
	[ "$(bt image inspect --format '{{.Id}}' fixture/special-files:1)" = \
		"$(dk image inspect --format '{{.Id}}' fixture/special-files:1)" ]
}
