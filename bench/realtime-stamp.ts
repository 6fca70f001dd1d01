/**
 * How the real-time bench times a delivery across processes: the publisher writes its send time
 * into the message (after STAMP_MARK, in a gate verdict's gate name) and each client process
 * subtracts it from its receive time. Both read CLOCK_MONOTONIC (`process.hrtime`), one clock for
 * every process on the machine — unlike `performance.now()`, whose origin is each process's start.
 */
export const STAMP_MARK = 'bench@';

/** Milliseconds on the machine-wide monotonic clock (sub-millisecond precision). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The publish time a frame carries after STAMP_MARK, if any. */
export function stampOf(frame: string): number | undefined {
  const at = frame.indexOf(STAMP_MARK);
  return at < 0 ? undefined : Number.parseFloat(frame.slice(at + STAMP_MARK.length, frame.indexOf('"', at)));
}

/** The value to publish: the mark and the send time, as the gate name of a verdict. */
export function stamp(at: number): string {
  return `${STAMP_MARK}${at.toFixed(3)}`;
}
