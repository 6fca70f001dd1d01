/**
 * One client's real-time connection, whatever carries it (WebSocket or SSE): which channels it
 * reads, the last id it has been sent on each (its cursor), and the rules every send obeys —
 * nothing twice, nothing past the buffer limit (the client is cut off instead and resumes from
 * its cursor), nothing after the access token has expired.
 */
import type { AuthUser } from '../context.js';
import type { ChannelName } from './channels.js';
import { CLOSE, type CloseReason } from './close-codes.js';
import { formatCursor, isAfter, type Cursor } from './cursor.js';

/** A message as every connection receives it; its frame is serialised once, not once per socket. */
export interface LiveMessage {
  channel: ChannelName;
  id: string;
  event: string;
  /** Publish time (ms since the epoch). */
  at: number;
  /** `{"type":"event","channel","id","event","at","data"}` as JSON text. */
  frame: string;
  /** The same text as UTF-8, encoded once: a WebSocket send of a string encodes it again for every socket. */
  frameBytes: Buffer;
}

export interface Transport {
  readonly kind: 'ws' | 'sse';
  /** Bytes accepted for sending that the client has not taken yet. */
  bufferedBytes(): number;
  sendEvent(message: LiveMessage, cursorAfter: () => string): void;
  sendControl(type: string, body: Record<string, unknown>): void;
  /** Ends the connection politely with a reason; `terminate` if that cannot complete. */
  end(reason: CloseReason): void;
  terminate(): void;
  /** Pings (or writes a keep-alive); false when the client has not answered since the last one. */
  heartbeat(): boolean;
}

export interface ConnectionLimits {
  maxBufferedBytes: number;
  /** Live messages held while the history is being replayed. */
  maxPending: number;
}

export interface ConnectionEvents {
  delivered(message: LiveMessage): void;
  closed(connection: RealtimeConnection, reason: CloseReason | 'client'): void;
}

// setTimeout's limit; tokens live minutes, so this only guards a misconfiguration.
const MAX_TIMER_MS = 2_147_483_647;

export class RealtimeConnection {
  readonly cursor: Cursor;
  private pending: LiveMessage[] | undefined = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  private closedBy: CloseReason | 'client' | undefined;

  constructor(
    public user: AuthUser,
    readonly channels: readonly ChannelName[],
    resume: Cursor,
    readonly transport: Transport,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    this.cursor = new Map([...resume].filter(([channel]) => channels.includes(channel)));
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** (Re)arms the close at token expiry; called at connect and whenever the client sends a fresh token. */
  expireAt(expiresAtMs: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.end(CLOSE.TOKEN_EXPIRED), Math.min(MAX_TIMER_MS, Math.max(0, expiresAtMs - Date.now())));
    this.expiryTimer.unref();
  }

  /** A live message for one of this connection's channels; held back while history is replayed. */
  deliver(message: LiveMessage): void {
    if (this.closedBy) return;
    if (this.pending) {
      if (this.pending.length >= this.limits.maxPending) this.end(CLOSE.SLOW_CONSUMER);
      else this.pending.push(message);
      return;
    }
    this.send(message);
  }

  /** Sends the replayed history, then whatever arrived live meanwhile (each id at most once). */
  finishReplay(history: LiveMessage[]): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    for (const message of history) this.send(message);
    for (const message of held) this.send(message);
  }

  end(reason: CloseReason): void {
    if (this.closedBy) return;
    this.transport.end(reason);
    this.markClosed(reason);
  }

  /** The transport reports that the connection is gone (client closed, socket died). */
  markClosed(reason: CloseReason | 'client'): void {
    clearTimeout(this.expiryTimer);
    if (this.closedBy && reason === 'client') return;
    const first = this.closedBy === undefined;
    this.closedBy ??= reason;
    this.pending = undefined;
    if (first) this.events.closed(this, reason);
  }

  private send(message: LiveMessage): void {
    if (this.closedBy || !isAfter(message.id, this.cursor.get(message.channel))) return;
    if (this.transport.bufferedBytes() > this.limits.maxBufferedBytes) {
      this.end(CLOSE.SLOW_CONSUMER);
      return;
    }
    this.cursor.set(message.channel, message.id);
    this.transport.sendEvent(message, () => formatCursor(this.cursor));
    this.events.delivered(message);
  }
}
