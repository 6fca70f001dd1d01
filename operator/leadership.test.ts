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
const electors: LeaderElector[] = [];
// Electors keep timers running; stop them even when an assertion failed, or the file never exits.
after(async () => {
  await Promise.all(electors.map((e) => e.stop()));
  await server.close();
});

function candidate(identity: string, leaders: Set<string>) {
  const elector = new LeaderElector({
    coordination,
    namespace: 'pass-system',
    name: 'pass-operator',
    identity,
    // Long enough that a starved event loop on a busy CI machine does not lose the Lease; the
    // hand-over below is by release, so the test does not wait for expiry.
    leaseDurationSeconds: 5,
    retryPeriodMs: 20,
    onStartedLeading: () => leaders.add(identity),
    onStoppedLeading: () => leaders.delete(identity),
  });
  electors.push(elector);
  return elector;
}

async function until(check: () => boolean) {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('LeaderElector', () => {
  it('elects exactly one of two operators, and the other takes over when the leader steps down', { timeout: 60_000 }, async () => {
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
