/**
 * Gate checks (revocation + anti-passback, anti-passback.ts) of one event-loop turn, sent to Redis
 * as one script call. Each check used to be a script call of its own: a command built, a deadline
 * timer, a pass through the breaker, a socket write and a reply read in the API, and a read, a
 * script run and a write in Redis, per verification. Under load the requests read in one turn all
 * reach their check before the turn ends, so they share all of that.
 *
 * A batch is sent when the turn ends (`setImmediate`: the requests read in this poll phase have
 * run up to their checks) or as soon as it is full, never after an earlier batch settles: each
 * batch is one command with the client's own deadline from its send, so a hung Redis costs every
 * check one deadline, not one per batch waiting ahead of it (what ioredis' auto-pipelining did).
 * The script runs the checks in the order they were asked, so two checks of one pass in a batch
 * see each other as two calls would.
 *
 * On a Redis Cluster every pass's keys live in a slot of their own (their hash tag), and a script
 * may only touch keys of one slot: there a batch holds one check, sent at once, as before.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../core/redis.js';

/**
 * One check's keys and arguments. A passage is stored as
 * `<epoch>|<direction>|<ms>|<nonce>|<the passage it replaced: epoch|direction|ms>`.
 */
export interface GateCheckCall {
  revokedKey: string;
  directionKey: string;
  direction: string;
  /** How long the passage is remembered (seconds). */
  memorySeconds: number;
  epoch: number;
  /** Whether the epoch began less than one memory ago (a missing value may then be older state lost). */
  epochIsFresh: boolean;
  nowMs: number;
  /** The passage to start from when Redis's is from an older epoch ('' when not seeding). */
  seedDirection: string;
  seedAtMs: number;
  nonce: string;
}

/** The script's answer for one check, and what Redis holds when it answers 'check'. */
export type GateCheckReply = [answer: string, stored: string];

/** Arguments per check after the keys (see GATE_CHECKS_SCRIPT). */
const ARGS_PER_CHECK = 8;

// KEYS: per check, its revoked flag and last direction. ARGV: per check, direction, memory (s),
// epoch, epoch is fresh (1/0), now (ms), seed direction ('' when not seeding), seed time (ms), nonce.
// Returns, per check, its answer and '' — or 'check' and what Redis holds, when Postgres must be
// consulted first.
const GATE_CHECKS_SCRIPT = `
local replies = {}
for i = 1, #KEYS / 2 do
  local revokedKey, directionKey = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * ${ARGS_PER_CHECK}
  local direction, memory, epoch, fresh = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local now, seed, nonce = ARGV[a + 5], ARGV[a + 6], ARGV[a + 8]
  local answer, held = 'ok', ''
  if redis.call('EXISTS', revokedKey) == 1 then
    answer = 'revoked'
  else
    local stored = redis.call('GET', directionKey)
    local last = nil
    if stored then
      local storedEpoch, storedDirection = string.match(stored, '^([^|]*)|([^|]*)|')
      if storedEpoch == epoch then last = storedDirection end
    end
    if last == nil then
      if seed ~= '' then
        last = seed
      elseif stored or fresh == '1' then
        answer, held = 'check', stored or ''
      end
    end
    if answer == 'ok' then
      if last == direction then
        answer = 'anti_passback'
      else
        local replaced = stored and string.match(stored, '^[^|]*|[^|]*|[^|]*') or ''
        redis.call('SET', directionKey, epoch .. '|' .. direction .. '|' .. now .. '|' .. nonce .. '|' .. replaced, 'EX', memory)
      end
    end
  end
  replies[2 * i - 1], replies[2 * i] = answer, held
end
return replies`;

/** The most checks one script call carries: Redis runs a script alone, so each stays short. */
export const MAX_CHECKS_PER_CALL = 256;

interface GateChecksCommand {
  passGateChecks(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<string[]>;
}

interface PendingCheck {
  call: GateCheckCall;
  resolve(reply: GateCheckReply): void;
  reject(err: unknown): void;
}

export class GateCheckBatcher {
  private pending: PendingCheck[] = [];
  private readonly command: GateChecksCommand;
  private readonly maxPerCall: number;

  constructor(redis: RedisClient, maxPerCall = MAX_CHECKS_PER_CALL) {
    // The number of keys varies with the batch: it is the script call's first argument.
    redis.defineCommand('passGateChecks', { lua: GATE_CHECKS_SCRIPT });
    this.command = redis as unknown as GateChecksCommand;
    this.maxPerCall = redis instanceof Cluster ? 1 : maxPerCall;
  }

  /** Runs one check with the others of this turn; rejects with the call's error (all of the batch alike). */
  check(call: GateCheckCall): Promise<GateCheckReply> {
    return new Promise<GateCheckReply>((resolve, reject) => {
      if (this.pending.length === 0 && this.maxPerCall > 1) setImmediate(() => this.send());
      this.pending.push({ call, resolve, reject });
      if (this.pending.length >= this.maxPerCall) this.send();
    });
  }

  /** Sends what is waiting (nothing when a full batch already went). */
  private send(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const { call } of batch) {
      keys.push(call.revokedKey, call.directionKey);
      args.push(
        call.direction,
        call.memorySeconds,
        call.epoch,
        call.epochIsFresh ? '1' : '0',
        call.nowMs,
        call.seedDirection,
        call.seedAtMs,
        call.nonce,
      );
    }
    this.command.passGateChecks(keys.length, ...keys, ...args).then(
      (replies) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve([replies[2 * i] ?? '', replies[2 * i + 1] ?? '']);
      },
      (err: unknown) => {
        for (const check of batch) check.reject(err);
      },
    );
  }
}
