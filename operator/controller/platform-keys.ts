/** Where fresh key material comes from: the one random source reconcile is handed (reconcile/keys.ts keeps what exists). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { PlatformKeys } from '../reconcile/keys.js';

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
