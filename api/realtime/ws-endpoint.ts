/**
 * The WebSocket endpoint, `GET /realtime/ws` upgraded on the API's own HTTP server (the `ws`
 * package, no second port). The access token never travels in the URL (URLs reach access logs):
 * it comes in the `Authorization` header (wscat, servers), as a `bearer.<token>` subprotocol next
 * to `passplatform.v1` (browsers), or in a first `auth` message sent within a short deadline.
 *
 * Client messages: `{"type":"auth","token",["channels"],["resume"]}` (first, or later to carry a
 * fresh token past the old one's expiry) and `{"type":"ping"}`. Anything else closes with 4400.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { AppError } from '../../domain/errors.js';
import { CLOSE, type CloseReason } from './close-codes.js';
import { RealtimeConnection, type ConnectionLimits, type LiveMessage, type Transport } from './connection.js';
import type { RealtimeHub } from './hub.js';
import type { RealtimeAuthenticator } from './session-check.js';
import { SubscriptionError, forbiddenChannels, parseSubscription, type Subscription } from './subscription.js';

export const WS_PATH = '/realtime/ws';
export const SUBPROTOCOL = 'passplatform.v1';
const BEARER_SUBPROTOCOL = 'bearer.';
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
/** A polite close is awaited this long before the socket is cut (a slow consumer never reads it). */
const CLOSE_HANDSHAKE_MS = 1_000;

const ClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('auth'),
    token: z.string().min(1).max(4096),
    channels: z.array(z.string().max(40)).max(10).optional(),
    resume: z.string().max(512).optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);

export interface WebSocketEndpointOptions {
  hub: RealtimeHub;
  authenticate: RealtimeAuthenticator;
  limits: ConnectionLimits;
  authTimeoutMs: number;
  logger: Logger;
}

class WebSocketTransport implements Transport {
  readonly kind = 'ws';
  private answered = true;

  constructor(private readonly ws: WebSocket) {
    ws.on('pong', () => (this.answered = true));
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  sendEvent(message: LiveMessage): void {
    // The bytes encoded once for every socket, sent as a text frame.
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(message.frameBytes, { binary: false });
  }

  sendControl(type: string, body: Record<string, unknown>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type, ...body }));
  }

  end(reason: CloseReason): void {
    closeSocket(this.ws, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  heartbeat(): boolean {
    if (!this.answered) return false;
    this.answered = false;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
    return true;
  }
}

function closeSocket(ws: WebSocket, reason: CloseReason): void {
  if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)
    ws.close(reason.code, `${reason.name}: ${reason.message}`);
  setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_MS).unref();
}

function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code: status === 404 ? 'NOT_FOUND' : 'SERVICE_UNAVAILABLE', message } });
  const head = [
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Service Unavailable'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** The token a client brought with the handshake, if any. */
function handshakeToken(request: IncomingMessage): string | undefined {
  const header = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (header) return header;
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL))?.slice(BEARER_SUBPROTOCOL.length) || undefined;
}

function closeReasonOf(err: unknown): CloseReason {
  if (err instanceof AppError && err.code === 'SESSION_REVOKED') return CLOSE.SESSION_REVOKED;
  if (err instanceof AppError && err.code === 'TOKEN_EXPIRED') return CLOSE.TOKEN_EXPIRED;
  return CLOSE.UNAUTHORIZED;
}

export class WebSocketEndpoint {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    // Only our protocol is ever selected: the server must not echo the bearer "protocol" back.
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });

  constructor(private readonly options: WebSocketEndpointOptions) {}

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Waits for the closes begun by the hub's drain, then cuts whatever is left. */
  async close(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (this.server.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const ws of this.server.clients) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, `No WebSocket endpoint at ${url.pathname}; use ${WS_PATH}.`);
    if (!this.options.hub.accepting())
      return refuseUpgrade(socket, 503, 'This server is not accepting connections; retry.', { 'Retry-After': '5' });
    const token = handshakeToken(request);
    this.server.handleUpgrade(request, socket, head, (ws) => this.opened(ws, token, url.searchParams));
  }

  private opened(ws: WebSocket, token: string | undefined, query: URLSearchParams): void {
    ws.on('error', (err) => this.options.logger.debug({ err: err.message }, 'websocket error'));
    const transport = new WebSocketTransport(ws);
    let connection: RealtimeConnection | undefined;
    let authenticating = false;
    const deadline = setTimeout(() => connection || closeSocket(ws, CLOSE.UNAUTHORIZED), this.options.authTimeoutMs);
    ws.on('close', () => {
      clearTimeout(deadline);
      connection?.markClosed('client');
    });

    const start = async (bearer: string, subscription: Subscription) => {
      authenticating = true;
      try {
        const identity = await this.options.authenticate(bearer);
        const refused = forbiddenChannels(identity.user, subscription.channels);
        if (refused.length > 0) return closeSocket(ws, { ...CLOSE.FORBIDDEN, message: `your role may not read ${refused.join(', ')}` });
        if (ws.readyState !== WebSocket.OPEN) return;
        connection = new RealtimeConnection(
          identity.user,
          subscription.channels,
          subscription.resume,
          transport,
          this.options.limits,
          this.options.hub.connectionEvents,
        );
        connection.expireAt(identity.expiresAtMs);
        transport.sendControl('welcome', {
          user: { id: identity.user.id, role: identity.user.role },
          channels: subscription.channels,
          expiresAt: new Date(identity.expiresAtMs).toISOString(),
        });
        await this.options.hub.open(connection);
      } catch (err) {
        closeSocket(ws, closeReasonOf(err));
      }
    };

    const renew = async (bearer: string, current: RealtimeConnection) => {
      try {
        const identity = await this.options.authenticate(bearer);
        if (identity.user.id !== current.user.id)
          return current.end({ ...CLOSE.UNAUTHORIZED, message: 'the new token is for another user' });
        const previousSession = current.user.sessionId;
        current.user = identity.user;
        this.options.hub.moveSession(current, previousSession);
        current.expireAt(identity.expiresAtMs);
        transport.sendControl('authenticated', { expiresAt: new Date(identity.expiresAtMs).toISOString() });
      } catch (err) {
        current.end(closeReasonOf(err));
      }
    };

    let initial: Subscription;
    try {
      initial = parseSubscription(query.get('channels') ?? undefined, query.get('resume') ?? undefined);
    } catch (err) {
      return closeSocket(ws, { ...CLOSE.BAD_MESSAGE, message: (err as Error).message.slice(0, 100) });
    }
    if (token) void start(token, initial);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const message = isBinary ? undefined : ClientMessage.safeParse(parseJson(data.toString()));
      if (!message?.success) return closeSocket(ws, CLOSE.BAD_MESSAGE);
      if (message.data.type === 'ping') return transport.sendControl('pong', {});
      if (connection) return void renew(message.data.token, connection);
      if (authenticating) return closeSocket(ws, { ...CLOSE.BAD_MESSAGE, message: 'already authenticating' });
      try {
        const wanted =
          message.data.channels || message.data.resume
            ? parseSubscription(message.data.channels ?? initial.channels, message.data.resume)
            : initial;
        void start(message.data.token, wanted);
      } catch (err) {
        if (!(err instanceof SubscriptionError)) throw err;
        closeSocket(ws, { ...CLOSE.BAD_MESSAGE, message: err.message.slice(0, 100) });
      }
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
