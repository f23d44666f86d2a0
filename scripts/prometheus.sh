#!/usr/bin/env bash
# Runs Prometheus (Debian's prometheus package, installed when missing; no Docker) scraping every
# service of `npm start` on this host, or with --cluster every host of `npm run start:cluster`.
# The scrape config is made from deploy/prometheus/prometheus.yml, docker-compose's, with only the
# targets changed (prometheus-config/). Ctrl-C stops it.
# Settings: PROMETHEUS_PORT (its UI and API on 127.0.0.1, default 9099, as docker-compose publishes
# it), npm start's own port settings (scripts/lib/platform-ports.sh), CLUSTER_RUN_DIR (--cluster:
# where the cluster wrote its scrape config, default .run/cluster).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/ensure-deps.sh --metrics
source scripts/lib/platform-ports.sh

run_dir="$repo_root/.run/prometheus"
port="${PROMETHEUS_PORT:-9099}"
case "${1:-}" in
  "")
    mkdir -p "$run_dir"
    config="$run_dir/prometheus.yml"
    node dist/prometheus-config/src/print-scrape-config.js deploy/prometheus/prometheus.yml \
      "api=127.0.0.1:${API_INTERNAL_PORT}" "origin=127.0.0.1:${ORIGIN_HTTP_PORT}" \
      "discovery=127.0.0.1:${DISCOVERY_HTTP_PORT}" "edge=127.0.0.1:${EDGE_PORT}" >"$config"
    what="npm start"
    ;;
  --cluster)
    # Written by cluster.sh with every host's address; the cluster's data stays apart from npm start's.
    config="${CLUSTER_RUN_DIR:-$repo_root/.run/cluster}/prometheus.yml"
    run_dir="$run_dir/cluster"
    mkdir -p "$run_dir"
    [ -f "$config" ] || { echo "error: no $config: start the cluster first (sudo npm run start:cluster)" >&2; exit 1; }
    what="the cluster"
    ;;
  *) echo "usage: $0 [--cluster]" >&2; exit 2 ;;
esac

echo "==> Prometheus scraping ${what} (config ${config}, data in ${run_dir}/data)"
echo "    UI and API: http://127.0.0.1:${port}   targets: http://127.0.0.1:${port}/targets"
echo "    Grafana elsewhere: add this Prometheus as a data source and import docs/grafana/livestack.json"
# Debian's console defaults point at files the package may not have; the UI and API need neither.
exec prometheus --config.file="$config" --storage.tsdb.path="$run_dir/data" \
  --web.listen-address="127.0.0.1:${port}" \
  --web.console.templates=/dev/null --web.console.libraries=/dev/null
