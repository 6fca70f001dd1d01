/** What the API answers about accounts and sessions. */
import { z } from 'zod';
import { Id } from '../../domain/views.js';
import { ROLES } from '../context.js';

export const UserView = z.strictObject({
  id: Id,
  email: z.string(),
  role: z.enum(ROLES),
  displayName: z.string(),
  studentRef: Id.nullable(),
});

export const TokenPairView = z.strictObject({
  token: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive(),
  user: UserView,
});

export const AccountView = z.strictObject({
  id: Id,
  email: z.string(),
  role: z.enum(ROLES),
  displayName: z.string(),
  disabled: z.boolean(),
});
