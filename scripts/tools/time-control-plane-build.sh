#!/usr/bin/env bash
# Measures what building the control plane costs a fresh machine: every part of
# build-control-plane.sh is built, one after another as CI does, with EMPTY Go build and module
# caches and an empty output directory (all under one temporary directory, removed afterwards;
# the real cache in ~/.cache/passplatform is never touched). Each part runs under `nice -n 19`
# (other work on the machine keeps priority) and `/usr/bin/time -v`; a table of wall time,
# CPU time (user + system) and peak memory per part is printed at the end.
#
#   scripts/tools/time-control-plane-build.sh [PART...]   # default: etcd kwok helm kubernetes crds
#
# Wall time depends on how busy the machine is; CPU time is the figure to compare between runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v /usr/bin/time >/dev/null || { echo "time-control-plane-build: needs GNU time (apt-get install time)" >&2; exit 1; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/control-plane-build.XXXXXX")"
cleanup() {
  # The module cache is written read-only by Go; go clean -modcache knows how to remove it.
  GOMODCACHE="$scratch/gomodcache" go clean -modcache 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

export XDG_CACHE_HOME="$scratch/xdg-cache" GOCACHE="$scratch/gocache" GOMODCACHE="$scratch/gomodcache"
export GOFLAGS="-mod=mod"
mkdir -p "$XDG_CACHE_HOME" "$GOCACHE" "$GOMODCACHE"

parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(etcd kwok helm kubernetes crds)
summary="$scratch/summary"
printf '%-11s %9s %9s %9s %9s\n' part wall_s user_s sys_s maxrss_mb >"$summary"
for part in "${parts[@]}"; do
  report="$scratch/time-$part"
  /usr/bin/time -v -o "$report" nice -n 19 "$here/build-control-plane.sh" "$part" >/dev/null
  field() { sed -n "s/^\s*$1: //p" "$report"; }
  wall="$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.0f", s }')"
  printf '%-11s %9s %9.0f %9.0f %9.0f\n' "$part" "$wall" "$(field 'User time (seconds)')" \
    "$(field 'System time (seconds)')" "$(($(field 'Maximum resident set size (kbytes)') / 1024))" >>"$summary"
done
echo "time-control-plane-build: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end" >&2
cat "$summary"
