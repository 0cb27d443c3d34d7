#!/usr/bin/env bash
# Build every libFuzzer target fuzz/*_fuzz.c with clang, ASan and UBSan into build-fuzz/.
# Each target links the whole library (src/ except main.c) and the embedded files,
# compiled once into build-fuzz/obj/.
#   scripts/build-fuzz.sh            build
#   scripts/build-fuzz.sh --replay   build, then run each target once over its committed
#                                    corpus (fuzz/corpus/<name>/) without mutating: a
#                                    regression check that make test runs
# Fuzz for real on demand: build-fuzz/tmpl_fuzz -max_total_time=300 /tmp/corpus fuzz/corpus/tmpl
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build/gen/embed.c >/dev/null
mkdir -p build-fuzz/obj
# The same libraries as the Makefile's PKGS (one list, so that a new one reaches the fuzzers).
PKGS="$(sed -n 's/^PKGS *:= *//p' Makefile)"
COMMON="-std=c11 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=all -Isrc $(pkg-config --cflags $PKGS)"
# The library is compiled once (coverage instrumentation without libFuzzer's main), two files
# at a time, and every target links the same objects: a fresh clone builds in about a sixth
# of the time that compiling the sources into each target took.
OBJFLAGS="$COMMON -fsanitize=fuzzer-no-link,address,undefined"
LINKFLAGS="$COMMON -fsanitize=fuzzer,address,undefined"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
srcs=$(find src -name '*.c' ! -path src/app/main.c | sort; echo build/gen/embed.c)
objs=()
stale=()
for src in $srcs; do
  obj=build-fuzz/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
  objs+=("$obj")
  # Rebuild when the object is missing, older than its source or older than any header.
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     [ -n "$(find src -name '*.h' -newer "$obj" -print -quit)" ]; then
    stale+=("$src $obj")
  fi
done
if [ ${#stale[@]} -gt 0 ]; then
  echo "fuzz: compiling ${#stale[@]} file(s)"
  printf '%s\n' "${stale[@]}" |
    xargs -P "$(nproc)" -L 1 sh -c 'clang $0 -c -o "$2" "$1"' "$OBJFLAGS"
fi
status=0
for f in fuzz/*_fuzz.c; do
  name=$(basename "$f" .c)
  out=build-fuzz/$name
  if [ ! -x "$out" ] || [ "$f" -nt "$out" ] || [ ${#stale[@]} -gt 0 ]; then
    echo "fuzz: building $name"
    clang $LINKFLAGS -o "$out" "$f" "${objs[@]}" $LIBS
  fi
  if [ "${1:-}" = "--replay" ]; then
    corpus=fuzz/corpus/${name%_fuzz}
    echo "fuzz: replaying $corpus"
    if ! "$out" -runs=0 "$corpus" 2>&1 | tail -2; then status=1; fi
  fi
done
exit $status
