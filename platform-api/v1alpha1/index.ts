/**
 * `passplatform.io/v1alpha1`: the PassPlatform custom resource as TypeScript types with their
 * defaults, its OpenAPI schema (the CRD's `openAPIV3Schema`), and a validator that admits objects
 * against that schema as the API server does. The operator, the cdk8s constructs, the alerts, the
 * dashboards and the simulator import the API through this file only.
 */
export * from './types.js';
export { passPlatformOpenApiSchema, specSchema, statusSchema } from './schema.js';
export { compileStructuralSchema, formatInvalid, type FieldError, type ObjectValidator } from './validator.js';
export type { StructuralSchema, ValidationRule } from './structural-schema.js';
