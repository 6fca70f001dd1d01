#!/usr/bin/env bash
# Runs test files while every core of the machine is taken by busy loops, to show the tests do not
# depend on how fast the machine is. BUSY busy loops (default: one per core, `nproc`) spin at the
# tests' own priority (not niced: the point is that the tests get no more than their share), for at
# most LOAD_SECONDS (default 3600: `timeout` ends them even if this script is killed), and are
# stopped, by their process ids, when the tests end. At the end it prints how much CPU the busy
# loops really took (from /proc, in cores' worth over the run), the load average and the result.
#
#   scripts/tools/test-under-load.sh TEST_FILE_OR_SUBSTRING...     # as scripts/run-tests.ts takes them
#   BUSY=4 scripts/tools/test-under-load.sh operator/autoscaling-prometheus.test.ts
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$#" -gt 0 ] || { echo "usage: $0 TEST_FILE_OR_SUBSTRING..." >&2; exit 2; }

busy="${BUSY:-$(nproc)}"
ticks_per_second="$(getconf CLK_TCK)"
pids=()
stop_busy_loops() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_busy_loops EXIT
for _ in $(seq "$busy"); do
  timeout "${LOAD_SECONDS:-3600}" bash -c 'while :; do :; done' &
  pids+=("$!")
done

# CPU time (user + system, in clock ticks) of a busy loop and its children so far.
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    if [ -r "/proc/$pid/stat" ]; then
      # Fields 14-17: utime stime cutime cstime (after the command name, which may hold spaces).
      read -r -a fields <<<"$(sed 's/^.*) //' "/proc/$pid/stat")"
      total=$((total + fields[11] + fields[12] + fields[13] + fields[14]))
    fi
  done
  echo "$total"
}
# The spinning shells are children of `timeout`: measure them.
spinners() {
  local pid
  for pid in "${pids[@]}"; do pgrep -P "$pid" || true; done
}

started="$(date +%s)"
echo "test-under-load: $busy busy loops on $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg)), running: $*" >&2
set +e
npx tsx scripts/run-tests.ts "$@"
code=$?
set -e
elapsed=$(($(date +%s) - started))
ticks="$(cpu_ticks $(spinners))"
stop_busy_loops
awk -v ticks="$ticks" -v hz="$ticks_per_second" -v s="$elapsed" -v n="$busy" -v code="$code" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
  'BEGIN { printf "test-under-load: exit %d after %d s; the %d busy loops took %.0f CPU-s (%.2f cores on average); load average %s\n", code, s, n, ticks / hz, ticks / hz / (s > 0 ? s : 1), load }' >&2
exit "$code"
