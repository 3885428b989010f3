#!/bin/sh
# Install the Debian 12 packages berth needs to build, test and benchmark
# (design.md §6). Only missing packages are installed; apt-get update runs
# first when anything is missing. Needs root (or sudo) when it installs.
set -eu

PKGS="build-essential cmake ninja-build pkg-config
libjansson-dev libseccomp-dev libcap-dev libcmocka-dev
libuv1-dev node-llhttp libsqlite3-dev libarchive-dev libssl-dev zlib1g-dev libzstd-dev
bats busybox-static iproute2 procps util-linux jq hyperfine
crun runc"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
