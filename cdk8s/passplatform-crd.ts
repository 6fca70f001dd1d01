import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_GROUP, API_VERSION, KIND, passPlatformOpenApiSchema, PLURAL } from '../platform-api/v1alpha1/index.js';

export const PASSPLATFORM_CRD_NAME = `${PLURAL}.${API_GROUP}`;

/**
 * The PassPlatform CustomResourceDefinition. cdk8s core has no CRD construct, so this is a plain
 * `ApiObject` whose body follows apiextensions.k8s.io/v1 (validated against the Kubernetes
 * schemas in `synth.test.ts`).
 */
export class PassPlatformCrd extends ApiObject {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: PASSPLATFORM_CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'passplatform' } },
      spec: {
        group: API_GROUP,
        scope: 'Namespaced',
        names: {
          kind: KIND,
          listKind: `${KIND}List`,
          plural: PLURAL,
          singular: KIND.toLowerCase(),
          shortNames: ['pp'],
          categories: ['all'],
        },
        versions: [
          {
            name: API_VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: [
              { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
              { name: 'API', type: 'integer', description: 'API replicas', jsonPath: '.status.replicas.api' },
              { name: 'SLA', type: 'string', jsonPath: '.status.slaState' },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
            schema: { openAPIV3Schema: passPlatformOpenApiSchema },
          },
        ],
      },
    });
  }
}
