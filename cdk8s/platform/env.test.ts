/**
 * The environment contract, checked on what the operator really renders for each example: every
 * variable an API, worker or migration container gets (directly or from the settings ConfigMap)
 * is one that `core/config.ts` reads, and every Secret key it references is one the operator or
 * CloudNativePG creates, or the documented keys of a Secret the spec names (object storage). (The pod contract test starts the processes with that environment.)
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment } from '@kubernetes/client-node';
import { CONFIG_VARIABLES, loadConfig } from '../../core/config.js';
import { RATE_LIMIT_DEFAULTS } from '../../core/rate-limit-defaults.js';
import { generatePlatformKeys } from '../../operator/controller/platform-keys.js';
import { platformFixture } from '../../operator/fixtures.js';
import { reconcile } from '../../operator/reconcile/reconcile.js';
import { EXAMPLES_DIR, renderExample } from '../../testing/platform-children.js';
import { KEY_NAMES } from './config.js';
import { childNames } from './names.js';
import { OBJECT_STORAGE_SECRET_KEYS } from './object-storage.js';

/** The keys of CloudNativePG's `<cluster>-app` Secret. */
const CNPG_APP_SECRET_KEYS = ['username', 'password', 'host', 'port', 'dbname', 'uri', 'jdbc-uri', 'pgpass', 'fqdn-uri', 'fqdn-jdbc-uri'];

describe('the environment of the platform pods', () => {
  for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'))) {
    it(`${file}: only variables the processes read, only Secret keys that exist`, () => {
      const { platform, children } = renderExample(file);
      const names = childNames(platform.metadata.name);
      const configMaps = new Map(children.filter((c) => c.kind === 'ConfigMap').map((c) => [c.metadata?.name, c as V1ConfigMap]));
      const deployments = children.filter((c) => c.kind === 'Deployment') as V1Deployment[];
      assert.ok(deployments.length >= 3, 'the API and one Deployment per worker queue');
      const containers: V1Container[] = deployments.flatMap((d) => [
        ...(d.spec?.template.spec?.initContainers ?? []),
        ...(d.spec?.template.spec?.containers ?? []),
      ]);
      for (const container of containers) {
        for (const source of container.envFrom ?? []) {
          const configMap = configMaps.get(source.configMapRef?.name);
          assert.ok(configMap, `${container.name}: ConfigMap ${source.configMapRef?.name} is rendered`);
          for (const key of Object.keys(configMap.data ?? {}))
            assert.ok(CONFIG_VARIABLES.includes(key as never), `${key} (ConfigMap) is read by the processes`);
        }
        for (const variable of container.env ?? []) {
          assert.ok(CONFIG_VARIABLES.includes(variable.name as never), `${variable.name} is read by the processes`);
          const ref = variable.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const known =
            ref.name === names.keys
              ? [...KEY_NAMES]
              : ref.name === names.databaseAppSecret
                ? CNPG_APP_SECRET_KEYS
                : ref.name === platform.spec.objectStorage?.credentialsSecretName
                  ? Object.values(OBJECT_STORAGE_SECRET_KEYS)
                  : undefined;
          assert.ok(known, `${variable.name}: Secret ${ref.name} is one the operator or CloudNativePG creates, or the spec names`);
          assert.ok(known.includes(ref.key), `${variable.name}: ${ref.name} has a key ${ref.key}`);
        }
      }
    });
  }
});

describe('the API pods per-client limits', () => {
  const apiContainer = (children: KubernetesObject[]) => {
    const api = children.find((c) => c.kind === 'Deployment' && c.metadata?.name === 'campus-api') as V1Deployment | undefined;
    const container = api?.spec?.template.spec?.containers[0];
    assert.ok(container, 'the API Deployment has its container');
    return container;
  };
  /** What the API process configures itself with from the container's literal env values. */
  const limitsReadByTheApi = (container: V1Container) => {
    const env = Object.fromEntries((container.env ?? []).filter((v) => v.value !== undefined).map((v) => [v.name, v.value]));
    const config = loadConfig({ DATABASE_URL: 'postgres://x/app', JWT_SECRET: 'j'.repeat(40), ...env });
    return {
      requestsPerMinute: config.RATE_LIMIT_PER_MINUTE,
      refreshesPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
      loginFailuresPerAccount: config.LOGIN_FAILURES_PER_ACCOUNT,
      loginFailuresPerAddress: config.LOGIN_FAILURES_PER_ADDRESS,
    };
  };
  const render = (spec: Record<string, unknown>) =>
    reconcile({ platform: platformFixture(spec), observed: { children: [] }, now: new Date(), generateKeys: generatePlatformKeys })
      .children ?? [];

  it('spec.api.rateLimits reaches the API process as the limits it enforces (a load test on a cluster can raise them)', () => {
    const rateLimits = {
      requestsPerMinute: 1_000_000,
      refreshesPerMinute: 50_000,
      loginFailuresPerAccount: 7,
      loginFailuresPerAddress: 900,
    };
    assert.deepEqual(limitsReadByTheApi(apiContainer(render({ api: { rateLimits } }))), rateLimits);
  });

  it('a spec that names none gets the limits a process started without configuration has', () => {
    assert.deepEqual(limitsReadByTheApi(apiContainer(render({}))), { ...RATE_LIMIT_DEFAULTS });
    const unset = loadConfig({ DATABASE_URL: 'postgres://x/app', JWT_SECRET: 'j'.repeat(40) });
    assert.equal(unset.RATE_LIMIT_PER_MINUTE, RATE_LIMIT_DEFAULTS.requestsPerMinute);
  });
});
