/**
 * Redis names of the real-time feeds. Every feed is a pair in one hash slot: a capped stream (the
 * history a reconnecting client resumes from) and a sharded pub/sub channel (the live fan-out to
 * every API pod). Sharing the hash tag lets one script append and publish atomically on a Redis
 * Cluster too, and SSUBSCRIBE keeps each message on the shard that owns it.
 *
 * Users are spread over a fixed number of buckets (one channel each) rather than one channel per
 * user: every pod subscribes to all buckets once at start, so a socket never waits for a
 * subscription to be set up, and resume cannot race it.
 */
import { createHash } from 'node:crypto';

export const USER_BUCKETS = 16;
export type FeedName = 'gates' | 'analytics';
export const FEEDS: readonly FeedName[] = ['gates', 'analytics'];

/** A stream and the channel that announces its new entries (same hash slot). */
export interface StreamRef {
  stream: string;
  channel: string;
}

export function userBucket(userId: string): number {
  return createHash('sha1').update(userId).digest().readUInt16BE(0) % USER_BUCKETS;
}

export function bucketChannel(prefix: string, bucket: number): string {
  return `${prefix}rt:{u${bucket}}`;
}

export function userStream(prefix: string, userId: string): StreamRef {
  const channel = bucketChannel(prefix, userBucket(userId));
  return { stream: `${channel}:user:${userId}`, channel };
}

export function feedStream(prefix: string, feed: FeedName): StreamRef {
  const channel = `${prefix}rt:{${feed}}`;
  return { stream: `${channel}:history`, channel };
}

/** Running totals behind the analytics feed, one hash per UTC day (same slot as its feed). */
export function analyticsCountersKey(prefix: string, day: string): string {
  return `${feedStream(prefix, 'analytics').channel}:counters:${day}`;
}

/** Every channel an API pod subscribes to. */
export function allChannels(prefix: string): string[] {
  return [
    ...Array.from({ length: USER_BUCKETS }, (_, bucket) => bucketChannel(prefix, bucket)),
    ...FEEDS.map((feed) => feedStream(prefix, feed).channel),
  ];
}
