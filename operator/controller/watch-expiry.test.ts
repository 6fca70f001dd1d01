/**
 * Watch expiry for real: kube-apiserver is stopped, etcd's history is compacted (what
 * kube-apiserver does every five minutes), and kube-apiserver starts again. The controller's
 * watches were cut and the history they resume from is compacted: each one is answered 410 Gone
 * (the controller notes it, kind by kind), relists, and reconciling goes on.
 *
 * kube-apiserver here serves watches from etcd (no watch cache), so the 410 is etcd's compaction
 * and nothing else: a restart without compaction first shows the watches resuming from etcd's
 * history with no 410 at all. (A watch cache answers 410 to every watch older than its fresh
 * start, compacted or not, which would prove nothing about compaction.) Its own control plane:
 * restarting the shared one would cut every other file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHILD_KINDS } from '../../cdk8s/child-kinds.js';
import { childNames } from '../../cdk8s/platform/names.js';
import { startTestControlPlane, type TestControlPlane } from '../../testing/control-plane/for-tests.js';
import { DEADLINE_MS, getPlatform, patchPlatformSpec, startTestController } from '../../testing/control-plane/platform-controller.js';
import { eventually } from '../../testing/eventually.js';
import { platformManifest } from '../fixtures.js';
import { API_GROUP, API_VERSION, KIND, PLURAL } from '../../platform-api/v1alpha1/index.js';
import { WATCH_EXPIRED } from './controller.js';

let cluster: TestControlPlane;

before(async () => {
  cluster = await startTestControlPlane({ watchFromEtcd: true });
});
after(async () => {
  await cluster.stop();
});

const WATCHED_KINDS = [KIND, ...CHILD_KINDS.map((k) => k.kind)];
const expiries = (notes: string[]) => notes.filter((n) => n.startsWith(WATCH_EXPIRED));

describe('watch expiry through a real compaction', () => {
  it(
    'keeps reconciling after kube-apiserver restarts over an etcd compacted past what the controller had seen',
    { timeout: 600_000 },
    async () => {
      const namespace = await cluster.namespace('gone');
      const operator = await startTestController(cluster, namespace);
      const apiReplicas = async () =>
        (await cluster.apps.readNamespacedDeployment({ name: childNames('campus').api, namespace })).spec?.replicas;
      /** A spec change, and the controller applying it: its watches are working again. */
      const converges = async (minReplicas: number, after: string) => {
        await patchPlatformSpec(cluster, namespace, { api: { minReplicas } });
        await eventually(async () => (await apiReplicas()) === minReplicas, `the API floor ${minReplicas} applied ${after}`, DEADLINE_MS);
        await operator.settled();
      };
      try {
        await cluster.custom.createNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          namespace,
          plural: PLURAL,
          body: platformManifest('campus', namespace),
        });
        await eventually(apiReplicas, 'children created', DEADLINE_MS);
        await operator.settled();

        // The control: a restart alone. Every watch resumes from etcd's history; none expires.
        await cluster.plane.restartApiServer();
        await converges(3, 'after a restart');
        assert.deepEqual(expiries(operator.notes), [], 'no watch expired without a compaction');

        const seen = (await getPlatform(cluster, namespace)).metadata.resourceVersion as string;
        let compactedAt = 0;
        await cluster.plane.restartApiServer(async () => {
          compactedAt = await cluster.plane.compactEtcd();
        });
        assert.ok(compactedAt > Number(seen), `compacted past ${seen} (to ${compactedAt})`);
        // Each watch resumed from a compacted revision: 410 Gone, noted for the PassPlatform watch
        // and every child kind's, and a relist.
        await eventually(
          async () => WATCHED_KINDS.every((kind) => operator.notes.includes(`${WATCH_EXPIRED} (${kind})`)),
          `410 Gone on every watch; the controller noted: ${operator.notes.join(' | ')}`,
          DEADLINE_MS,
        );
        await converges(4, 'after the relist');
      } finally {
        await operator.stop();
      }
    },
  );
});
