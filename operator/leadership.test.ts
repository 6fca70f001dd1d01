import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { startTestApiServer, type TestApiServer } from '../testing/k8s-apiserver/server.js';
import { LeaderElector } from './leadership.js';

let server: TestApiServer;
let coordination: CoordinationV1Api;

before(async () => {
  server = await startTestApiServer();
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  coordination = kc.makeApiClient(CoordinationV1Api);
});
after(() => server.close());

function candidate(identity: string, leaders: Set<string>) {
  return new LeaderElector({
    coordination,
    namespace: 'pass-system',
    name: 'pass-operator',
    identity,
    leaseDurationSeconds: 1,
    retryPeriodMs: 20,
    onStartedLeading: () => leaders.add(identity),
    onStoppedLeading: () => leaders.delete(identity),
  });
}

async function until(check: () => boolean) {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('LeaderElector', () => {
  it('elects exactly one of two operators, and the other takes over when the leader steps down', async () => {
    const leaders = new Set<string>();
    const a = candidate('operator-a', leaders);
    const b = candidate('operator-b', leaders);
    a.start();
    b.start();
    await until(() => leaders.size === 1);
    // Several renew periods later there is still one leader.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(leaders.size, 1);
    assert.equal([a, b].filter((e) => e.isLeader).length, 1);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    const lease = await coordination.readNamespacedLease({ name: 'pass-operator', namespace: 'pass-system' });
    assert.equal(lease.spec?.holderIdentity, a.isLeader ? 'operator-a' : 'operator-b');

    await leader.stop();
    await until(() => follower.isLeader);
    assert.equal(leaders.size, 1);
    const after = await coordination.readNamespacedLease({ name: 'pass-operator', namespace: 'pass-system' });
    assert.equal(after.spec?.leaseTransitions, 1);
    await follower.stop();
  });
});
