/**
 * One document kept under one key of a ConfigMap, read with its resourceVersion and written back
 * only over that version: a stale write gets 409 from the API server and becomes a
 * `DocumentConflictError`, so two operator replicas during a leader change cannot overwrite each
 * other. The ConfigMap can be owned by the PassPlatform, so it goes when the platform goes.
 */
import { ApiException, type CoreV1Api, type V1ConfigMap, type V1OwnerReference } from '@kubernetes/client-node';

export interface ConfigMapDocumentOptions {
  api: CoreV1Api;
  namespace: string;
  name: string;
  key: string;
  labels?: Record<string, string>;
  owner?: V1OwnerReference;
}

export interface StoredText {
  /** Undefined when the ConfigMap or its key does not exist yet. */
  text: string | undefined;
  /** The ConfigMap's resourceVersion; undefined when there is none yet. */
  version: string | undefined;
}

export class DocumentConflictError extends Error {
  constructor(name: string) {
    super(`ConfigMap ${name} changed since it was read`);
    this.name = 'DocumentConflictError';
  }
}

export interface ConfigMapDocument {
  read(): Promise<StoredText>;
  /** Creates the ConfigMap (no version) or replaces it over `version`; returns the new version. */
  write(text: string, version: string | undefined): Promise<string>;
}

export function configMapDocument(options: ConfigMapDocumentOptions): ConfigMapDocument {
  const { api, namespace, name, key } = options;
  return {
    async read() {
      try {
        const configMap = await api.readNamespacedConfigMap({ name, namespace });
        return { text: configMap.data?.[key], version: configMap.metadata?.resourceVersion };
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return { text: undefined, version: undefined };
        throw error;
      }
    },

    async write(text, version) {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name,
          namespace,
          ...(options.labels ? { labels: options.labels } : {}),
          ...(options.owner ? { ownerReferences: [options.owner] } : {}),
          ...(version ? { resourceVersion: version } : {}),
        },
        data: { [key]: text },
      };
      try {
        const saved = version
          ? await api.replaceNamespacedConfigMap({ name, namespace, body })
          : await api.createNamespacedConfigMap({ namespace, body });
        return saved.metadata?.resourceVersion ?? '';
      } catch (error) {
        // 409: someone else wrote (or created) it since we read it.
        if (error instanceof ApiException && error.code === 409) throw new DocumentConflictError(name);
        throw error;
      }
    },
  };
}
