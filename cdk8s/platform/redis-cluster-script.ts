/**
 * The shell script the Redis cluster Job runs (POSIX sh, redis-cli only). Idempotent: it forms the
 * cluster from the shard primaries if no cluster exists, joins primaries and replicas that are not
 * in it yet, moves every slot off primaries beyond SHARDS (pods the operator is about to remove),
 * forgets those nodes, and rebalances. The operator shrinks the StatefulSet only once this Job
 * has succeeded.
 */
export const REDIS_CLUSTER_SCRIPT = `#!/bin/sh
set -eu
PER=$((REPLICAS_PER_SHARD + 1))
WANTED=$((SHARDS * PER))
cli() { redis-cli --no-auth-warning -a "$REDIS_PASSWORD" "$@"; }
# NODE_ADDRESS_FORMAT (printf, one %d) overrides the pod DNS names; the tests run the script against local servers.
host() { if [ -n "\${NODE_ADDRESS_FORMAT:-}" ]; then printf "$NODE_ADDRESS_FORMAT" "$1"; else echo "$STATEFULSET-$1.$SERVICE"; fi; }
node_id() { cli -h "$(host "$1")" cluster myid; }
in_cluster() { cli -h "$(host 0)" cluster nodes | grep -q "^$1 "; }
# True when each of the first $1 nodes knows exactly $1 nodes, none still in handshake or failing.
# A join reaches the other nodes by gossip, one at a time: "--cluster check" compares slot layouts
# only, and a rebalance that moves slots to a node some primary has not heard of yet fails.
members_agree() {
  j=0
  while [ "$j" -lt "$1" ]; do
    healthy=$(cli -h "$(host "$j")" cluster nodes | awk '$3 !~ /handshake|fail|noaddr/' | wc -l)
    if [ "$healthy" -ne "$1" ]; then return 1; fi
    j=$((j + 1))
  done
}
# Waits (up to a minute) until the first $1 nodes agree on who is in the cluster and on the slot
# layout: gossip lags each change.
settle() {
  n=0
  until members_agree "$1" && cli --cluster check "$FIRST" >/dev/null 2>&1; do
    n=$((n + 1))
    if [ "$n" -ge 30 ]; then return 1; fi
    sleep 2
  done
}

for i in $(seq 0 $((WANTED - 1))); do
  until cli -h "$(host "$i")" ping 2>/dev/null | grep -q PONG; do sleep 2; done
done
# Pods beyond WANTED still answering are shards being removed.
TOTAL=$WANTED
while cli -h "$(host "$TOTAL")" ping 2>/dev/null | grep -q PONG; do TOTAL=$((TOTAL + 1)); done

FIRST="$(host 0):6379"
KNOWN=$(cli -h "$(host 0)" cluster info | sed -n 's/^cluster_known_nodes:\\([0-9]*\\).*/\\1/p')
if [ "$KNOWN" = "1" ]; then
  PRIMARIES=""
  for s in $(seq 0 $((SHARDS - 1))); do PRIMARIES="$PRIMARIES $(host $((s * PER))):6379"; done
  # shellcheck disable=SC2086
  cli --cluster create $PRIMARIES --cluster-yes
fi

for s in $(seq 0 $(((TOTAL / PER) - 1))); do
  p=$((s * PER))
  PRIMARY_ID=$(node_id "$p")
  if ! in_cluster "$PRIMARY_ID"; then cli --cluster add-node "$(host "$p"):6379" "$FIRST"; fi
  # The first node learns of a new primary by gossip; its replicas can only be attached after that.
  until in_cluster "$PRIMARY_ID"; do sleep 1; done
  r=1
  while [ "$r" -le "$REPLICAS_PER_SHARD" ]; do
    REPLICA_ID=$(node_id $((p + r)))
    if ! in_cluster "$REPLICA_ID"; then
      cli --cluster add-node "$(host $((p + r))):6379" "$FIRST" --cluster-slave --cluster-master-id "$PRIMARY_ID"
    fi
    r=$((r + 1))
  done
done
settle "$TOTAL"

WEIGHTS=""
if [ "$TOTAL" -gt "$WANTED" ]; then
  for s in $(seq "$SHARDS" $(((TOTAL / PER) - 1))); do WEIGHTS="$WEIGHTS $(node_id $((s * PER)))=0"; done
fi
if [ -n "$WEIGHTS" ]; then
  # shellcheck disable=SC2086
  cli --cluster rebalance "$FIRST" --cluster-use-empty-masters --cluster-yes --cluster-weight $WEIGHTS
else
  cli --cluster rebalance "$FIRST" --cluster-use-empty-masters --cluster-yes
fi

settle "$TOTAL"
i=$((TOTAL - 1))
while [ "$i" -ge "$WANTED" ]; do
  cli --cluster del-node "$FIRST" "$(node_id "$i")"
  i=$((i - 1))
done
settle "$WANTED"
cli --cluster check "$FIRST"
`;
