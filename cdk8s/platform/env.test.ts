/**
 * The environment contract, checked on what the operator really renders for each example: every
 * variable an API, worker or migration container gets (directly or from the settings ConfigMap)
 * is one that `core/config.ts` reads, and every Secret key it references is one the operator or
 * CloudNativePG creates, or the documented keys of a Secret the spec names (object storage). (The pod contract test starts the processes with that environment.)
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { V1ConfigMap, V1Container, V1Deployment } from '@kubernetes/client-node';
import { CONFIG_VARIABLES } from '../../core/config.js';
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
