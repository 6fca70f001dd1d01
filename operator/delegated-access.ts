/**
 * Who may read the operator's `/metrics` and `/cost`: whoever the cluster's RBAC lets `get` that
 * path, decided as controller-runtime's `filters.WithAuthenticationAndAuthorization` decides it.
 * The request's bearer token goes to the apiserver in a TokenReview; the user it names (with its
 * groups) goes back in a SubjectAccessReview of the non-resource URL (`get /metrics`,
 * `get /cost/<namespace>/<name>`), so access is granted by binding the ClusterRoles
 * `pass-operator-metrics-reader` / `pass-operator-cost-reader` (cdk8s/operator-install.ts) and not
 * by a shared secret. No token or one the apiserver rejects: 401; a user RBAC denies: 403; an
 * apiserver that cannot be asked: 503, never an answer.
 *
 * Answers are cached, bounded in entries, so a Prometheus scraping every 15 s (and its HA twin)
 * costs the apiserver about one review pair a minute: a token's user for a minute and a denial
 * for 30 s, as controller-runtime caches them; an allow for a minute (controller-runtime keeps it
 * five), so a removed binding takes effect within a minute. Failures are never cached.
 */
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Middleware } from 'koa';
import { LRUCache } from 'lru-cache';
import { bearerToken } from '../core/metrics-access.js';
import type { Logger } from './controller/controller.js';

/** The user a TokenReview names. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** The two questions put to the apiserver. */
export interface AccessReviews {
  /** The user a bearer token authenticates as, or undefined when the apiserver does not accept it. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether RBAC lets `user` `verb` the non-resource URL `path`. */
  authorize(user: ReviewedUser, path: string, verb: string): Promise<boolean>;
}

/** TokenReview (authentication.k8s.io/v1) and SubjectAccessReview (authorization.k8s.io/v1) as the operator's identity. */
export function kubernetesAccessReviews(kubeConfig: KubeConfig): AccessReviews {
  const authentication = kubeConfig.makeApiClient(AuthenticationV1Api);
  const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  return {
    async authenticate(token) {
      const review = await authentication.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const user = review.status?.user;
      if (!review.status?.authenticated || !user?.username) return undefined;
      return { username: user.username, uid: user.uid, groups: user.groups ?? [], extra: user.extra };
    },
    async authorize(user, path, verb) {
      const review = await authorization.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
        },
      });
      return review.status?.allowed === true;
    },
  };
}

export type AccessDecision = 'allowed' | 'unauthenticated' | 'forbidden';

export interface DelegatedAccessOptions {
  /** How long a token's review is reused. */
  tokenTtlMs?: number;
  allowTtlMs?: number;
  denyTtlMs?: number;
  /** Entries per cache (tokens; user and path pairs). */
  maxEntries?: number;
  /** How long one review may take before the request is answered 503. */
  reviewTimeoutMs?: number;
}

export const DELEGATED_ACCESS_DEFAULTS: Required<DelegatedAccessOptions> = {
  tokenTtlMs: 60_000,
  allowTtlMs: 60_000,
  denyTtlMs: 30_000,
  maxEntries: 1_000,
  reviewTimeoutMs: 10_000,
};

/** A review the apiserver did not answer (unreachable, refused the operator, or too slow). */
export class ReviewUnavailable extends Error {}

/** Wraps a cached value: the cache holds objects only, and "this token is no one" must be cached too. */
interface TokenEntry {
  user: ReviewedUser | undefined;
}

export class DelegatedAccess {
  private readonly options: Required<DelegatedAccessOptions>;
  private readonly users: LRUCache<string, TokenEntry, string>;
  private readonly decisions: LRUCache<string, { allowed: boolean }, { user: ReviewedUser; path: string; verb: string }>;

  constructor(
    private readonly reviews: AccessReviews,
    options: DelegatedAccessOptions = {},
  ) {
    this.options = { ...DELEGATED_ACCESS_DEFAULTS, ...options };
    // fetch() shares one review among concurrent requests for the same key; a rejected review is not stored.
    this.users = new LRUCache({
      max: this.options.maxEntries,
      ttl: this.options.tokenTtlMs,
      fetchMethod: async (_digest, _stale, { context: token }) => ({ user: await this.ask(() => this.reviews.authenticate(token)) }),
    });
    this.decisions = new LRUCache({
      max: this.options.maxEntries,
      ttl: this.options.denyTtlMs,
      fetchMethod: async (_key, _stale, { context, options }) => {
        const allowed = await this.ask(() => this.reviews.authorize(context.user, context.path, context.verb));
        options.ttl = allowed ? this.options.allowTtlMs : this.options.denyTtlMs;
        return { allowed };
      },
    });
  }

  /** Whether the bearer `token` may `verb` `path`; throws ReviewUnavailable when the apiserver cannot say. */
  async decide(token: string, path: string, verb: string): Promise<AccessDecision> {
    // Keyed by a digest, so the cache holds no usable token.
    const entry = await this.users.fetch(createHash('sha256').update(token).digest('base64'), { context: token });
    const user = entry?.user;
    if (!user) return 'unauthenticated';
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, path, verb]);
    const decision = await this.decisions.fetch(key, { context: { user, path, verb } });
    return decision?.allowed ? 'allowed' : 'forbidden';
  }

  private async ask<T>(review: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ReviewUnavailable(`no answer from the Kubernetes API within ${this.options.reviewTimeoutMs} ms`)),
        this.options.reviewTimeoutMs,
      );
    });
    try {
      return await Promise.race([review(), timeout]);
    } catch (error) {
      if (error instanceof ReviewUnavailable) throw error;
      throw new ReviewUnavailable(`the Kubernetes API did not review the request: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The non-resource verb kube-apiserver itself derives from an HTTP method. */
const verbOf = (method: string) => (method === 'HEAD' ? 'get' : method.toLowerCase());

/** The challenge sent with a 401 (RFC 6750). */
export const OPERATOR_CHALLENGE = 'Bearer realm="pass-operator"';

/** Koa middleware answering 401/403/503 unless the cluster lets the request's bearer token read its path. */
export function delegatedAccessMiddleware(access: DelegatedAccess, log?: Logger): Middleware {
  return async (ctx, next) => {
    const token = bearerToken(ctx.get('authorization'));
    if (!token) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', OPERATOR_CHALLENGE);
      ctx.body = 'a bearer token is required (a ServiceAccount bound to pass-operator-metrics-reader or pass-operator-cost-reader)';
      return;
    }
    let decision: AccessDecision;
    try {
      decision = await access.decide(token, ctx.path, verbOf(ctx.method));
    } catch (error) {
      log?.warn({ path: ctx.path, reason: (error as Error).message }, 'could not review a request to the operator');
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      ctx.body = 'the Kubernetes API could not review the token; try again';
      return;
    }
    if (decision === 'unauthenticated') {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', `${OPERATOR_CHALLENGE}, error="invalid_token"`);
      ctx.body = 'the Kubernetes API does not accept this token';
      return;
    }
    if (decision === 'forbidden') {
      ctx.status = 403;
      ctx.body = `forbidden: RBAC does not let this user ${verbOf(ctx.method)} ${ctx.path}`;
      return;
    }
    await next();
  };
}
