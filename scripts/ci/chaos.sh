#!/usr/bin/env bash
# The fault-injection suite (testing/chaos/): its own Postgres (initdb, needs the server binaries
# .ci/run installs) and its own redis-server, never the shared ones. Every scenario; a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run chaos
