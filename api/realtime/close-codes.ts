/**
 * Why the server ends a real-time connection. WebSocket close codes 4000–4999 are free for
 * applications; ours mirror the HTTP statuses a REST caller would get, so clients map them the same
 * way. SSE streams end with an `error` event carrying the same code name.
 */
export const CLOSE = {
  /** The pod is shutting down: reconnect (to another pod) at once, with the resume cursor. */
  GOING_AWAY: { code: 1001, name: 'GOING_AWAY', message: 'server shutting down; reconnect with your cursor' },
  BAD_MESSAGE: { code: 4400, name: 'BAD_MESSAGE', message: 'message not understood' },
  UNAUTHORIZED: { code: 4401, name: 'UNAUTHORIZED', message: 'a valid access token is required' },
  FORBIDDEN: { code: 4403, name: 'FORBIDDEN', message: 'your role may not read that channel' },
  /** The client read too slowly; it may reconnect with its cursor and miss nothing still in history. */
  SLOW_CONSUMER: { code: 4408, name: 'SLOW_CONSUMER', message: 'too many unread messages; reconnect with your cursor' },
  SESSION_REVOKED: { code: 4409, name: 'SESSION_REVOKED', message: 'the session was revoked; log in again' },
  /** The access token expired: refresh it and reconnect (or send `auth` with the new one before this). */
  TOKEN_EXPIRED: { code: 4419, name: 'TOKEN_EXPIRED', message: 'the access token expired; reconnect with a fresh one' },
  /** Redis could not be read to replay the history: try again shortly. */
  UNAVAILABLE: { code: 1013, name: 'TRY_AGAIN_LATER', message: 'history unavailable; reconnect shortly' },
  /** The socket stopped answering pings. */
  DEAD: { code: 1006, name: 'DEAD', message: 'no answer to heartbeats' },
  TOO_MANY_CONNECTIONS: { code: 4429, name: 'TOO_MANY_CONNECTIONS', message: 'too many open connections for this user' },
} as const satisfies Record<string, CloseReason>;

export interface CloseReason {
  code: number;
  name: string;
  message: string;
}
