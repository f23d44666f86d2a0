#!/usr/bin/env bash
# Makes (once) the platform's shared secrets as owner-only files in a directory: admin-token,
# internal-token, playback-signing-key and origin-secret. A file that exists is kept, so this runs
# on every start (npm start, the cluster, docker-compose's secrets service) and only the first one
# makes anything. With --rotation-files, also an empty <name>-previous beside each, which the
# services read as <NAME>_PREVIOUS_FILE: during a rotation the old value goes there (see README,
# Security model); empty, no rotation is under way.
#   bash scripts/make-secrets.sh <dir> [--rotation-files]
set -euo pipefail
dir="${1:?usage: $0 <dir> [--rotation-files]}"
rotation_files="${2:-}"

# A directory made here is this user's only; one that exists keeps its mode (npm start's .run/ holds
# more than secrets). Each file is owner-only either way.
[ -d "$dir" ] || (umask 077 && mkdir -p "$dir")
umask 077

# Writes $1 from the JavaScript expression $2 unless it exists (through a temporary file, so a
# crash never leaves half a secret).
make_secret() {
  local file="$dir/$1"
  [ -s "$file" ] && return 0
  node -e "process.stdout.write($2)" >"$file.tmp"
  mv "$file.tmp" "$file"
}

make_secret admin-token "'adm_' + require('crypto').randomBytes(24).toString('base64url')"
# The internal listener's secret: hex, so it also fits nginx-rtmp's on_publish URL as is.
make_secret internal-token "require('crypto').randomBytes(32).toString('hex')"
make_secret playback-signing-key "require('crypto').randomBytes(32).toString('base64url')"
# The edges' secret with the origins: an origin's HTTP serves media only to requests carrying it.
make_secret origin-secret "require('crypto').randomBytes(32).toString('base64url')"

if [ "$rotation_files" = "--rotation-files" ]; then
  for name in admin-token internal-token playback-signing-key origin-secret; do
    [ -e "$dir/$name-previous" ] || : >"$dir/$name-previous"
  done
fi
