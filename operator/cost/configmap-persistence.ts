/**
 * Keeps a platform's cost history in a ConfigMap beside it, owned by the PassPlatform so it goes
 * when the platform goes. Writes are guarded by resourceVersion: a stale write gets 409 from the
 * API server and becomes a HistoryConflictError the store retries from a fresh read.
 */
import { ApiException, type CoreV1Api, type V1ConfigMap, type V1OwnerReference } from '@kubernetes/client-node';
import { decodeHistory, emptyHistory, encodeHistory, type HistoryDocument } from './history-document.js';
import { HistoryConflictError, type HistoryPersistence, type StoredHistory } from './history-store.js';

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
  const { api, namespace } = options;
  const name = costHistoryConfigMapName(options.platformName);

  return {
    async load(): Promise<StoredHistory> {
      try {
        const configMap = await api.readNamespacedConfigMap({ name, namespace });
        const text = configMap.data?.[HISTORY_KEY];
        return { doc: text ? decodeHistory(text) : emptyHistory(), version: configMap.metadata?.resourceVersion };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return { doc: emptyHistory(), version: undefined };
        throw error;
      }
    },

    async save(doc: HistoryDocument, version: string | undefined): Promise<string> {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace,
          labels: { [COST_HISTORY_LABEL]: options.platformName },
          ...(options.owner ? { ownerReferences: [options.owner] } : {}),
          ...(version ? { resourceVersion: version } : {}),
        },
        data: { [HISTORY_KEY]: encodeHistory(doc) },
      };
      try {
        const saved = version
          ? await api.replaceNamespacedConfigMap({ name, namespace, body })
          : await api.createNamespacedConfigMap({ namespace, body });
        return saved.metadata?.resourceVersion ?? '';
      } catch (error) {
        // 409: someone else wrote (or created) it since we read it.
        if (error instanceof ApiException && error.code === 409) throw new HistoryConflictError();
        throw error;
      }
    },
  };
}
