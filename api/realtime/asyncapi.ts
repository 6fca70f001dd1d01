/**
 * The AsyncAPI 3.0 document of the real-time channels, generated from the channel declarations and
 * the zod schemas of their events (as the OpenAPI document is from the routes), so it cannot drift
 * from what the server sends.
 */
import { z } from 'zod';
import { CHANNELS, CHANNEL_NAMES } from './channels.js';
import { CLOSE } from './close-codes.js';
import { SUBPROTOCOL, WS_PATH } from './ws-endpoint.js';

const SSE_PATH = '/realtime/events';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const messageKey = (event: string) => event.replace(/\./g, '_');

function envelope(channel: string, event: string, data: z.ZodType): Record<string, unknown> {
  return {
    type: 'object',
    required: ['type', 'channel', 'id', 'event', 'at', 'data'],
    properties: {
      type: { const: 'event' },
      channel: { const: channel },
      id: {
        type: 'string',
        pattern: '^\\d+-\\d+$',
        description: 'Stream id, increasing per channel; the resume cursor is built from the last one per channel',
      },
      event: { const: event },
      at: { type: 'integer', description: 'Publish time, milliseconds since the epoch' },
      data: jsonSchema(data),
    },
  };
}

export function buildAsyncApi(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const name of CHANNEL_NAMES) {
    const spec = CHANNELS[name];
    const refs: Record<string, unknown> = {};
    for (const [event, data] of Object.entries(spec.events)) {
      messages[messageKey(event)] = {
        name: event,
        title: event,
        contentType: 'application/json',
        payload: envelope(name, event, data as z.ZodType),
      };
      refs[messageKey(event)] = { $ref: `#/components/messages/${messageKey(event)}` };
    }
    channels[name] = {
      address: name,
      title: name,
      description: `${spec.summary}. Readable by: ${spec.roles.join(', ')} (as ${spec.sameAccessAs.method.toUpperCase()} ${spec.sameAccessAs.path}); others are closed with 4403 (WebSocket) or refused with 403 (SSE).`,
      messages: refs,
    };
    // An operation names the channel's own messages, not the components they point to.
    operations[`receive_${name}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${name}` },
      messages: Object.keys(refs).map((key) => ({ $ref: `#/channels/${name}/messages/${key}` })),
    };
  }
  const closeCodes = Object.values(CLOSE)
    .map((c) => `${c.code} ${c.name}: ${c.message}`)
    .join('; ');
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'PassPlatform real-time API',
      version,
      description: [
        `WebSocket at ${WS_PATH} (subprotocol ${SUBPROTOCOL}) and Server-Sent Events at ${SSE_PATH}, with the same channels and messages.`,
        'Authenticate with an access token from POST /auth/login: an Authorization: Bearer header, a `bearer.<token>` subprotocol offered beside',
        `${SUBPROTOCOL}, or a first message {"type":"auth","token"}; never in the URL. Choose channels with ?channels=notifications,gates,analytics`,
        '(default notifications). Resume with ?resume=<cursor> or Last-Event-ID (SSE), where the cursor is channel:id pairs joined by commas;',
        'messages after the cursor still in history are delivered once, and a {"type":"gap"} message says when some were no longer kept.',
        `Send {"type":"auth","token"} with a refreshed token before the old one expires to keep the socket. Close codes: ${closeCodes}.`,
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      websocket: { host: 'localhost:3000', protocol: 'ws', pathname: WS_PATH, security: [{ $ref: '#/components/securitySchemes/bearer' }] },
      sse: { host: 'localhost:3000', protocol: 'http', pathname: SSE_PATH, security: [{ $ref: '#/components/securitySchemes/bearer' }] },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
