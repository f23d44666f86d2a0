#!/usr/bin/env bash
# Installs what is missing: the system packages (apt-get), npm packages from the lockfile, and the
# build. Run by platform.sh and test.sh so either can be the first command a new user runs.
#   bash scripts/ensure-deps.sh          what the platform needs to run: ffmpeg/ffprobe, redis-server,
#                                        haproxy, openssl and curl (TLS at the front: HAProxy
#                                        terminates RTMPS and HTTPS with a certificate openssl makes)
#   bash scripts/ensure-deps.sh --tests  also what the tests use: nginx with libnginx-mod-rtmp (the
#                                        nginx-rtmp compatibility tests), ip (the cluster tests), chromium (the player
#                                        tests: hls.js and dash.js in headless Chromium), Firefox
#                                        (firefox-esr on Debian: the dashboard's Firefox test), prometheus
#                                        and promtool (the metrics tests check scrapes and the scrape
#                                        config with promtool, and run every dashboard query on a
#                                        real Prometheus)
#   bash scripts/ensure-deps.sh --metrics   what npm run prometheus needs: prometheus
#   bash scripts/ensure-deps.sh --cluster   what npm run start:cluster needs: ip too
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

for_tests=0
for_cluster=0
for_metrics=0
case "${1:-}" in
  --tests) for_tests=1; for_cluster=1; for_metrics=1 ;;
  --cluster) for_cluster=1 ;;
  --metrics) for_metrics=1 ;;
  "") ;;
  *) echo "usage: $0 [--tests|--cluster|--metrics]" >&2; exit 2 ;;
esac

# Where Debian's chromium package puts the browser (test-support/chromium.ts launches it from there).
chromium_path=/usr/bin/chromium
# Debian's Firefox is firefox-esr; test-support/firefox.ts looks for either name.
has_firefox() {
  command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1
}
firefox_package() {
  if apt-cache show firefox-esr >/dev/null 2>&1; then echo firefox-esr; else echo firefox; fi
}
# Where Debian's libnginx-mod-rtmp puts the module (test-support/nginx-rtmp.ts looks there too).
nginx_rtmp_module=/usr/lib/nginx/modules/ngx_rtmp_module.so
has_nginx() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || [ -x /usr/local/sbin/nginx ] || [ -x /usr/local/nginx/sbin/nginx ]
}

# Sets need_packages to the Debian/Ubuntu packages whose program or file is missing.
find_missing() {
  need_packages=()
  command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_packages+=(ffmpeg)
  command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_packages+=(haproxy)
  command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)
  command -v curl >/dev/null 2>&1 || need_packages+=(curl)
  if [ "$for_tests" -eq 1 ]; then
    has_nginx || need_packages+=(nginx)
    [ -f "$nginx_rtmp_module" ] || need_packages+=(libnginx-mod-rtmp)
    [ -x "$chromium_path" ] || need_packages+=(chromium)
    has_firefox || need_packages+=("$(firefox_package)")
  fi
  if [ "$for_metrics" -eq 1 ]; then
    { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || need_packages+=(prometheus)
  fi
  if [ "$for_cluster" -eq 1 ]; then
    command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need_packages+=(iproute2)
  fi
  return 0
}

find_missing
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "==> installing ${need_packages[*]} (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "error: ${need_packages[*]} missing and this user cannot install packages." >&2
    echo "       run: sudo apt-get update && sudo apt-get install -y ${need_packages[*]}" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${need_packages[*]} missing and apt-get is not available; install them with your package manager." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
  find_missing
  if [ ${#need_packages[@]} -gt 0 ]; then
    echo "error: still missing after apt-get install: ${need_packages[*]} (nginx's RTMP module is expected at $nginx_rtmp_module)" >&2
    exit 1
  fi
fi

cd "$repo_root"
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or newer is required (found $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

# Reinstall when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> building"
npm run build --silent
