import type { Knex } from 'knex';

/**
 * Users and their refresh-token families, students with a ranked full-text search vector, and the
 * audit log. Indexes follow seed 000 ("Optimized Indexes"), widened where the API needs more.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table students (
      id uuid primary key default gen_random_uuid(),
      student_id text not null,
      first_name text not null,
      last_name text not null,
      email text not null,
      programme text not null,
      year_of_study smallint not null check (year_of_study between 1 and 10),
      status text not null default 'active' check (status in ('active', 'suspended', 'graduated', 'withdrawn')),
      phone text,
      date_of_birth date,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz,
      -- Names weigh most, identifiers next, programme and status least; 'simple' keeps ids and
      -- names unstemmed so prefix queries (john:*, cs2023:*) match as typed.
      search_vector tsvector generated always as (
        setweight(to_tsvector('simple', coalesce(first_name, '') || ' ' || coalesce(last_name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(student_id, '') || ' ' || translate(coalesce(email, ''), '@._-', '    ')), 'B') ||
        setweight(to_tsvector('simple', coalesce(programme, '') || ' ' || coalesce(status, '')), 'C')
      ) stored
    );
    create unique index students_student_id_key on students (student_id);
    create unique index students_email_key on students (lower(email));
    create index idx_students_search_gin on students using gin (search_vector);
    create index idx_students_created on students (created_at desc, id desc) where deleted_at is null;
    create index idx_students_programme_status on students (programme, status) where deleted_at is null;

    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      password_hash text not null,
      role text not null check (role in ('admin', 'staff', 'security', 'student')),
      display_name text not null,
      student_ref uuid references students (id),
      disabled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index users_email_key on users (lower(email));

    create table refresh_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      family_id uuid not null,
      token_hash text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    );
    create unique index refresh_tokens_hash_key on refresh_tokens (token_hash);
    create index refresh_tokens_family on refresh_tokens (family_id);
    create index refresh_tokens_expiry on refresh_tokens (expires_at);

    create table audit_logs (
      id bigint generated always as identity primary key,
      actor_id uuid,
      event_type text not null,
      entity_type text not null,
      entity_id text,
      details jsonb not null default '{}'::jsonb,
      request_id text,
      created_at timestamptz not null default now()
    );
    create index idx_audit_logs_time on audit_logs (created_at desc, event_type);
    create index idx_audit_logs_entity on audit_logs (entity_type, entity_id, created_at desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists audit_logs, refresh_tokens, users, students cascade');
}
