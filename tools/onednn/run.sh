#!/bin/sh
# Builds tools/onednn/bench.c with the system gcc against Debian's oneDNN (apt-get install libdnnl-dev) and sq's
# kernels (src/main/c), then runs the prefill shape (256 x 5632 x 2048) and the decode one (1 x 5632 x 2048) on
# $THREADS threads (default 2; CPU_TIME=1 THREADS=1 for rates per CPU second on a busy host, see bench.c). Not part of the Maven build: oneDNN is not a dependency of sq (docs/PERFORMANCE.md).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
C="$HERE/../../src/main/c"
BIN="${TMPDIR:-/tmp}/sq-onednn-bench"
gcc -O3 -fopenmp -Wall -Wno-psabi -o "$BIN" "$HERE/bench.c" "$C/sq_vnni.c" "$C/sq_avx512.c" "$C/sq_avxvnni.c" -ldnnl
export OMP_NUM_THREADS="${THREADS:-2}" OMP_PROC_BIND="${OMP_PROC_BIND:-close}"
uptime
"$BIN" 256 5632 2048 "${SECONDS_PER:-3}"
"$BIN" 1 5632 2048 "${SECONDS_PER:-3}"
