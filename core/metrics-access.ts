/**
 * Who may read `/metrics`. The metrics say how busy each route is, which accounts fail to log in
 * and how deep the queues are: not for the internet. With `METRICS_TOKEN` set (the operator puts
 * one in every platform's keys Secret, and its ServiceMonitor gives it to Prometheus), a scrape
 * must carry `Authorization: Bearer <token>`; without it, anyone who reaches the port may scrape
 * (development and tests), and production refuses to start (api/production-checks.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The digest compared instead of the token itself, so the comparison takes the same time for every guess. */
const digest = (text: string) => createHash('sha256').update(text).digest();

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** Whether an `Authorization` header may read the metrics, given the configured token. */
export function metricsAccessAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const presented = bearerToken(authorization);
  if (!presented) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

/** The challenge sent with a refusal (RFC 6750). */
export const METRICS_CHALLENGE = 'Bearer realm="metrics"';
