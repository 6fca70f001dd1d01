import type { Knex } from 'knex';

/**
 * Uploaded documents, the parts of chunked uploads, and requested reports.
 *
 * - An upload moves `receiving` (chunked, parts arriving) → `queued` → `ready` | `rejected`, and
 *   only forward: the workers' transitions are guarded on the current status, so a retried job
 *   never applies its effect twice.
 * - A part is keyed by (upload, part number): sending a part again replaces it.
 * - Reports are deduplicated on `request_hash` (the normalised request plus a time bucket) among
 *   the reports that have not failed, so identical requests within the window share one report
 *   while a failed one can be asked for again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table uploads (
      id uuid primary key,
      owner_id uuid not null references users (id),
      kind text not null check (kind in ('single', 'chunked')),
      filename text not null,
      declared_type text,
      declared_size bigint not null check (declared_size >= 0),
      declared_sha256 text check (declared_sha256 ~ '^[0-9a-f]{64}$'),
      received_sha256 text,
      part_size integer,
      part_count integer,
      status text not null check (status in ('receiving', 'queued', 'ready', 'rejected')),
      reason text,
      detected_type text,
      size bigint,
      sha256 text,
      width integer,
      height integer,
      object_key text not null,
      thumbnail_key text,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      processed_at timestamptz
    );
    create index idx_uploads_owner on uploads (owner_id, created_at desc);
    -- Lets a sweeper find uploads whose job went missing (queued for long, never processed).
    create index idx_uploads_queued on uploads (updated_at) where status = 'queued';

    create table upload_parts (
      upload_id uuid not null references uploads (id) on delete cascade,
      part_number integer not null check (part_number >= 1),
      size integer not null,
      sha256 text not null,
      received_at timestamptz not null default now(),
      primary key (upload_id, part_number)
    );

    create table reports (
      id uuid primary key default gen_random_uuid(),
      type text not null check (type in ('daily-summary', 'weekly-trends', 'monthly', 'annual')),
      range_from date not null,
      range_to date not null,
      filters jsonb not null default '{}'::jsonb,
      request_hash text not null,
      requested_by uuid references users (id),
      status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
      progress smallint not null default 0 check (progress between 0 and 100),
      error text,
      row_count integer,
      csv_key text,
      html_key text,
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      completed_at timestamptz,
      check (range_to >= range_from)
    );
    create unique index reports_request_hash_live on reports (request_hash) where status <> 'failed';
    create index idx_reports_created on reports (created_at desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists reports, upload_parts, uploads cascade');
}
