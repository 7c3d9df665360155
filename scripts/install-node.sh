#!/usr/bin/env bash
# Puts a supported Node.js LTS at .tools/node/bin/node when the machine's own node is older than the major
# version below. The binary comes from the npm registry's official `node-linux-<arch>` package (the same
# build nodejs.org publishes), so no other download site is needed. Idempotent.
# Node 24 "Krypton" is in LTS until 2028-04-30 (Node.js release schedule, https://nodejs.org/en/about/previous-releases).
# Callers put .tools/node/bin first on PATH (scripts/test-all.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.22.3
want_major="${NODE_VERSION%%.*}"
log() { printf '[install-node] %s\n' "$*"; }

if [ -x .tools/node/bin/node ] && [ "$(.tools/node/bin/node --version)" = "v$NODE_VERSION" ]; then
  log "node v$NODE_VERSION present at .tools/node/bin/node"
  exit 0
fi
system_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0)"
if [ "${system_major:-0}" -ge "$want_major" ] 2>/dev/null; then
  log "machine node $(node --version) is already >= $want_major"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-node: no node-linux package for machine $(uname -m)" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log "npm pack node-linux-$arch@$NODE_VERSION (official Node.js binary from the npm registry, ~50 MB)"
(cd "$work" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
rm -rf .tools/node
mkdir -p .tools/node
tar xzf "$work"/node-linux-"$arch"-"$NODE_VERSION".tgz -C .tools/node --strip-components=1 package/bin
chmod +x .tools/node/bin/node
log "installed $(.tools/node/bin/node --version) at .tools/node/bin/node"
