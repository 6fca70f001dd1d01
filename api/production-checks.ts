/**
 * What production (NODE_ENV=production) refuses to start with. Each refusal names the variable or
 * the accounts, and what to do; all of them are reported at once, as a ConfigError (printed
 * without a stack trace, exit 1).
 */
import type { Knex } from 'knex';
import { ConfigError, type Config } from '../core/config.js';
import { DEMO_ACCOUNT_EMAILS, DEMO_PASSWORD, LOAD_TEST_EMAIL_PATTERN } from '../core/demo-accounts.js';
import { verifyPassword } from './auth/passwords.js';

/** The key id the development signing key uses (PASS_SIGNING_KEY_ID's default). */
export const DEVELOPMENT_SIGNING_KEY_ID = 'k1';

const MIN_SECRET_BYTES = 32;

/** Shannon entropy of the text, in bits per character. */
function bitsPerCharacter(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/** Share of the text's 4-character windows that occur more than once (a repeated pattern). */
function repeatedWindowShare(text: string): number {
  const windows = text.length - 3;
  const seen = new Set<string>();
  for (let i = 0; i < windows; i++) seen.add(text.slice(i, i + 4));
  return windows > 0 ? 1 - seen.size / windows : 1;
}

/** Share of neighbouring characters that follow each other in code order (`abcd…`, `0123…`). */
function sequentialShare(text: string): number {
  let steps = 0;
  for (let i = 1; i < text.length; i++) if (text.charCodeAt(i) - text.charCodeAt(i - 1) === 1) steps++;
  return steps / Math.max(1, text.length - 1);
}

/**
 * A JWT secret must be key material: at least 32 random bytes, written as hex or base64. Random
 * hex carries close to 4 bits per character and random base64 close to 6; a word, a repeated
 * pattern or a short alphabet falls far below those (the thresholds leave room for the sample).
 */
export function weakJwtSecret(secret: string): string | undefined {
  const hex = /^[0-9a-fA-F]+$/.test(secret);
  const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/.test(secret);
  const bytes = hex ? secret.length / 2 : base64 ? Math.floor((secret.replace(/=+$/, '').length * 6) / 8) : 0;
  if (!hex && !base64) return 'is not hex or base64 key material';
  if (bytes < MIN_SECRET_BYTES) return `holds ${bytes} bytes, fewer than ${MIN_SECRET_BYTES}`;
  const floor = hex ? 3.3 : 4.3;
  // Random material almost never repeats a 4-character window or runs through the alphabet.
  if (bitsPerCharacter(secret) < floor || repeatedWindowShare(secret) > 0.1 || sequentialShare(secret) > 0.25) {
    return 'is not random (too few distinct characters, a repeated pattern or a sequence)';
  }
  return undefined;
}

/** Refusals that configuration alone decides. */
export function configurationRefusals(config: Config, env: NodeJS.ProcessEnv): string[] {
  if (config.NODE_ENV !== 'production') return [];
  const refusals: string[] = [];
  const weak = weakJwtSecret(config.JWT_SECRET);
  if (weak)
    refusals.push(
      `JWT_SECRET ${weak}: set at least ${MIN_SECRET_BYTES} random bytes, e.g. \`openssl rand -base64 48\` (the operator generates one in the <platform>-keys Secret)`,
    );
  if (!config.PASS_SIGNING_KEY)
    refusals.push(
      'PASS_SIGNING_KEY is not set: give the Ed25519 private key (PKCS#8 PEM) that signs passes (the operator generates one in the <platform>-keys Secret)',
    );
  if (config.PASS_SIGNING_KEY_ID === DEVELOPMENT_SIGNING_KEY_ID) {
    refusals.push(
      `PASS_SIGNING_KEY_ID is the development key id (${DEVELOPMENT_SIGNING_KEY_ID}): set the id of your signing key (the operator sets ed25519-<fingerprint of the public key>)`,
    );
  }
  if (!config.METRICS_TOKEN)
    refusals.push(
      'METRICS_TOKEN is not set: /metrics would be open to anyone who reaches the port; set at least 32 random characters and give Prometheus the same bearer token (the operator generates one in the <platform>-keys Secret and its ServiceMonitor)',
    );
  if (env.TRUST_PROXY === undefined || env.TRUST_PROXY === '') {
    refusals.push(
      'TRUST_PROXY is not set: set true behind a load balancer or ingress that sets X-Forwarded-For (the operator sets it), false when clients connect directly',
    );
  }
  return refusals;
}

/**
 * Enabled accounts whose password is the published demo password. Argon2 hashes carry their own
 * salt, so candidates are checked one by one: the demo and load-test addresses, and any hash that
 * several accounts share (the seed gives all its accounts one hash; real accounts never share).
 */
export async function demoPasswordAccounts(knex: Knex): Promise<string[]> {
  const candidates: { password_hash: string; emails: string[] }[] = (
    await knex.raw(
      `select password_hash, array_agg(email order by email) as emails
         from users
        where disabled_at is null
          and password_hash in (
                select password_hash from users where disabled_at is null group by password_hash having count(*) > 1
                union
                select password_hash from users where disabled_at is null and (lower(email) = any(?) or email ~ ?))
        group by password_hash`,
      [DEMO_ACCOUNT_EMAILS, LOAD_TEST_EMAIL_PATTERN],
    )
  ).rows;
  const found: string[] = [];
  for (const candidate of candidates) {
    if (await verifyPassword(candidate.password_hash, DEMO_PASSWORD)) found.push(...candidate.emails);
  }
  return found;
}

/** Throws a ConfigError listing every refusal, or returns when production may start. */
export async function refuseUnsafeProduction(config: Config, env: NodeJS.ProcessEnv, knex: Knex): Promise<void> {
  if (config.NODE_ENV !== 'production') return;
  const refusals = configurationRefusals(config, env);
  const demo = await demoPasswordAccounts(knex);
  if (demo.length > 0) {
    const shown = demo.slice(0, 5).join(', ') + (demo.length > 5 ? ` and ${demo.length - 5} more` : '');
    refusals.push(
      `${demo.length} enabled account(s) have the published demo password (${shown}): disable them (set users.disabled_at) or give them new passwords`,
    );
  }
  if (refusals.length)
    throw new ConfigError(`Refusing to start in production (NODE_ENV=production):\n${refusals.map((r) => `  ${r}`).join('\n')}`);
}
