#!/usr/bin/env bash
# Installs every program the test suite drives, when it is missing:
#   Debian: postgresql, redis-server, coturn (turnserver, turnutils_uclient), prometheus (promtool),
#           prometheus-alertmanager (alertmanager, amtool), prometheus-node-exporter (metric names),
#           cloud-init (schema check), openssl and iproute2 (test certificates, `ss`), time (benchmarks),
#           pgbouncer (transaction-mode pool tests), chromium (browser tests of the web app, test/web)
#   Go:     livekit-server v1.13.5 (binary `server`, moved to .tools/bin/livekit-server)
#   Go:     etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, helm for the cluster tests
#           (scripts/build-control-plane.sh into .tools/bin/; ~12 min from cold caches, seconds warm)
# Idempotent: a second run only checks. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[install-test-deps] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v turnserver >/dev/null || [ -x /usr/bin/turnserver ] || need_apt+=(coturn)
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
[ -x /usr/bin/prometheus-node-exporter ] || need_apt+=(prometheus-node-exporter)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v ss >/dev/null || need_apt+=(iproute2)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v cloud-init >/dev/null || need_apt+=(cloud-init)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || need_apt+=(pgbouncer)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)

if [ "${#need_apt[@]}" -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
else
  log "Debian packages present"
fi

# v1.13.6 to v1.13.11 cannot be built from the Go module proxy: their go.mod replaces pion/webrtc, dtls and ice
# with LiveKit's "-warp" forks, which `go install` refuses (replace directives) and which the proxy does not serve
# (403 "This module version is not available") even when building inside the module. docs/media.md has the detail.
LIVEKIT_VERSION=v1.13.5
mkdir -p .tools/bin
if [ -x .tools/bin/livekit-server ] && [ "$(cat .tools/livekit-version 2>/dev/null)" = "$LIVEKIT_VERSION" ]; then
  log "livekit-server $LIVEKIT_VERSION present"
else
  gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/server" ] || ! "$gobin/server" --version 2>/dev/null | grep -q "${LIVEKIT_VERSION#v}"; then
    log "go install github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION (a few minutes on 2 cores)"
    go install "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION"
  fi
  cp "$gobin/server" .tools/bin/livekit-server
  echo "$LIVEKIT_VERSION" > .tools/livekit-version
  log "livekit-server $LIVEKIT_VERSION installed at .tools/bin/livekit-server"
fi
[ -x .tools/bin/actionlint ] && .tools/bin/actionlint -version 2>/dev/null | grep -qx 'v1.7.12' || { log "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"; go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 && cp "$(go env GOPATH)/bin/actionlint" .tools/bin/actionlint; }
bash scripts/build-control-plane.sh
