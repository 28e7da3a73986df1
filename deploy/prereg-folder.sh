#!/bin/sh
# Assembles the residents' pre-registration page as one folder a city can put
# on any static web host: assets/prereg plus the QR encoder from Debian's
# node-qrcode-generator (copied into OUT/vendor/ here, at publish time; the
# repository never holds a copy). This folder on a host with a public
# certificate is how residents get the page (docs/operations.md, 5c).
#   apt-get install node-qrcode-generator
#   deploy/prereg-folder.sh OUT
set -eu
out=${1:?usage: prereg-folder.sh OUT}
here=$(cd "$(dirname "$0")/.." && pwd)
src=${PREREG_DIR:-$here/assets/prereg}
[ -f "$src/index.html" ] || src=/usr/share/shelter-checkin/assets/prereg
encoder=${QRCODE_JS:-/usr/share/javascript/qrcode-generator/qrcode.js}
[ -f "$encoder" ] || { echo "prereg-folder.sh: $encoder missing: apt-get install node-qrcode-generator" >&2; exit 1; }
mkdir -p "$out/vendor"
cp "$src"/index.html "$src"/app.js "$src"/card.js "$src"/i18n.js "$src"/style.css "$src"/sw.js \
   "$src"/manifest.webmanifest "$out"/
cp "$encoder" "$out/vendor/qrcode.js"
# The encoder's licence (MIT) goes with it.
[ -f /usr/share/doc/node-qrcode-generator/copyright ] &&
  cp /usr/share/doc/node-qrcode-generator/copyright "$out/vendor/qrcode.js.copyright"
echo "pre-registration page in $out: copy it to a web host whose HTTPS certificate phones trust" \
     "(a public one, not the city CA; service workers need HTTPS)"
