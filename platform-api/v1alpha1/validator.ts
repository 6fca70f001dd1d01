/**
 * Validates and defaults an object against a CRD's structural schema the way the Kubernetes API
 * server does: OpenAPI constraints through ajv, defaults filled in, unknown fields pruned, then
 * the `x-kubernetes-validations` CEL rules. Errors read like the API server's own
 * ("spec.api: Invalid value: "object": minReplicas must be less than or equal to maxReplicas").
 * The operator re-checks specs with it (a cluster may predate a rule); the test API server uses it
 * to admit custom resources.
 */
import { evaluate } from '@marcbachmann/cel-js';
import { Ajv, type ErrorObject } from 'ajv';
import type { StructuralSchema } from './structural-schema.js';

export interface FieldError {
  /** Dotted path, e.g. `spec.api.minReplicas`. */
  field: string;
  message: string;
}

export type ObjectValidator = (object: unknown) => FieldError[];

type JsonSchema = Record<string, unknown>;

/** Compiles a structural schema; the returned validator defaults and prunes `object` in place. */
export function compileStructuralSchema(schema: StructuralSchema): ObjectValidator {
  const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, removeAdditional: true, strict: false, validateFormats: false });
  const validate = ajv.compile(toAjvSchema(schema));
  return (object) => {
    if (validate(object)) return celErrors(schema, object, '');
    return (validate.errors ?? []).map(toFieldError);
  };
}

/** `Kind.group "name" is invalid: …` as the API server words a 422. */
export function formatInvalid(kind: string, name: string, errors: FieldError[]): string {
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  return `${kind} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`;
}

function toAjvSchema(schema: StructuralSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'format') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, StructuralSchema>).map(([k, v]) => [k, toAjvSchema(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toAjvSchema(value as StructuralSchema);
    } else {
      out[key] = value;
    }
  }
  // OpenAPI v3.0 (what CRDs speak) writes exclusive bounds as booleans beside minimum/maximum.
  if (schema.exclusiveMinimum === true) {
    out.exclusiveMinimum = schema.minimum;
    delete out.minimum;
  }
  if (schema.nullable && schema.type) out.type = [schema.type, 'null'];
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  // Pruning: fields the schema does not name are dropped, unless the schema keeps unknown fields.
  if (schema.properties && schema.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function pathOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function toFieldError(error: ErrorObject): FieldError {
  const field = pathOf(error.instancePath);
  const value = error.data;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return { field: field ? `${field}.${missing}` : missing, message: 'Required value' };
    }
    case 'enum':
      return {
        field,
        message: `Unsupported value: ${show(value)}: supported values: ${(params.allowedValues as unknown[]).map(show).join(', ')}`,
      };
    case 'type':
      return {
        field,
        message: `Invalid value: "${typeof value}": ${field} in body must be of type ${String(params.type)}: "${typeof value}"`,
      };
    case 'minimum':
      return {
        field,
        message: `Invalid value: ${show(value)}: ${field} in body should be greater than or equal to ${String(params.limit)}`,
      };
    case 'exclusiveMinimum':
      return { field, message: `Invalid value: ${show(value)}: ${field} in body should be greater than ${String(params.limit)}` };
    case 'maximum':
      return { field, message: `Invalid value: ${show(value)}: ${field} in body should be less than or equal to ${String(params.limit)}` };
    case 'pattern':
      return { field, message: `Invalid value: ${show(value)}: ${field} in body should match '${String(params.pattern)}'` };
    case 'minLength':
      return { field, message: `Invalid value: ${show(value)}: ${field} in body should be at least ${String(params.limit)} chars long` };
    case 'maxItems':
      return { field, message: `Too many: ${Array.isArray(value) ? value.length : '?'}: must have at most ${String(params.limit)} items` };
    default:
      return { field, message: `Invalid value: ${show(value)}: ${error.message ?? error.keyword}` };
  }
}

const TRANSITION_RULE = /\boldSelf\b/;

function celErrors(schema: StructuralSchema, value: unknown, field: string): FieldError[] {
  if (value === undefined || value === null) return [];
  const errors: FieldError[] = [];
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    // Transition rules compare with the stored object; the API server applies them on updates.
    // What this validator sees (a new object, or one the API server already stored) has none.
    if (TRANSITION_RULE.test(rule)) continue;
    let passed: unknown;
    try {
      passed = evaluate(rule, { self: value });
    } catch (error) {
      errors.push({ field, message: `Invalid value: "object": rule ${rule} could not be evaluated: ${(error as Error).message}` });
      continue;
    }
    if (passed !== true) errors.push({ field, message: `Invalid value: "${typeof value}": ${message}` });
  }
  if (schema.properties && typeof value === 'object') {
    for (const [key, child] of Object.entries(schema.properties)) {
      errors.push(...celErrors(child, (value as Record<string, unknown>)[key], field ? `${field}.${key}` : key));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...celErrors(schema.items as StructuralSchema, item, `${field}[${i}]`)));
  }
  return errors;
}
