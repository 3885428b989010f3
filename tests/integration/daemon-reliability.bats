#!/usr/bin/env bats
# berthd's store under crashes and bad input: a kill -9 in the middle of a
# large load leaves a store that opens, with the image wholly there or
# absent and no orphan blob or snapshot; bad archives are refused with a
# message and change nothing.

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x "${BERTHD:-}" ] || skip "berthd not built"
	[ -x "${BERTH:-}" ] || skip "berth not built"
	command -v jq >/dev/null || skip "jq missing"
	T=$(mktemp -d /tmp/berth-rel.XXXXXX)
	SOCK=$T/run/berth.sock
	DATA=$T/data
	DPID=
}

teardown() {
	stop_daemon KILL
	rm -rf "$T"
}

start_daemon() {
	"$BERTHD" --data-root "$DATA" --exec-root "$T/run" -H "unix://$SOCK" >>"$T/berthd.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		b version >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "berthd did not start:" >&2
	cat "$T/berthd.log" >&2
	return 1
}

stop_daemon() { # [SIGNAL]
	[ -n "$DPID" ] || return 0
	kill -"${1:-TERM}" "$DPID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}

b() {
	timeout -k 5 60 "$BERTH" -H "unix://$SOCK" "$@"
}

# make_archive DIR SIZE_MB TAG: a docker-save archive of a one-layer image
# whose layer holds SIZE_MB of random data; prints the image ID.
make_archive() {
	local d=$1 mb=$2 tag=$3
	mkdir -p "$d/rootfs" "$d/out/layer"
	head -c "$((mb * 1000000))" /dev/urandom >"$d/rootfs/blob"
	tar -cf "$d/out/layer/layer.tar" -C "$d/rootfs" .
	local diff
	diff=sha256:$(sha256sum "$d/out/layer/layer.tar" | cut -d' ' -f1)
	jq -cn --arg d "$diff" '{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]},
		created: "2024-01-01T00:00:00Z", rootfs: {type: "layers", diff_ids: [$d]},
		history: [{created: "2024-01-01T00:00:00Z", created_by: "test"}]}' >"$d/cfg.json"
	local id
	id=$(sha256sum "$d/cfg.json" | cut -d' ' -f1)
	mv "$d/cfg.json" "$d/out/$id.json"
	jq -cn --arg c "$id.json" --arg t "$tag" '[{Config: $c, RepoTags: [$t], Layers: ["layer/layer.tar"]}]' \
		>"$d/out/manifest.json"
	tar -cf "$d/archive.tar" -C "$d/out" manifest.json "$id.json" layer
	echo "sha256:$id"
}

# Files under the store's blob and snapshot folders, sorted.
store_files() {
	{
		find "$DATA/content/blobs" -type f 2>/dev/null
		find "$DATA/snapshots" -mindepth 1 -maxdepth 1 2>/dev/null
	} | sort
}

@test "kill -9 of berthd during a large load: the store opens, all or nothing, no orphans" {
	local id
	id=$(make_archive "$T/img" 150 rel/big:1)
	for delay in 0.2 0.5 1.0; do
		start_daemon
		b load -q -i "$T/img/archive.tar" >/dev/null 2>&1 &
		local client=$!
		sleep "$delay"
		stop_daemon KILL
		wait "$client" 2>/dev/null || true
		start_daemon
		run b images -q --no-trunc
		[ "$status" -eq 0 ]
		if [ -n "$output" ]; then
			# Wholly there: the right image, its blob and snapshot.
			[ "$output" = "$id" ]
			run b image inspect --format '{{json .RootFS.Layers}}' rel/big:1
			[ "$status" -eq 0 ]
			[ -n "$(store_files)" ]
			b rmi rel/big:1 >/dev/null
		fi
		# Absent (or just removed): nothing of it may remain on disk.
		[ -z "$(b images -q)" ]
		run store_files
		[ -z "$output" ] || { echo "orphans after delay $delay: $output" >&2; false; }
		[ -z "$(find "$DATA/content/ingest" -mindepth 1 2>/dev/null)" ]
		stop_daemon
	done
}

@test "a truncated archive is refused with a message and changes nothing" {
	make_archive "$T/img" 2 rel/trunc:1 >/dev/null
	head -c 1000000 "$T/img/archive.tar" >"$T/trunc.tar"
	start_daemon
	run b load -i "$T/trunc.tar"
	[ "$status" -ne 0 ]
	[ -n "$output" ]
	[ -z "$(b images -q)" ]
	[ -z "$(store_files)" ]
}

@test "a layer whose digest does not match the config is refused" {
	make_archive "$T/img" 1 rel/bad:1 >/dev/null
	# Change one byte of the layer: its DiffID no longer matches.
	printf 'X' | dd of="$T/img/out/layer/layer.tar" bs=1 seek=600 conv=notrunc 2>/dev/null
	tar -cf "$T/bad.tar" -C "$T/img/out" .
	start_daemon
	run b load -i "$T/bad.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *sha256* ]] || [[ "$output" == *digest* ]] || [[ "$output" == *DiffID* ]] || [[ "$output" == *diff* ]]
	[ -z "$(b images -q)" ]
	[ -z "$(store_files)" ]
}

@test "a layer that escapes its root is refused and writes nothing outside" {
	local d=$T/esc
	mkdir -p "$d/out/layer" "$d/src"
	echo pwned >"$d/src/x"
	# A tar entry named ../../escaped-by-berth-test.
	tar -cf "$d/out/layer/layer.tar" -C "$d/src" --transform 's,^x$,../../escaped-by-berth-test,' x
	local diff
	diff=sha256:$(sha256sum "$d/out/layer/layer.tar" | cut -d' ' -f1)
	jq -cn --arg d "$diff" '{architecture: "amd64", os: "linux", config: {},
		rootfs: {type: "layers", diff_ids: [$d]}, history: [{created_by: "t"}]}' >"$d/cfg.json"
	local id
	id=$(sha256sum "$d/cfg.json" | cut -d' ' -f1)
	mv "$d/cfg.json" "$d/out/$id.json"
	jq -cn --arg c "$id.json" '[{Config: $c, RepoTags: ["rel/esc:1"], Layers: ["layer/layer.tar"]}]' \
		>"$d/out/manifest.json"
	tar -cf "$d/esc.tar" -C "$d/out" .
	start_daemon
	run b load -i "$d/esc.tar"
	[ "$status" -ne 0 ]
	[ -z "$(b images -q)" ]
	[ -z "$(store_files)" ]
	[ ! -e "$DATA/escaped-by-berth-test" ]
	[ ! -e "$DATA/snapshots/escaped-by-berth-test" ]
	[ -z "$(find "$T" -name escaped-by-berth-test 2>/dev/null | head -1)" ]
	[ ! -e /escaped-by-berth-test ]
}

@test "malformed JSON bodies and filters get a 400 with a message" {
	start_daemon
	run curl -s -o "$T/body" -w '%{http_code} %{content_type}' --unix-socket "$SOCK" \
		"http://berth/v1.44/images/json?filters=%7Bnot-json"
	[ "$output" = "400 application/json" ]
	jq -e '.message | length > 0' "$T/body"
}
