/**
 * Gate verification. Order matters: the signature and the claims it covers (validity window,
 * gates) are checked in memory first, so forged, altered, expired and not-yet-valid codes cost no
 * I/O. Then revocation and anti-passback, in one atomic Redis script (anti-passback.ts, which
 * also keeps Redis's memory from contradicting the access log after a disruption); when Redis
 * cannot answer, Postgres answers instead (never a blind "valid").
 *
 * Anti-passback is how replays are refused: a pass that was let in must be let out before it can
 * be let in again (and the other way round). A copy of a code presented twice for entry gets
 * `anti_passback`. The memory of the last direction lasts `antiPassbackSeconds`, so someone who
 * left without scanning is not locked out for ever.
 */
import type { Knex } from 'knex';
import { labelNamesOf } from '../../core/metric-labels.js';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { METRIC } from '../../core/metric-names.js';
import type { DependencyBreaker } from '../../core/breaker.js';
import type { RedisClient } from '../../core/redis.js';
import { insertAccessLogs, type AccessLogEntry, type AccessLogWriter, type Direction } from '../access-logs/writer.js';
import { AntiPassbackStore, type GateCheckAttempt } from './anti-passback.js';
import type { RevocationRegistry } from './revocations.js';
import type { PassClaims, PassSigner } from '../../domain/passes/signing.js';
import type { InvalidReason, VerificationResult } from './verification-view.js';
export type { InvalidReason, VerificationResult } from './verification-view.js';

/** What the signed claims alone decide: the validity window and the gate. */
export function checkClaims(claims: PassClaims, at: { nowSeconds: number; gate: string }): InvalidReason | undefined {
  if (at.nowSeconds < claims.validFrom) return 'not_yet_valid';
  if (at.nowSeconds >= claims.validUntil) return 'expired';
  if (claims.gates && !claims.gates.includes(at.gate)) return 'wrong_gate';
  return undefined;
}

/** Whether a presentation in `direction` is a replay, given the last direction let through. */
export function isPassback(lastDirection: Direction | undefined, direction: Direction): boolean {
  return lastDirection === direction;
}

type PassView = NonNullable<VerificationResult['pass']>;

/**
 * What a verdict says about the pass, made once per claims object: the signer hands out the same
 * frozen claims for every scan of a code it has checked, so a pass scanned in and out many times
 * a day formats its dates once.
 */
const passViews = new WeakMap<PassClaims, PassView>();
function passView(claims: PassClaims): PassView {
  let view = passViews.get(claims);
  if (!view) {
    view = Object.freeze({
      id: claims.passId,
      studentId: claims.studentId,
      passType: claims.passType,
      validFrom: new Date(claims.validFrom * 1000).toISOString(),
      validUntil: new Date(claims.validUntil * 1000).toISOString(),
      gates: claims.gates ?? null,
    });
    passViews.set(claims, view);
  }
  return view;
}

export interface VerificationRequest {
  code: string;
  gate: string;
  direction: Direction;
  verifiedBy: string | null;
  requestId: string | null;
}

export interface PassVerifierOptions {
  signer: PassSigner;
  revocations: RevocationRegistry;
  redis: RedisClient;
  knex: Knex;
  accessLogs: AccessLogWriter;
  keyPrefix: string;
  antiPassbackSeconds: number;
  logger: Logger;
  registry?: Registry;
  redisBreaker?: DependencyBreaker;
}

export class PassVerifier {
  private readonly verifications: Counter<'outcome'> | undefined;
  private readonly gateState: AntiPassbackStore;

  constructor(private readonly options: PassVerifierOptions) {
    this.gateState = new AntiPassbackStore({
      redis: options.redis,
      knex: options.knex,
      keyPrefix: options.keyPrefix,
      windowSeconds: options.antiPassbackSeconds,
      logger: options.logger,
      ...(options.redisBreaker ? { redisBreaker: options.redisBreaker } : {}),
    });
    this.verifications = options.registry
      ? new Counter({
          name: METRIC.passVerifications,
          help: 'Pass verifications at the gates, by outcome.',
          labelNames: labelNamesOf('passVerifications'),
          registers: [options.registry],
        })
      : undefined;
  }

  async verify(request: VerificationRequest, now = new Date()): Promise<VerificationResult> {
    const attempt: GateCheckAttempt = {};
    let letThrough = false;
    try {
      const result = await this.decide(request, now, attempt);
      letThrough = result.valid;
      return result;
    } finally {
      // Redis may remember a passage for this check although the gate was not told "valid" (its
      // reply came too late, then Postgres refused or failed, or the row could not be journaled):
      // take it back, or the holder's next presentation would be refused as a passback.
      if (attempt.write && !letThrough) void this.gateState.undo(attempt.write);
    }
  }

  /** The verdict, its access-log row written (journaled, or inserted when degraded) before it is returned. */
  private async decide(request: VerificationRequest, now: Date, attempt: GateCheckAttempt): Promise<VerificationResult> {
    const checked = this.options.signer.check(request.code);
    const claims = checked.ok ? checked.claims : undefined;
    let reason: InvalidReason | undefined = checked.ok
      ? checkClaims(checked.claims, { nowSeconds: Math.floor(now.getTime() / 1000), gate: request.gate })
      : checked.reason;
    let degraded = false;
    if (claims && !reason) {
      if (this.options.revocations.has(claims.passId)) reason = 'revoked';
      else {
        const answer = this.options.revocations.loaded
          ? await this.askRedis(claims.passId, request.direction, now, attempt)
          : 'unavailable';
        if (answer === 'unavailable') {
          degraded = true;
          reason = await this.askPostgres(claims.passId, request.direction, now);
        } else if (answer !== 'ok') reason = answer;
      }
    }
    const entry: AccessLogEntry = {
      occurredAt: now,
      passId: claims?.passId ?? null,
      studentId: claims?.studentId ?? null,
      gate: request.gate,
      direction: request.direction,
      outcome: reason ?? 'valid',
      verifiedBy: request.verifiedBy,
      requestId: request.requestId,
    };
    // Degraded mode writes at once: with no shared anti-passback memory, Postgres must hold every passage.
    if (degraded) {
      await insertAccessLogs(this.options.knex, [entry]);
      // Only once the row is in: the epoch it triggers sends Redis's older memory to the table.
      if (entry.outcome === 'valid') this.gateState.answeredWithoutRedis();
    } else await this.options.accessLogs.append(entry);
    if (claims && entry.outcome === 'valid') this.gateState.remember(claims.passId, request.direction, now);
    this.verifications?.inc({ outcome: entry.outcome });
    return {
      valid: reason === undefined,
      reason: reason ?? null,
      pass: claims ? passView(claims) : null,
      gate: request.gate,
      direction: request.direction,
      checkedAt: now.toISOString(),
      degraded,
    };
  }

  close(): void {
    this.gateState.close();
  }

  /** Passages of unanswered checks that Redis has not yet confirmed taking back. */
  get unconfirmedUndos(): number {
    return this.gateState.unconfirmedUndos;
  }

  /** Revocation flag and anti-passback from Redis, or 'unavailable' when Redis cannot answer. */
  private async askRedis(
    passId: string,
    direction: Direction,
    now: Date,
    attempt: GateCheckAttempt,
  ): Promise<'revoked' | 'anti_passback' | 'ok' | 'unavailable'> {
    try {
      return await this.gateState.check(passId, direction, now, attempt);
    } catch (err) {
      this.options.logger.debug({ err: (err as Error).message }, 'gate check fell back to Postgres');
      return 'unavailable';
    }
  }

  /** The same decisions from Postgres: the pass row, and the last passage let through within the window. */
  private async askPostgres(passId: string, direction: Direction, now: Date): Promise<InvalidReason | undefined> {
    const pass = (await this.options.knex('passes').select('status').where({ id: passId }).first()) as { status: string } | undefined;
    if (!pass) return 'unknown_pass';
    if (pass.status === 'revoked') return 'revoked';
    // Entries this process journaled (before Redis went away, or before a restart) must be in
    // the table before the query below trusts it; if they cannot be written, nothing is decided.
    await this.options.accessLogs.flush();
    const last = (await this.options
      .knex('access_logs')
      .select('direction')
      .where({ pass_id: passId, outcome: 'valid' })
      .where('occurred_at', '>', new Date(now.getTime() - this.options.antiPassbackSeconds * 1000))
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first()) as { direction: Direction } | undefined;
    return isPassback(last?.direction, direction) ? 'anti_passback' : undefined;
  }
}
