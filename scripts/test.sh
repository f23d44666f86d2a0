#!/usr/bin/env bash
# Runs every test: type-checks and builds, then tap over all test files. Tests start the
# redis-server, ffmpeg publishers and services they need themselves, on free ports.
# Two phases: every test file, three at a time; then the real-time player tests (e2e/realtime/:
# a browser plays a live stream for a minute and must never stall) one at a time, with the
# machine to themselves, as a viewer's machine would be.
# The last line is a plain summary: "tests: N passed, N failed".
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/ensure-deps.sh --tests || { echo "tests: 0 passed, 1 failed"; exit 1; }
# tap compiles its Test class from the plugins in package.json when it is installed; npm ci
# builds it with tap's defaults, TypeScript through ts-node among them. package.json drops that
# plugin for tsx (--import=tsx), and tap would only notice in the middle of the first run, after
# that run had loaded both. Rebuild it first when it still names the ts-node plugin.
if grep -q '@tapjs/typescript' node_modules/@tapjs/test/test-built/dist/esm/index.js 2>/dev/null; then
  echo "==> building tap with the plugins in package.json"
  npx tap build >/dev/null || { echo "tests: 0 passed, 1 failed"; exit 1; }
fi

mkdir -p .run
mapfile -t files < <(ls api/test/*.test.ts edge/test/*.test.ts discovery/test/*.test.ts \
  origin/test/*.test.ts origin/test/*/*.test.ts network-policy/test/*.test.ts prometheus-config/test/*.test.ts internal-api/test/*.test.ts llhls-contract/test/*.test.ts service-kit/test/*.test.ts fuzz/test/*.test.ts web/test/*.test.ts e2e/*.test.ts 2>/dev/null)
mapfile -t realtime < <(ls e2e/realtime/*.test.ts 2>/dev/null)

passed=0
failed=0
skipped=0
status=0
# Runs tap over the files given after the options, adding its counts to the totals.
run_phase() {
  local results=$1
  shift
  npx tap --reporter=tap "$@" 2>&1 | tee "$results"
  local phase_status=${PIPESTATUS[0]}
  local summary phase_passed phase_failed phase_skipped
  summary="$(grep -E '^# \{ total: ' "$results" | tail -n 1)"
  phase_passed="$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")"
  phase_failed="$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")"
  phase_skipped="$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary")"
  phase_failed=${phase_failed:-0}
  if [ "$phase_status" -ne 0 ] && [ "$phase_failed" -eq 0 ]; then phase_failed=1; fi
  passed=$((passed + ${phase_passed:-0}))
  failed=$((failed + phase_failed))
  skipped=$((skipped + ${phase_skipped:-0}))
  if [ "$phase_status" -ne 0 ]; then status=$phase_status; fi
}
run_phase .run/test-results.tap "${files[@]}" "$@"
if [ ${#realtime[@]} -gt 0 ]; then run_phase .run/test-results-realtime.tap --jobs=1 "${realtime[@]}" "$@"; fi

# Nothing should skip (ensure-deps.sh installs every tool a test uses): name any that did.
if [ "$skipped" -gt 0 ]; then
  echo "warning: ${skipped} tests skipped:"
  grep -hE '# SKIP' .run/test-results*.tap | sed -E 's/^ */  /' | head -n 20
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
