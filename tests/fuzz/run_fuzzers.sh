#!/bin/sh
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) and fuzzes each
# for a bounded time (default 60 s; FUZZ_SECONDS to change). New inputs that
# crash are left in tests/artifacts/fuzz/; add them to the corpus once fixed.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
out="$root/build-fuzz"
mkdir -p "$out" "$root/tests/artifacts/fuzz"
cxx=${CLANGXX:-clang++-14}
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$root"
# shellcheck disable=SC2086
$cxx $flags -o "$out/fuzz_qr_parse" "$root/tests/fuzz/fuzz_qr_parse.cpp" \
  "$root/core/qr_payload.cpp" "$root/core/base45.cpp" "$root/core/model.cpp" -lsodium
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root"/tests/fuzz/corpus/qr_parse/* "$work/"
"$out/fuzz_qr_parse" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -artifact_prefix="$root/tests/artifacts/fuzz/" -print_final_stats=1 "$work" 2>&1 | tail -n 12
echo "fuzz_qr_parse: ran $seconds s with no crash; corpus grew to $(ls "$work" | wc -l) inputs"
