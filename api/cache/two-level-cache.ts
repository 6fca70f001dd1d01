/**
 * Two-level read cache: an in-process LRU in front of Redis. Invalidation reaches every API
 * process through Redis pub/sub: a key can be dropped everywhere, or a whole namespace retired
 * by bumping its generation (used for search results, which any write may change).
 * Redis failures never fail a read: the loader runs and the value is served uncached.
 *
 * Values that are bytes already (a JSON answer written by Postgres, `getOrLoadBytes`) have their
 * own local LRU bounded by their total size, not by a count: 5,000 analytics answers of ≈ 220 KB
 * would be a gigabyte in one process.
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
  /** Bytes the local level keeps of `getOrLoadBytes` values, in all (default LOCAL_BYTES_DEFAULT). */
  localMaxBytes?: number;
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

/** How a value is written to Redis and read back, and which local LRU keeps it in this process. */
interface Codec<T> {
  encode(value: T): string | Buffer;
  /** The stored value, or undefined when Redis has none (or cannot be reached). */
  fetch(fullKey: string): Promise<T | undefined>;
  local: LRUCache<string, Boxed>;
}

/** The local level's bound for byte values: 64 answers of the largest analytics layout (≈ 220 KB). */
export const LOCAL_BYTES_DEFAULT = 16 * 1024 * 1024;

export class TwoLevelCache {
  private readonly local: LRUCache<string, Boxed>;
  private readonly localBytes: LRUCache<string, Boxed>;
  private readonly json: Codec<unknown>;
  private readonly bytes: Codec<Buffer>;
  private readonly generations = new Map<string, number>();
  private readonly channel: string;
  private readonly origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  private readonly requests: Counter<'cache' | 'level' | 'result'>;

  constructor(private readonly options: TwoLevelCacheOptions) {
    this.local = new LRUCache({ max: options.localMaxEntries, ttl: options.localTtlMs });
    this.localBytes = new LRUCache({
      maxSize: options.localMaxBytes ?? LOCAL_BYTES_DEFAULT,
      // A value larger than the whole bound is not kept locally (lru-cache skips it), only in Redis.
      sizeCalculation: (boxed) => Math.max((boxed.value as Buffer).length, 1),
      ttl: options.localTtlMs,
    });
    const redis = options.redis;
    this.json = {
      encode: (value) => JSON.stringify(value),
      fetch: async (fullKey) => {
        const stored = await redis.get(fullKey).catch(() => undefined);
        return typeof stored === 'string' ? (JSON.parse(stored) as unknown) : undefined;
      },
      local: this.local,
    };
    this.bytes = {
      encode: (value) => value,
      fetch: async (fullKey) => (await redis.getBuffer(fullKey).catch(() => undefined)) ?? undefined,
      local: this.localBytes,
    };
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
      this.localBytes.clear();
      this.generations.clear();
    };
    sub.on('ready', forgetLocal);
    // A hung Redis keeps the subscriber's socket open (no reconnect, no 'ready'), yet messages
    // published meanwhile never arrived: forget the local level when Redis answers again.
    this.options.redisBreaker?.onAvailabilityChange((available) => available && forgetLocal());
    await sub.subscribe(this.channel);
  }

  async getOrLoad<T>(ns: string, key: string, loader: () => Promise<T>, ttlSeconds = this.options.defaultTtlSeconds): Promise<T> {
    return this.lookUp(ns, key, loader, ttlSeconds, this.json as Codec<T>);
  }

  /**
   * `getOrLoad` for a value that is bytes already (e.g. a JSON answer written by Postgres): Redis
   * holds the bytes themselves, read back as a Buffer, so a large answer is neither escaped,
   * encoded to UTF-8 nor decoded on its way in or out (for a 220 KB answer those were a fifth of
   * the API's CPU per uncached answer).
   */
  async getOrLoadBytes(
    ns: string,
    key: string,
    loader: () => Promise<Buffer>,
    ttlSeconds = this.options.defaultTtlSeconds,
  ): Promise<Buffer> {
    return this.lookUp(ns, key, loader, ttlSeconds, this.bytes);
  }

  private async lookUp<T>(ns: string, key: string, loader: () => Promise<T>, ttlSeconds: number, codec: Codec<T>): Promise<T> {
    const gen = await this.generation(ns);
    const fullKey = this.fullKey(ns, gen, key);
    const hit = codec.local.get(fullKey);
    if (hit) {
      this.requests.inc({ cache: ns, level: 'local', result: 'hit' });
      return hit.value as T;
    }
    const remote = await codec.fetch(fullKey);
    if (remote !== undefined) {
      this.requests.inc({ cache: ns, level: 'redis', result: 'hit' });
      codec.local.set(fullKey, { value: remote });
      return remote;
    }
    this.requests.inc({ cache: ns, level: 'redis', result: 'miss' });
    const value = await loader();
    if (value !== undefined) {
      codec.local.set(fullKey, { value });
      await this.options.redis.set(fullKey, codec.encode(value), 'EX', ttlSeconds).catch(() => undefined);
    }
    return value;
  }

  /** Drops one key from Redis and from every process's local level. */
  async invalidate(ns: string, key: string): Promise<void> {
    const gen = await this.generation(ns);
    this.forgetLocally(this.fullKey(ns, gen, key));
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
    for (const local of [this.local, this.localBytes]) for (const key of local.keys()) if (key.startsWith(stale)) local.delete(key);
  }

  private forgetLocally(fullKey: string): void {
    this.local.delete(fullKey);
    this.localBytes.delete(fullKey);
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
      this.forgetLocally(this.fullKey(message.ns, gen, message.key));
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
