#!/bin/sh
# Regenerate all raster icons from icon.svg (needs rsvg-convert from librsvg2-bin, and ImageMagick).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
png() { rsvg-convert -w "$1" -h "$1" icon.svg -o "$tmp/$1.png"; convert "$tmp/$1.png" -define png:color-type=6 "PNG32:$2"; }
png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png
for s in 16 24 32 48 64 256; do rsvg-convert -w $s -h $s icon.svg -o "$tmp/ico-$s.png"; done
convert $(for s in 16 24 32 48 64 256; do echo "$tmp/ico-$s.png"; done) icon.ico
