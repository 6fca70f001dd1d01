/**
 * Watch expiry for real: kube-apiserver is stopped, etcd's history is compacted (what
 * kube-apiserver does every five minutes), and kube-apiserver starts again. The controller's
 * watches were cut and the history they resume from is compacted: each one is answered 410 Gone
 * (the test sees the controller note it, kind by kind), relists, and reconciling goes on. Its own control plane: restarting the shared one would cut every other file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { childNames } from '../../cdk8s/platform/names.js';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { DEADLINE_MS, getPlatform, patchPlatformSpec, startTestController } from '../../testing/control-plane/platform-controller.js';
import { eventually } from '../../testing/eventually.js';
import { platformManifest } from '../fixtures.js';
import { API_GROUP, API_VERSION, KIND, PLURAL } from '../../platform-api/v1alpha1/index.js';
import { CHILD_KINDS } from '../../cdk8s/child-kinds.js';
import { WATCH_EXPIRED } from './controller.js';

let cluster: TestControlPlane;

before(async () => {
  cluster = await startTestControlPlane({ own: true });
});
after(async () => {
  await cluster.stop();
});

describe('watch expiry through a real compaction', () => {
  it(
    'keeps reconciling after kube-apiserver restarts over an etcd compacted past what the controller had seen',
    { timeout: 600_000 },
    async () => {
      const namespace = await cluster.namespace('gone');
      const operator = await startTestController(cluster, namespace);
      try {
        await cluster.custom.createNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          namespace,
          plural: PLURAL,
          body: platformManifest('campus', namespace),
        });
        await eventually(
          () => cluster.apps.readNamespacedDeployment({ name: childNames('campus').api, namespace }),
          'children created',
          DEADLINE_MS,
        );
        await operator.settled();
        const seen = (await getPlatform(cluster, namespace)).metadata.resourceVersion as string;

        let compactedAt = 0;
        await cluster.plane.restartApiServer(async () => {
          compactedAt = await cluster.plane.compactEtcd();
        });
        assert.ok(compactedAt > Number(seen), `compacted past ${seen} (to ${compactedAt})`);
        // Each watch resumed from a compacted resource version and was answered 410 Gone: the
        // controller says so for the PassPlatform watch and every child kind's, and relists.
        await eventually(
          async () => [KIND, ...CHILD_KINDS.map((k) => k.kind)].every((kind) => operator.notes.includes(`${WATCH_EXPIRED} (${kind})`)),
          `410 Gone on every watch; the controller noted: ${operator.notes.join(' | ')}`,
          DEADLINE_MS,
        );

        await patchPlatformSpec(cluster, namespace, { api: { minReplicas: 3 } });
        await eventually(
          async () => (await cluster.apps.readNamespacedDeployment({ name: childNames('campus').api, namespace })).spec?.replicas === 3,
          'the change seen after the relist',
          DEADLINE_MS,
        );
        await operator.settled();
      } finally {
        await operator.stop();
      }
    },
  );
});
