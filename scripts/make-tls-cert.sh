#!/usr/bin/env bash
# Makes (once) the self-signed certificate HAProxy terminates RTMPS and HTTPS with for local use:
# one PEM holding the certificate and its key (HAProxy's `ssl crt` form), owner-only, valid for
# localhost, 127.0.0.1 and the names given after the path (e.g. the cluster's HAProxy address).
#   bash scripts/make-tls-cert.sh <pem path> [name-or-address ...]
# An existing file is kept while it names all of them (one made before a name was added is made
# again): a real certificate is used by pointing TLS_CERT_PEM at its PEM instead.
set -euo pipefail
pem="${1:?usage: $0 <pem path> [name-or-address ...]}"
shift

san="DNS:localhost,IP:127.0.0.1"
for name in "$@"; do
  if [[ $name =~ ^[0-9.]+$ ]]; then san+=",IP:$name"; else san+=",DNS:$name"; fi
done
if [ -s "$pem" ]; then
  names="$(openssl x509 -in "$pem" -noout -ext subjectAltName 2>/dev/null | tr -d ' ' | sed -e 's/IPAddress:/IP:/g' | tail -n +2)"
  missing=0
  IFS=',' read -ra wanted <<<"$san"
  for entry in "${wanted[@]}"; do
    [[ ",$names," == *",$entry,"* ]] || missing=1
  done
  [ "$missing" -eq 0 ] && exit 0
fi

dir="$(dirname "$pem")"
mkdir -p "$dir"
work="$(mktemp -d "$dir/.tls-cert.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(
  umask 077
  # A CA flag on the certificate itself, so a client can trust this one file as its CA (curl
  # --cacert, ffmpeg -ca_file, Node's ca) and still check the name it connects to.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=livestack local" -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=digitalSignature,keyCertSign" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  cat "$work/cert.pem" "$work/key.pem" >"$work/both.pem"
)
mv "$work/both.pem" "$pem"
