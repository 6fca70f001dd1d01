/**
 * The real-time hub of one API process. It subscribes once to every feed's sharded channel, keeps
 * the open connections indexed by user, feed and session, and hands each published message to the
 * connections that read it. A connection that opens with a cursor first gets what it missed from
 * the feed's history stream; live messages that arrive meanwhile are held and de-duplicated by id,
 * so nothing is delivered twice or skipped.
 */
import type { Logger } from '../../core/logger.js';
import type { RealtimePayload } from '../../core/realtime/events.js';
import { FEEDS, USER_BUCKETS, bucketChannel, feedStream, type FeedName } from '../../core/realtime/keys.js';
import type { RedisClient } from '../../core/redis.js';
import { CHANNELS, type ChannelName } from './channels.js';
import { CLOSE, type CloseReason } from './close-codes.js';
import type { ConnectionEvents, LiveMessage, RealtimeConnection } from './connection.js';
import type { RealtimeMetrics } from './metrics.js';

export interface HubOptions {
  keyPrefix: string;
  /** Reads the history streams. */
  redis: RedisClient;
  /** A connection of its own, in sharded-subscriber mode. */
  subscriber: RedisClient;
  historyLength: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
  heartbeatMs: number;
  logger: Logger;
  metrics: RealtimeMetrics;
}

type Source = { kind: 'user' } | { kind: 'feed'; feed: FeedName };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sockets written to before the hub yields to the event loop. Each delivery is one write system
 * call; a verdict for 10,000 readers held the loop for 100-300 ms on a busy 2-core machine, and
 * every HTTP request and Redis reply of the process waited behind it — long enough for Redis
 * calls to miss their deadline and open the breaker. Slices keep that wait to a few milliseconds.
 */
const FAN_OUT_SLICE = 256;

/**
 * Heartbeats go out in this many rounds per interval, a share of the connections in each: pinging
 * all 10,000 at once was a burst of 10,000 writes, then of 10,000 pongs to read, that held every
 * delivery of the moment back by hundreds of milliseconds. Each connection is still pinged, and
 * found dead when it has not answered, once per interval.
 */
const HEARTBEAT_ROUNDS = 30;

/** A message on its way to the readers it had when it arrived, `next` the first not yet sent. */
interface FanOut {
  message: LiveMessage;
  readers: RealtimeConnection[];
  next: number;
}

/** Parses `<stream id> <payload JSON>` (or a history entry) into the message every socket is sent. */
export function toLiveMessage(channel: ChannelName, id: string, payloadJson: string): { message: LiveMessage; payload: RealtimePayload } {
  const payload = JSON.parse(payloadJson) as RealtimePayload;
  const frame = JSON.stringify({ type: 'event', channel, id, event: payload.event, at: payload.at, data: payload.data });
  return { message: { channel, id, event: payload.event, at: payload.at, frame, frameBytes: Buffer.from(frame) }, payload };
}

export class RealtimeHub {
  private readonly all = new Set<RealtimeConnection>();
  private readonly byUser = new Map<string, Set<RealtimeConnection>>();
  private readonly byFeed = new Map<FeedName, Set<RealtimeConnection>>(FEEDS.map((feed) => [feed, new Set()]));
  private readonly bySession = new Map<string, Set<RealtimeConnection>>();
  private readonly sources = new Map<string, Source>();
  private heartbeat: NodeJS.Timeout | undefined;
  private draining = false;
  /** Messages being fanned out, strictly in arrival order, so no socket sees two out of order. */
  private readonly fanOuts: FanOut[] = [];
  private fanOutScheduled = false;
  /** This interval's connections, beaten a share per round. */
  private heartbeatTurn: RealtimeConnection[] = [];
  private heartbeatRound = 0;
  /** Handed to every connection: keeps the indexes and metrics right whoever ends it. */
  readonly connectionEvents: ConnectionEvents = {
    delivered: (message) =>
      this.options.metrics.delivered.set(message.channel, (this.options.metrics.delivered.get(message.channel) ?? 0) + 1),
    closed: (connection, reason) => this.forget(connection, reason),
  };

  constructor(private readonly options: HubOptions) {
    for (let bucket = 0; bucket < USER_BUCKETS; bucket++) this.sources.set(bucketChannel(options.keyPrefix, bucket), { kind: 'user' });
    for (const feed of FEEDS) this.sources.set(feedStream(options.keyPrefix, feed).channel, { kind: 'feed', feed });
  }

  /** Subscribes to every channel (one SSUBSCRIBE each: on a cluster they live on different shards). */
  async start(): Promise<void> {
    this.options.subscriber.on('smessage', (channel: string, message: string) => this.onMessage(channel, message));
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs / HEARTBEAT_ROUNDS);
    this.heartbeat.unref();
    await Promise.all([...this.sources.keys()].map((channel) => this.options.subscriber.ssubscribe(channel)));
  }

  counts(): { ws: number; sse: number } {
    let ws = 0;
    for (const connection of this.all) if (connection.transport.kind === 'ws') ws++;
    return { ws, sse: this.all.size - ws };
  }

  /** Whether a new connection may be accepted at all (checked before the WebSocket handshake). */
  accepting(): boolean {
    return !this.draining && this.all.size < this.options.maxConnections;
  }

  /**
   * Registers a connection, replays what it missed, then lets live messages through. Resolves once
   * the connection is live (or was ended: per-user limit, Redis unavailable).
   */
  async open(connection: RealtimeConnection): Promise<void> {
    const mine = this.byUser.get(connection.user.id);
    if (this.draining) return connection.end(CLOSE.GOING_AWAY);
    if (mine && mine.size >= this.options.maxConnectionsPerUser) return connection.end(CLOSE.TOO_MANY_CONNECTIONS);
    this.all.add(connection);
    this.index(this.byUser, connection.user.id, connection);
    this.index(this.bySession, connection.user.sessionId, connection);
    for (const channel of connection.channels) if (channel !== 'notifications') this.byFeed.get(channel)?.add(connection);
    try {
      connection.finishReplay(await this.missed(connection));
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'real-time history could not be read');
      connection.end(CLOSE.UNAVAILABLE);
    }
  }

  /** A connection re-authenticated, possibly with another session of the same user. */
  moveSession(connection: RealtimeConnection, previousSessionId: string): void {
    this.unindex(this.bySession, previousSessionId, connection);
    this.index(this.bySession, connection.user.sessionId, connection);
  }

  /** Closes every connection of a session (every API process learns of each revocation: api/auth/session-revocations.ts). */
  revokeSession(sessionId: string): void {
    for (const connection of [...(this.bySession.get(sessionId) ?? [])]) connection.end(CLOSE.SESSION_REVOKED);
  }

  /**
   * Closes every connection with "going away", spread evenly over `spreadMs` so their clients do
   * not all reconnect to the other pods in the same instant.
   */
  async drain(spreadMs: number): Promise<void> {
    this.draining = true;
    const connections = [...this.all];
    // Rounds at least 100 ms apart, and never more rounds than connections.
    const rounds = Math.max(1, Math.min(connections.length, Math.floor(spreadMs / 100)));
    const perRound = Math.ceil(connections.length / rounds);
    for (let start = 0; start < connections.length; start += perRound) {
      for (const connection of connections.slice(start, start + perRound)) connection.end(CLOSE.GOING_AWAY);
      if (start + perRound < connections.length) await sleep(spreadMs / rounds);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const connection of [...this.all]) connection.end(CLOSE.GOING_AWAY);
  }

  private async missed(connection: RealtimeConnection): Promise<LiveMessage[]> {
    const history: LiveMessage[] = [];
    for (const channel of connection.channels) {
      const after = connection.cursor.get(channel);
      if (!after) continue;
      const { stream } = CHANNELS[channel].stream(this.options.keyPrefix, connection.user);
      // Inclusive of the cursor's own entry: finding it proves nothing between was trimmed away.
      const entries = await this.options.redis.xrange(stream, after, '+', 'COUNT', this.options.historyLength + 1);
      if (entries.length > 0 && entries[0]?.[0] !== after) connection.transport.sendControl('gap', { channel, after });
      for (const [id, fields] of entries)
        if (id !== after && fields[1] !== undefined) history.push(toLiveMessage(channel, id, fields[1]).message);
    }
    return history;
  }

  private onMessage(channel: string, raw: string): void {
    const source = this.sources.get(channel);
    if (!source) return;
    // Every verdict of every pod reaches every pod: one with no reader of the feed (or no user
    // connected at all) skips the parsing. Its lag is then not observed, and matters to no one.
    if (source.kind === 'feed' ? this.byFeed.get(source.feed)?.size === 0 : this.byUser.size === 0) return;
    try {
      const space = raw.indexOf(' ');
      const name: ChannelName = source.kind === 'user' ? 'notifications' : source.feed;
      const { message, payload } = toLiveMessage(name, raw.slice(0, space), raw.slice(space + 1));
      this.options.metrics.lag.observe(Math.max(0, Date.now() - payload.at) / 1000);
      const readers = source.kind === 'user' ? this.byUser.get(payload.scope) : this.byFeed.get(source.feed);
      if (!readers?.size) return;
      this.fanOuts.push({
        message,
        readers: source.kind === 'feed' ? [...readers] : [...readers].filter((c) => c.channels.includes('notifications')),
        next: 0,
      });
      // A slice now (nothing waits for a small fan-out); the rest after the loop has served I/O.
      if (!this.fanOutScheduled) this.continueFanOut();
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message, channel }, 'unreadable real-time message ignored');
    }
  }

  private continueFanOut(): void {
    this.fanOutScheduled = false;
    let budget = FAN_OUT_SLICE;
    while (budget > 0 && this.fanOuts.length > 0) {
      const fanOut = this.fanOuts[0] as FanOut;
      const end = Math.min(fanOut.readers.length, fanOut.next + budget);
      for (let i = fanOut.next; i < end; i++) fanOut.readers[i]?.deliver(fanOut.message);
      budget -= end - fanOut.next;
      fanOut.next = end;
      if (end === fanOut.readers.length) this.fanOuts.shift();
    }
    if (this.fanOuts.length === 0) return;
    this.fanOutScheduled = true;
    setImmediate(() => this.continueFanOut());
  }

  private beat(): void {
    if (this.heartbeatRound === 0) this.heartbeatTurn = [...this.all];
    const share = Math.ceil(this.heartbeatTurn.length / HEARTBEAT_ROUNDS);
    for (const connection of this.heartbeatTurn.slice(this.heartbeatRound * share, (this.heartbeatRound + 1) * share)) {
      if (connection.closed || connection.transport.heartbeat()) continue;
      connection.transport.terminate();
      connection.markClosed(CLOSE.DEAD);
    }
    this.heartbeatRound = (this.heartbeatRound + 1) % HEARTBEAT_ROUNDS;
  }

  private forget(connection: RealtimeConnection, reason: CloseReason | 'client'): void {
    if (!this.all.delete(connection)) return;
    this.unindex(this.byUser, connection.user.id, connection);
    this.unindex(this.bySession, connection.user.sessionId, connection);
    for (const readers of this.byFeed.values()) readers.delete(connection);
    this.options.metrics.disconnected(reason === 'client' ? 'client' : reason.name);
  }

  private index(map: Map<string, Set<RealtimeConnection>>, key: string, connection: RealtimeConnection): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(connection);
  }

  private unindex(map: Map<string, Set<RealtimeConnection>>, key: string, connection: RealtimeConnection): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(connection);
    if (set.size === 0) map.delete(key);
  }
}
