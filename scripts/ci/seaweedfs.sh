#!/usr/bin/env bash
# Builds SeaweedFS's `weed` binary (its S3-compatible server is what the object-storage tests talk to)
# from its Go module, once per machine, outside the repository. Prints the binary's path.
# SeaweedFS is Apache-2.0; MinIO's server would be AGPL, so not that one.
set -euo pipefail

# SeaweedFS publishes no semver tags on the module proxy: pin the pseudo-version.
SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/passplatform/bin/seaweedfs-${SEAWEEDFS_VERSION}"
weed="$bin_dir/weed"

if [ ! -x "$weed" ]; then
  command -v go >/dev/null || { echo "seaweedfs.sh: Go is needed to build SeaweedFS" >&2; exit 1; }
  mkdir -p "$bin_dir"
  # A partial build must never look finished: build into a temporary GOBIN, then move into place.
  tmp_bin=$(mktemp -d "$bin_dir.tmp.XXXXXX")
  trap 'rm -rf "$tmp_bin"' EXIT
  # Its go.mod carries replace directives, which `go install module@version` refuses: build the
  # downloaded module as the main module instead (same source, same pinned dependencies).
  module_dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/seaweedfs/seaweedfs@${SEAWEEDFS_VERSION}" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  (cd "$module_dir" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -o "$tmp_bin/weed" ./weed) >&2
  mv "$tmp_bin/weed" "$weed"
fi
echo "$weed"
