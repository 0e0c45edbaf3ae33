#!/bin/sh
# Regenerates the Tauri icon set from icon.svg.
# Needs rsvg-convert (Debian: librsvg2-bin) and ImageMagick (Debian: imagemagick).
# ImageMagick's own SVG renderer drops the gradient, so rsvg-convert draws every size and
# ImageMagick only normalises the PNGs (8-bit RGBA, colour type 6, no timestamps) and builds the .ico.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

png() { # size output
  rsvg-convert -w "$1" -h "$1" icon.svg -o "$tmp/$1.png"
  convert "$tmp/$1.png" -strip -depth 8 -define png:exclude-chunks=date,time PNG32:"$2"
}

png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png

for s in 16 24 48; do png "$s" "$tmp/ico-$s.png"; done
# the sizes `tauri icon` puts in an .ico: 16, 24, 32, 48, 64 (bitmaps) and 256 (PNG)
convert "$tmp/ico-16.png" "$tmp/ico-24.png" 32x32.png "$tmp/ico-48.png" 64x64.png 128x128@2x.png \
  -strip -compress zip icon.ico

file 32x32.png 64x64.png 128x128.png 128x128@2x.png icon.png icon.ico
