/**
 * Keeps a platform's cost history in a ConfigMap beside it, owned by the PassPlatform so it goes
 * when the platform goes. Writes are guarded by resourceVersion: a stale write gets 409 from the
 * API server and becomes a HistoryConflictError the store retries from a fresh read.
 */
import type { CoreV1Api, V1OwnerReference } from '@kubernetes/client-node';
import { configMapDocument, DocumentConflictError } from '../../controller/kube/configmap-document.js';
import { decodeHistory, emptyHistory, encodeHistory } from '../history-document.js';
import { HistoryConflictError, type HistoryPersistence } from '../history-store.js';

export const HISTORY_KEY = 'history.json';
export const COST_HISTORY_LABEL = 'passplatform.io/cost-history';

export function costHistoryConfigMapName(platformName: string): string {
  return `${platformName}-cost-history`;
}

export interface ConfigMapPersistenceOptions {
  api: CoreV1Api;
  namespace: string;
  platformName: string;
  /** The PassPlatform, so the history is garbage-collected with it. */
  owner?: V1OwnerReference;
}

export function configMapPersistence(options: ConfigMapPersistenceOptions): HistoryPersistence {
  const document = configMapDocument({
    api: options.api,
    namespace: options.namespace,
    name: costHistoryConfigMapName(options.platformName),
    key: HISTORY_KEY,
    labels: { [COST_HISTORY_LABEL]: options.platformName },
    owner: options.owner,
  });
  return {
    async load() {
      const { text, version } = await document.read();
      return { doc: text ? decodeHistory(text) : emptyHistory(), version };
    },
    async save(doc, version) {
      try {
        return await document.write(encodeHistory(doc), version);
      } catch (error) {
        if (error instanceof DocumentConflictError) throw new HistoryConflictError();
        throw error;
      }
    },
  };
}
