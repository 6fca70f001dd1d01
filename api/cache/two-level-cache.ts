/**
 * Two-level read cache: an in-process LRU in front of Redis. Invalidation reaches every API
 * process through Redis pub/sub: a key can be dropped everywhere, or a whole namespace retired
 * by bumping its generation (used for search results, which any write may change).
 * Redis failures never fail a read: the loader runs and the value is served uncached.
 */
import { LRUCache } from 'lru-cache';
import { labelNamesOf } from '../../core/metric-labels.js';
import { Counter, type Registry } from 'prom-client';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';
import type { RedisClient } from '../../core/redis.js';

export interface TwoLevelCacheOptions {
  redis: RedisClient;
  /** A dedicated connection in subscriber mode. */
  subscriber: RedisClient;
  keyPrefix: string;
  localMaxEntries: number;
  localTtlMs: number;
  defaultTtlSeconds: number;
  registry: Registry;
  logger: Logger;
  /** Redis's breaker: when it closes again after a hang, invalidations may have been missed. */
  redisBreaker?: DependencyBreaker;
}

type InvalidationMessage = { ns: string; key: string; origin: string } | { ns: string; gen: number; origin: string };

interface Boxed {
  value: unknown;
}

/** How a value is written to Redis and read back. */
interface Codec<T> {
  encode(value: T): string;
  decode(stored: string): T;
}
const JSON_CODEC: Codec<unknown> = { encode: (value) => JSON.stringify(value), decode: (stored) => JSON.parse(stored) as unknown };
const TEXT_CODEC: Codec<string> = { encode: (value) => value, decode: (stored) => stored };

export class TwoLevelCache {
  private readonly local: LRUCache<string, Boxed>;
  private readonly generations = new Map<string, number>();
  private readonly channel: string;
  private readonly origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private readonly requests: Counter<'cache' | 'level' | 'result'>;

  constructor(private readonly options: TwoLevelCacheOptions) {
    this.local = new LRUCache({ max: options.localMaxEntries, ttl: options.localTtlMs });
    this.channel = `${options.keyPrefix}cache:invalidate`;
    this.requests = new Counter({
      name: METRIC.cacheRequests,
      // One increment per look-up: a hit at the level that answered, a miss once (at the last level asked).
      help: 'Cache look-ups by cache namespace, level and result.',
      labelNames: labelNamesOf('cacheRequests'),
      registers: [options.registry],
    });
  }

  /** Subscribes to invalidations; after a reconnect the local level is cleared, as messages may have been missed. */
  async start(): Promise<void> {
    const sub = this.options.subscriber;
    sub.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) this.applyInvalidation(raw);
    });
    const forgetLocal = () => {
      this.local.clear();
      this.generations.clear();
    };
    sub.on('ready', forgetLocal);
    // A hung Redis keeps the subscriber's socket open (no reconnect, no 'ready'), yet messages
    // published meanwhile never arrived: forget the local level when Redis answers again.
    this.options.redisBreaker?.onAvailabilityChange((available) => available && forgetLocal());
    await sub.subscribe(this.channel);
  }

  async getOrLoad<T>(ns: string, key: string, loader: () => Promise<T>, ttlSeconds = this.options.defaultTtlSeconds): Promise<T> {
    return this.lookUp(ns, key, loader, ttlSeconds, JSON_CODEC as Codec<T>);
  }

  /**
   * `getOrLoad` for a value that is text already (e.g. a JSON answer written by Postgres): Redis
   * holds the text itself, not a JSON string of it, so a large answer is neither escaped on the
   * way in nor parsed on the way out.
   */
  async getOrLoadText(
    ns: string,
    key: string,
    loader: () => Promise<string>,
    ttlSeconds = this.options.defaultTtlSeconds,
  ): Promise<string> {
    return this.lookUp(ns, key, loader, ttlSeconds, TEXT_CODEC);
  }

  private async lookUp<T>(ns: string, key: string, loader: () => Promise<T>, ttlSeconds: number, codec: Codec<T>): Promise<T> {
    const gen = await this.generation(ns);
    const fullKey = this.fullKey(ns, gen, key);
    const hit = this.local.get(fullKey);
    if (hit) {
      this.requests.inc({ cache: ns, level: 'local', result: 'hit' });
      return hit.value as T;
    }
    const remote = await this.options.redis.get(fullKey).catch(() => undefined);
    if (typeof remote === 'string') {
      this.requests.inc({ cache: ns, level: 'redis', result: 'hit' });
      const value = codec.decode(remote);
      this.local.set(fullKey, { value });
      return value;
    }
    this.requests.inc({ cache: ns, level: 'redis', result: 'miss' });
    const value = await loader();
    if (value !== undefined) {
      this.local.set(fullKey, { value });
      await this.options.redis.set(fullKey, codec.encode(value), 'EX', ttlSeconds).catch(() => undefined);
    }
    return value;
  }

  /** Drops one key from Redis and from every process's local level. */
  async invalidate(ns: string, key: string): Promise<void> {
    const gen = await this.generation(ns);
    this.local.delete(this.fullKey(ns, gen, key));
    await this.options.redis.del(this.fullKey(ns, gen, key)).catch((err: Error) => this.warn(err));
    await this.publish({ ns, key, origin: this.origin });
  }

  /** Retires every key of a namespace, everywhere, by moving it to a new generation. */
  async invalidateNamespace(ns: string): Promise<void> {
    try {
      const gen = await this.options.redis.incr(this.genKey(ns));
      this.setGeneration(ns, gen);
      await this.publish({ ns, gen, origin: this.origin });
    } catch (err) {
      // Without Redis there is no shared generation; drop what this process holds.
      this.warn(err as Error);
      this.setGeneration(ns, (this.generations.get(ns) ?? 0) + 1);
    }
  }

  private async generation(ns: string): Promise<number> {
    const known = this.generations.get(ns);
    if (known !== undefined) return known;
    const stored = await this.options.redis.get(this.genKey(ns)).catch(() => undefined);
    // Without Redis the generation is unknown: use the oldest one for this read, but do not remember it.
    if (stored === undefined) return 0;
    const gen = Number(stored ?? 0);
    this.generations.set(ns, Math.max(gen, this.generations.get(ns) ?? 0));
    return this.generations.get(ns) ?? gen;
  }

  private setGeneration(ns: string, gen: number): void {
    if (gen <= (this.generations.get(ns) ?? -1)) return;
    this.generations.set(ns, gen);
    const stale = `${this.options.keyPrefix}cache:${ns}:`;
    for (const key of this.local.keys()) if (key.startsWith(stale)) this.local.delete(key);
  }

  private applyInvalidation(raw: string): void {
    let message: InvalidationMessage;
    try {
      message = JSON.parse(raw) as InvalidationMessage;
    } catch {
      return;
    }
    if ('gen' in message) this.setGeneration(message.ns, message.gen);
    else {
      const gen = this.generations.get(message.ns) ?? 0;
      this.local.delete(this.fullKey(message.ns, gen, message.key));
    }
  }

  private async publish(message: InvalidationMessage): Promise<void> {
    await this.options.redis.publish(this.channel, JSON.stringify(message)).catch((err: Error) => this.warn(err));
  }

  private fullKey(ns: string, gen: number, key: string): string {
    return `${this.options.keyPrefix}cache:${ns}:${gen}:${key}`;
  }

  private genKey(ns: string): string {
    return `${this.options.keyPrefix}cache-gen:${ns}`;
  }

  private warn(err: Error): void {
    this.options.logger.warn({ err: err.message }, 'cache invalidation could not reach Redis');
  }
}
