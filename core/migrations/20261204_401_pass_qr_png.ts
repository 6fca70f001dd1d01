import type { Knex } from 'knex';

/**
 * A pass's QR code as a PNG, kept with the pass: its token never changes, so neither does the
 * image, and every API process can serve it from the row it already reads to authorise the
 * request instead of encoding it again (about 3.5 ms of CPU) on its first request for that pass.
 * `qr_png_etag` names the rendering the bytes came from: an image from other rendering options is
 * re-rendered and replaced. Both null until the image is rendered (at issue, or on a first request).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table passes add column qr_png bytea, add column qr_png_etag text');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table passes drop column if exists qr_png, drop column if exists qr_png_etag');
}
