/**
 * What the kubelet gives a container of a rendered pod, worked out from the manifests alone: its
 * environment (envFrom, then env; Secret and ConfigMap references resolved against the objects
 * given, missing non-optional keys refused as the kubelet refuses them; the downward API), the
 * variables every container gets (the image's ENV, HOSTNAME, the `kubernetes` Service), and its
 * probes and ports. Nothing is guessed: an unsupported reference throws.
 *
 * Running outside a cluster, two things are mapped, openly, by tables the caller passes: cluster
 * addresses (`<service>:<port>` as they appear in values) to loopback ones, and the container's
 * declared ports to free host ports (pods share this machine's loopback here, not a pod network).
 */
import type { KubernetesObject } from '@kubernetes/client-node';

interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: KeyRef;
    configMapKeyRef?: KeyRef;
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; divisor?: string };
  };
}

export interface HttpProbe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string> };
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  securityContext?: { readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}

/** The Secrets and ConfigMaps a namespace holds, values decoded. */
export interface NamespaceObjects {
  secrets: Map<string, Record<string, string>>;
  configMaps: Map<string, Record<string, string>>;
}

export interface PodIdentity {
  name: string;
  namespace: string;
}

type DataObject = KubernetesObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/** Secrets and ConfigMaps among `objects` (Secret `data` is base64, as in a manifest). */
export function namespaceObjects(objects: KubernetesObject[]): NamespaceObjects {
  const found: NamespaceObjects = { secrets: new Map(), configMaps: new Map() };
  for (const object of objects as DataObject[]) {
    const name = object.metadata?.name ?? '';
    if (object.kind === 'ConfigMap') found.configMaps.set(name, { ...object.data });
    if (object.kind === 'Secret') {
      const decoded = Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      found.secrets.set(name, { ...decoded, ...object.stringData });
    }
  }
  return found;
}

/** CPU in millicores from a Kubernetes quantity ("500m", "1", "2.5"). */
function millicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

function lookUp(objects: NamespaceObjects, kind: 'secrets' | 'configMaps', ref: KeyRef): string | undefined {
  const value = objects[kind].get(ref.name)?.[ref.key];
  if (value === undefined && !ref.optional)
    throw new Error(`CreateContainerConfigError: ${kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${ref.name} has no key ${ref.key}`);
  return value;
}

function resolveVariable(variable: EnvVar, container: Container, objects: NamespaceObjects, pod: PodIdentity): string | undefined {
  const from = variable.valueFrom;
  if (!from) return variable.value ?? '';
  if (from.secretKeyRef) return lookUp(objects, 'secrets', from.secretKeyRef);
  if (from.configMapKeyRef) return lookUp(objects, 'configMaps', from.configMapKeyRef);
  if (from.fieldRef) {
    const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace };
    const value = fields[from.fieldRef.fieldPath];
    if (value === undefined) throw new Error(`${variable.name}: fieldRef ${from.fieldRef.fieldPath} is not supported here`);
    return value;
  }
  if (from.resourceFieldRef?.resource === 'requests.cpu') {
    // The kubelet rounds up to the divisor (a request below 1m still reads 1).
    const request = container.resources?.requests?.cpu;
    if (!request) throw new Error(`${variable.name}: the container has no CPU request`);
    return String(Math.ceil(millicores(request) / millicores(from.resourceFieldRef.divisor ?? '1')));
  }
  throw new Error(`${variable.name}: unsupported valueFrom ${JSON.stringify(from)}`);
}

/** The container's own environment (envFrom first, env overriding), as the kubelet builds it. */
export function containerVariables(container: Container, objects: NamespaceObjects, pod: PodIdentity): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'configMaps' : 'secrets';
    const data = ref ? objects[kind].get(ref.name) : undefined;
    if (!data && !ref?.optional) throw new Error(`CreateContainerConfigError: ${kind} ${ref?.name} not found`);
    Object.assign(env, data);
  }
  for (const variable of container.env ?? []) {
    const value = resolveVariable(variable, container, objects, pod);
    if (value !== undefined) env[variable.name] = value;
  }
  return env;
}

/**
 * Replaces cluster addresses in every value by the loopback address the table maps them to, and
 * fails on any cluster hostname left (a Service the table does not map would be unreachable).
 */
export function mapAddresses(env: Record<string, string>, addresses: Record<string, string>, clusterHost: RegExp): Record<string, string> {
  const mapped: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    let result = value;
    for (const [from, to] of Object.entries(addresses)) result = result.split(from).join(to);
    if (clusterHost.test(result)) throw new Error(`${name}=${result} names a cluster address the table does not map`);
    mapped[name] = result;
  }
  return mapped;
}

/** The container's declared port (by name or number) a probe or a ServiceMonitor endpoint names. */
export function declaredPort(container: Container, port: string | number): number {
  const found = container.ports?.find((p) => p.name === port || p.containerPort === port);
  if (!found) throw new Error(`container ${container.name} declares no port ${port}`);
  return found.containerPort;
}

/** A `…PORT` variable whose value is one of the container's declared ports gets the host port that port is mapped to. */
export function mapDeclaredPorts(env: Record<string, string>, ports: Map<number, number>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, /PORT$/.test(name) ? String(ports.get(Number(value)) ?? value) : value]),
  );
}
