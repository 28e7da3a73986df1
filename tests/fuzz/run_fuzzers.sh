#!/bin/sh
# Builds the libFuzzer targets with clang-14 (ASan + UBSan) and fuzzes each
# for a bounded time (default 60 s; FUZZ_SECONDS to change). New inputs that
# crash are left in tests/artifacts/fuzz/; add them to the corpus once fixed.
#   usage: run_fuzzers.sh [TARGET...]   (default: every target below)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
out="$root/build-fuzz"
mkdir -p "$out" "$root/tests/artifacts/fuzz"
cxx=${CLANGXX:-clang++-14}
flags="-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$root"
targets=${*:-qr_parse sync_push config routes usb_import mjpeg}
core=$(ls "$root"/core/*.cpp | grep -v -e qr_image.cpp -e qr_model1 -e qr_read -e /jpeg.cpp)
build_target() {
  # shellcheck disable=SC2086
  case $1 in
  qr_parse)
    $cxx $flags -o "$out/fuzz_qr_parse" "$root/tests/fuzz/fuzz_qr_parse.cpp" \
      "$root/core/qr_payload.cpp" "$root/core/base45.cpp" "$root/core/model.cpp" "$root/core/signing.cpp" \
      "$root/core/fs_util.cpp" -lsodium ;;
  sync_push)
    $cxx $flags -o "$out/fuzz_sync_push" "$root/tests/fuzz/fuzz_sync_push.cpp" "$root/sync/protocol.cpp" \
      "$root/core/event.cpp" "$root/core/model.cpp" "$root/core/hlc.cpp" "$root/core/signing.cpp" \
      "$root/core/fs_util.cpp" -lsodium ;;
  config)
    $cxx $flags -o "$out/fuzz_config" "$root/tests/fuzz/fuzz_config.cpp" "$root/kiosk/app/config.cpp" \
      "$root/core/model.cpp" "$root/core/fs_util.cpp" -ltomlplusplus -lsodium ;;
  routes)
    # The whole of core and the server minus its HTTP and PostgreSQL parts;
    # print/ and the QR image libraries for the CSV routes (card sheets,
    # the district list), which the roster token reaches; the hub's routes
    # and relay (Debian's cpp-httplib library).
    server=""
    for f in routes sync_routes usb_import store sqlite_store auth reports search_rule sign_in_guard duplicates_route \
      card_sheets_route district_list district_list_route hub_routes hub_relay; do
      server="$server $root/sync/server/$f.cpp"
    done
    pkgs="cairo cairo-ft cairo-pdf fontconfig freetype2 libqrencode zxing stb libturbojpeg cpp-httplib"
    $cxx $flags $(pkg-config --cflags $pkgs) -o "$out/fuzz_routes" "$root/tests/fuzz/fuzz_routes.cpp" \
      "$root"/core/*.cpp "$root"/print/*.cpp "$root/sync/protocol.cpp" $server -lsqlite3 -lsodium \
      $(pkg-config --libs $pkgs) ;;
  usb_import)
    # usb_export.cpp also reads a kiosk store: the whole of core.
    $cxx $flags -o "$out/fuzz_usb_import" "$root/tests/fuzz/fuzz_usb_import.cpp" $core -lsqlite3 -lsodium ;;
  mjpeg)
    $cxx $flags -o "$out/fuzz_mjpeg" "$root/tests/fuzz/fuzz_mjpeg.cpp" "$root/kiosk/camera/convert.cpp" \
      "$root/core/jpeg.cpp" -lturbojpeg ;;
  *)
    echo "run_fuzzers: no target $1 (qr_parse sync_push config routes usb_import mjpeg)" >&2
    exit 2 ;;
  esac
}
for target in $targets; do build_target "$target"; done
failed=0
for target in $targets; do
  work=$(mktemp -d)
  cp "$root"/tests/fuzz/corpus/"$target"/* "$work/"
  # The exit status is the fuzzer's (not a pipe's): a crash fails the run.
  # cairo's and fontconfig's caches (the card sheets) live until exit: the
  # ASan pass's suppressions (third-party libraries only).
  if LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp" "$out/fuzz_$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -artifact_prefix="$root/tests/artifacts/fuzz/" -print_final_stats=1 "$work" >"$work.log" 2>&1; then
    tail -n 5 "$work.log"
    echo "fuzz_$target: ran $seconds s with no crash; corpus grew to $(ls "$work" | wc -l) inputs"
  else
    tail -n 40 "$work.log"
    echo "fuzz_$target: FOUND A CRASH; the input is in tests/artifacts/fuzz/ (replay: $out/fuzz_$target FILE)"
    failed=1
  fi
  rm -rf "$work" "$work.log"
done
exit $failed
