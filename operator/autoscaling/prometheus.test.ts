/**
 * Issue 6's integration test: a real Prometheus (started here, scraping every second) scrapes a
 * real API process (testing/api.ts) while this test sends it logins; the operator — controller and
 * autoscaling loop — runs against the test Kubernetes API server with a PassPlatform whose
 * prometheusUrl is that Prometheus. Under load the API Deployment's replicas go up, and the
 * decision in status says which signal moved it.
 *
 * The signals' PromQL selects the API's series by `component="api"` (the API's registry adds it
 * to every series) and the platform by `namespace="<its namespace>"`, which a Kubernetes scrape
 * adds; here the scrape config adds it as a static label on the target. The API's CPU comes from
 * the kubelet's cAdvisor in a cluster; here a target serves `container_cpu_usage_seconds_total`
 * shaped as cAdvisor publishes it, with this process's CPU (the API runs in it, beside the load
 * and the operator, so it reads high — which only makes scaling up easier to see, not possible).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEnvironment, TEST_PASSWORD, type TestApi, type TestEnvironment } from '../../testing/api.js';
import { useOperatorNamespace } from '../../testing/control-plane/use-control-plane.js';
import { steadyLoad, type RunningLoad } from '../../testing/load.js';
import { eventually } from '../../testing/eventually.js';
import { line, startExpositionTarget, type ExpositionTarget } from '../../testing/exposition-target.js';
import { startPrometheus, type TestPrometheus } from '../../testing/prometheus.js';
import { smallAutoscaledPlatform } from '../fixtures.js';
import { PassOperator } from '../operator.js';

const SIGNAL_WINDOW_MS = 10_000;
/** Scrapes are a second apart and may lag on a busy machine: the window Prometheus saw may start earlier. */
const SCRAPE_SLACK_MS = 2_000;
/** The quiet load's logins (1/s) that can still be in the window when the busy load starts. */
const QUIET_LOGINS_PER_WINDOW = SIGNAL_WINDOW_MS / 1000;

describe('autoscaling from a real Prometheus scraping a real API under load', () => {
  // Its own namespace on a control plane other test files share.
  const kube = useOperatorNamespace('campus-live');
  const NAMESPACE = kube.namespace;
  let env: TestEnvironment;
  let api: TestApi;
  let prometheus: TestPrometheus;
  let kubelet: ExpositionTarget | undefined;
  let load: RunningLoad | undefined;

  before(async () => {
    env = await createTestEnvironment('operator-autoscaling');
    api = await env.start();
    kubelet = await startExpositionTarget(() => {
      const { user, system } = process.cpuUsage();
      const labels = { container: 'app', cpu: 'total', namespace: NAMESPACE, pod: 'campus-api-7d9f8b6c5-x2k9q' };
      return line('container_cpu_usage_seconds_total', labels, (user + system) / 1e6, Date.now());
    });
    prometheus = await startPrometheus([
      { job: 'api', address: new URL(api.url).host, labels: { namespace: NAMESPACE } },
      // cAdvisor's series carry their own namespace and pod (the kubelet is scraped with honor_labels).
      { job: 'kubelet', address: kubelet.address },
    ]);
  });

  after(async () => {
    await load?.stop();
    await prometheus?.stop();
    await kubelet?.close();
    await env?.teardown();
  });

  it('raises the API Deployment’s replicas when logins rise, and says why', async (t) => {
    const getPlatform = () => kube.platform();
    const apiReplicas = () => kube.apiReplicas();

    const user = await env.createUser('student');
    const login = () =>
      fetch(`${api.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
      }).then((r) => r.text());

    // Quiet: about one login a second. The 10 s window is four-plus of the 1 s scrapes.
    load = steadyLoad(login, 1);
    const operator = new PassOperator({
      kubeConfig: kube.kubeConfig,
      namespace: NAMESPACE,
      signalWindow: `${SIGNAL_WINDOW_MS / 1000}s`,
      resyncMs: 3_600_000,
      costRefreshMs: 3_600_000,
    });
    // Stopped as the test ends, before the file's hooks let go of the control plane.
    t.after(() => operator.stop());
    await operator.start();
    await kube.createPlatform(smallAutoscaledPlatform('campus', NAMESPACE, { prometheusUrl: prometheus.url, intervalSeconds: 5 }));
    // The quiet size: once the loop has read a request rate and the reconcile has applied its wish.
    const quiet = await eventually(
      async () => {
        const platform = await getPlatform();
        const active = platform.status?.conditions?.find((c) => c.type === 'ScalingActive');
        const ran = active?.status === 'True' && operator.autoscaling.slaViolations(platform) !== undefined;
        const replicas = await apiReplicas();
        return ran && replicas !== undefined && platform.status?.replicas?.api === replicas ? replicas : undefined;
      },
      'a run that saw the quiet load',
      60_000,
    );
    await load.stop();

    // Busy: a login costs tens of ms of CPU (Argon2id), so 20 a second needs more than 100m pods.
    const busyFrom = new Date().toISOString();
    const busyLoad = steadyLoad(login, 20);
    load = busyLoad;
    // Only a decision from a run that began under the busy load counts (a run already under way
    // when it started may still decide on the quiet signals). ISO times compare as strings.
    const decision = await eventually(
      async () => (await getPlatform()).status?.decisions?.findLast((d) => d.component === 'api' && d.to > d.from && d.time >= busyFrom),
      'a scale-up decision for the API in status, taken under the busy load',
      120_000,
    );
    // The reconcile applies the children before it writes status, so the Deployment already has it.
    const busy = await eventually(
      async () => {
        const replicas = await apiReplicas();
        return replicas !== undefined && replicas >= decision.to ? replicas : undefined;
      },
      `API replicas at ${decision.to}`,
      30_000,
    );
    await busyLoad.stop();
    load = undefined;
    assert.ok(decision.to > quiet, `the busy load's decision (${decision.from} → ${decision.to}) is above the quiet size ${quiet}`);
    const rate = decision.signals.requestRate;
    assert.ok(rate !== undefined && rate > 0, `the decision used a measured request rate (${rate})`);
    assert.match(decision.reason, /api: [\d.]+ req\/s/);
    // Compared with what this test's load completed in the signal window before the decision, not
    // with the 20/s asked for: how many logins a busy machine completes is not this test's business.
    const decidedAt = Date.parse(decision.time);
    const completed =
      busyLoad.completedBetween(decidedAt - SIGNAL_WINDOW_MS - SCRAPE_SLACK_MS, decidedAt + SCRAPE_SLACK_MS) + QUIET_LOGINS_PER_WINDOW;
    const ceiling = (2 * completed) / (SIGNAL_WINDOW_MS / 1000) + 1;
    assert.ok(rate <= ceiling, `the rate used (${rate}/s) is at most twice what the load completed (${completed} in the window)`);
    assert.ok(decision.signals.cpuCores !== undefined, 'and the measured CPU');
    t.diagnostic(`API replicas ${quiet} → ${busy}: ${decision.reason}`);
  });
});
