#!/bin/sh
# Regenerates the QR image fixtures. Run by hand, not in CI: the images are
# committed so tests need neither ImageMagick nor qrencode.
#   apt-get install imagemagick qrencode ; ./make_fixtures.sh path/to/shelterctl
set -eu
ctl=${1:?usage: make_fixtures.sh path/to/shelterctl}
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ctl" make-card residents.csv --out "$tmp" --format both >/dev/null
cp "$tmp/household-A.svg" card.svg
"$ctl" decode "$tmp/household-A.png" > card.txt
convert "$tmp/household-A.png" -filter point -resize 50% card-gray.png
convert card-gray.png -colors 4 -type Palette PNG8:card-palette.png
convert card-gray.png -fill '#1a2a6c' -opaque black -fill '#fff8dc' -opaque white -type TrueColor PNG24:card-rgb.png
convert card-gray.png -transparent white -type TrueColorAlpha PNG32:card-alpha.png
convert card-gray.png -depth 16 PNG48:card-gray16.png
convert card-gray.png -type TrueColor -quality 85 card-baseline.jpg
convert card-gray.png -colorspace Gray -quality 80 card-grayscale.jpg
convert card-gray.png -type TrueColor -interlace JPEG -quality 85 card-progressive.jpg
# A webcam-like shot: tilted, soft, dim, low contrast, noisy, off centre.
convert card-gray.png -background '#777' -rotate 9 -blur 0x0.8 -level 0%,100%,1.0 \
  +level 25%,70% -attenuate 0.4 +noise Gaussian -gravity northwest -extent 420x360-40-20 \
  -quality 70 card-webcam.jpg
qrencode -s 4 -o url.png 'https://www.city.example.lg.jp/bousai/'
convert -size 200x120 xc:white -fill black -draw 'rectangle 20,20 180,100' no-qr.png
printf 'this is not an image\n' > not-an-image.png
head -c 300 card-gray.png > truncated.png
