/** What a client asks for when it connects: channels (default: its notifications) and a resume cursor. */
import type { AuthUser } from '../context.js';
import { CHANNEL_NAMES, isChannelName, mayRead, type ChannelName } from './channels.js';
import { CursorError, parseCursor, type Cursor } from './cursor.js';

export interface Subscription {
  channels: ChannelName[];
  resume: Cursor;
}

export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
}

export function parseSubscription(channels: string | readonly string[] | undefined, resume: string | undefined): Subscription {
  const names =
    typeof channels === 'string'
      ? channels
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean)
      : [...(channels ?? [])];
  if (names.length === 0) names.push('notifications');
  if (names.length > CHANNEL_NAMES.length) throw new SubscriptionError(`At most ${CHANNEL_NAMES.length} channels.`);
  for (const name of names) {
    if (!isChannelName(name))
      throw new SubscriptionError(`Unknown channel "${name.slice(0, 40)}"; channels are ${CHANNEL_NAMES.join(', ')}.`);
  }
  try {
    return { channels: [...new Set(names as ChannelName[])], resume: parseCursor(resume) };
  } catch (err) {
    if (err instanceof CursorError) throw new SubscriptionError(err.message);
    throw err;
  }
}

export function forbiddenChannels(user: AuthUser, channels: readonly ChannelName[]): ChannelName[] {
  return channels.filter((channel) => !mayRead(user, channel));
}
