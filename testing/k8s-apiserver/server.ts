/**
 * A Kubernetes API server for tests and for trying the operator by hand: discovery, CRUD, list
 * and watch with resourceVersion (410 Gone after compaction), status subresource, merge /
 * strategic / JSON / server-side apply patches, 409 on stale writes, CRD schema validation with
 * defaults, finalizers and garbage collection. HTTP only, no authentication. `kubectl` and
 * `@kubernetes/client-node` both talk to it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { dump, load } from 'js-yaml';
import { ApiError } from './api-error.js';
import { coreVersions, groupList, openApiDocument, openApiIndex, resourceList } from './discovery.js';
import { Resources, type PatchType, type Target } from './resources.js';
import { groupVersion, typeId } from './resource-types.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KObject } from './store.js';
import { toTable, wantsTable } from './table.js';

export interface TestApiServer {
  url: string;
  resources: Resources;
  /** A kubeconfig (YAML) whose current context points at this server. */
  kubeconfig(): string;
  writeKubeconfig(path: string): void;
  /** Ends every open watch stream, as an API server restart or a load balancer timeout does. */
  dropWatches(): void;
  close(): Promise<void>;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

function send(res: ServerResponse, code: number, body: unknown) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): unknown {
  if (!text) return {};
  try {
    return contentType.includes('yaml') ? load(text) : JSON.parse(text);
  } catch (error) {
    throw ApiError.badRequest(`error decoding request body: ${(error as Error).message}`);
  }
}

interface ParsedPath {
  gv: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/namespaces/ns/pods/x/status` → its parts; undefined for a path that names no resource. */
function parseResourcePath(path: string): ParsedPath | undefined {
  const parts = path.split('/').filter(Boolean);
  let gv: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [gv, rest] = [parts[1] as string, parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [gv, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
  else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return { gv, namespace: rest[1], plural: rest[2] as string, name: rest[3], subresource: rest[4] };
  }
  return { gv, plural: rest[0] as string, name: rest[1], subresource: rest[2] };
}

export async function startTestApiServer(options: { port?: number; host?: string } = {}): Promise<TestApiServer> {
  const resources = new Resources();
  const watches = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/$/, '');
    if (['/healthz', '/readyz', '/livez'].includes(path)) return void res.end('ok');
    if (path === '/version')
      return send(res, 200, {
        major: '1',
        minor: '31',
        gitVersion: 'v1.31.0-passplatform-test',
        platform: `${process.platform}/${process.arch}`,
      });
    if (path === '/api') return send(res, 200, coreVersions());
    if (path === '/openapi/v3') return send(res, 200, openApiIndex(resources.types));
    const openApiGv = /^\/openapi\/v3\/(?:api|apis)\/(.+)$/.exec(path)?.[1];
    if (openApiGv) {
      const document = openApiDocument(resources.types, openApiGv, (t) => t.schema);
      if (document) return send(res, 200, document);
    }
    if (path === '/apis') return send(res, 200, groupList(resources.types));
    const discoveryGv = /^\/api\/(v1)$/.exec(path)?.[1] ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path)?.[1];
    if (discoveryGv) {
      const list = resourceList(resources.types, discoveryGv);
      return list
        ? send(res, 200, list)
        : send(res, 404, new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus());
    }
    const parsed = parseResourcePath(path);
    const type = parsed && resources.findType(parsed.gv, parsed.plural);
    if (!parsed || !type) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const namespace = type.namespaced ? parsed.namespace : undefined;
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    const contentType = req.headers['content-type'] ?? 'application/json';

    if (!parsed.name) {
      if (method === 'GET') return listOrWatch(req, res, type, namespace, query);
      if (method === 'POST')
        return send(res, 201, resources.create(type, namespace, parseBody(await readBody(req), contentType) as KObject));
      if (method === 'DELETE') {
        const matches = parseLabelSelector(query.get('labelSelector'));
        const deleted = resources.store
          .list(typeId(type), namespace)
          .filter((o) => matches(o.metadata.labels ?? {}))
          .map((o) => resources.delete({ type, namespace, name: o.metadata.name }, undefined));
        return send(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: {}, items: deleted });
      }
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }
    const target: Target = { type, namespace, name: parsed.name, subresource: parsed.subresource };
    if (parsed.subresource && !(parsed.subresource === 'status' && type.status)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    switch (method) {
      case 'GET': {
        const object = resources.get(target);
        return send(res, 200, wantsTable(req.headers.accept) ? toTable(type, [object], object.metadata.resourceVersion) : object);
      }
      case 'PUT':
        return send(res, 200, resources.update(target, parseBody(await readBody(req), contentType) as KObject));
      case 'PATCH': {
        const kind = PATCH_TYPES[contentType.split(';')[0]?.trim() ?? ''];
        if (!kind)
          throw new ApiError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
          );
        const existed = Boolean(resources.store.get(typeId(type), namespace, parsed.name));
        const result = resources.patch(
          target,
          kind,
          parseBody(await readBody(req), kind === 'apply' ? 'yaml' : 'json'),
          query.get('fieldManager') ?? undefined,
        );
        return send(res, existed ? 200 : 201, result);
      }
      case 'DELETE': {
        const options = parseBody(await readBody(req), contentType) as { propagationPolicy?: string };
        const policy = query.get('propagationPolicy') ?? options.propagationPolicy;
        return send(res, 200, resources.delete(target, policy));
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  };

  const listOrWatch = (
    req: IncomingMessage,
    res: ServerResponse,
    type: Target['type'],
    namespace: string | undefined,
    query: URLSearchParams,
  ) => {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const matches = (o: KObject) => labels(o.metadata.labels ?? {}) && fields(o);
    if (query.get('watch') === 'true' || query.get('watch') === '1') {
      const rv = query.get('resourceVersion');
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // Clients wait for the headers before they read events, so send them before the first event.
      res.flushHeaders();
      const line = (body: unknown) => res.write(`${JSON.stringify(body)}\n`);
      let stop = () => {};
      try {
        stop = resources.store.watch(
          { typeId: typeId(type), namespace, matches, send: (e) => line({ type: e.type, object: e.object }) },
          rv && rv !== '0' ? Number(rv) : undefined,
        );
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        line({ type: 'ERROR', object: error.toStatus() });
        return void res.end();
      }
      watches.add(res);
      const timeout = Number(query.get('timeoutSeconds') ?? 0);
      const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
      const finish = () => {
        stop();
        clearTimeout(timer);
        watches.delete(res);
      };
      req.on('close', finish);
      res.on('close', finish);
      return;
    }
    const items = resources.store.list(typeId(type), namespace).filter(matches);
    const revision = String(resources.store.currentRevision);
    if (wantsTable(req.headers.accept)) return send(res, 200, toTable(type, items, revision));
    send(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: revision }, items });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof ApiError) return send(res, error.code, error.toStatus());
      send(res, 500, new ApiError(500, 'InternalError', (error as Error).message).toStatus());
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;

  const kubeconfig = () =>
    dump({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain HTTP unless TLS verification is explicitly off.
      clusters: [{ name: 'passplatform-test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: { token: 'test' } }],
      contexts: [{ name: 'passplatform-test', context: { cluster: 'passplatform-test', user: 'tester', namespace: 'default' } }],
      'current-context': 'passplatform-test',
    });

  return {
    url,
    resources,
    kubeconfig,
    writeKubeconfig: (path) => writeFileSync(path, kubeconfig()),
    dropWatches: () => {
      for (const res of watches) res.end();
    },
    close: async () => {
      for (const res of watches) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
