#!/usr/bin/env bash
# The one test command (README "Tests", and what .ci/run calls): installs what the tests need,
# installs the locked npm dependencies, then runs typecheck, lint and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
bash scripts/install-node.sh
export PATH="$PWD/.tools/node/bin:$PATH"
echo "[test-all] node $(node --version), npm $(npm --version)"
echo "[test-all] npm ci"
npm ci --no-audit --no-fund
echo "[test-all] npm test"
npm test
