#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - build the Porcupine side of bench-linear and run it; with a build dir, run
# bench-linear right after with the figure just measured, so the ratio is of one run.
# usage: bench/porcupine/run.sh [BUILD_DIR]
# Needs Go (Debian: golang-go) and the Go module proxy for github.com/anishathalye/porcupine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${REFERENCE_DIR:-$root/../shared/reference-histories}
work=$(mktemp -d /tmp/fl-porcupine-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# Built in a scratch copy: go.sum is written there, never into the source tree.
cp "$here/go.mod" "$here/main.go" "$work/"
if (cd "$work" && go mod tidy && go build -o porcupine-etcd .); then
	"$work/porcupine-etcd" -dir "$data/porcupine" | tee "$work/out.txt"
	ms=$(sed -n 's/^porcupine-etcd-check-ms //p' "$work/out.txt")
else
	echo "run.sh: could not build the Porcupine side (Go or the module missing);" \
	     "bench-linear compares with the recorded figure" >&2
	ms=
fi
if [ $# -ge 1 ]; then
	exec "$1/bench/bench-linear" ${ms:+--porcupine-ms "$ms"} "$data"
fi
[ -n "$ms" ]
