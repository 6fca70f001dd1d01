import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyName } from '../../cdk8s/platform/config.js';

export type PlatformKeys = Record<KeyName, string>;

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Fresh key material for a platform, base64-encoded as Secret `data` wants it. Never logged. */
export function generatePlatformKeys(): PlatformKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    JWT_SECRET: b64(randomBytes(48).toString('base64url')),
    PASS_SIGNING_PRIVATE_KEY: b64(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    PASS_SIGNING_PUBLIC_KEY: b64(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    REDIS_PASSWORD: b64(randomBytes(24).toString('base64url')),
    // Prometheus presents it on every scrape (the ServiceMonitor reads it from this Secret).
    METRICS_TOKEN: b64(randomBytes(32).toString('base64url')),
  };
}

/**
 * Keeps every key the Secret already holds (rotating them would log every user out and void every
 * pass) and generates only what is missing; the signing pair is kept or replaced as a pair.
 */
export function resolveKeys(existing: Record<string, string> | undefined, generate: () => PlatformKeys): PlatformKeys {
  const have = existing ?? {};
  const missing =
    !have.JWT_SECRET || !have.PASS_SIGNING_PRIVATE_KEY || !have.PASS_SIGNING_PUBLIC_KEY || !have.REDIS_PASSWORD || !have.METRICS_TOKEN;
  const fresh = missing ? generate() : ({} as Partial<PlatformKeys>);
  const pairKept = Boolean(have.PASS_SIGNING_PRIVATE_KEY && have.PASS_SIGNING_PUBLIC_KEY);
  return {
    JWT_SECRET: (have.JWT_SECRET ?? fresh.JWT_SECRET) as string,
    PASS_SIGNING_PRIVATE_KEY: pairKept ? (have.PASS_SIGNING_PRIVATE_KEY as string) : (fresh.PASS_SIGNING_PRIVATE_KEY as string),
    PASS_SIGNING_PUBLIC_KEY: pairKept ? (have.PASS_SIGNING_PUBLIC_KEY as string) : (fresh.PASS_SIGNING_PUBLIC_KEY as string),
    REDIS_PASSWORD: (have.REDIS_PASSWORD ?? fresh.REDIS_PASSWORD) as string,
    // Platforms created before the token existed get one; nothing else of theirs changes.
    METRICS_TOKEN: (have.METRICS_TOKEN ?? fresh.METRICS_TOKEN) as string,
  };
}
