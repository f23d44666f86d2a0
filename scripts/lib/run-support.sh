# Shared by platform.sh (npm start) and cluster.sh (npm run start:cluster); sourced, not run.
# Expects: run_dir (where secrets live) and log_dir; keeps the started services' pids in pids.

pids=()
stopping=0

# Prints the secret kept in "$run_dir/$1", unless the environment already holds one in the variable $2.
run_secret() {
  local given="${!2:-}"
  if [ -n "$given" ]; then
    printf '%s' "$given"
    return
  fi
  cat "$run_dir/$1"
}

# The platform's secrets, as npm start and the cluster share them: made once in $run_dir
# (scripts/make-secrets.sh, owner-only), or given in the environment.
export_run_secrets() {
  bash "$repo_root/scripts/make-secrets.sh" "$run_dir"
  ADMIN_TOKEN="$(run_secret admin-token ADMIN_TOKEN)"
  INTERNAL_TOKEN="$(run_secret internal-token INTERNAL_TOKEN)"
  PLAYBACK_SIGNING_KEY="$(run_secret playback-signing-key PLAYBACK_SIGNING_KEY)"
  ORIGIN_SECRET="$(run_secret origin-secret ORIGIN_SECRET)"
  export ADMIN_TOKEN INTERNAL_TOKEN PLAYBACK_SIGNING_KEY ORIGIN_SECRET
}

# Waits until the service started last ($1, logging to $log_dir/$1.log) passes the command "$@"
# after $2 (what is awaited, for the error), or fails when it exits first or after 60 s.
wait_ready() {
  local name="$1" what="$2"
  shift 2
  local pid="${pids[${#pids[@]}-1]}" deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited before it was ready; see $log_dir/$name.log" >&2
      tail -n 20 "$log_dir/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "error: $name is not ready ($what); see $log_dir/$name.log" >&2
  tail -n 20 "$log_dir/$name.log" >&2 || true
  exit 1
}

# True when the URL answers 2xx.
answers_ok() {
  node -e "fetch('$1').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null
}

# The signal that stops a service when it is not SIGINT, by pid (HAProxy ignores SIGINT: TERM).
declare -A stop_signal=()

# Stops the services in reverse start order (edges and discovery before what they report to,
# Redis last). SIGINT: stop now (SIGTERM would make an origin drain, waiting for its publishers).
stop_services() {
  local pid
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    pid="${pids[$i]}"
    kill -"${stop_signal[$pid]:-INT}" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# The trap of INT, TERM and EXIT: stops every service, then runs after_stop when the caller
# defines one (the cluster removes its network) and says so with stopped_note.
stop_all() {
  trap - INT TERM HUP EXIT
  stopping=1
  echo
  echo "==> stopping"
  stop_services
  if declare -F after_stop >/dev/null; then after_stop; fi
  echo "==> stopped${stopped_note:-}"
}
