/**
 * Environment variables of the API and worker containers. Every name is a `ConfigVariable` of
 * `core/config.ts`, the module the processes read their environment with, so the operator cannot
 * set a variable that no process reads (it would not compile).
 */
import type { k8s } from 'cdk8s-plus-33';
import type { ConfigVariable } from '../../core/config.js';

export interface AppEnvVar extends k8s.EnvVar {
  name: ConfigVariable;
}

/** Non-secret settings, as the ConfigMap holds them. */
export type AppSettings = Partial<Record<ConfigVariable, string>>;

export function envValue(name: ConfigVariable, value: string): AppEnvVar {
  return { name, value };
}

export function envFromSecret(name: ConfigVariable, secret: string, key: string, optional = false): AppEnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, optional } } };
}

/** Where the API and worker containers keep uploads and reports (their STORAGE_DIR volume). */
export const STORAGE_MOUNT_PATH = '/var/lib/passplatform/storage';

/**
 * Where the API container keeps its access-log journal (ACCESS_LOG_SPILL_DIR): an emptyDir, so
 * answered verifications not yet in Postgres survive a container restart (the pod keeps it).
 */
export const ACCESS_LOG_SPILL_MOUNT_PATH = '/var/lib/passplatform/access-log-spill';
