/**
 * The control-plane set-up the operator's test files share, declared once (the counterpart of
 * `useTestEnvironment` for the API). `useControlPlane()` attaches to the run's control plane (or
 * starts the file's own) before the file's tests and lets go of it after; a test then asks it for
 * `controllerFor(t, base)`: a namespace of its own and a controller watching it as the operator's
 * ServiceAccount, stopped when the test ends. `useOperatorNamespace(base)` is for a file that runs
 * the whole operator in one namespace: the namespace, named at once (queries are built from it at
 * load), and the operator's credentials in it.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { KubeConfig } from '@kubernetes/client-node';
import { childNames } from '../../cdk8s/platform/names.js';
import type { PassPlatform } from '../../platform-api/v1alpha1/index.js';
import { heldForTheFile, readThrough } from '../held-for-the-file.js';
import { startTestControlPlane, type ControlPlaneClients } from './for-tests.js';
import { operatorKubeConfig } from './operator-identity.js';
import {
  createPlatform,
  getPlatform,
  startTestController,
  type TestController,
  type TestControllerOptions,
} from './platform-controller.js';

export interface UsedControlPlane extends ControlPlaneClients {
  /** A namespace named `<base>-<random>` and a controller watching it; the controller stops when `t` ends. */
  controllerFor(t: TestContext, base: string, options?: TestControllerOptions): Promise<{ namespace: string; operator: TestController }>;
}

/** The control plane for every test of the file (`watchFromEtcd` or `own`: a private one, see for-tests.ts). */
export function useControlPlane(options: { own?: boolean; watchFromEtcd?: boolean } = {}): UsedControlPlane {
  const ready = heldForTheFile('useControlPlane()', async (onEnd) => {
    const cluster = await startTestControlPlane(options);
    onEnd(() => cluster.stop());
    return cluster;
  });
  return Object.assign(readThrough(ready, ['plane', 'kubeConfig', 'custom', 'objects', 'apps', 'core'] as const), {
    namespace: (base: string) => ready().namespace(base),
    async controllerFor(t: TestContext, base: string, controllerOptions: TestControllerOptions = {}) {
      const namespace = await ready().namespace(base);
      const operator = await startTestController(ready(), namespace, controllerOptions);
      t.after(() => operator.stop());
      return { namespace, operator };
    },
  });
}

export interface UsedOperatorNamespace {
  readonly cluster: ControlPlaneClients;
  /** `<base>-<random>`, known before the control plane is up. */
  readonly namespace: string;
  /** The operator's ServiceAccount in that namespace, with the chart's RBAC. */
  readonly kubeConfig: KubeConfig;
  /** Creates a PassPlatform in the namespace. */
  createPlatform(manifest: object): Promise<void>;
  /** The platform as the API server has it now. */
  platform(name?: string): Promise<PassPlatform>;
  /** The API Deployment's wanted replicas (undefined until it exists). */
  apiReplicas(name?: string): Promise<number | undefined>;
}

/** One namespace on the run's control plane for the file's operator, created before its tests. */
export function useOperatorNamespace(base: string): UsedOperatorNamespace {
  const namespace = `${base}-${randomBytes(3).toString('hex')}`;
  const ready = heldForTheFile(`useOperatorNamespace('${base}')`, async (onEnd) => {
    const cluster = await startTestControlPlane();
    onEnd(() => cluster.stop());
    await cluster.core.createNamespace({ body: { metadata: { name: namespace, labels: { 'passplatform.io/test': 'true' } } } });
    return { cluster, kubeConfig: await operatorKubeConfig(cluster, namespace) };
  });
  return {
    get cluster() {
      return ready().cluster;
    },
    namespace,
    get kubeConfig() {
      return ready().kubeConfig;
    },
    createPlatform: async (manifest) => {
      await createPlatform(ready().cluster, namespace, manifest);
    },
    platform: (name = 'campus') => getPlatform(ready().cluster, namespace, name),
    apiReplicas: async (name = 'campus') =>
      (await ready().cluster.apps.readNamespacedDeployment({ name: childNames(name).api, namespace })).spec?.replicas,
  };
}
