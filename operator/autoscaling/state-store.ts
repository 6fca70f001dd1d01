/**
 * The autoscaler's memory of one platform (recent samples, scale-down window, a week of seasonal
 * load means: too large for status) in a ConfigMap `<name>-autoscaler-state` owned by the
 * PassPlatform, encoded by autoscaler/state-codec.ts (under 32 KiB). Writes are guarded by
 * resourceVersion, so after a leader change the new leader continues from what the old one last
 * stored and a stale leader's write is refused.
 */
import type { CoreV1Api, V1OwnerReference } from '@kubernetes/client-node';
import { encodeState, readState, STATE_SIZE_LIMIT_BYTES } from '../autoscaler/index.js';
import type { AutoscalerState } from '../autoscaler/index.js';
import { configMapDocument, type ConfigMapDocument } from '../controller/kube/configmap-document.js';

export const AUTOSCALER_STATE_KEY = 'state.json';
export const AUTOSCALER_STATE_LABEL = 'passplatform.io/autoscaler-state';

export function autoscalerStateConfigMapName(platformName: string): string {
  return `${platformName}-autoscaler-state`;
}

export interface StoredAutoscalerState {
  /** Undefined when nothing usable is stored yet (first run, or a format this version cannot read). */
  state: AutoscalerState | undefined;
  version: string | undefined;
  /** Parts of the stored document that could not be read and start fresh (state-schema.ts); empty when all read. */
  problems: string[];
}

export class AutoscalerStateStore {
  private readonly document: ConfigMapDocument;

  constructor(options: { api: CoreV1Api; namespace: string; platformName: string; owner?: V1OwnerReference }) {
    this.document = configMapDocument({
      api: options.api,
      namespace: options.namespace,
      name: autoscalerStateConfigMapName(options.platformName),
      key: AUTOSCALER_STATE_KEY,
      labels: { [AUTOSCALER_STATE_LABEL]: options.platformName },
      owner: options.owner,
    });
  }

  async load(): Promise<StoredAutoscalerState> {
    const { text, version } = await this.document.read();
    if (text === undefined) return { state: undefined, version, problems: [] };
    return { ...readState(text), version };
  }

  /** Stores over `version`; throws DocumentConflictError when someone else wrote since. */
  save(state: AutoscalerState, version: string | undefined): Promise<string> {
    const text = encodeState(state);
    const bytes = Buffer.byteLength(text);
    // Bounded by construction (five components, fixed rings); a breach is a bug, not something to store.
    if (bytes > STATE_SIZE_LIMIT_BYTES)
      throw new Error(`autoscaler state is ${bytes} bytes, over its ${STATE_SIZE_LIMIT_BYTES}-byte bound; not stored`);
    return this.document.write(text, version);
  }
}
