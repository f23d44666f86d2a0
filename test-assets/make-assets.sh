#!/usr/bin/env bash
# Regenerates the test clips. Each is 6 s of test pattern with a 1 kHz tone, small enough to keep
# in git, with a keyframe every second (so 2 s segments can be cut on keyframes).
set -euo pipefail
cd "$(dirname "$0")"
common=(-hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=640x360:rate=30" -f lavfi -i "sine=frequency=1000:sample_rate=48000" -t 6)

# H.264 (baseline, no B-frames) + AAC
ffmpeg "${common[@]}" -c:v libx264 -profile:v baseline -pix_fmt yuv420p -preset veryfast -b:v 400k -g 30 -keyint_min 30 -sc_threshold 0 \
  -c:a aac -b:a 96k -ac 2 -f flv h264-aac.flv
# H.264 high profile with B-frames (pts != dts) + AAC
ffmpeg "${common[@]}" -c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast -b:v 400k -g 30 -keyint_min 30 -sc_threshold 0 -bf 3 \
  -c:a aac -b:a 96k -ac 2 -f flv h264-bframes-aac.flv
# AAC only
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=1000:sample_rate=48000" -t 6 -c:a aac -b:a 96k -ac 2 -f flv aac-only.flv
