#!/usr/bin/env bash
# Publishes the seed's ffmpeg test pattern (SMPTE HD bars, 1 kHz tone, clock overlay) over RTMP.
# Usage: npm run publish:test -- [stream name or key] [rtmp base URL]
set -euo pipefail
name="${1:-golive}"
base="${2:-rtmp://localhost:${RTMP_PORT:-1935}/stream}"
size="${TEST_PATTERN_SIZE:-1280x720}"
command -v ffmpeg >/dev/null 2>&1 || { echo "error: ffmpeg is not installed (npm start installs it)" >&2; exit 1; }

font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
overlay=()
if [ -f "$font" ]; then
  overlay=(-vf "drawtext=fontfile=${font}:text='LIVESTACK %{localtime\:%X}':rate=30:x=(w-tw)/2:y=(h-lh)/2:fontsize=48:fontcolor=white:box=1:boxcolor=black")
else
  echo "note: $font not found (apt-get install fonts-dejavu-core): publishing without the clock overlay" >&2
fi

echo "publishing test pattern ${size} to ${base}/<stream> (Ctrl-C to stop)"
exec ffmpeg -hide_banner -loglevel warning -re \
  -f lavfi -i "smptehdbars=rate=30:size=${size}" \
  -f lavfi -i "sine=frequency=1000:sample_rate=48000" \
  "${overlay[@]}" \
  -f flv -c:v libx264 -profile:v baseline -pix_fmt yuv420p -preset ultrafast -tune zerolatency -crf 28 -g 60 \
  -c:a aac -b:a 128k \
  "${base}/${name}"
