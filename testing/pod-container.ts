/**
 * Starts one container of a rendered pod from the runtime tree, with exactly what the kubelet
 * would give it (testing/pod-environment.ts) inside a sandbox shaped like the container
 * (testing/container-sandbox.ts): the image's working directory and ENV, the container's command
 * and args, its environment, and its volume mounts — and nothing else to write to.
 */
import { freePort } from '../core/ports.js';
import { runtimeImageConfig } from './runtime-tree.js';
import { runSandboxed, type SandboxMount, type SandboxedProcess } from './container-sandbox.js';
import {
  containerVariables,
  declaredPort,
  mapAddresses,
  mapDeclaredPorts,
  type Container,
  type NamespaceObjects,
  type PodIdentity,
} from './pod-environment.js';

/** PATH of the image's base (node:20-bookworm-slim's ENV): the Dockerfile inherits it. */
const BASE_IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PodContainerOptions {
  tree: string;
  pod: PodIdentity;
  container: Container;
  objects: NamespaceObjects;
  /** Cluster address (`host:port` as values carry it) → loopback address. */
  addresses: Record<string, string>;
  /** What a cluster hostname looks like: any left after mapping fails the start. */
  clusterHost: RegExp;
  /** The pod's volumes by name (host directories); the container mounts those it names. */
  volumes: Map<string, string>;
  /** The `kubernetes` Service every container is told about (KUBERNETES_SERVICE_HOST/PORT), mapped. */
  kubernetesService: { host: string; port: number };
}

export interface PodContainer extends SandboxedProcess {
  /** The environment it was started with. */
  env: Record<string, string>;
  /** Host port of a declared container port (by name or number). */
  hostPort(port: string | number): number;
}

export async function startPodContainer(options: PodContainerOptions): Promise<PodContainer> {
  const { container } = options;
  const image = runtimeImageConfig();
  const ports = new Map<number, number>();
  for (const port of container.ports ?? []) ports.set(port.containerPort, await freePort());
  const own = mapDeclaredPorts(
    mapAddresses(containerVariables(container, options.objects, options.pod), options.addresses, options.clusterHost),
    ports,
  );
  const env = {
    PATH: BASE_IMAGE_PATH,
    ...image.env,
    HOSTNAME: options.pod.name,
    // No passwd entry for the image's numeric user: the runtime sets HOME to /.
    HOME: '/',
    KUBERNETES_SERVICE_HOST: options.kubernetesService.host,
    KUBERNETES_SERVICE_PORT: String(options.kubernetesService.port),
    ...own,
  };
  const mounts: SandboxMount[] = (container.volumeMounts ?? []).map((mount) => {
    const hostDir = options.volumes.get(mount.name);
    if (!hostDir) throw new Error(`container ${container.name} mounts volume ${mount.name}, which the pod does not have`);
    return { mountPath: mount.mountPath, hostDir, readOnly: mount.readOnly ?? false };
  });
  const started = runSandboxed({
    tree: options.tree,
    workingDir: image.workingDir,
    command: [...(container.command ?? []), ...(container.args ?? [])],
    env,
    mounts,
  });
  return {
    ...started,
    env,
    hostPort(port) {
      const declared = declaredPort(container, port);
      const host = ports.get(declared);
      if (host === undefined) throw new Error(`port ${port} of ${container.name} is not mapped`);
      return host;
    },
  };
}
