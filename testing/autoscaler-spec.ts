import { DEFAULT_SPEC, type PassPlatformSpec } from '../platform-api/v1alpha1/index.js';

/** The default PassPlatform spec with a test image: what the policy tests size. */
const TEST_SPEC: PassPlatformSpec = { ...DEFAULT_SPEC, image: 'passplatform/app:test', version: 'test' };

/** The test spec with a managed database whose read replicas may run 1–10 on 2-core instances. */
export function specWithManagedReplicas(): PassPlatformSpec {
  const managed = DEFAULT_SPEC.database.managed;
  if (!managed) throw new Error('the default spec manages its database');
  return {
    ...TEST_SPEC,
    database: {
      mode: 'managed',
      managed: { ...managed, readReplicas: { minReplicas: 1, maxReplicas: 10 }, resources: { cpu: '2', memory: '4Gi' } },
    },
  };
}
