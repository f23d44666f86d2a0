#!/usr/bin/env bash
# Runs the end-to-end tests (e2e/*.test.ts) N times after one build, to catch flaky tests before a
# submission that touches timing:
#   npm run test:repeat -- N [tap options]
# Each run is one tap over every e2e file, in parallel as in `npm test`. A failing file is reported
# with its run and the log of that run is kept in .run/test-repeat/; the last line reads
# "test:repeat: N runs, F file runs failed" and the exit status is non-zero when any failed.
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

runs="${1:-}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: npm run test:repeat -- N [tap options]   (N: how many times to run e2e/*.test.ts)" >&2
  exit 2
fi
shift

bash scripts/ensure-deps.sh --tests || { echo "test:repeat: setup failed"; exit 1; }

mapfile -t files < <(ls e2e/*.test.ts)
logs=.run/test-repeat
rm -rf "$logs"
mkdir -p "$logs"
failures=()

for ((run = 1; run <= runs; run++)); do
  log="$logs/run-$run.tap"
  started=$SECONDS
  npx tap --reporter=tap "${files[@]}" "$@" >"$log" 2>&1
  status=$?
  # A file passed when tap printed its top-level "ok N - e2e/x.test.ts" line; anything else (not
  # ok, a timeout, a crash) is a failure of that file.
  failed=()
  for file in "${files[@]}"; do
    grep -qE "^ok [0-9]+ - ${file//./\\.}( |\$)" "$log" || failed+=("$file")
  done
  passed=$((${#files[@]} - ${#failed[@]}))
  if [ "$status" -ne 0 ] && [ ${#failed[@]} -eq 0 ]; then failed=("(tap exited with status $status)"); fi
  for file in "${failed[@]}"; do
    failures+=("run $run: $file")
    echo "FAIL  run $run/$runs: $file   (log: $log)"
  done
  echo "run $run/$runs: $passed of ${#files[@]} files passed ($((SECONDS - started)) s)"
  if [ ${#failed[@]} -eq 0 ]; then rm -f "$log"; fi
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "test:repeat: $runs runs of ${#files[@]} e2e files, ${#failures[@]} file runs failed"
[ ${#failures[@]} -eq 0 ]
