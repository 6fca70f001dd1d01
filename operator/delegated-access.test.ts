/**
 * Who may read the operator's /metrics and /cost, decided by a real kube-apiserver: TokenReviews
 * of real ServiceAccount tokens (TokenRequest API) and SubjectAccessReviews against the install's
 * own reader ClusterRoles, asked as the operator's ServiceAccount with the chart's RBAC. First the
 * operator process as a pod runs it (operator/main.ts, METRICS_AUTHORIZATION=kubernetes), read
 * with curl-like requests and by a real Prometheus scraping with a bearer token, then the
 * cache and the failure answers, with the reviews counted on their way to the same apiserver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server, type Socket } from 'node:net';
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { startTestControlPlane, type TestControlPlane } from '../testing/control-plane/for-tests.js';
import { operatorKubeConfig, readerToken } from '../testing/control-plane/operator-identity.js';
import { eventually } from '../testing/eventually.js';
import { startPrometheus } from '../testing/prometheus.js';
import { spawnOperator } from '../testing/platform-processes.js';
import {
  DelegatedAccess,
  delegatedAccessMiddleware,
  kubernetesAccessReviews,
  type AccessReviews,
  type DelegatedAccessOptions,
} from './delegated-access.js';
import { OPERATOR_PROBES, startProbeServer, type ProbeServer } from '../core/probe-server.js';

let cluster: TestControlPlane;
const servers: ProbeServer[] = [];

before(async () => {
  cluster = await startTestControlPlane();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await cluster.stop();
});

const get = async (url: string, token?: string) => {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text(), challenge: response.headers.get('www-authenticate') };
};

describe('the operator process with METRICS_AUTHORIZATION=kubernetes', { timeout: 600_000 }, () => {
  let operator: Awaited<ReturnType<typeof spawnOperator>>;
  let base: string;
  let namespace: string;

  let plane: TestControlPlane;

  before(async () => {
    namespace = `delegated-${Date.now().toString(36)}`;
    operator = await spawnOperator(namespace, { metricsAuthorization: 'kubernetes' });
    // The plane the operator runs on (the shared one under `npm test`).
    plane = operator.cluster;
    base = `http://${operator.metricsAddress}`;
  });
  after(async () => {
    await operator?.stop();
  });

  it('a ServiceAccount bound to pass-operator-metrics-reader reads /metrics; unbound 403; no token and garbage 401', async () => {
    const reader = await readerToken(plane, namespace, 'prometheus', ['metrics']);
    const nobody = await readerToken(plane, namespace, 'nobody', []);

    const allowed = await get(`${base}/metrics`, reader);
    assert.equal(allowed.status, 200, allowed.text);
    assert.match(allowed.text, /passplatform_operator_is_leader/);

    const forbidden = await get(`${base}/metrics`, nobody);
    assert.equal(forbidden.status, 403, forbidden.text);
    assert.doesNotMatch(forbidden.text, /passplatform_/);

    const anonymous = await get(`${base}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.challenge ?? '', /^Bearer /);
    const garbage = await get(`${base}/metrics`, 'not-a-token');
    assert.equal(garbage.status, 401, garbage.text);
    // A well-formed ServiceAccount token from another issuer's key is no better than garbage.
    const forged = `${reader.split('.').slice(0, 2).join('.')}.${Buffer.from('forged').toString('base64url')}`;
    assert.equal((await get(`${base}/metrics`, forged)).status, 401);

    // The kubelet's probes carry no token and stay open.
    assert.equal((await get(`${base}/healthz`)).status, 200);
    assert.notEqual((await get(`${base}/readyz`)).status, 401);
  });

  it('/cost needs pass-operator-cost-reader: the metrics reader is refused, a cost reader reads the report', async () => {
    const metricsReader = await readerToken(plane, namespace, 'metrics-only', ['metrics']);
    const costReader = await readerToken(plane, namespace, 'finance', ['cost']);
    const report = `${base}/cost/${namespace}/${operator.name}?format=json`;

    assert.equal((await get(report, metricsReader)).status, 403);
    assert.equal((await get(report)).status, 401);
    // The report exists once the operator has reconciled the platform.
    const answer = await eventually(
      async () => {
        const response = await get(report, costReader);
        assert.notEqual(response.status, 401, response.text);
        assert.notEqual(response.status, 403, response.text);
        return response.status === 200 && response;
      },
      'the cost report for a cost reader',
      180_000,
    );
    assert.equal((JSON.parse(answer.text) as { data: { platform: string } }).data.platform, `${namespace}/${operator.name}`);
    // The cost reader may not read the metrics.
    assert.equal((await get(`${base}/metrics`, costReader)).status, 403);
  });

  it('a real Prometheus scrapes it with a metrics reader’s token (up 1), and not with an unbound one (up 0)', async () => {
    const reader = await readerToken(plane, namespace, 'real-prometheus', ['metrics']);
    const unbound = await readerToken(plane, namespace, 'real-prometheus-unbound', []);
    const prometheus = await startPrometheus([
      { job: 'reader', address: operator.metricsAddress, bearerToken: reader },
      { job: 'unbound', address: operator.metricsAddress, bearerToken: unbound },
      { job: 'anonymous', address: operator.metricsAddress },
    ]);
    try {
      const up = async () => {
        const url = `${prometheus.url}/api/v1/query?${new URLSearchParams({ query: 'up' })}`;
        const body = (await (await fetch(url)).json()) as { data: { result: { metric: { job: string }; value: [number, string] }[] } };
        return Object.fromEntries(body.data.result.map((r) => [r.metric.job, r.value[1]]));
      };
      const scraped = await eventually(
        async () => {
          const jobs = await up();
          return Object.keys(jobs).length === 3 && jobs;
        },
        'Prometheus to scrape all three jobs',
        60_000,
      );
      assert.deepEqual(scraped, { reader: '1', unbound: '0', anonymous: '0' });
      const leader = `${prometheus.url}/api/v1/query?${new URLSearchParams({ query: 'passplatform_operator_is_leader' })}`;
      const series = (await (await fetch(leader)).json()) as { data: { result: { metric: { job: string } }[] } };
      assert.deepEqual(
        series.data.result.map((r) => r.metric.job),
        ['reader'],
      );
    } finally {
      await prometheus.stop();
    }
  });
});

/** The apiserver's reviews, counted. */
function counted(reviews: AccessReviews) {
  const calls = { authenticate: 0, authorize: 0 };
  const counting: AccessReviews = {
    authenticate: (token) => (calls.authenticate++, reviews.authenticate(token)),
    authorize: (user, path, verb) => (calls.authorize++, reviews.authorize(user, path, verb)),
  };
  return { calls, reviews: counting };
}

async function serve(reviews: AccessReviews, options: DelegatedAccessOptions = {}): Promise<string> {
  const server = await startProbeServer({
    paths: OPERATOR_PROBES,
    registry: new Registry(),
    ready: () => true,
    port: 0,
    host: '127.0.0.1',
    access: delegatedAccessMiddleware(new DelegatedAccess(reviews, options)),
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

/** A client of an apiserver at `server` (one that is not there, or does not answer). */
function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

describe('delegated access: cache and failures', { timeout: 300_000 }, () => {
  let namespace: string;
  let operatorIdentity: KubeConfig;

  before(async () => {
    namespace = await cluster.namespace('delegated-cache');
    operatorIdentity = await operatorKubeConfig(cluster, namespace);
  });

  it('a Prometheus scraping again (and concurrently) is answered from the cache, bounded and expiring', async () => {
    const { calls, reviews } = counted(kubernetesAccessReviews(operatorIdentity));
    const base = await serve(reviews, { allowTtlMs: 60_000, tokenTtlMs: 60_000, maxEntries: 2 });
    const reader = await readerToken(cluster, namespace, 'scraper', ['metrics']);

    const statuses = await Promise.all(Array.from({ length: 5 }, () => get(`${base}/metrics`, reader).then((r) => r.status)));
    for (let i = 0; i < 5; i++) statuses.push((await get(`${base}/metrics`, reader)).status);
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.deepEqual(calls, { authenticate: 1, authorize: 1 }, 'ten scrapes, one review pair');

    // Another path is another question for RBAC, not for authentication.
    assert.equal((await get(`${base}/cost/x/y`, reader)).status, 403);
    assert.deepEqual(calls, { authenticate: 1, authorize: 2 });

    // Two more tokens push the first out of a two-entry cache: it is reviewed again.
    for (const name of ['second', 'third']) await get(`${base}/metrics`, await readerToken(cluster, namespace, name, ['metrics']));
    const before = calls.authenticate;
    assert.equal((await get(`${base}/metrics`, reader)).status, 200);
    assert.equal(calls.authenticate, before + 1, 'the evicted token was reviewed again');
  });

  it('an answer expires: a binding removed is refused once the allow has expired', async () => {
    const { calls, reviews } = counted(kubernetesAccessReviews(operatorIdentity));
    const ttlMs = 1_000;
    const base = await serve(reviews, { allowTtlMs: ttlMs, tokenTtlMs: ttlMs, denyTtlMs: ttlMs });
    const token = await readerToken(cluster, namespace, 'revoked', ['metrics']);
    assert.equal((await get(`${base}/metrics`, token)).status, 200);
    const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.deleteClusterRoleBinding({ name: `pass-operator-metrics-reader-${namespace}-revoked` });
    const started = Date.now();
    // Still cached right after the removal (unless this machine took longer than the TTL to get here).
    const cached = await get(`${base}/metrics`, token);
    if (Date.now() - started < ttlMs) assert.equal(cached.status, 200);
    await eventually(async () => (await get(`${base}/metrics`, token)).status === 403, 'refused after the allow expired', 60_000);
    assert.ok(calls.authorize >= 2);
  });

  it('503, never 200, when the apiserver refuses the operator a TokenReview (no rule in its ClusterRole)', async () => {
    const other = await cluster.namespace('delegated-norbac');
    const withoutReviews = await operatorKubeConfig(cluster, other, {
      withoutRule: (rule) => rule.resources?.includes('tokenreviews') ?? false,
    });
    const base = await serve(kubernetesAccessReviews(withoutReviews));
    const reader = await readerToken(cluster, other, 'scraper', ['metrics']);
    const first = await get(`${base}/metrics`, reader);
    assert.equal(first.status, 503, first.text);
    assert.doesNotMatch(first.text, /passplatform_|process_/);
    // Not cached: the same answer again, asked again.
    assert.equal((await get(`${base}/metrics`, reader)).status, 503);
    // Without a token nothing need be asked: still 401.
    assert.equal((await get(`${base}/metrics`)).status, 401);
  });

  it('503 when the apiserver cannot be reached, and when it does not answer in time', async () => {
    const base = await serve(kubernetesAccessReviews(kubeConfigFor('http://127.0.0.1:1')));
    assert.equal((await get(`${base}/metrics`, 'any-token')).status, 503);

    // An apiserver that accepts the connection and never answers.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const slow = await serve(kubernetesAccessReviews(kubeConfigFor(`http://127.0.0.1:${port}`)), { reviewTimeoutMs: 500 });
      const answer = await get(`${slow}/metrics`, 'any-token');
      assert.equal(answer.status, 503);
      assert.match(answer.text, /try again/);
      assert.ok(sockets.length > 0, 'the review reached the silent server');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
