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
            // The scale subresource scales the API, the component people think of as "the
            // platform": `kubectl scale passplatform NAME --replicas=N` sets spec.api.minReplicas,
            // the floor under the operator's autoscaler (which may still run more, up to
            // maxReplicas; N above maxReplicas is refused by the min <= max rule). No label
            // selector: an HPA aimed at a PassPlatform would fight the operator's own autoscaler.
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.api.minReplicas', statusReplicasPath: '.status.replicas.api' },
            },
            additionalPrinterColumns: [
              { name: 'Version', type: 'string', description: 'Platform version (image tag)', jsonPath: '.spec.version' },
              { name: 'Phase', type: 'string', description: 'Summary of the conditions', jsonPath: '.status.phase' },
              {
                name: 'Ready',
                type: 'string',
                description: 'The Ready condition',
                jsonPath: '.status.conditions[?(@.type=="Ready")].status',
              },
              { name: 'API', type: 'integer', description: 'API replicas', jsonPath: '.status.replicas.api' },
              { name: 'SLA', type: 'string', description: '"Met", or the SLA classes over target', jsonPath: '.status.slaState' },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
            schema: { openAPIV3Schema: passPlatformOpenApiSchema },
          },
        ],
      },
    });
  }
}
