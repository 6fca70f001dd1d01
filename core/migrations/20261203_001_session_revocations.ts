import type { Knex } from 'knex';

/**
 * Every API process re-reads the recently revoked sessions every few seconds
 * (api/auth/session-revocations.ts); this index keeps that a short range scan however many
 * refresh tokens accumulate. Partial: most rows are never revoked.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index refresh_tokens_revoked on refresh_tokens (revoked_at) where revoked_at is not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists refresh_tokens_revoked');
}
