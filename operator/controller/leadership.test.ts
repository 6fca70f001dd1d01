/**
 * Leader election against a real kube-apiserver: real Leases (MicroTime renew times, which it
 * refuses in any format but RFC 3339 with six fractional digits), real optimistic-concurrency
 * conflicts between two candidates, and a hand-over on release.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { eventually } from '../../testing/eventually.js';
import { operatorKubeConfig } from '../../testing/control-plane/operator-identity.js';
import { LeaderElector } from './leadership.js';

let cluster: TestControlPlane;
let coordination: CoordinationV1Api;
let namespace: string;
const electors: LeaderElector[] = [];
const errors: unknown[] = [];

before(async () => {
  cluster = await startTestControlPlane();
  namespace = await cluster.namespace('leader');
  // As the operator's own ServiceAccount: the chart's leader-election Role is all it has on Leases.
  coordination = (await operatorKubeConfig(cluster, namespace)).makeApiClient(CoordinationV1Api);
});
// Electors keep timers running; stop them even when an assertion failed, or the file never exits.
after(async () => {
  await Promise.all(electors.map((e) => e.stop()));
  await cluster.stop();
});

function candidate(identity: string, leaders: Set<string>) {
  const elector = new LeaderElector({
    coordination,
    namespace,
    name: 'pass-operator',
    identity,
    // Long enough that a starved event loop on a busy machine does not lose the Lease; the
    // hand-over below is by release, so the test does not wait for expiry.
    leaseDurationSeconds: 15,
    retryPeriodMs: 100,
    onStartedLeading: () => leaders.add(identity),
    onStoppedLeading: () => leaders.delete(identity),
    onError: (error) => errors.push(error),
  });
  electors.push(elector);
  return elector;
}

describe('LeaderElector on a real Lease', () => {
  it('elects exactly one of two operators, renews, and the other takes over when the leader steps down', { timeout: 120_000 }, async () => {
    const leaders = new Set<string>();
    const a = candidate('operator-a', leaders);
    const b = candidate('operator-b', leaders);
    a.start();
    b.start();
    await eventually(async () => leaders.size === 1, 'one leader', 60_000);
    const first = await coordination.readNamespacedLease({ name: 'pass-operator', namespace });
    // The leader renews: the Lease's resourceVersion moves on while the holder stays.
    const renewed = await eventually(
      async () => {
        const lease = await coordination.readNamespacedLease({ name: 'pass-operator', namespace });
        return lease.metadata?.resourceVersion !== first.metadata?.resourceVersion && lease;
      },
      'a renewal',
      60_000,
    );
    assert.equal(leaders.size, 1);
    assert.equal([a, b].filter((e) => e.isLeader).length, 1);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    assert.equal(renewed.spec?.holderIdentity, a.isLeader ? 'operator-a' : 'operator-b');
    assert.deepEqual(errors, [], 'no request was refused');

    await leader.stop();
    await eventually(async () => follower.isLeader, 'the follower leads', 60_000);
    assert.equal(leaders.size, 1);
    const handedOver = await coordination.readNamespacedLease({ name: 'pass-operator', namespace });
    assert.equal(handedOver.spec?.holderIdentity, a === follower ? 'operator-a' : 'operator-b');
    assert.equal(handedOver.spec?.leaseTransitions, 1);
    await follower.stop();
  });
});
