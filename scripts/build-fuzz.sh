#!/usr/bin/env bash
# Build every libFuzzer target fuzz/*_fuzz.c with clang, ASan and UBSan into build-fuzz/.
# Each target links the whole library (src/ except main.c) and the embedded files.
#   scripts/build-fuzz.sh            build
#   scripts/build-fuzz.sh --replay   build, then run each target once over its committed
#                                    corpus (fuzz/corpus/<name>/) without mutating: a
#                                    regression check that make test runs
# Fuzz for real on demand: build-fuzz/tmpl_fuzz -max_total_time=300 /tmp/corpus fuzz/corpus/tmpl
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build/gen/embed.c >/dev/null
mkdir -p build-fuzz
PKGS="libmicrohttpd jansson sqlite3 libpq inih libcrypto zlib libargon2 liboath libqrencode icu-uc"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm"
srcs=$(find src -name '*.c' ! -path src/app/main.c | sort)
status=0
for f in fuzz/*_fuzz.c; do
  name=$(basename "$f" .c)
  out=build-fuzz/$name
  if [ ! -x "$out" ] || [ -n "$(find src fuzz/"$name".c build/gen/embed.c -newer "$out" -name '*.[ch]' -print -quit)" ]; then
    echo "fuzz: building $name"
    clang $CFLAGS -o "$out" "$f" $srcs build/gen/embed.c $LIBS
  fi
  if [ "${1:-}" = "--replay" ]; then
    corpus=fuzz/corpus/${name%_fuzz}
    echo "fuzz: replaying $corpus"
    if ! "$out" -runs=0 "$corpus" 2>&1 | tail -2; then status=1; fi
  fi
done
exit $status
