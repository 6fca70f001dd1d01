/**
 * What the routes announce after their state changes commit: notifications to the people
 * concerned and ticks on today's analytics totals. One call per route keeps the routes readable.
 */
import type { ApplicationDto } from '../../domain/applications/repository.js';
import type { PassDto } from '../../domain/passes/repository.js';
import type { RealtimeServices } from './realtime.js';

export function announceApplication(realtime: RealtimeServices, application: ApplicationDto, issued?: PassDto): void {
  const { notify, counters } = realtime;
  counters.add(`applications.${application.status}`);
  if (application.status === 'submitted')
    notify.student(application.studentId, 'application.submitted', { applicationId: application.id, passType: application.passType });
  if (application.status === 'rejected')
    notify.student(application.studentId, 'application.rejected', { applicationId: application.id, reason: application.decisionReason });
  if (application.status === 'approved' && issued) {
    notify.student(application.studentId, 'application.approved', { applicationId: application.id, passId: issued.id });
    announcePassIssued(realtime, issued);
  }
}

export function announcePassIssued({ notify, counters }: RealtimeServices, pass: PassDto): void {
  counters.add('passes.issued');
  notify.student(pass.studentId, 'pass.issued', { passId: pass.id, passType: pass.passType, validUntil: pass.validUntil });
}

export function announcePassRevoked({ notify, counters }: RealtimeServices, pass: PassDto, reason: string | null): void {
  counters.add('passes.revoked');
  notify.student(pass.studentId, 'pass.revoked', { passId: pass.id, reason });
}
