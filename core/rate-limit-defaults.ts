/**
 * The API's per-client limits at their defaults: read by the process's configuration and by the
 * PassPlatform CRD (`spec.api.rateLimits`), so a platform that sets nothing gets what `npm start` gets.
 */
export const RATE_LIMIT_DEFAULTS = {
  /** Requests per client address per minute (RATE_LIMIT_PER_MINUTE). */
  requestsPerMinute: 1_200,
  /** Token refreshes per client address per minute (AUTH_RATE_LIMIT_PER_MINUTE). */
  refreshesPerMinute: 30,
  /** Consecutive failed logins of one account from one address before a 15-minute wait (LOGIN_FAILURES_PER_ACCOUNT). */
  loginFailuresPerAccount: 10,
  /** Failed logins from one address per hour, any accounts, before an hour's wait (LOGIN_FAILURES_PER_ADDRESS). */
  loginFailuresPerAddress: 200,
} as const;
