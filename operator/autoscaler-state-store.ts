/**
 * The autoscaler's memory of one platform (recent samples, scale-down window, a week of seasonal
 * load means: ~100 kB, too large for status) in a ConfigMap `<name>-autoscaler-state` owned by
 * the PassPlatform. Writes are guarded by resourceVersion, so after a leader change the new
 * leader continues from what the old one last stored and a stale leader's write is refused.
 */
import type { CoreV1Api, V1OwnerReference } from '@kubernetes/client-node';
import type { AutoscalerState } from './autoscaler/types.js';
import { configMapDocument, type ConfigMapDocument } from './kube/configmap-document.js';

export const AUTOSCALER_STATE_KEY = 'state.json';
export const AUTOSCALER_STATE_LABEL = 'passplatform.io/autoscaler-state';

export function autoscalerStateConfigMapName(platformName: string): string {
  return `${platformName}-autoscaler-state`;
}

export interface StoredAutoscalerState {
  /** Undefined when nothing usable is stored yet (first run, or a format this version cannot read). */
  state: AutoscalerState | undefined;
  version: string | undefined;
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
    return { state: text === undefined ? undefined : decodeState(text), version };
  }

  /** Stores over `version`; throws DocumentConflictError when someone else wrote since. */
  save(state: AutoscalerState, version: string | undefined): Promise<string> {
    return this.document.write(JSON.stringify(state), version);
  }
}

function decodeState(text: string): AutoscalerState | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<AutoscalerState>;
    // A state written by another format version is dropped: the policy relearns it within a window.
    return parsed.version === 1 && typeof parsed.components === 'object' ? (parsed as AutoscalerState) : undefined;
  } catch {
    return undefined;
  }
}
