/**
 * Server-Sent Events for the same channels, `GET /realtime/events`, for clients that cannot use a
 * WebSocket. Authenticated like every REST route (Bearer header), refused with the REST envelope
 * (401/403/400) before the stream starts. Each event's `id` is the resume cursor, so a client that
 * reconnects with `Last-Event-ID` misses nothing still in history and gets nothing twice.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { ROLES, type AppDeps } from '../context.js';
import { forbidden, serviceUnavailable, unauthorized, validationFailed } from '../../domain/errors.js';
import { routeGroup, type AnyRoute } from '../route.js';
import type { CloseReason } from './close-codes.js';
import { RealtimeConnection, type LiveMessage, type Transport } from './connection.js';
import { SubscriptionError, forbiddenChannels, parseSubscription } from './subscription.js';

const route = routeGroup({ tag: 'realtime', sla: 'none' });

export const SSE_PATH = '/realtime/events';
const RETRY_MS = 2_000;

const SseQuery = z.object({
  channels: z.string().max(100).optional().describe('Comma-separated: notifications (default), gates, analytics'),
  resume: z.string().max(512).optional().describe('Resume cursor when Last-Event-ID cannot be sent'),
});

class SseTransport implements Transport {
  readonly kind = 'sse';

  constructor(private readonly res: ServerResponse) {}

  bufferedBytes(): number {
    return this.res.writableLength;
  }

  sendEvent(message: LiveMessage, cursorAfter: () => string): void {
    this.res.write(`id: ${cursorAfter()}\nevent: ${message.event}\ndata: ${message.frame}\n\n`);
  }

  sendControl(type: string, body: Record<string, unknown>): void {
    this.res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`);
  }

  end(reason: CloseReason): void {
    if (this.res.writableEnded) return;
    this.sendControl('close', { code: reason.name, message: reason.message });
    this.res.end();
    // A slow consumer never reads the end either.
    setTimeout(() => this.res.destroy(), 1_000).unref();
  }

  terminate(): void {
    this.res.destroy();
  }

  heartbeat(): boolean {
    if (this.res.destroyed) return false;
    this.res.write(': keep-alive\n\n');
    return true;
  }
}

export function sseRoutes(deps: AppDeps): AnyRoute[] {
  const { realtime } = deps;
  return [
    route({
      method: 'get',
      path: SSE_PATH,
      summary: 'Server-Sent Events of real-time channels (same channels and messages as the WebSocket at /realtime/ws; see /asyncapi.json)',
      access: ROLES,
      response: { media: ['text/event-stream'] },
      query: SseQuery,
      responses: { 200: 'text/event-stream', 403: 'The role may not read one of the channels', 503: 'This server is draining or full' },
      async handler(ctx, { query, user }) {
        if (!user) throw unauthorized();
        let subscription;
        try {
          subscription = parseSubscription(query.channels, ctx.get('last-event-id') || query.resume);
        } catch (err) {
          if (err instanceof SubscriptionError) throw validationFailed([{ in: 'query', path: 'channels', message: err.message }]);
          throw err;
        }
        const refused = forbiddenChannels(user, subscription.channels);
        if (refused.length > 0) throw forbidden(`Your role may not read ${refused.join(', ')}.`);
        if (!realtime.hub.accepting()) throw serviceUnavailable('This server is not accepting connections; retry.');
        const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'))?.[1] ?? '';
        const identity = await realtime.authenticate(token);

        ctx.respond = false;
        ctx.req.socket.setNoDelay(true);
        ctx.res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        });
        ctx.res.write(`retry: ${RETRY_MS}\n\n`);
        const connection = new RealtimeConnection(
          identity.user,
          subscription.channels,
          subscription.resume,
          new SseTransport(ctx.res),
          realtime.limits,
          realtime.hub.connectionEvents,
        );
        ctx.res.on('close', () => connection.markClosed('client'));
        connection.expireAt(identity.expiresAtMs);
        connection.transport.sendControl('welcome', {
          user: { id: user.id, role: user.role },
          channels: subscription.channels,
          expiresAt: new Date(identity.expiresAtMs).toISOString(),
        });
        await realtime.hub.open(connection);
      },
    }),
  ];
}
