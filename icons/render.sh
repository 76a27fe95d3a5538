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
# The guest page's web app manifest icons (ui/public/icons/, linked from ui/public/manifest.webmanifest).
web=../ui/public/icons
convert icon.png -resize 192x192 -define png:color-type=6 "PNG32:$web/icon-192.png"
cp icon.png "$web/icon-512.png"
convert icon.png -resize 180x180 -background '#ffffff' -flatten "PNG24:$web/apple-touch-icon.png"
convert icon.png -resize 32x32 -define png:color-type=6 "PNG32:$web/favicon-32.png"
# Maskable: full bleed, the mark inside the central 80 % safe zone.
convert -size 512x512 -define gradient:direction=SouthEast gradient:'#14b8a6-#4f46e5' \( icon.png -resize 400x400 \) \
  -gravity center -composite -define png:color-type=2 "PNG24:$web/icon-maskable-512.png"
