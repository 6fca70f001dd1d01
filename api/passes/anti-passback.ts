/**
 * Revocation and anti-passback through Redis, kept from contradicting the access log.
 *
 * Redis remembers, per pass, the last direction let through, stamped with the **epoch** it was
 * written in and the time of that passage (`<epoch>|<direction>|<ms>`). The epoch changes whenever
 * Redis may hold less or older than Postgres: Redis restarted (its run id changed, or a cluster
 * connection came back), or it was unreachable or hung while gates were answered from Postgres.
 * A value from the current epoch is trusted as is. A value from an older epoch — and, for one
 * window after a change, a missing value — is checked against the access log: the newer of the
 * two passages (the one Redis remembers, the last valid row in Postgres) decides, and the answer is
 * written back in the current epoch, atomically, unless another process got there first.
 *
 * Any number of processes may start a new epoch; each change only costs one Postgres read per pass.
 *
 * A check that lets a pass through writes its passage with a nonce of its own, followed by the
 * passage it replaced (one key, one write). If the gate is then not answered "valid" — the reply came after its deadline
 * and Postgres refused or could not be read, or the access log could not take the row — the write
 * is undone, but only while it is still the newest (compare-and-restore), so Redis never remembers
 * a passage nobody was told about.
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { Logger } from '../../core/logger.js';
import type { RedisClient } from '../../core/redis.js';
import type { Direction } from '../access-logs/writer.js';
import { GateCheckBatcher } from './gate-check-batch.js';
import { passKeys } from './revocations.js';

export type GateAnswer = 'revoked' | 'anti_passback' | 'ok';

// KEYS: last direction. ARGV: the passage a check wrote (<epoch>|<direction>|<ms>|<nonce>), now (ms),
// memory (ms). Puts back the passage it replaced (for what is left of its memory) only if the
// check's write is still the newest; returns 1 when it was undone, 0 when a later passage replaced it.
const UNDO_GATE_WRITE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local written = ARGV[1] .. '|'
if not current or string.sub(current, 1, #written) ~= written then return 0 end
local replaced = string.sub(current, #written + 1)
local at = tonumber(string.match(replaced, '^[^|]*|[^|]*|([^|]*)$') or '')
local left = at and (tonumber(ARGV[3]) - (tonumber(ARGV[2]) - at)) or 0
if left >= 1 then
  redis.call('SET', KEYS[1], replaced, 'PX', math.floor(left))
else
  redis.call('DEL', KEYS[1])
end
return 1`;

// KEYS: epoch. ARGV: now (ms). Moves the epoch forward to now, or by one if now is not later.
const NEW_EPOCH_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local nextEpoch = math.max(current + 1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], nextEpoch)
return nextEpoch`;

interface AntiPassbackCommands {
  passUndoGateWrite(directionKey: string, written: string, nowMs: number, memoryMs: number): Promise<number>;
  passNewEpoch(epochKey: string, nowMs: number): Promise<number>;
}

/** A passage a gate check may have written to Redis: the exact value, so only that write is undone. */
export interface GateWrite {
  readonly passId: string;
  readonly value: string;
  readonly atMs: number;
}

/** Filled by `check` before it asks Redis: what the script writes if it lets the pass through. */
export interface GateCheckAttempt {
  write?: GateWrite;
}

/** Nonces: unique per process (a random prefix, since every container's node is PID 1) and per check, without crypto on each verification. */
const NONCE_PREFIX = randomBytes(6).toString('base64url');
let checksWritten = 0;

export interface AntiPassbackOptions {
  redis: RedisClient;
  knex: Knex;
  keyPrefix: string;
  windowSeconds: number;
  logger: Logger;
  /** Redis's breaker: after it closes again, gates must not trust what Redis held before. */
  redisBreaker?: DependencyBreaker;
  /** How often the epoch is re-read, to pick up changes made by other processes. */
  refreshMs?: number;
  /** Passes whose last passage this process remembers itself (see `ownPassages`). */
  ownPassagesMax?: number;
}

/** A passage remembered by Redis or found in the access log. */
interface Passage {
  direction: Direction;
  atMs: number;
}

function newer(a: Passage | undefined, b: Passage | undefined): Passage | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.atMs > a.atMs ? b : a;
}

function parseStored(stored: string | undefined): Passage | undefined {
  const [, direction, at] = (stored ?? '').split('|');
  if ((direction === 'entry' || direction === 'exit') && Number.isFinite(Number(at))) return { direction, atMs: Number(at) };
  return undefined;
}

export class AntiPassbackStore {
  private epoch: number | undefined;
  /** Set when Redis may have lost or missed state; the next check starts a new epoch first. */
  private mustRenewEpoch = false;
  private syncing: Promise<number> | undefined;
  private knownRunId: string | undefined;
  private readonly epochKey: string;
  private readonly runIdKey: string;
  private readonly timer: NodeJS.Timeout;
  private readonly commands: AntiPassbackCommands;
  /** Revocation and anti-passback checks, those of one event-loop turn in one script call. */
  private readonly gateChecks: GateCheckBatcher;
  private readonly detach: () => void;
  /**
   * The last passage this process let through, per pass, within the window: the tie-breaker when
   * Redis's memory is from an older epoch and Postgres cannot be read. It holds what Redis may lack
   * (passages this process answered from Postgres, or that a Redis restart lost), so this process
   * never contradicts itself; only another process's passages stay unknown then.
   */
  private readonly ownPassages: LRUCache<string, Passage>;
  /** Undos Redis did not confirm (it hung or was gone): retried on each refresh while the passage is remembered. */
  private readonly pendingUndos = new Map<string, GateWrite>();
  private retryingUndos = false;

  constructor(private readonly options: AntiPassbackOptions) {
    this.ownPassages = new LRUCache({ max: options.ownPassagesMax ?? 100_000, ttl: options.windowSeconds * 1000 });
    this.epochKey = `${options.keyPrefix}apb:epoch`;
    this.runIdKey = `${options.keyPrefix}apb:redis-run-id`;
    this.gateChecks = new GateCheckBatcher(options.redis);
    options.redis.defineCommand('passUndoGateWrite', { numberOfKeys: 1, lua: UNDO_GATE_WRITE_SCRIPT });
    options.redis.defineCommand('passNewEpoch', { numberOfKeys: 1, lua: NEW_EPOCH_SCRIPT });
    this.commands = options.redis as unknown as AntiPassbackCommands;
    const renew = () => {
      this.mustRenewEpoch = true;
      this.epoch = undefined;
    };
    // A connection that comes back may be to a restarted server; a breaker that closes again
    // follows a stretch in which gates were answered without Redis.
    const onReady = () => {
      if (this.epoch === undefined) return;
      // A cluster has no single run id to compare: any reconnect renews the epoch.
      if (options.redis instanceof Cluster) renew();
      this.knownRunId = undefined;
      void this.sync().catch(() => undefined);
    };
    options.redis.on('ready', onReady);
    const stopWatching = options.redisBreaker?.onAvailabilityChange((available) => available && renew());
    this.detach = () => {
      options.redis.off('ready', onReady);
      stopWatching?.();
    };
    this.timer = setInterval(() => {
      void this.sync().catch(() => undefined);
      void this.retryUndos();
    }, options.refreshMs ?? 1_000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.detach();
    if (this.pendingUndos.size > 0)
      this.options.logger.warn(
        { passes: [...this.pendingUndos.values()].map((write) => write.passId) },
        'gate checks left unconfirmed in Redis at close: those passes may be refused once as anti-passback',
      );
  }

  /**
   * A gate was answered without Redis (from Postgres) although Redis may be reachable — e.g. a
   * process restarted while Postgres was down answers from Postgres until its revocation set has
   * loaded. Redis did not see that passage, so what it remembers may now be older than the access
   * log: the next check starts a new epoch, and every older value is checked against Postgres.
   */
  answeredWithoutRedis(): void {
    this.mustRenewEpoch = true;
  }

  /** Undos Redis has not confirmed yet. */
  get unconfirmedUndos(): number {
    return this.pendingUndos.size;
  }

  /** Records a passage this process let through (whichever store decided it). */
  remember(passId: string, direction: Direction, at: Date): void {
    const known = this.ownPassages.get(passId);
    if (!known || known.atMs <= at.getTime()) this.ownPassages.set(passId, { direction, atMs: at.getTime() });
  }

  /**
   * Revocation and anti-passback in one round trip (two after an epoch change), shared with the
   * other checks of this event-loop turn (gate-check-batch.ts); throws when Redis cannot answer. `attempt.write` says what Redis may now hold for this check — also when it
   * throws, since a reply that missed its deadline may come from a script that ran.
   */
  async check(passId: string, direction: Direction, now: Date, attempt: GateCheckAttempt = {}): Promise<GateAnswer> {
    const epoch = await this.currentEpoch();
    const keys = passKeys(this.options.keyPrefix, passId);
    const fresh = now.getTime() - epoch < this.options.windowSeconds * 1000;
    const nonce = `${NONCE_PREFIX}${(checksWritten += 1).toString(36)}`;
    const ask = async (seed?: Passage) => {
      attempt.write = { passId, value: `${epoch}|${direction}|${now.getTime()}|${nonce}`, atMs: now.getTime() };
      const reply = await this.gateChecks.check({
        revokedKey: keys.revoked,
        directionKey: keys.lastDirection,
        direction,
        memorySeconds: this.options.windowSeconds,
        epoch,
        epochIsFresh: fresh,
        nowMs: now.getTime(),
        seedDirection: seed?.direction ?? '',
        seedAtMs: seed?.atMs ?? 0,
        nonce,
      });
      // Only 'ok' wrote anything.
      if (reply[0] !== 'ok') delete attempt.write;
      return reply;
    };
    const [answer, stored] = await ask();
    if (answer !== 'check') return this.answer(answer);
    const seed = await this.lastPassage(passId, parseStored(stored), now);
    const [seeded] = await ask(seed ?? { direction: direction === 'entry' ? 'exit' : 'entry', atMs: 0 });
    return this.answer(seeded);
  }

  /**
   * Takes back a passage a check wrote for a gate that was not answered "valid". Never throws: when
   * Redis cannot confirm it, it is retried on every refresh until it is, or until Redis would have
   * forgotten the passage anyway.
   */
  async undo(write: GateWrite): Promise<void> {
    const { lastDirection } = passKeys(this.options.keyPrefix, write.passId);
    try {
      const undone = await this.commands.passUndoGateWrite(lastDirection, write.value, Date.now(), this.options.windowSeconds * 1000);
      this.pendingUndos.delete(write.value);
      this.options.logger.info({ passId: write.passId, undone: undone === 1 }, 'passage of an unanswered gate check taken back from Redis');
    } catch (err) {
      if (this.pendingUndos.has(write.value)) return;
      this.pendingUndos.set(write.value, write);
      this.options.logger.warn(
        { err: (err as Error).message, passId: write.passId },
        'unanswered gate check not yet taken back from Redis; retrying',
      );
    }
  }

  private async retryUndos(): Promise<void> {
    if (this.retryingUndos || this.pendingUndos.size === 0) return;
    this.retryingUndos = true;
    try {
      for (const write of [...this.pendingUndos.values()]) {
        if (Date.now() - write.atMs >= this.options.windowSeconds * 1000) this.pendingUndos.delete(write.value);
        else await this.undo(write);
      }
    } finally {
      this.retryingUndos = false;
    }
  }

  private answer(answer: string | undefined): GateAnswer {
    if (answer === 'revoked' || answer === 'anti_passback' || answer === 'ok') return answer;
    throw new Error(`unexpected gate check answer ${answer}`);
  }

  /**
   * The newer of what Redis remembers and the access log's last valid passage in the window. If
   * Postgres cannot be read, Redis's memory is all there is (logged: the check was skipped).
   */
  private async lastPassage(passId: string, remembered: Passage | undefined, now: Date): Promise<Passage | undefined> {
    let logged: Passage | undefined;
    try {
      const row = (await this.options
        .knex('access_logs')
        .select('direction', 'occurred_at')
        .where({ pass_id: passId, outcome: 'valid' })
        .where('occurred_at', '>', new Date(now.getTime() - this.options.windowSeconds * 1000))
        .orderBy([
          { column: 'occurred_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .first()) as { direction: Direction; occurred_at: Date } | undefined;
      logged = row ? { direction: row.direction, atMs: row.occurred_at.getTime() } : undefined;
    } catch (err) {
      this.options.logger.warn(
        { err: (err as Error).message, passId },
        'anti-passback state from before a Redis disruption could not be checked against Postgres; Redis and this process decide',
      );
      return newer(remembered, this.ownPassages.get(passId));
    }
    return newer(remembered, logged);
  }

  private async currentEpoch(): Promise<number> {
    if (this.epoch !== undefined && !this.mustRenewEpoch) return this.epoch;
    return this.sync();
  }

  /**
   * Reads the epoch; starts a new one when this process saw a disruption, when Redis's run id is
   * not the one recorded with the epoch (it restarted, perhaps from an older append-only file),
   * or when there is none yet (an empty Redis).
   */
  private sync(): Promise<number> {
    this.syncing ??= (async () => {
      try {
        const runId = await this.redisRunId();
        const [stored, storedRunId] = await Promise.all([this.options.redis.get(this.epochKey), this.options.redis.get(this.runIdKey)]);
        const restarted = runId !== undefined && storedRunId !== runId;
        // Taken before the renewal, so a disruption reported while it runs renews once more.
        const disrupted = this.mustRenewEpoch;
        if (disrupted || stored === null || restarted) {
          this.mustRenewEpoch = false;
          let epoch: number;
          try {
            epoch = Number(await this.commands.passNewEpoch(this.epochKey, Date.now()));
            if (runId !== undefined) await this.options.redis.set(this.runIdKey, runId);
          } catch (err) {
            this.mustRenewEpoch ||= disrupted;
            throw err;
          }
          this.options.logger.info(
            { epoch, restarted, disrupted },
            'anti-passback epoch renewed: Redis state from before is checked against the access log',
          );
          this.epoch = epoch;
        } else {
          this.epoch = Number(stored);
        }
        return this.epoch;
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  /** The server's run id (changes on every restart); undefined for a cluster, whose nodes each have one. */
  private async redisRunId(): Promise<string | undefined> {
    if (this.options.redis instanceof Cluster) return undefined;
    if (this.knownRunId) return this.knownRunId;
    const info = await this.options.redis.info('server');
    this.knownRunId = /run_id:(\w+)/.exec(info)?.[1];
    return this.knownRunId;
  }
}
