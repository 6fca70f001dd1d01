/**
 * How far a streaming standby is behind, as the read router needs it: in seconds of writes the
 * standby has not replayed yet.
 *
 * The standby itself only knows when its last replayed transaction committed. Taken alone, that
 * age is wrong after a quiet spell: the first write after ten idle minutes arrives, and until it is
 * replayed (milliseconds) the standby looks ten minutes behind, so a healthy replica left the
 * rotation at every burst after a lull — and on a busy machine, for whole check intervals. The
 * lag is therefore bounded by the time since the router last saw the standby fully caught up:
 * writes it has not replayed can't be older than that.
 */
import type { Knex } from 'knex';

export interface ReplaySample {
  /** False on a primary (or a promoted standby): it has no lag. */
  inRecovery: boolean;
  /** Everything received has been replayed. */
  caughtUp: boolean;
  /** Seconds since the last replayed transaction committed on the primary (0 when unknown). */
  lastReplayAgeSeconds: number;
}

/** One look at a standby's replay position. */
export async function sampleReplay(knex: Knex): Promise<ReplaySample> {
  const result = await knex.raw<{ rows: { in_recovery: boolean; caught_up: boolean | null; replay_age: number | string | null }[] }>(`
    select pg_is_in_recovery() as in_recovery,
           pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() as caught_up,
           coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) as replay_age`);
  const row = result.rows[0];
  return {
    inRecovery: row?.in_recovery ?? false,
    // Unknown (no WAL received by streaming yet) counts as behind.
    caughtUp: row?.caught_up === true,
    lastReplayAgeSeconds: Math.max(0, Number(row?.replay_age ?? 0)),
  };
}

/**
 * The lag of `sample`, taken at `sampledAtMs`, given when the standby was last seen caught up
 * (undefined: never, since this process started).
 */
export function replayLagSeconds(sample: ReplaySample, sampledAtMs: number, lastCaughtUpAtMs: number | undefined): number {
  if (!sample.inRecovery || sample.caughtUp) return 0;
  if (lastCaughtUpAtMs === undefined) return sample.lastReplayAgeSeconds;
  return Math.min(sample.lastReplayAgeSeconds, Math.max(0, (sampledAtMs - lastCaughtUpAtMs) / 1000));
}
