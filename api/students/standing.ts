/**
 * After the commit that changed a student's standing (domain/students/standing.ts): tells every API
 * process what was revoked, so gates refuse the passes and the sessions' access tokens stop
 * working on their next request.
 */
import type { AppDeps } from '../context.js';
import type { EndedAccess } from '../../domain/students/standing.js';

export async function announceEndedAccess(deps: Pick<AppDeps, 'passes' | 'sessions'>, ended: EndedAccess): Promise<void> {
  await Promise.all([
    ...ended.passes.map((pass) => deps.passes.revocations.announce(pass.id, pass.validUntil)),
    deps.sessions.announce(ended.sessionIds),
  ]);
}
