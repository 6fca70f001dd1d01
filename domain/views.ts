/** Building blocks of the response schemas (what the API answers, as opposed to what it accepts). */
import { z } from 'zod';

/** An instant as `Date.toISOString()` writes it. */
export const Instant = z.iso.datetime();
/** A calendar day, `YYYY-MM-DD`. */
export const Day = z.iso.date();
export const Id = z.uuid();
