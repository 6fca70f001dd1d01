/**
 * Opaque keyset cursors: the sort key of the last row, base64url-encoded. Keyset pagination stays
 * fast on deep pages, where OFFSET would scan every skipped row.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';

export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

const CursorSchema = z
  .array(z.union([z.string().max(200), z.number()]))
  .min(1)
  .max(4);

export function decodeCursor(cursor: string): (string | number)[] {
  try {
    return CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('The pagination cursor is malformed.');
  }
}

/** Query-string fields every list route accepts. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(400).optional(),
};

/** Splits a fetched page of `limit + 1` rows into the page and the next cursor. */
export function page<T>(rows: T[], limit: number, cursorOf: (row: T) => (string | number)[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}
