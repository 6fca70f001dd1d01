/**
 * The control plane as tests use it. `npm test` starts one for the whole run (see
 * scripts/run-tests.ts) and names its directory in PASSPLATFORM_TEST_CONTROL_PLANE; each test file
 * attaches to it and works in namespaces of its own. A file run on its own, or one that must
 * restart kube-apiserver or compact etcd (`own: true`), starts a private one and stops it after.
 */
import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from './control-plane.js';

export const SHARED_CONTROL_PLANE_ENV = 'PASSPLATFORM_TEST_CONTROL_PLANE';

/** What a test uses of the control plane: its clients and a namespace of its own. */
export interface ControlPlaneClients {
  plane: ControlPlane;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  apps: AppsV1Api;
  core: CoreV1Api;
  /** Creates a namespace named `<base>-<random>` and returns its name. */
  namespace(base: string): Promise<string>;
}

export interface TestControlPlane extends ControlPlaneClients {
  /** Stops the control plane if this file started it; a shared one is left to the runner. */
  stop(): Promise<void>;
}

export async function startTestControlPlane(options: { own?: boolean; watchFromEtcd?: boolean } = {}): Promise<TestControlPlane> {
  const sharedDir = process.env[SHARED_CONTROL_PLANE_ENV];
  // A plane started differently from the shared one is always the file's own.
  const own = options.own || options.watchFromEtcd || !sharedDir;
  const plane = own ? await ControlPlane.start({ watchFromEtcd: options.watchFromEtcd }) : ControlPlane.attach(sharedDir as string);
  const kubeConfig = plane.kubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    plane,
    kubeConfig,
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core,
    namespace: async (base) => {
      const name = `${base}-${randomBytes(3).toString('hex')}`;
      await core.createNamespace({
        body: {
          metadata: { name, labels: { 'passplatform.io/test': 'true' } },
        },
      });
      return name;
    },
    stop: async () => {
      if (own) await plane.stop();
    },
  };
}
