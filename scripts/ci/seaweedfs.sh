#!/usr/bin/env bash
# SeaweedFS's `weed` binary, whose S3 server the object-storage tests talk to (testing/seaweedfs.ts),
# built from its Go module once per machine, outside the repository. Prints the binary's path.
# SeaweedFS is Apache-2.0 (MinIO's server is AGPL, so not that one).
#
#   scripts/ci/seaweedfs.sh            # build when missing, print the path
#   scripts/ci/seaweedfs.sh --print    # only print where the binary lives
#
# Cost on a fresh 2-core machine: one Go build of the module, several minutes; bounded by
# SEAWEEDFS_BUILD_TIMEOUT (default 30 min) so a hung download cannot eat CI's 90 minutes.
set -euo pipefail

# SeaweedFS publishes no semver tags on the module proxy: the pseudo-version is the pin.
SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/passplatform"
bin_dir="$cache/bin/seaweedfs-$SEAWEEDFS_VERSION"
weed="$bin_dir/weed"

if [ "${1:-}" = "--print" ]; then
  echo "$weed"
  exit 0
fi

build() {
  command -v go >/dev/null || { echo "seaweedfs.sh: Go 1.26 is needed to build SeaweedFS" >&2; exit 1; }
  # One Go build at a time on the machine (scripts/tools/build-control-plane.sh takes the same lock).
  mkdir -p "$cache/bin"
  exec 9>"$cache/build.lock"
  flock 9
  [ -x "$weed" ] && return 0
  echo "seaweedfs.sh: building github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" >&2
  local start=$SECONDS tmp_bin module_dir
  # A partial build must never look finished: build beside the target, then move it into place.
  tmp_bin="$(mktemp -d "$bin_dir.tmp.XXXXXX")"
  trap 'rm -rf "$tmp_bin"' EXIT
  # Its go.mod has replace directives, which `go install module@version` refuses: build the
  # downloaded module as the main module instead (same source, same pinned dependencies).
  module_dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  (cd "$module_dir" && GOFLAGS="-mod=mod -buildvcs=false -trimpath" CGO_ENABLED=0 \
    timeout "${SEAWEEDFS_BUILD_TIMEOUT:-30m}" go build -ldflags "-s -w" -o "$tmp_bin/weed" ./weed) >&2
  mkdir -p "$bin_dir"
  mv "$tmp_bin/weed" "$weed"
  # The EXIT trap names a local that is gone once build returns (set -u would fail the script there).
  rm -rf "$tmp_bin"
  trap - EXIT
  echo "seaweedfs.sh: built in $((SECONDS - start))s" >&2
}

[ -x "$weed" ] || build
echo "$weed"
