/**
 * Resume cursors: the id of the last message a client received on each channel, written
 * `notifications:1712-0,gates:1713-4`. Ids are Redis stream ids (milliseconds-sequence), ordered
 * per channel, so "after the cursor" is exact and a message is never delivered twice.
 */
import { isChannelName, type ChannelName } from './channels.js';

export type Cursor = Map<ChannelName, string>;

const STREAM_ID = /^\d{1,15}-\d{1,15}$/;
const MAX_CURSOR_LENGTH = 512;

export class CursorError extends Error {
  override name = 'CursorError';
}

/** Parses a cursor; an empty or missing one means "nothing received yet". */
export function parseCursor(text: string | undefined | null): Cursor {
  const cursor: Cursor = new Map();
  if (!text) return cursor;
  if (text.length > MAX_CURSOR_LENGTH) throw new CursorError('The resume cursor is too long.');
  for (const part of text.split(',')) {
    const [channel, id, ...rest] = part.split(':');
    if (!channel || !id || rest.length > 0 || !isChannelName(channel) || !STREAM_ID.test(id)) {
      throw new CursorError(`The resume cursor is not valid near "${part.slice(0, 40)}"; expected channel:streamId pairs.`);
    }
    cursor.set(channel, id);
  }
  return cursor;
}

export function formatCursor(cursor: Cursor): string {
  return [...cursor].map(([channel, id]) => `${channel}:${id}`).join(',');
}

/** Whether stream id `a` comes after `b` (anything comes after nothing). */
export function isAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  // Milliseconds stay below 2^53 and sequences are small, so Number comparison is exact.
  const aMs = Number(a.slice(0, aDash));
  const bMs = Number(b.slice(0, bDash));
  return aMs === bMs ? Number(a.slice(aDash + 1)) > Number(b.slice(bDash + 1)) : aMs > bMs;
}
