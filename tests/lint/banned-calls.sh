#!/bin/sh
# Fails when berth's own sources call a function style.md bans: unbounded
# copies and formats, and non-reentrant tokenizing. Tests may use them.
set -eu
src=${1:?usage: banned-calls.sh SOURCE-DIR}
pattern='(^|[^_a-z0-9])(strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|stpcpy)[[:space:]]*\('
if grep -rnE "$pattern" "$src/src" "$src/cmd" --include='*.c' --include='*.h'; then
	echo "banned-calls: use str_copy/snprintf/strtok_r instead (docs: style.md §4)" >&2
	exit 1
fi
echo "banned-calls: none"
