/**
 * `npm run chaos [-- scenario …]`: the fault-injection suite. Starts its own Postgres and Redis,
 * the API and workers as real processes, drives bounded gate load on loopback, injects each fault
 * for real, prints one table row per scenario, and exits 1 if any scenario broke a guarantee:
 * a valid pass refused, a revoked pass accepted, an answered verification without exactly one
 * row, a job effect lost or doubled, a 5xx other than 503, readiness back later than 5 s after
 * the dependency, or (Redis hung) a p99 of 1 s or more on routes that do not need Redis.
 */
import { startChaosEnvironment } from './environment.js';
import { GateLoad } from './gate-load.js';
import { SCENARIOS, type ScenarioResult } from './scenarios.js';

const READY_WITHIN_SECONDS = 5;
const P99_LIMIT_MS = 1_000;

/** The guarantees a result breaks, in words. */
export function violations(result: ScenarioResult): string[] {
  const found: string[] = [];
  if (result.validRefused > 0) found.push(`${result.validRefused} valid passes refused`);
  if (result.revokedAccepted > 0) found.push(`${result.revokedAccepted} revoked passes accepted`);
  if (result.lostRows > 0) found.push(`${result.lostRows} answered verifications without a row`);
  if (result.doubledRows > 0) found.push(`${result.doubledRows} verifications with more than one row`);
  if (result.jobs && (result.jobs.lost > 0 || result.jobs.doubled > 0))
    found.push(`job effects lost ${result.jobs.lost}, doubled ${result.jobs.doubled}`);
  const bad5xx = Object.entries(result.byStatus).filter(([status]) => status.startsWith('5') && status !== '503');
  if (bad5xx.length > 0) found.push(`5xx other than 503: ${JSON.stringify(Object.fromEntries(bad5xx))}`);
  if (result.recoverySeconds !== undefined && result.recoverySeconds > READY_WITHIN_SECONDS)
    found.push(`readiness back after ${result.recoverySeconds.toFixed(1)} s`);
  if (result.p99Ms !== undefined && !(result.p99Ms < P99_LIMIT_MS))
    found.push(`p99 of Postgres-only routes ${Math.round(result.p99Ms)} ms`);
  return found;
}

function table(results: ScenarioResult[]): string {
  const header =
    '| scenario | requests | answers by status | valid refused | revoked accepted | rows lost / doubled | job effects lost / doubled (take-over s) | readiness back (s) | p99 no-Redis routes |';
  const rows = results.map((r) =>
    [
      r.name,
      r.requests,
      Object.entries(r.byStatus)
        .sort()
        .map(([s, n]) => `${s}: ${n}`)
        .join(', '),
      r.validRefused,
      r.revokedAccepted,
      `${r.lostRows} / ${r.doubledRows}`,
      r.jobs ? `${r.jobs.lost} / ${r.jobs.doubled} (${r.jobs.pickupSeconds.map((s) => s.toFixed(1)).join(', ')})` : '–',
      r.recoverySeconds === undefined ? '–' : r.recoverySeconds.toFixed(1),
      r.p99Ms === undefined ? '–' : `${Math.round(r.p99Ms)} ms`,
    ].join(' | '),
  );
  return [header, `|${'---|'.repeat(9)}`, ...rows.map((r) => `| ${r} |`)].join('\n');
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const scenarios = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
const world = await startChaosEnvironment();
const results: ScenarioResult[] = [];
let failed = false;
try {
  const passes = await world.issuePasses(40);
  const gates = new GateLoad(world.url, world.tokens.security, passes, 15);
  for (let i = 0; i < 3; i++) {
    const pass = gates.takeForRevocation()!;
    const res = await fetch(`${world.url}/passes/${pass.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.tokens.staff}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'revoked before the chaos' }),
    });
    if (res.status !== 200) throw new Error(`revoke failed: ${res.status}`);
    gates.markRevoked(pass);
  }
  for (const scenario of scenarios) {
    process.stdout.write(`▶ ${scenario.name}\n`);
    const result = await scenario.run(world, gates);
    results.push(result);
    const broken = violations(result);
    failed ||= broken.length > 0;
    for (const note of result.notes) process.stdout.write(`  · ${note}\n`);
    process.stdout.write(broken.length ? `  ✖ ${broken.join('; ')}\n` : '  ✔ every guarantee held\n');
  }
} catch (err) {
  failed = true;
  console.error(`chaos suite aborted: ${(err as Error).stack ?? String(err)}`);
} finally {
  await world.teardown();
}
process.stdout.write(`\n${table(results)}\n\n`);
process.exit(failed ? 1 : 0);
