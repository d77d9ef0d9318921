#!/bin/sh
# Compiles the native int8 kernels (sq_vnni.c, which calls sq_avx512.c or sq_avxvnni.c) into $1/sq/kernels/native/linux-x86-64/libsqvnni.so, which the jar
# carries as a resource (sq.kernels.NativeLibrary extracts and loads it). Run by the Maven build (generate-resources).
# Without gcc, or off x86-64 Linux, it says so and succeeds: the jar then has the pure-Java kernels only.
set -eu
DIR="$(cd "$(dirname "$0")" && pwd)"
SRC="$DIR/sq_vnni.c $DIR/sq_avx512.c $DIR/sq_avxvnni.c"
OUT="$1/sq/kernels/native/linux-x86-64"
SO="$OUT/libsqvnni.so"
CC="${CC:-gcc}"
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "sq build: native int8 kernels skipped (not x86-64 Linux): the jar has the pure-Java kernels only"
  rm -f "$SO"; exit 0
fi
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "sq build: native int8 kernels skipped ($CC not found): the jar has the pure-Java kernels only"
  rm -f "$SO"; exit 0
fi
fresh=1
for f in $SRC "$DIR"/*.h "$0"; do [ -f "$SO" ] && [ "$SO" -nt "$f" ] || fresh=0; done
if [ "$fresh" = 1 ]; then exit 0; fi
mkdir -p "$OUT"
# -Wno-psabi: the note about passing 64-byte vectors concerns static helpers only, not the exported ABI.
if ! "$CC" -O3 -fPIC -shared -Wall -Wextra -Werror -Wno-psabi -fvisibility=default -o "$SO.tmp" $SRC; then
  echo "sq build: native int8 kernels failed to compile with $CC: the jar has the pure-Java kernels only"
  rm -f "$SO" "$SO.tmp"; exit 0
fi
mv "$SO.tmp" "$SO"
echo "sq build: native int8 kernels compiled with $("$CC" -dumpfullversion 2>/dev/null || echo "$CC"): $SO"
