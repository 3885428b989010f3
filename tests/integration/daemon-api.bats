#!/usr/bin/env bats
# berthd's Engine API, driven with curl and with the real docker CLI: the
# headers and shapes of dockerd's replies (tests/data/api), images in and out
# (load, save, import), tag/rmi/prune, history, events, version handling and
# errors; one daemon per data root; clean shutdown.

load daemon_helpers

BUSYBOX_ID=sha256:32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed

setup() {
	daemon_setup
	start_daemon
}

teardown() {
	daemon_teardown
}

@test "/_ping: dockerd's body and headers, HEAD and versioned" {
	run curl -sS -i --unix-socket "$SOCK" http://berth/_ping
	[ "$status" -eq 0 ]
	local out=${output//$'\r'/}
	[[ "$out" == "HTTP/1.1 200 OK"* ]]
	for h in "Api-Version: 1.44" "Cache-Control: no-cache, no-store, must-revalidate" "Pragma: no-cache" \
		"Docker-Experimental: false" "Ostype: linux" "Builder-Version: 1" "Swarm: inactive" \
		"Content-Type: text/plain; charset=utf-8" "Content-Length: 2"; do
		grep -qix "$h" <<<"$out" || { echo "missing header: $h" >&2; echo "$out" >&2; false; }
	done
	grep -qiE '^Server: berth/[0-9.]+ \(linux\)$' <<<"$out"
	[ "$(tail -n1 <<<"$out")" = OK ]
	run curl -sS -I --unix-socket "$SOCK" http://berth/_ping
	[[ "${output//$'\r'/}" == *"Content-Length: 0"* ]]
	[[ "${output//$'\r'/}" == *"Api-Version: 1.44"* ]]
	[ "$(api GET /v1.44/_ping)" = OK ]
	[ "$(api GET /v1.24/_ping)" = OK ]
}

@test "API versions: moby's 400 texts outside 1.24..1.44, 404 for unknown paths, OPTIONS 200" {
	run api GET /v1.20/version
	[ "$(status_of_last)" = 400 ]
	[ "$(jq -r .message <<<"$output")" = "client version 1.20 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version" ]
	run api GET /v1.45/info
	[ "$(cat "$T/status")" = "400 application/json" ]
	[ "$(jq -r .message <<<"$output")" = "client version 1.45 is too new. Maximum supported API version is 1.44" ]
	run api GET /v1.30/nothing-here
	[ "$(cat "$T/status")" = "404 application/json" ]
	[ "$output" = '{"message":"page not found"}' ]
	run api PUT /version
	[ "$(status_of_last)" = 404 ]
	run api OPTIONS /anything/at/all
	[ "$(status_of_last)" = 200 ]
}

@test "/version and /info have dockerd's shape with berth's values" {
	run api GET /version
	[ "$(cat "$T/status")" = "200 application/json" ]
	local want have
	want=$(jq -c 'keys' "$BERTH_FIXTURES/api/version.json")
	have=$(jq -c 'keys' <<<"$output")
	[ "$want" = "$have" ]
	jq -e '.Platform.Name == "berth" and .ApiVersion == "1.44" and .MinAPIVersion == "1.24"
		and .Components[0].Name == "Engine" and .Components[0].Details.ApiVersion == "1.44"
		and .Os == "linux" and (.KernelVersion | length > 0)' <<<"$output"
	run api GET /v1.41/info
	[ "$(status_of_last)" = 200 ]
	# Every key dockerd's /info has, minus fields moby dropped by API 1.44.
	missing=$(jq -n --argjson f "$(cat "$BERTH_FIXTURES/api/info.json")" --argjson h "$output" \
		'[$f | keys[] | select(. != "KernelMemory" and . != "KernelMemoryTCP")] - ($h | keys)')
	[ "$missing" = "[]" ] || { echo "missing: $missing" >&2; false; }
	jq -e --arg root "$DATA" --arg host "$(hostname)" --argjson ncpu "$(nproc)" \
		'.Driver == "overlay2" and .DockerRootDir == $root and .Name == $host and .NCPU == $ncpu
		and .Images == 0 and .Containers == 0 and .CgroupDriver == "cgroupfs"
		and (.CgroupVersion == "1" or .CgroupVersion == "2") and .MemTotal > 0
		and (.ID | length) == 36 and (.SystemTime | test("^[0-9-]+T[0-9:.]+Z$"))
		and .Swarm.LocalNodeState == "inactive" and .OSType == "linux"' <<<"$output"
}

@test "docker version and docker info talk to berthd" {
	need_docker
	run dk version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}'
	[ "$status" -eq 0 ]
	[ "$output" = "0.1.0 1.44 linux" ]
	run dk info --format '{{.Driver}} {{.DockerRootDir}} {{.Images}}'
	[ "$status" -eq 0 ]
	[ "$output" = "overlay2 $DATA 0" ]
}

@test "docker load, images, inspect and history match dockerd's replies" {
	need_docker
	run dk load -i "$BERTH_FIXTURES/images/busybox-docker-save.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	run dk images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'
	[ "$status" -eq 0 ]
	[ "$output" = "busybox:latest 32ddf5746fc2 1.99MB" ]
	# Inspect: every field as dockerd gave it, except the daemon-specific ones.
	local norm='del(.RepoTags, .RepoDigests, .VirtualSize, .Metadata, .GraphDriver.Data)'
	run dk image inspect busybox
	[ "$status" -eq 0 ]
	diff <(jq -S "$norm" "$BERTH_FIXTURES/api/image-busybox.json") <(jq -S ".[0] | $norm" <<<"$output")
	jq -e '.[0].RepoTags == ["busybox:latest"] and (.[0].GraphDriver.Data.LowerDir | length > 0)
		and (.[0].Metadata.LastTagTime | test("^[0-9-]+T"))' <<<"$output"
	# The list reply too, at the fixture's API version.
	run api GET /v1.41/images/json
	jq -e --argjson f "$(jq '.[3]' "$BERTH_FIXTURES/api/images.json")" \
		'length == 1 and (.[0] | keys) == ($f | keys) and .[0].Id == $f.Id and .[0].Size == $f.Size
		and .[0].Created == $f.Created and .[0].VirtualSize == $f.Size' <<<"$output"
	run api GET /v1.44/images/json
	jq -e '.[0] | has("VirtualSize") | not' <<<"$output"
	# History.
	run api GET /images/busybox/history
	diff <(jq -S 'map(del(.Tags))' "$BERTH_FIXTURES/api/image-busybox-history.json") \
		<(jq -S 'map(del(.Tags))' <<<"$output")
	run dk history --no-trunc --format '{{.ID}} {{.Comment}}' busybox
	[ "$output" = "$BUSYBOX_ID Imported from -" ]
}

@test "image names with slashes and colons route to the image (greedy names)" {
	load_busybox
	api POST '/v1.44/images/busybox/tag?repo=localhost:5000/a/b&tag=v1' >/dev/null
	[ "$(status_of_last)" = 201 ]
	run api GET /v1.44/images/localhost:5000/a/b:v1/json
	[ "$(status_of_last)" = 200 ]
	[ "$(jq -r .Id <<<"$output")" = "$BUSYBOX_ID" ]
	run api GET /images/docker.io/library/busybox:latest/json
	[ "$(jq -r .Id <<<"$output")" = "$BUSYBOX_ID" ]
	run api GET /images/nope/json
	[ "$(cat "$T/status")" = "404 application/json" ]
	[ "$(jq -r .message <<<"$output")" = "No such image: nope" ]
}

@test "docker tag and rmi: untag first, then delete" {
	need_docker
	load_busybox
	dk tag busybox me/bb:v1
	run dk images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *"me/bb:v1"* ]]
	[[ "$output" == *"busybox:latest"* ]]
	run dk rmi me/bb:v1
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: me/bb:v1" ]
	run dk rmi busybox
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Untagged: busybox:latest" ]
	[ "${lines[1]}" = "Deleted: $BUSYBOX_ID" ]
	[ -z "$(dk images -q)" ]
	run dk rmi busybox
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such image: busybox"* ]]
}

@test "docker image prune removes dangling images only" {
	need_docker
	load_busybox
	mkdir -p "$T/root/etc" && echo hi >"$T/root/etc/hello"
	tar -cf "$T/root.tar" -C "$T/root" .
	local id
	id=$(dk import "$T/root.tar")
	[[ "$id" == sha256:* ]]
	run dk images -q --no-trunc --filter dangling=true
	[ "$output" = "$id" ]
	run dk image prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"deleted: $id"* ]]
	run dk images --format '{{.Repository}}'
	[ "$output" = busybox ]
}

@test "docker save writes an archive that loads again" {
	need_docker
	load_busybox
	dk save -o "$T/saved.tar" busybox
	tar -tf "$T/saved.tar" | grep -qx manifest.json
	dk rmi busybox >/dev/null
	run dk load -i "$T/saved.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	[ "$(dk images -q --no-trunc)" = "$BUSYBOX_ID" ]
	# /images/get with two names and the per-image route both stream a tar.
	curl -sS --unix-socket "$SOCK" -o "$T/two.tar" -D "$T/hdr" 'http://berth/images/get?names=busybox&names=busybox:latest'
	grep -qi '^Content-Type: application/x-tar' "$T/hdr"
	tar -tf "$T/two.tar" | grep -qx manifest.json
	run api GET /images/nope/get
	[ "$(status_of_last)" = 404 ]
}

@test "docker import with changes and a message" {
	need_docker
	mkdir -p "$T/root/bin" && echo hi >"$T/root/bin/hello"
	tar -cf "$T/root.tar" -C "$T/root" .
	run dk import -c 'CMD ["sh"]' -c 'ENV A=1 B="two words"' -c 'EXPOSE 80/udp' -m 'made here' "$T/root.tar" imp:1
	[ "$status" -eq 0 ]
	[[ "$output" == sha256:* ]]
	run dk image inspect imp:1
	jq -e '.[0] | .Config.Cmd == ["sh"] and (.Config.Env | index("B=two words")) != null
		and .Config.ExposedPorts == {"80/udp": {}} and .Comment == "made here"
		and .RepoTags == ["imp:1"] and (.RootFS.Layers | length) == 1' <<<"$output"
	run dk import -c 'RUN make' "$T/root.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"RUN is not a valid change command"* ]]
	run api POST '/images/create?fromImage=busybox&tag=latest'
	[ "$(status_of_last)" = 501 ]
	[[ "$(jq -r .message <<<"$output")" == *"pull is not supported"* ]]
}

@test "events: replay with since/until, filters, docker events" {
	load_busybox
	api POST /images/load --data-binary @"$BERTH_FIXTURES/images/whiteouts-docker-save.tar" >/dev/null
	local since until
	sleep 1 # the load events stay out of the window
	since=$(date +%s)
	api POST '/images/busybox/tag?repo=ev/one&tag=x' >/dev/null
	api DELETE /images/ev/one:x >/dev/null
	# A six-layer image: its layers are "Deleted" in the reply but only the
	# image gets an event.
	run api DELETE /images/fixture/whiteouts:1
	[ "$(jq '[.[] | select(.Deleted)] | length' <<<"$output")" -gt 1 ]
	until=$(($(date +%s) + 1))
	run timeout 10 curl -sS --unix-socket "$SOCK" "http://berth/events?since=$since&until=$until"
	[ "$status" -eq 0 ]
	jq -se --arg id "$BUSYBOX_ID" 'map(.Action) == ["tag", "untag", "untag", "delete"]
		and .[0].Type == "image" and .[0].Actor.ID == $id and .[0].Actor.Attributes.name == "ev/one:x"
		and .[0].status == "tag" and .[0].id == $id and .[0].scope == "local"
		and (.[0].timeNano / 1000000000 | floor) == .[0].time' <<<"$output"
	run timeout 10 curl -sS --unix-socket "$SOCK" -G "http://berth/events" --data-urlencode "since=$since" \
		--data-urlencode "until=$until" --data-urlencode 'filters={"event":["untag"]}'
	[ "$(jq -s 'map(.Action)' <<<"$output" | jq -c .)" = '["untag","untag"]' ]
	if command -v docker >/dev/null; then
		run dk events --since "$since" --until "$until" --filter event=tag --format '{{.Action}} {{.Actor.Attributes.name}}'
		[ "$status" -eq 0 ]
		[ "$output" = "tag ev/one:x" ]
	fi
}

@test "events: a live stream gets new events at once and ends at until" {
	load_busybox
	local until=$(($(date +%s) + 3))
	curl -sS -N --unix-socket "$SOCK" "http://berth/events?until=$until" >"$T/live" &
	local cpid=$!
	sleep 0.5
	api POST '/images/busybox/tag?repo=live&tag=1' >/dev/null
	for _ in $(seq 40); do grep -q '"live:1"' "$T/live" && break; sleep 0.05; done
	grep -q '"live:1"' "$T/live"
	# The stream ends by itself once until has passed.
	for _ in $(seq 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$cpid" 2>/dev/null
	wait "$cpid"
}

@test "bad requests get a 400 with a message" {
	run api GET '/images/json?filters=%7Bnot-json'
	[ "$(cat "$T/status")" = "400 application/json" ]
	jq -e '.message | length > 0' <<<"$output"
	run api GET '/images/json?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D'
	[ "$(jq -r .message <<<"$output")" = "invalid filter 'colour'" ]
	run api GET '/events?since=yesterday&until=1'
	[ "$(status_of_last)" = 400 ]
	head -c 3000 "$BERTH_FIXTURES/images/busybox-docker-save.tar" >"$T/trunc.tar"
	run api POST /images/load --data-binary @"$T/trunc.tar"
	[ "$(cat "$T/status")" = "400 application/json" ]
	jq -e '.message | length > 0' <<<"$output"
	run api POST '/images/busybox/tag?repo=Bad_Name'
	[ "$(status_of_last)" = 400 ]
	[ -z "$(api GET /images/json | jq '.[]')" ]
}

@test "both filter encodings and the legacy untagged shape" {
	load_busybox
	local id
	mkdir -p "$T/root" && echo x >"$T/root/x" && tar -cf "$T/root.tar" -C "$T/root" .
	api POST '/images/create?fromSrc=-' --data-binary @"$T/root.tar" >/dev/null
	run api GET '/images/json' -G --data-urlencode 'filters={"dangling":{"true":true}}'
	[ "$(jq length <<<"$output")" = 1 ]
	[ "$(jq -c '.[0].RepoTags' <<<"$output")" = "[]" ]
	run api GET '/images/json' -G --data-urlencode 'filters={"dangling":["false"]}'
	[ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = "busybox:latest" ]
	run api GET '/images/json' -G --data-urlencode 'filters={"reference":["busy*:lat*"]}'
	[ "$(jq length <<<"$output")" = 1 ]
	run api GET '/images/json' -G --data-urlencode 'filters={"reference":{"alp*":true}}'
	[ "$(jq length <<<"$output")" = 0 ]
	run api GET '/v1.42/images/json' -G --data-urlencode 'filters={"dangling":["true"]}'
	[ "$(jq -c '.[0].RepoTags' <<<"$output")" = '["<none>:<none>"]' ]
	run api GET /system/df
	jq -e '.LayersSize > 0 and (.Images | length) == 2 and .Containers == [] and .Volumes == [] and .BuildCache == []' <<<"$output"
}

@test "one daemon per data root; SIGTERM shuts down cleanly" {
	run timeout 10 "$BERTHD" --data-root "$DATA" --exec-root "$T/run2" -H "unix://$T/run2/b.sock"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pid $DPID"* ]]
	[ ! -e "$T/run2/b.sock" ]
	[ -S "$SOCK" ]
	[ -f "$T/run/berthd.pid" ]
	[ "$(stat -c %a "$DATA")" = 700 ]
	local pid=$DPID
	kill -TERM "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$pid" 2>/dev/null
	wait "$pid"
	DPID=
	[ ! -e "$SOCK" ]
	[ ! -e "$T/run/berthd.pid" ]
	grep -q 'level=info msg="berthd stopped"' "$T/berthd.log"
	# And it starts again on the same root.
	start_daemon
}

@test "berthd flags: --help, --version, bad host, config file conflicts" {
	run "$BERTHD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--data-root"* ]]
	run "$BERTHD" --version
	[[ "$output" == "berthd version "* ]]
	run "$BERTHD" -H tcp://0.0.0.0:2375
	[ "$status" -eq 1 ]
	[[ "$output" == *"only unix:// sockets are supported"* ]]
	echo '{"data-root": "/x", "colour": 1}' >"$T/daemon.json"
	run "$BERTHD" --config-file "$T/daemon.json" --data-root /y
	[ "$status" -eq 1 ]
	[[ "$output" == *"don't match any configuration option: colour"* ]]
	echo '{"data-root": "/x"}' >"$T/daemon.json"
	run "$BERTHD" --config-file "$T/daemon.json" --data-root /y
	[[ "$output" == *"specified both as a flag and in the configuration file: data-root"* ]]
}
