#!/usr/bin/env bash
# Builds the Kubernetes control plane the cluster tests run (test/support/control-plane.ts) from the Go
# module proxy, into .tools/bin/: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
# and helm. Kubernetes is built at a patch release of the DOKS minor the stacks pin (stacks/doks-versions.ts);
# test/cluster/versions.test.ts checks the minor against every stack's plan and the binaries against this file.
#
# k8s.io/kubernetes and etcd's server module carry `replace` directives that `go install pkg@version`
# refuses, so each is built inside a throwaway wrapper module that requires the module and copies its
# replace block with the staging modules pinned to their published versions. The Kubernetes binaries get
# their version stamped as the release build does (hack/lib/version.sh in kubernetes/kubernetes), so the
# API server reports v1.35.x and `helm template --kube-version` sees a real version.
# Cold caches on 2 cores: ~12 minutes (kube-apiserver dominates); warm: seconds. Idempotent: each part is
# rebuilt only when its binaries are missing or report another version.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.6.17
HELM_VERSION=v3.22.0

BIN="$PWD/.tools/bin"
log() { printf '[build-control-plane] %s\n' "$*"; }
mkdir -p "$BIN"
export CGO_ENABLED=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- etcd: the binary is the root package of go.etcd.io/etcd/server/v3 -------------------------------
if "$BIN/etcd" --version 2>/dev/null | grep -qx "etcd Version: ${ETCD_VERSION#v}"; then
  log "etcd $ETCD_VERSION present"
else
  log "etcd $ETCD_VERSION"
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init gomeet.test/etcd-build >/dev/null 2>&1
  go mod edit -require "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  for m in api/v3 client/pkg/v3 client/v3 pkg/v3; do
    go mod edit -replace "go.etcd.io/etcd/$m=go.etcd.io/etcd/$m@$ETCD_VERSION"
  done
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  cd - >/dev/null
fi

# --- Kubernetes: copy k8s.io/kubernetes' replace block, pinned to the staging modules' versions ------
k8s_present=true
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  [ "$("$BIN/$b" --version 2>/dev/null)" = "Kubernetes $KUBERNETES_VERSION" ] || k8s_present=false
done
"$BIN/kubectl" version --client 2>/dev/null | grep -qx "Client Version: $KUBERNETES_VERSION" || k8s_present=false
if $k8s_present; then
  log "kubernetes $KUBERNETES_VERSION present"
else
  log "kubernetes $KUBERNETES_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl; ~12 min cold)"
  mkdir -p "$work/k8s" && cd "$work/k8s"
  go mod init gomeet.test/kubernetes-build >/dev/null 2>&1
  staging="v0.${KUBERNETES_VERSION#v1.}"
  gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod"
  [ -f "$gomod" ] || go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  # every `k8s.io/<m> => ./staging/src/k8s.io/<m>` line of kubernetes' go.mod
  mapfile -t mods < <(grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}')
  [ "${#mods[@]}" -gt 20 ] || { echo "could not read the replace block of k8s.io/kubernetes $KUBERNETES_VERSION" >&2; exit 1; }
  go mod edit -require "k8s.io/kubernetes@$KUBERNETES_VERSION"
  for m in "${mods[@]}"; do go mod edit -replace "$m=$m@$staging"; done
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy >/dev/null 2>&1 || go get "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    log "  go build $b"
    go build -trimpath -ldflags "-s -w$stamp" -o "$BIN/$b" "k8s.io/kubernetes/cmd/$b"
  done
  cd - >/dev/null
fi

# --- helm, with its own version and the Kubernetes minor stamped (helm's Makefile stamps the version; the
# minor is what `helm template` assumes without --kube-version) ---------------------------------------
if "$BIN/helm" version --short 2>/dev/null | grep -qx "$HELM_VERSION"; then
  log "helm $HELM_VERSION present"
else
  log "helm $HELM_VERSION"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  GOBIN="$work/helm-bin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  cp "$work/helm-bin/helm" "$BIN/helm"
fi

log "ready in .tools/bin: kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION, helm $HELM_VERSION"
