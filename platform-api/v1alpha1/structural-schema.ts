/**
 * The subset of Kubernetes' `JSONSchemaProps` our CRDs use, and small builders for it, so the
 * PassPlatform schema reads as a description of the spec rather than as nested JSON.
 */

/**
 * A CEL rule the API server evaluates against the object at its level (`self`). A rule that reads
 * `oldSelf` is a transition rule: the API server evaluates it on updates only, against the stored
 * object.
 */
export interface ValidationRule {
  rule: string;
  message: string;
}

export interface StructuralSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  enum?: (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

/**
 * A Kubernetes resource quantity ("500m", "2Gi", "1.5"), without a sign: the same grammar as
 * apimachinery's `resource.Quantity`, so the API server rejects what a Pod spec would reject.
 */
export const QUANTITY_PATTERN =
  '^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

type Rest = Omit<StructuralSchema, 'type'>;

export function object(description: string, properties: Record<string, StructuralSchema>, rest: Rest = {}): StructuralSchema {
  return { type: 'object', description, properties, ...rest };
}

export function integer(description: string, rest: Rest = {}): StructuralSchema {
  return { type: 'integer', format: 'int32', description, ...rest };
}

export function number(description: string, rest: Rest = {}): StructuralSchema {
  return { type: 'number', description, ...rest };
}

export function string(description: string, rest: Rest = {}): StructuralSchema {
  return { type: 'string', description, ...rest };
}

export function boolean(description: string, rest: Rest = {}): StructuralSchema {
  return { type: 'boolean', description, ...rest };
}

export function quantity(description: string, defaultValue?: string): StructuralSchema {
  return string(description, { pattern: QUANTITY_PATTERN, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
}

/** A 0..1 fraction. */
export function ratio(description: string, defaultValue: number): StructuralSchema {
  return number(description, { minimum: 0, maximum: 1, default: defaultValue });
}
