/**
 * A component's replica timeline as the history keeps it: raw changes, and whole hours compacted
 * into aggregates that keep exactly what cost needs (replica-milliseconds, peak, the count the
 * hour ended with). Turned into segments, the one shape the cost computation reads.
 */

export const HOUR_MS = 3_600_000;

/** A change: from `at` (epoch ms) the component runs `replicas` until the next entry. */
export type ChangeEntry = [at: number, replicas: number];

/**
 * A compacted hour [start, start + 1 h): the sum of replicas × milliseconds over the hour, the
 * peak, and the count in effect when the hour ended (it holds until the next entry).
 */
export type HourEntry = [start: number, replicaMs: number, peak: number, endReplicas: number];

export type TimelineEntry = ChangeEntry | HourEntry;

export function isHourEntry(entry: TimelineEntry): entry is HourEntry {
  return entry.length === 4;
}

/** Replicas held constant over [from, to). */
export interface ConstantSegment {
  kind: 'constant';
  from: number;
  to: number;
  replicas: number;
}

/** A compacted hour: its replica-milliseconds are spread evenly when only part of it is read. */
export interface HourSegment {
  kind: 'hour';
  from: number;
  to: number;
  replicaMs: number;
  peak: number;
}

export type Segment = ConstantSegment | HourSegment;

/**
 * Segments of a sorted timeline. Before the first entry the component did not exist (zero
 * replicas, no segment); after the last one its count holds forever, and callers clip to a range.
 */
export function toSegments(entries: readonly TimelineEntry[]): Segment[] {
  const segments: Segment[] = [];
  entries.forEach((entry, index) => {
    const next = entries[index + 1];
    const nextStart = next ? next[0] : Number.POSITIVE_INFINITY;
    if (isHourEntry(entry)) {
      const [start, replicaMs, peak, endReplicas] = entry;
      segments.push({ kind: 'hour', from: start, to: start + HOUR_MS, replicaMs, peak });
      if (nextStart > start + HOUR_MS) {
        segments.push({ kind: 'constant', from: start + HOUR_MS, to: nextStart, replicas: endReplicas });
      }
    } else if (nextStart > entry[0]) {
      segments.push({ kind: 'constant', from: entry[0], to: nextStart, replicas: entry[1] });
    }
  });
  return segments;
}

/** Replica count in effect at `time` (an hour aggregate counts with the count it ended with). */
export function replicasAt(entries: readonly TimelineEntry[], time: number): number {
  let replicas = 0;
  for (const entry of entries) {
    if (entry[0] > time) break;
    replicas = isHourEntry(entry) ? entry[3] : entry[1];
  }
  return replicas;
}

/** Time the timeline starts, or undefined when it is empty. */
export function timelineStart(entries: readonly TimelineEntry[]): number | undefined {
  return entries[0]?.[0];
}

export function hourStartOf(time: number): number {
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}
