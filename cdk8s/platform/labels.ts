/** Labels every child of a platform carries: the operator selects, watches and prunes by them. */
export const MANAGED_BY = 'pass-operator';
export const PLATFORM_LABEL = 'passplatform.io/platform';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const METRICS_LABEL = 'passplatform.io/metrics';

/** Labels that select one component's pods; stable for the life of the platform. */
export function selectorLabels(platform: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'passplatform', 'app.kubernetes.io/instance': platform, [COMPONENT_LABEL]: component };
}

export function childLabels(platform: string, component: string, version: string): Record<string, string> {
  return { ...unversionedLabels(platform, component), 'app.kubernetes.io/version': version };
}

/**
 * Labels without the platform's version, for pod templates that must not change when the app's
 * version does: a Job's template is immutable (a changed label is refused with 422), and the
 * Redis nodes run Redis, not the app, so an app upgrade must not roll them.
 */
export function unversionedLabels(platform: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(platform, component),
    'app.kubernetes.io/part-of': 'passplatform',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [PLATFORM_LABEL]: platform,
  };
}

export const MANAGED_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** On the Redis StatefulSet: the shard count its nodes are laid out for. */
export const SHARDS_ANNOTATION = 'passplatform.io/shards';
