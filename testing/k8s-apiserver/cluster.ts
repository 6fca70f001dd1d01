/**
 * The test API server with the PassPlatform and third-party CRDs installed, and the
 * @kubernetes/client-node clients the operator tests talk to it with.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { installPlatformCrds } from './crds.js';
import { startTestApiServer, type TestApiServer } from './server.js';

export interface TestCluster {
  server: TestApiServer;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  apps: AppsV1Api;
  core: CoreV1Api;
}

export async function startTestCluster(): Promise<TestCluster> {
  const server = await startTestApiServer();
  installPlatformCrds(server.resources);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfig());
  return {
    server,
    kubeConfig,
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kubeConfig),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
  };
}
