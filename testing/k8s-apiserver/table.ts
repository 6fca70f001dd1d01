/** `kubectl get` asks for a server-side Table; columns come from CRD printer columns or a default set. */
import type { PrinterColumn, ResourceType } from './resource-types.js';
import type { KObject } from './store.js';

export function wantsTable(accept: string | undefined): boolean {
  return Boolean(accept?.includes('as=Table'));
}

function readPath(object: unknown, jsonPath: string): unknown {
  return jsonPath
    .replace(/^\./, '')
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), object);
}

/** Kubernetes' short duration format: 45s, 12m, 3h, 5d. */
function age(since: string | undefined, now: Date): string {
  if (!since) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const DEFAULT_COLUMNS: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];

export function toTable(type: ResourceType, objects: KObject[], resourceVersion: string, now = new Date()) {
  const columns = type.printerColumns ?? DEFAULT_COLUMNS;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
      ...columns.map((c) => ({
        name: c.name,
        type: c.type === 'date' ? 'string' : c.type,
        format: '',
        description: c.description ?? '',
        priority: 0,
      })),
    ],
    rows: objects.map((object) => ({
      cells: [
        object.metadata.name,
        ...columns.map((c) => {
          const value = readPath(object, c.jsonPath);
          if (c.type === 'date') return age(value as string | undefined, now);
          return value ?? '';
        }),
      ],
      object,
    })),
  };
}
