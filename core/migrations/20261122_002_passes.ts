import type { Knex } from 'knex';

/**
 * Pass applications, passes and gate access logs.
 *
 * - `applications.attachment_ids` holds upload ids without a foreign key: uploads live in another
 *   migration and are processed asynchronously, so the API checks the ids exist when it accepts an
 *   application, and the application keeps the list even if an upload is later purged.
 * - The processing-queue index keeps the seed's name and partial predicate (only open applications,
 *   so it stays small however many are decided); its columns follow the queue's order (status,
 *   highest priority, oldest first).
 * - `access_logs` is partitioned by month. Partitions are created ahead by the API
 *   (`ensureAccessLogPartitions`); the DEFAULT partition catches anything outside them, so no
 *   verification is ever refused for want of a partition.
 * - `access_log_hourly` is the rollup analytics read: one row per hour, gate, direction and
 *   outcome, kept current by the same statement that inserts each batch of access logs.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table applications (
      id uuid primary key default gen_random_uuid(),
      student_id uuid not null references students (id),
      pass_type text not null check (pass_type in ('standard', 'temporary')),
      reason text not null,
      requested_valid_from timestamptz not null,
      requested_valid_until timestamptz not null,
      gates text[],
      attachment_ids uuid[] not null default '{}',
      priority smallint not null default 0,
      status text not null default 'submitted'
        check (status in ('submitted', 'under_review', 'approved', 'rejected', 'withdrawn')),
      decision_reason text,
      reviewer_id uuid references users (id),
      decided_at timestamptz,
      pass_id uuid,
      submitted_by uuid references users (id),
      submitted_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (requested_valid_until > requested_valid_from)
    );
    create index idx_applications_processing_queue on applications (status, priority desc, submitted_at, id)
      where status in ('submitted', 'under_review');
    create index idx_applications_student on applications (student_id, submitted_at desc, id desc);
    create index idx_applications_submitted on applications (submitted_at desc, id desc);

    create table passes (
      id uuid primary key default gen_random_uuid(),
      student_id uuid not null references students (id),
      application_id uuid references applications (id),
      pass_type text not null check (pass_type in ('standard', 'temporary')),
      status text not null default 'active' check (status in ('active', 'revoked')),
      valid_from timestamptz not null,
      valid_until timestamptz not null,
      gates text[],
      key_id text not null,
      qr_token text not null,
      qr_code_hash text not null,
      issued_by uuid references users (id),
      revoked_at timestamptz,
      revoked_by uuid references users (id),
      revoke_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (valid_until > valid_from)
    );
    alter table applications add constraint applications_pass_fk foreign key (pass_id) references passes (id);
    create unique index idx_passes_verification_lookup on passes (qr_code_hash) include (id, status, valid_until);
    create index idx_passes_student on passes (student_id, created_at desc);
    create index idx_passes_revoked on passes (revoked_at) where status = 'revoked';
    create index idx_passes_active on passes (valid_until, pass_type) where status = 'active';

    create sequence access_logs_id_seq as bigint;
    create table access_logs (
      id bigint not null default nextval('access_logs_id_seq'),
      occurred_at timestamptz not null default now(),
      pass_id uuid,
      student_id uuid,
      gate text not null,
      direction text not null check (direction in ('entry', 'exit')),
      outcome text not null,
      verified_by uuid,
      request_id text,
      primary key (occurred_at, id)
    ) partition by range (occurred_at);
    alter sequence access_logs_id_seq owned by access_logs.id;
    create table access_logs_default partition of access_logs default;
    create index idx_access_logs_pass on access_logs (pass_id, occurred_at desc, id desc);
    create index idx_access_logs_student on access_logs (student_id, occurred_at desc, id desc);
    create index idx_access_logs_gate on access_logs (gate, occurred_at desc, id desc);

    create table access_log_hourly (
      bucket timestamptz not null,
      gate text not null,
      direction text not null,
      outcome text not null,
      count bigint not null,
      primary key (bucket, gate, direction, outcome)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists access_log_hourly, access_logs cascade');
  await knex.raw('alter table if exists applications drop constraint if exists applications_pass_fk');
  await knex.raw('drop table if exists passes, applications cascade');
}
