import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { installPlatformCrds } from './crds.js';
import { startTestApiServer, type TestApiServer } from './server.js';

const run = promisify(execFile);
let server: TestApiServer;
let dir: string;

before(async () => {
  server = await startTestApiServer();
  installPlatformCrds(server.resources);
  dir = mkdtempSync(join(tmpdir(), 'apiserver-test-'));
  server.writeKubeconfig(join(dir, 'kubeconfig'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fields these tests read from objects and Status answers. */
interface Answer {
  metadata: { resourceVersion: string; uid: string; generation: number; deletionTimestamp?: string };
  spec: { replicas: number };
  status?: { readyReplicas?: number };
  reason?: string;
  [field: string]: unknown;
}

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data: { a: '1' },
});

describe('test API server', () => {
  it('answers 409 to a write with a stale resourceVersion', async () => {
    const created = await call('POST', '/api/v1/namespaces/t/configmaps', cm('stale'));
    assert.equal(created.status, 201);
    const rv = created.body.metadata.resourceVersion;
    assert.equal((await call('PUT', '/api/v1/namespaces/t/configmaps/stale', { ...created.body, data: { a: '2' } })).status, 200);
    const stale = await call('PUT', '/api/v1/namespaces/t/configmaps/stale', {
      ...created.body,
      metadata: { ...created.body.metadata, resourceVersion: rv },
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal((await call('POST', '/api/v1/namespaces/t/configmaps', cm('stale'))).body.reason, 'AlreadyExists');
  });

  it('replays a watch from a resourceVersion and answers 410 once that history is compacted', async () => {
    const first = await call('POST', '/api/v1/namespaces/w/configmaps', cm('one'));
    await call('POST', '/api/v1/namespaces/w/configmaps', cm('two'));
    const from = first.body.metadata.resourceVersion;
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${from}`, {
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const event = JSON.parse(new TextDecoder().decode(value).split('\n')[0] as string);
    assert.equal(event.type, 'ADDED');
    assert.equal(event.object.metadata.name, 'two');
    controller.abort();

    server.resources.store.compact();
    await call('POST', '/api/v1/namespaces/w/configmaps', cm('three'));
    const gone = await (await fetch(`${server.url}/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${from}`)).text();
    const error = JSON.parse(gone.trim());
    assert.equal(error.type, 'ERROR');
    assert.equal(error.object.code, 410);
  });

  it('holds a finalized object until its finalizers are gone, then collects its dependents', async () => {
    const owner = await call('POST', '/api/v1/namespaces/g/configmaps', cm('owner', { finalizers: ['example.com/hold'] }));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.body.metadata.uid };
    await call('POST', '/api/v1/namespaces/g/configmaps', cm('dependent', { ownerReferences: [ref] }));
    const deleting = await call('DELETE', '/api/v1/namespaces/g/configmaps/owner');
    assert.ok(deleting.body.metadata.deletionTimestamp);
    assert.equal((await call('GET', '/api/v1/namespaces/g/configmaps/dependent')).status, 200);
    await call('PATCH', '/api/v1/namespaces/g/configmaps/owner', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal((await call('GET', '/api/v1/namespaces/g/configmaps/owner')).status, 404);
    assert.equal((await call('GET', '/api/v1/namespaces/g/configmaps/dependent')).status, 404);
  });

  it('keeps status and spec writes apart on a kind with a status subresource', async () => {
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 1 },
      status: { readyReplicas: 9 },
    };
    const created = await call('POST', '/apis/apps/v1/namespaces/s/deployments', body);
    assert.equal(created.body.status, undefined);
    const status = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/s/deployments/d/status',
      { status: { readyReplicas: 1 }, spec: { replicas: 5 } },
      'application/merge-patch+json',
    );
    assert.equal(status.body.status?.readyReplicas, 1);
    assert.equal(status.body.spec.replicas, 1);
    assert.equal(status.body.metadata.generation, 1);
    const spec = await call('PATCH', '/apis/apps/v1/namespaces/s/deployments/d', { spec: { replicas: 2 } }, 'application/merge-patch+json');
    assert.equal(spec.body.metadata.generation, 2);
  });

  it('works with kubectl get, apply and delete', { skip: !existsSync('/usr/bin/kubectl') && 'kubectl not installed' }, async () => {
    const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig') };
    const manifest = join(dir, 'platform.yaml');
    writeFileSync(
      manifest,
      'apiVersion: passplatform.io/v1alpha1\nkind: PassPlatform\nmetadata: {name: demo}\nspec: {image: reg/pp, version: "1.0.0"}\n',
    );
    assert.match((await run('kubectl', ['apply', '-f', manifest], { env })).stdout, /passplatform.passplatform.io\/demo created/);
    const table = (await run('kubectl', ['get', 'passplatforms'], { env })).stdout;
    assert.match(table, /^NAME\s+PHASE\s+API\s+SLA\s+AGE/);
    const minReplicas = (await run('kubectl', ['get', 'pp', 'demo', '-o', 'jsonpath={.spec.api.minReplicas}'], { env })).stdout;
    assert.equal(minReplicas, '2', 'schema defaults applied');
    writeFileSync(
      manifest,
      'apiVersion: passplatform.io/v1alpha1\nkind: PassPlatform\nmetadata: {name: demo}\nspec: {image: reg/pp, version: "1.0.0", api: {minReplicas: 9, maxReplicas: 3}}\n',
    );
    const rejected = await run('kubectl', ['apply', '-f', manifest], { env }).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(rejected, /spec\.api: Invalid value: "object": minReplicas must be less than or equal to maxReplicas/);
    assert.match((await run('kubectl', ['delete', 'pp', 'demo'], { env })).stdout, /deleted/);
  });
});
