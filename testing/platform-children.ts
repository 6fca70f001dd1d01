/**
 * The children the operator renders for one of `examples/*.yaml`: the manifest defaulted as the
 * API server defaults it (through the CRD schema), reconciled with freshly generated keys, exactly
 * as the operator's first reconcile would apply them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { platformFixture } from '../operator/fixtures.js';
import { generatePlatformKeys } from '../operator/controller/platform-keys.js';
import { reconcile } from '../operator/reconcile/reconcile.js';
import type { PassPlatform } from '../platform-api/v1alpha1/index.js';

export const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');

interface Manifest {
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

export interface RenderedPlatform {
  platform: PassPlatform;
  children: KubernetesObject[];
}

export function renderExample(file: string): RenderedPlatform {
  const manifest = load(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Manifest;
  const platform = platformFixture(manifest.spec, manifest.metadata.name, manifest.metadata.namespace ?? 'default');
  const { children } = reconcile({ platform, observed: { children: [] }, now: new Date(), generateKeys: generatePlatformKeys });
  if (!children) throw new Error(`${file}: reconcile rendered no children`);
  return { platform, children };
}
