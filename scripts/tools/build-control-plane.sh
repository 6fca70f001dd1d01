#!/usr/bin/env bash
# Builds the real Kubernetes control plane the operator's tests run against, from the Go module
# proxy: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (one pinned
# Kubernetes release), kwok (fake kubelets) and helm. Idempotent: a binary already in the cache
# is never rebuilt, so CI and developers pay the build once per machine.
#
#   scripts/tools/build-control-plane.sh            # build what is missing, print the bin dirs
#   scripts/tools/build-control-plane.sh --print    # only print where the binaries live
#   scripts/tools/build-control-plane.sh etcd helm  # build only these (etcd kwok helm kubernetes crds)
#
# Binaries land in ${XDG_CACHE_HOME:-$HOME/.cache}/passplatform/bin/<tool>-<version>/. To measure a
# build from scratch without touching that cache, point XDG_CACHE_HOME (and GOCACHE, GOMODCACHE) at
# empty directories: scripts/tools/time-control-plane-build.sh does exactly that.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=control-plane-versions.env
source "$here/control-plane-versions.env"

cache="${XDG_CACHE_HOME:-$HOME/.cache}/passplatform"
k8s_bin="$cache/bin/kubernetes-$KUBERNETES_VERSION"
etcd_bin="$cache/bin/etcd-$ETCD_VERSION"
kwok_bin="$cache/bin/kwok-$KWOK_VERSION"
helm_bin="$cache/bin/helm-$HELM_VERSION"

if [ "${1:-}" = "--print" ]; then
  printf '%s\n' "$k8s_bin" "$etcd_bin" "$kwok_bin" "$helm_bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-control-plane: Go is needed (the machine's go 1.26)" >&2; exit 1; }
export GOFLAGS="${GOFLAGS:-} -trimpath"
export CGO_ENABLED=0

log() { echo "build-control-plane: $*" >&2; }
timed() { # timed NAME COMMAND...: run and report the wall time, so slow builds are visible in CI logs
  local name="$1" start=$SECONDS
  shift
  "$@"
  log "$name built in $((SECONDS - start))s"
}

# Writes dir's go.mod as a throwaway module, built outside the repository.
work_module() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && go mod init passplatform.local/controlplane-build >/dev/null 2>&1)
}

build_kubernetes() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local missing=0 b
  for b in "${want[@]}"; do [ -x "$k8s_bin/$b" ] || missing=1; done
  [ "$missing" = 0 ] && return 0
  log "building Kubernetes $KUBERNETES_VERSION (${want[*]}); this takes many minutes on 2 cores"
  local dir="$cache/build/kubernetes-$KUBERNETES_VERSION"
  work_module "$dir"
  cd "$dir"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging in
  # its own go.mod, which Go ignores for a dependency: point every one at its published release.
  local gomod staging_version="v0${KUBERNETES_VERSION#v1}"
  gomod="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  local mod
  for mod in $(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace "$mod=$mod@$staging_version"
  done
  go mod edit -require "k8s.io/kubernetes@$KUBERNETES_VERSION"
  local pkgs=() p
  for b in "${want[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  # Resolve the whole graph from the pinned release (go get is the ordinary client for that).
  go get "${pkgs[@]/%/@$KUBERNETES_VERSION}" >/dev/null 2>&1 || go get "${pkgs[@]}"
  # The version a client sees (kubectl version, helm's kubeVersion checks) is stamped at link time.
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$k8s_bin.tmp"
  go build -ldflags "$ldflags" -o "$k8s_bin.tmp/" "${pkgs[@]}"
  rm -rf "$k8s_bin"
  mv "$k8s_bin.tmp" "$k8s_bin"
}

build_etcd() {
  [ -x "$etcd_bin/etcd" ] && return 0
  log "building etcd $ETCD_VERSION"
  local dir="$cache/build/etcd-$ETCD_VERSION"
  work_module "$dir"
  cd "$dir"
  # etcd's own main module replaces its siblings with ../ paths, so it cannot be go-installed:
  # its main is one call to etcdmain.Main, which this throwaway module makes instead.
  cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null
  go mod tidy >/dev/null
  mkdir -p "$etcd_bin.tmp"
  go build -ldflags "-s -w" -o "$etcd_bin.tmp/etcd" .
  rm -rf "$etcd_bin"
  mv "$etcd_bin.tmp" "$etcd_bin"
}

go_install() { # go_install BINDIR NAME PACKAGE@VERSION
  local bindir="$1" name="$2" pkg="$3"
  [ -x "$bindir/$name" ] && return 0
  log "building $pkg"
  mkdir -p "$bindir.tmp"
  GOBIN="$bindir.tmp" go install -ldflags "-s -w" "$pkg"
  rm -rf "$bindir"
  mv "$bindir.tmp" "$bindir"
}

download_crds() { # the CRDs the tests install come from these modules' own trees, in the module cache
  go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CLOUDNATIVE_PG_VERSION" >/dev/null
  go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" >/dev/null
}

build() { # build TOOL: one of the parts named in the usage above
  case "$1" in
    etcd) timed etcd build_etcd ;;
    kwok) timed kwok go_install "$kwok_bin" kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" ;;
    helm) timed helm go_install "$helm_bin" helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ;;
    kubernetes) timed kubernetes build_kubernetes ;;
    crds) download_crds ;;
    *) log "unknown part '$1' (etcd kwok helm kubernetes crds)"; exit 2 ;;
  esac
}

mkdir -p "$cache/bin" "$cache/build"
# One build at a time: the machine has 2 cores and each Go build already uses both.
exec 9>"$cache/build.lock"
flock 9
parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(etcd kwok helm kubernetes crds)
for part in "${parts[@]}"; do (build "$part"); done
printf '%s\n' "$k8s_bin" "$etcd_bin" "$kwok_bin" "$helm_bin"
