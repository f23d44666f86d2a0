#!/usr/bin/env bash
# Brings the whole platform up locally in the foreground: a private redis-server (unless
# REDIS_URL is set), then API, origin, discovery and edge. Ctrl-C stops everything.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/ensure-deps.sh

source scripts/lib/platform-ports.sh
export HLS_PATH="${HLS_PATH:-$repo_root/.run/hls}"
# Beside HLS_PATH, on the same file system: recordings hard-link the live segments.
export RECORDINGS_PATH="${RECORDINGS_PATH:-$repo_root/.run/recordings}"
# Origin, discovery and edge call the API's internal listener (loopback, never published).
export API_URL="${API_URL:-http://127.0.0.1:${API_INTERNAL_PORT}}"
export ORIGIN_HOST="${ORIGIN_HOST:-127.0.0.1:${ORIGIN_HTTP_PORT}}"
export ALLOWED_STREAMS="${ALLOWED_STREAMS-golive}"
run_dir="$repo_root/.run"
# TLS=1 (the default): HAProxy terminates RTMPS (RTMPS_PORT) and HTTPS (HTTPS_PORT) in front of the
# origin's RTMP and the edge's HTTP, and the ingest list and playback URLs are the TLS ones. The
# certificate is TLS_CERT_PEM (chain and key in one PEM); unset, a self-signed one made once in
# .run/tls/. TLS=0: plain RTMP and HTTP only, no HAProxy. The plain ports listen either way.
export TLS="${TLS:-1}"
if [ "$TLS" = "1" ]; then
  if [ -z "${TLS_CERT_PEM:-}" ]; then
    TLS_CERT_PEM="$run_dir/tls/local.pem"
    bash scripts/make-tls-cert.sh "$TLS_CERT_PEM"
  fi
  export TLS_CERT_PEM TLS_BIND="${TLS_BIND:-0.0.0.0}"
  export PUBLIC_PLAYBACK_URL="${PUBLIC_PLAYBACK_URL:-https://localhost:${HTTPS_PORT}}"
  export INGEST_RTMP_URL="${INGEST_RTMP_URL:-rtmps://localhost:${RTMPS_PORT}/stream/{stream_key}}"
  # Browsers go live through HAProxy's HTTPS front too (it sends /ingest/ws to the origin).
  export INGEST_WEBSOCKET_URL="${INGEST_WEBSOCKET_URL:-wss://localhost:${HTTPS_PORT}/ingest/ws?stream_key={stream_key}}"
else
  export PUBLIC_PLAYBACK_URL="${PUBLIC_PLAYBACK_URL:-http://localhost:${EDGE_PORT}}"
  export INGEST_RTMP_URL="${INGEST_RTMP_URL:-rtmp://localhost:${RTMP_PORT}/stream/{stream_key}}"
  export INGEST_WEBSOCKET_URL="${INGEST_WEBSOCKET_URL:-ws://localhost:${ORIGIN_HTTP_PORT}/ingest/ws?stream_key={stream_key}}"
fi
export DISCOVERY_READY_FILE="${DISCOVERY_READY_FILE:-$run_dir/discovery.ready}"
log_dir="$run_dir/logs"
mkdir -p "$log_dir" "$HLS_PATH" "$RECORDINGS_PATH"

# The admin token, the internal listener's secret, the playback signing key and the edges' secret
# with the origin: made once and kept in .run/ (readable by this user only); set ADMIN_TOKEN etc.
# to choose your own.
source scripts/lib/run-support.sh
export_run_secrets

trap stop_all INT TERM HUP EXIT

if [ -z "${REDIS_URL:-}" ]; then
  redis_port="${REDIS_PORT:-6379}"
  mkdir -p "$run_dir/redis"
  echo "==> starting redis-server on 127.0.0.1:${redis_port} (data in .run/redis, AOF on)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run_dir/redis" --appendonly yes \
    --save "" >"$log_dir/redis.log" 2>&1 &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:${redis_port}"
  wait_ready redis "no answer to PING" redis-cli -p "$redis_port" ping
fi

start() {
  local name="$1"
  echo "==> starting $name"
  # The origin's young generation is capped: see "Origin memory" in docs/scaling.md.
  local flags=()
  [[ $name == origin ]] && flags=(--max-semi-space-size=4)
  node "${flags[@]}" "dist/$name/src/server.js" >"$log_dir/$name.log" 2>&1 &
  pids+=($!)
}

# Each service is waited for before the next starts: the API and the edge answer /health, the
# origin answers /ready once RTMP listens and the API accepted its heartbeat, discovery writes its
# ready file once it has scanned HLS_PATH.
start api
wait_ready api "no answer at /health" answers_ok "http://127.0.0.1:${API_PORT}/health"
wait_ready api "no answer at /health of the internal listener" answers_ok "http://127.0.0.1:${API_INTERNAL_PORT}/health"
start origin
wait_ready origin "/ready does not answer 200" answers_ok "http://127.0.0.1:${ORIGIN_HTTP_PORT}/ready"
rm -f "$DISCOVERY_READY_FILE"
start discovery
wait_ready discovery "no $DISCOVERY_READY_FILE" test -f "$DISCOVERY_READY_FILE"
start edge
wait_ready edge "no answer at /health" answers_ok "http://127.0.0.1:${EDGE_PORT}/health"
if [ "$TLS" = "1" ]; then
  echo "==> starting haproxy (RTMPS :${RTMPS_PORT}, HTTPS and WebSocket ingest :${HTTPS_PORT})"
  haproxy -db -f deploy/haproxy/tls-single-host.cfg >"$log_dir/haproxy.log" 2>&1 &
  pids+=($!)
  stop_signal[$!]=TERM
  wait_ready haproxy "no HTTPS answer at /health" curl -fsS --cacert "$TLS_CERT_PEM" "https://localhost:${HTTPS_PORT}/health"
fi

# The demo stream (owned by the admin user), made once and reused: its key, OBS settings and
# playback URL go in the banner, so a new user is live in one step. DEMO_STREAM=0 skips it.
demo=""
if [ "${DEMO_STREAM:-1}" = "1" ]; then
  demo="$(node scripts/demo-stream.mjs "http://127.0.0.1:${API_PORT}" "$run_dir/demo-stream-id" 2>>"$log_dir/demo.log" || true)"
fi

tls_note="  TLS:        off (TLS=0): plain RTMP :${RTMP_PORT} and HTTP :${EDGE_PORT} only
"
if [ "$TLS" = "1" ]; then
  tls_note="  TLS:        HAProxy: RTMPS :${RTMPS_PORT}, HTTPS and wss:// go-live :${HTTPS_PORT} (certificate ${TLS_CERT_PEM};
              a browser must accept the self-signed one once: open https://localhost:${HTTPS_PORT}/health);
              plain RTMP :${RTMP_PORT} and HTTP :${EDGE_PORT} listen too
"
fi
cat <<BANNER

  livestack is up
  ---------------------------------------------------------------
${demo:-  (no demo stream: see ${log_dir}/demo.log)}
  Open name:  stream key golive also publishes, to ${PUBLIC_PLAYBACK_URL}/golive/index.m3u8
              (ALLOWED_STREAMS=${ALLOWED_STREAMS}; set it empty to allow managed keys only)
${tls_note}  Dashboard:  http://localhost:${API_PORT}/   (sign in with the admin token below; a stream's page
              goes live from the browser's camera or screen, over ${INGEST_WEBSOCKET_URL%%\?*})
  API:        http://localhost:${API_PORT}   docs: http://localhost:${API_PORT}/docs   (see api.http)
              admin token: ${run_dir}/admin-token   (ADMIN_TOKEN to choose your own)
              internal listener: http://127.0.0.1:${API_INTERNAL_PORT} (services only; token in ${run_dir}/internal-token)
  Low latency: ll.m3u8 in place of index.m3u8 is LL-HLS (hls.js lowLatencyMode, Safari),
              index.mpd is DASH (dash.js, ffplay); both through the edge
  Origin:     http://localhost:${ORIGIN_HTTP_PORT} serves media to the edge only (x-origin-secret: ${run_dir}/origin-secret)
  Metrics:    http://127.0.0.1:${API_INTERNAL_PORT}/metrics (API), http://localhost:${ORIGIN_HTTP_PORT}/metrics (origin),
              http://127.0.0.1:${DISCOVERY_HTTP_PORT}/metrics (discovery), http://localhost:${EDGE_PORT}/metrics (edge)
              Prometheus scraping them all: npm run prometheus (in another terminal)
  Logs:       ${log_dir}/<service>.log
  Ctrl-C stops everything.
  ---------------------------------------------------------------
BANNER

# Exit (and stop the others) as soon as any service dies.
set +e
wait -n "${pids[@]}"
if [ "$stopping" -eq 0 ]; then
  echo "a service exited unexpectedly; see $log_dir" >&2
  exit 1
fi
