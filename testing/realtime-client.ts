/**
 * Test support for the real-time endpoints: a WebSocket client (the `ws` package, as a Node client
 * would use it) that records every message and how the socket closed, and the WebSocket URL of a
 * real API process.
 */
import { WebSocket } from 'ws';
import { eventually } from './eventually.js';
import { SUBPROTOCOL } from '../api/realtime/ws-endpoint.js';
import type { GateVerdict } from '../core/realtime/events.js';

// Messages are whatever JSON the server sends; tests assert on their fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Received = Record<string, any>;

export interface Closed {
  code: number;
  reason: string;
  at: number;
}

/** The WebSocket base URL of an API process. */
/** A valid entry verdict told apart by its gate name (what feed tests and the bench publish directly). */
export const gateVerdictAt = (gate: string): GateVerdict => ({
  gate,
  direction: 'entry',
  valid: true,
  reason: null,
  passId: null,
  passType: null,
  checkedAt: new Date().toISOString(),
  degraded: false,
});

export const wsUrlOf = (api: { url: string }): string => api.url.replace(/^http/, 'ws');

export type AuthVia = 'header' | 'subprotocol' | 'message' | 'none';

export class TestSocket {
  readonly messages: Received[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Received));
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
    );
    ws.on('error', () => undefined);
  }

  /** Connects and resolves once the handshake is done (not yet authenticated when `via` is `message`). */
  static async open(
    baseWsUrl: string,
    token: string | undefined,
    options: { via?: AuthVia; channels?: string; resume?: string } = {},
  ): Promise<TestSocket> {
    const via = options.via ?? 'header';
    const query = new URLSearchParams();
    if (options.channels) query.set('channels', options.channels);
    if (options.resume) query.set('resume', options.resume);
    const url = `${baseWsUrl}/realtime/ws${query.size ? `?${query}` : ''}`;
    const protocols = via === 'subprotocol' && token ? [SUBPROTOCOL, `bearer.${token}`] : [SUBPROTOCOL];
    const headers = via === 'header' && token ? { authorization: `Bearer ${token}` } : undefined;
    const socket = new TestSocket(new WebSocket(url, protocols, headers ? { headers } : {}));
    await new Promise<void>((resolve, reject) => {
      socket.ws.once('open', () => resolve());
      socket.ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      socket.ws.once('error', reject);
    });
    if (via === 'message' && token) socket.send({ type: 'auth', token });
    return socket;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  events(event?: string): Received[] {
    return this.messages.filter((m) => m.type === 'event' && (!event || m.event === event));
  }

  /** Resolves with the first message (already received or to come) that matches. */
  waitFor(match: (message: Received) => boolean, what: string, deadlineMs?: number): Promise<Received> {
    return eventually(async () => this.messages.find(match), what, deadlineMs);
  }

  /** Waits for the welcome: the socket is authenticated and its channels are live. */
  welcomed(): Promise<Received> {
    return this.waitFor((m) => m.type === 'welcome', 'the welcome message');
  }

  /** The resume cursor a client builds from the last id it received on each channel. */
  cursor(): string {
    const last = new Map<string, string>();
    for (const message of this.events()) last.set(message.channel as string, message.id as string);
    return [...last].map(([channel, id]) => `${channel}:${id}`).join(',');
  }

  close(): void {
    this.ws.close();
  }
}
