/**
 * The channels a client may subscribe to, declared as data like the routes: who may read each
 * (the same roles as the REST route that serves the same facts — a test holds them equal), the
 * events it carries, and where its messages live in Redis.
 */
import type { z } from 'zod';
import { ANALYTICS_EVENTS, GATE_EVENTS, NOTIFICATION_EVENTS } from '../../core/realtime/events.js';
import { feedStream, userStream, type StreamRef } from '../../core/realtime/keys.js';
import { ROLES, type AuthUser, type Role } from '../context.js';

export interface ChannelSpec {
  summary: string;
  roles: readonly Role[];
  /** The REST route that serves the same facts; the channel is readable by exactly its roles. */
  sameAccessAs: { method: 'get' | 'post'; path: string } | null;
  events: Record<string, z.ZodType>;
  stream(keyPrefix: string, user: AuthUser): StreamRef;
}

export const CHANNELS = {
  notifications: {
    summary: "The caller's own notifications: applications, passes, uploads, reports",
    roles: ROLES,
    sameAccessAs: { method: 'get', path: '/auth/me' },
    events: NOTIFICATION_EVENTS,
    stream: (keyPrefix: string, user: AuthUser) => userStream(keyPrefix, user.id),
  },
  gates: {
    summary: 'Every verification at every gate: the verdict, without personal data',
    roles: ['security', 'admin'],
    sameAccessAs: { method: 'post', path: '/passes/verify' },
    events: GATE_EVENTS,
    stream: (keyPrefix: string) => feedStream(keyPrefix, 'gates'),
  },
  analytics: {
    summary: "Today's running totals of verifications and applications, for dashboards",
    roles: ['admin', 'staff'],
    sameAccessAs: { method: 'get', path: '/analytics/verifications' },
    events: ANALYTICS_EVENTS,
    stream: (keyPrefix: string) => feedStream(keyPrefix, 'analytics'),
  },
} as const satisfies Record<string, ChannelSpec>;

export type ChannelName = keyof typeof CHANNELS;
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];

export function isChannelName(name: string): name is ChannelName {
  return Object.hasOwn(CHANNELS, name);
}

export function mayRead(user: AuthUser, channel: ChannelName): boolean {
  return (CHANNELS[channel].roles as readonly Role[]).includes(user.role);
}
