#!/usr/bin/env bash
# Runs every test: type-checks and builds, then tap over all test files. Tests start the
# redis-server, ffmpeg publishers and services they need themselves, on free ports.
# The last line is a plain summary: "tests: N passed, N failed".
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash scripts/ensure-deps.sh --tests || { echo "tests: 0 passed, 1 failed"; exit 1; }

mkdir -p .run
results=.run/test-results.tap
mapfile -t files < <(ls api/test/*.test.ts edge/test/*.test.ts discovery/test/*.test.ts \
  origin/test/*.test.ts origin/test/*/*.test.ts network-policy/test/*.test.ts internal-api/test/*.test.ts llhls-contract/test/*.test.ts service-kit/test/*.test.ts fuzz/test/*.test.ts e2e/*.test.ts 2>/dev/null)
npx tap --reporter=tap "${files[@]}" "$@" 2>&1 | tee "$results"
status=${PIPESTATUS[0]}

summary="$(grep -E '^# \{ total: ' "$results" | tail -n 1)"
passed="$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")"
failed="$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")"
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
# Nothing should skip (ensure-deps.sh installs every tool a test uses): name any that did.
skipped="$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary")"
if [ "${skipped:-0}" -gt 0 ]; then
  echo "warning: ${skipped} tests skipped:"
  grep -E '# SKIP' "$results" | sed -E 's/^ */  /' | head -n 20
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
