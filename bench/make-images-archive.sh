#!/usr/bin/env bash
# Write a `docker save`-format archive holding N images that share the
# busybox layer and differ only by a label (so their IDs differ): the input
# for store benchmarks. Usage: make-images-archive.sh N OUT.tar
set -euo pipefail
n=${1:?usage: make-images-archive.sh N OUT.tar}
out=${2:?usage: make-images-archive.sh N OUT.tar}
src=$(cd "$(dirname "$0")/.." && pwd)/tests/data/images/busybox-docker-save.tar
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in" "$tmp/out" "$tmp/out/layer"
tar -xf "$src" -C "$tmp/in"
cfg=$(jq -r '.[0].Config' "$tmp/in/manifest.json")
layer=$(jq -r '.[0].Layers[0]' "$tmp/in/manifest.json")
cp "$tmp/in/$layer" "$tmp/out/layer/layer.tar"
entries=()
for ((i = 0; i < n; i++)); do
	jq -c --arg i "$i" '.config.Labels = {"bench.index": $i}' "$tmp/in/$cfg" >"$tmp/cfg.json"
	hex=$(sha256sum "$tmp/cfg.json" | cut -d' ' -f1)
	mv "$tmp/cfg.json" "$tmp/out/$hex.json"
	entries+=("{\"Config\":\"$hex.json\",\"RepoTags\":[\"bench/img:$i\"],\"Layers\":[\"layer/layer.tar\"]}")
done
(IFS=,; echo "[${entries[*]}]") >"$tmp/out/manifest.json"
tar -cf "$out" -C "$tmp/out" .
