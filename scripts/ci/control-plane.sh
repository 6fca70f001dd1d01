#!/usr/bin/env bash
# The real Kubernetes control plane the operator's tests run against (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok, helm), built from the Go module proxy
# only when a binary is not cached yet (scripts/tools/build-control-plane.sh skips what exists),
# then checked: a binary still missing fails CI here, loudly, instead of tests skipping later.
#
# Cost on a fresh 2-core machine (scripts/tools/time-control-plane-build.sh, empty Go caches):
# 27.5 CPU-minutes in all, Kubernetes' four commands 17.5 of them, etcd 2.3, kwok 4.3, helm 3.4;
# so ~15-20 wall minutes on 2 idle cores (95 on the project's machine under a load of 15-20). The
# whole build is bounded by CONTROL_PLANE_BUILD_TIMEOUT (default 45 min) so a hung download cannot
# eat CI's 90 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v go >/dev/null || { echo "control-plane: Go 1.26 is needed to build the control plane" >&2; exit 1; }

# Modules are resolved from the proxy as the build's throwaway go.mod says; never a vendor tree.
export GOFLAGS="-mod=mod"
timeout "${CONTROL_PLANE_BUILD_TIMEOUT:-45m}" scripts/tools/build-control-plane.sh >/dev/null

missing=0
for dir in $(scripts/tools/build-control-plane.sh --print); do
  case "$dir" in
    */kubernetes-*) tools="kube-apiserver kube-controller-manager kube-scheduler kubectl" ;;
    *) tools="$(basename "$dir" | sed 's/-v[0-9].*//')" ;;
  esac
  for tool in $tools; do
    if [ ! -x "$dir/$tool" ]; then
      echo "control-plane: $dir/$tool is missing after the build" >&2
      missing=1
    fi
  done
done
[ "$missing" = 0 ] || exit 1
echo "control-plane: every binary is built ($(scripts/tools/build-control-plane.sh --print | tr '\n' ' '))"
