#!/usr/bin/env bash
# Brings the scaled-out platform up on this machine, one network namespace per host, each with its
# own address on a private bridge: HAProxy in front (deploy/haproxy/haproxy.cfg), two API instances,
# two origins each with its discovery sidecar, two edges and Redis with AOF. A service that dies is
# reported and the rest runs on; Ctrl-C stops everything and removes the namespaces and the bridges.
# Needs root (ip netns); HAProxy comes from the distribution.
# Two networks, as in a data centre: the private one (every host, and this machine as the
# operators' side, at .1) and the public one, where namespace <name>-public stands for the
# internet: it reaches HAProxy's public ports (RTMP(S), HTTP(S) to the edges, the public API) on
# HAProxy's public address and nothing else; HAProxy does not route, so no origin, edge, API or
# Redis is reachable from there, and HAProxy's internal API frontend and stats page listen on its
# private address only.
# Settings: CLUSTER_NET (the private /24's first three numbers, default 10.77.0),
# CLUSTER_PUBLIC_NET (the public /24's, default CLUSTER_NET's third number plus 100: 10.77.100),
# CLUSTER_NAME (prefix of the namespaces and the bridges, default lsc), CLUSTER_RUN_DIR (logs, HLS and Redis data, default
# .run/cluster), SKIP_DEPS=1 (the build is there: the tests use it), DEMO_STREAM=0 (none),
# ALLOW_PRIVATE_TARGETS=true (restream targets on private addresses, e.g. a lab RTMP server).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

if [ "$(id -u)" -ne 0 ]; then
  echo "error: npm run start:cluster needs root: it makes network namespaces (ip netns) and a bridge." >&2
  echo "       run it as root (e.g. sudo npm run start:cluster), or use npm start for one host." >&2
  exit 1
fi
[ "${SKIP_DEPS:-0}" = "1" ] || bash scripts/ensure-deps.sh --cluster

net="${CLUSTER_NET:-10.77.0}"
public_net="${CLUSTER_PUBLIC_NET:-${net%.*}.$(( ${net##*.} + 100 ))}"
prefix="${CLUSTER_NAME:-lsc}"
bridge="${prefix}0"
public_bridge="${prefix}p"
public_ns="${prefix}-public"
# One host per service: name and last address number. Discovery runs on its origin's host.
hosts=(lb:2 redis:10 api-1:11 api-2:12 origin-1:21 origin-2:22 edge-1:31 edge-2:32)
addr() {
  local host
  for host in "${hosts[@]}"; do
    if [ "${host%%:*}" = "$1" ]; then echo "$net.${host##*:}"; return; fi
  done
  echo "unknown host $1" >&2
  exit 1
}
lb="$(addr lb)"
# HAProxy's public address; the internet's host (namespace $public_ns) is .10.
lb_public="$public_net.2"

run_dir="${CLUSTER_RUN_DIR:-$repo_root/.run/cluster}"
log_dir="$run_dir/logs"
# The secrets are npm start's (.run/), so both ways of running share one admin token.
secrets_dir="$repo_root/.run"
mkdir -p "$log_dir" "$secrets_dir"
source scripts/lib/run-support.sh
run_dir="$secrets_dir" export_run_secrets
# HAProxy terminates RTMPS (1936) and HTTPS (8443): TLS_CERT_PEM, or a self-signed certificate for
# HAProxy's address made once beside the cluster's other files.
if [ -z "${TLS_CERT_PEM:-}" ]; then
  TLS_CERT_PEM="$run_dir/tls/local.pem"
  bash scripts/make-tls-cert.sh "$TLS_CERT_PEM" "$lb" "$lb_public"
fi

# Removes this cluster's namespaces (and whatever still runs in them) and its bridges.
remove_network() {
  local host ns pid link
  for ns in "${hosts[@]/#/${prefix}-}" "$public_ns"; do
    ns="${ns%%:*}"
    if ip netns list | grep -qw "^$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
  for link in "$bridge" "$public_bridge"; do
    if ip link show "$link" >/dev/null 2>&1; then ip link del "$link"; fi
  done
}

after_stop() { remove_network; }
stopped_note=" (namespaces and bridges removed)"

# Left over by a run that was killed: start clean.
remove_network
trap stop_all INT TERM HUP EXIT

echo "==> network: bridge $bridge ($net.1/24), one namespace per host"
ip link add "$bridge" type bridge
ip addr add "$net.1/24" dev "$bridge"
ip link set "$bridge" up
for host in "${hosts[@]}"; do
  name="${host%%:*}"
  ns="${prefix}-${name}"
  ip netns add "$ns"
  ip link add "${prefix}-${host##*:}" type veth peer name eth0 netns "$ns"
  ip link set "${prefix}-${host##*:}" master "$bridge" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(addr "$name")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$net.1"
done

echo "==> public network: bridge $public_bridge ($public_net.0/24): HAProxy at $lb_public, the internet ($public_ns) at $public_net.10"
ip link add "$public_bridge" type bridge
ip link set "$public_bridge" up
ip link add "${prefix}-p2" type veth peer name eth1 netns "${prefix}-lb"
ip link set "${prefix}-p2" master "$public_bridge" up
ip -n "${prefix}-lb" addr add "$lb_public/24" dev eth1
ip -n "${prefix}-lb" link set eth1 up
ip netns add "$public_ns"
ip link add "${prefix}-p10" type veth peer name eth0 netns "$public_ns"
ip link set "${prefix}-p10" master "$public_bridge" up
ip -n "$public_ns" link set lo up
ip -n "$public_ns" addr add "$public_net.10/24" dev eth0
ip -n "$public_ns" link set eth0 up
# Everything through HAProxy's host, as the internet would send it: it delivers to its own ports
# and forwards nothing (a fresh namespace does not forward; said here so that nobody turns it on).
ip -n "$public_ns" route add default via "$lb_public"
ip netns exec "${prefix}-lb" sysctl -qw net.ipv4.ip_forward=0

# Starts "$@" on host $1 as service $2 (its log: $log_dir/$2.log).
start_on() {
  local host="$1" name="$2"
  shift 2
  echo "==> starting $name on $(addr "$host")"
  ip netns exec "${prefix}-${host}" "$@" >"$log_dir/$name.log" 2>&1 &
  pids+=($!)
  service_name[$!]="$name"
}
declare -A service_name=()

mkdir -p "$run_dir/redis"
start_on redis redis redis-server --bind "$(addr redis)" --port 6379 --protected-mode no \
  --dir "$run_dir/redis" --appendonly yes --save ""
wait_ready redis "no answer to PING" redis-cli -h "$(addr redis)" ping

# Every service reaches the API's internal listener through HAProxy, which balances over both APIs.
api_url="http://$lb:9091"
# Browsers go live through HAProxy's HTTPS front, which sends /ingest/ws to an origin; the APIs'
# dashboard may connect there.
ingest_websocket_url="wss://$lb:8443/ingest/ws?stream_key={stream_key}"
common=(env INTERNAL_TOKEN="$INTERNAL_TOKEN" PLAYBACK_SIGNING_KEY="$PLAYBACK_SIGNING_KEY" ORIGIN_SECRET="$ORIGIN_SECRET"
  ALLOW_PRIVATE_TARGETS="${ALLOW_PRIVATE_TARGETS:-false}")

start_on lb haproxy env PRIVATE_ADDRESS="$lb" ORIGIN_1="$(addr origin-1)" ORIGIN_2="$(addr origin-2)" EDGE_1="$(addr edge-1)" \
  EDGE_2="$(addr edge-2)" API_1="$(addr api-1)" API_2="$(addr api-2)" TLS_CERT_PEM="$TLS_CERT_PEM" \
  haproxy -db -f deploy/haproxy/haproxy.cfg
stop_signal[${pids[${#pids[@]}-1]}]=TERM
wait_ready haproxy "no answer at http://$lb:8404/stats" answers_ok "http://$lb:8404/stats"

for api in api-1 api-2; do
  start_on "$api" "$api" "${common[@]}" API_HOST=0.0.0.0 API_PORT=9090 API_INTERNAL_HOST=0.0.0.0 API_INTERNAL_PORT=9091 \
    REDIS_URL="redis://$(addr redis):6379" ADMIN_TOKEN="$ADMIN_TOKEN" ALLOWED_STREAMS="${ALLOWED_STREAMS-golive}" \
    PUBLIC_PLAYBACK_URL="https://$lb:8443" FALLBACK_PATH="$run_dir/fallback" INGEST_WEBSOCKET_URL="$ingest_websocket_url" \
    node dist/api/src/server.js
  wait_ready "$api" "no answer at /health" answers_ok "http://$(addr "$api"):9091/health"
done
wait_ready haproxy "no API through HAProxy" answers_ok "$api_url/health"

origin_pids=()
for origin in origin-1 origin-2; do
  hls="$run_dir/$origin/hls"
  mkdir -p "$hls"
  # ORIGIN_HOST: where edges fetch this origin's recordings (its video reports carry it), as discovery's.
  start_on "$origin" "$origin" "${common[@]}" ORIGIN_ID="$origin" ORIGIN_HOST="$(addr "$origin"):8080" RTMP_HOST=0.0.0.0 RTMP_PORT=1935 \
    ORIGIN_HTTP_HOST=0.0.0.0 ORIGIN_HTTP_PORT=8080 HLS_PATH="$hls" API_URL="$api_url" \
    INGEST_NAME="$origin" INGEST_RTMP_URL="rtmps://$lb:1936/stream/{stream_key}" INGEST_WEBSOCKET_URL="$ingest_websocket_url" \
    INGEST_SRT_URL="srt://$(addr "$origin"):1337?streamid={stream_key}" \
    FALLBACK_CACHE_PATH="$run_dir/$origin/fallback-cache" RECORDINGS_PATH="$run_dir/$origin/recordings" \
    node --max-semi-space-size=4 dist/origin/src/server.js
  origin_pids+=("${pids[${#pids[@]}-1]}")
  wait_ready "$origin" "/ready does not answer 200" answers_ok "http://$(addr "$origin"):8080/ready"
  ready_file="$run_dir/$origin/discovery.ready"
  rm -f "$ready_file"
  # Its /health, /ready and /metrics on the host's address too, for a Prometheus off the host.
  start_on "$origin" "discovery-${origin#origin-}" "${common[@]}" HLS_PATH="$hls" API_URL="$api_url" \
    ORIGIN_HOST="$(addr "$origin"):8080" DISCOVERY_READY_FILE="$ready_file" \
    DISCOVERY_HTTP_HOST=0.0.0.0 DISCOVERY_HTTP_PORT=8082 \
    node dist/discovery/src/server.js
  wait_ready "discovery-${origin#origin-}" "no $ready_file" test -f "$ready_file"
done

for edge in edge-1 edge-2; do
  start_on "$edge" "$edge" "${common[@]}" EDGE_HOST=0.0.0.0 EDGE_PORT=8081 API_URL="$api_url" \
    node dist/edge/src/server.js
  wait_ready "$edge" "no answer at /health" answers_ok "http://$(addr "$edge"):8081/health"
done
wait_ready haproxy "no edge through HAProxy" answers_ok "http://$lb:8081/health"
# HAProxy sends publishers to an origin once its health checks passed: wait for both.
wait_ready haproxy "HAProxy does not see both origins up (http://$lb:8404/stats)" node -e "
  fetch('http://$lb:8404/stats;csv').then((r) => r.text()).then((csv) => {
    const up = csv.split('\\n').filter((line) => /^origins,origin-/.test(line) && line.split(',')[17] === 'UP');
    process.exit(up.length === 2 ? 0 : 1);
  }, () => process.exit(1));"

# Every host's /metrics, for `npm run prometheus -- --cluster` (or any Prometheus that reaches the bridge).
node dist/prometheus-config/src/print-scrape-config.js deploy/prometheus/prometheus.yml \
  "api=$(addr api-1):9091,$(addr api-2):9091" "origin=$(addr origin-1):8080,$(addr origin-2):8080" \
  "discovery=$(addr origin-1):8082,$(addr origin-2):8082" "edge=$(addr edge-1):8081,$(addr edge-2):8081" \
  >"$run_dir/prometheus.yml"

demo=""
if [ "${DEMO_STREAM:-1}" = "1" ]; then
  demo="$(node scripts/demo-stream.mjs "http://$lb:9090" "$run_dir/demo-stream-id" 2>>"$log_dir/demo.log" || true)"
fi

cat <<BANNER

  livestack cluster is up (HAProxy at $lb; every host on private bridge $bridge, $net.0/24)
  Public:     HAProxy's public address $lb_public (bridge $public_bridge); the internet is namespace
              $public_ns, which reaches only HAProxy's public ports there, e.g.
              ip netns exec $public_ns curl --cacert $TLS_CERT_PEM https://$lb_public:8443/<stream>/index.m3u8
  ---------------------------------------------------------------
${demo:-  (no demo stream: see ${log_dir}/demo.log)}
  Open name:  stream key golive also publishes, to https://$lb:8443/golive/index.m3u8
  TLS:        RTMPS rtmps://$lb:1936/stream, HTTPS https://$lb:8443 (certificate: $TLS_CERT_PEM);
              plain RTMP :1935 and HTTP :8081 too
  Dashboard:  http://$lb:9090/   (sign in with the admin token below)
  API:        http://$lb:9090   docs: http://$lb:9090/docs   (two instances behind HAProxy)
              admin token: ${secrets_dir}/admin-token
  Hosts:      $(for host in "${hosts[@]}"; do printf '%s %s  ' "${host%%:*}" "$net.${host##*:}"; done)
              origins: http://$(addr origin-1):8080 and http://$(addr origin-2):8080 (discovery beside each;
              media only for the edges: x-origin-secret, ${secrets_dir}/origin-secret)
  Drain:      kill -TERM ${origin_pids[0]}   (origin-1 drains: new publishers go to origin-2)
  HAProxy:    http://$lb:8404/stats
  Metrics:    /metrics of every API (:9091), origin (:8080), discovery (:8082, on its origin's host) and edge (:8081);
              npm run prometheus -- --cluster scrapes them all ($run_dir/prometheus.yml)
  Logs:       ${log_dir}/<service>.log
  Ctrl-C stops everything and removes the namespaces.
  ---------------------------------------------------------------
BANNER

# Hosts fail on their own, as in a real cluster: a service that exits is reported and the others
# run on (an origin that drained stops cleanly; a killed API leaves the other one serving).
# Ctrl-C stops everything.
set +e
running=("${pids[@]}")
while [ "$stopping" -eq 0 ] && [ "${#running[@]}" -gt 0 ]; do
  wait -n -p exited "${running[@]}"
  code=$?
  [ "$stopping" -eq 0 ] || break
  name="${service_name[$exited]:-pid $exited}"
  if [ "$code" -eq 0 ] && [[ " ${origin_pids[*]} " == *" $exited "* ]]; then
    echo "==> $name drained and stopped; the cluster goes on without it"
  else
    echo "==> $name exited (status $code; see $log_dir/$name.log); the cluster goes on without it" >&2
  fi
  still=()
  for pid in "${running[@]}"; do [ "$pid" = "$exited" ] || still+=("$pid"); done
  running=("${still[@]}")
done
