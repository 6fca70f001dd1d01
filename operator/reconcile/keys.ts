import type { KeyName } from '../../cdk8s/platform/config.js';

/** A platform's key material, base64-encoded as Secret `data` wants it. Never logged. */
export type PlatformKeys = Record<KeyName, string>;

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
