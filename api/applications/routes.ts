import type { Knex } from 'knex';
import type { AppContext, AppDeps, AuthUser } from '../context.js';
import { audit } from '../../domain/audit.js';
import { conflict, forbidden, notFound, unprocessable } from '../../domain/errors.js';
import { issuePass, type PassDto } from '../../domain/passes/repository.js';
import { validityIssue, type PassType } from '../../domain/passes/schemas.js';
import { assertOwnRecord, ownStudentFilter } from '../own-records.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { announceApplication } from '../realtime/announcements.js';
import {
  findApplication,
  insertApplication,
  listApplications,
  listQueue,
  lockApplication,
  unusableAttachments,
  updateApplication,
  type ApplicationDto,
  type ApplicationRow,
} from '../../domain/applications/repository.js';
import {
  ApplicationCreate,
  ApplicationIdParams,
  ApplicationListQuery,
  ApproveBody,
  QueueQuery,
  RejectBody,
  ReviewBody,
  WithdrawBody,
} from '../../domain/applications/schemas.js';
import { allowedActions, nextStatus, type ApplicationAction } from '../../domain/applications/state-machine.js';
import { ApplicationView } from '../../domain/applications/views.js';

const route = routeGroup({ tag: 'applications', sla: 'pass_generation' });

const STAFF = ['admin', 'staff'] as const;

function requireStudentRef(user: AuthUser): string {
  if (!user.studentRef) throw forbidden('This account is not linked to a student record.');
  return user.studentRef;
}

export function applicationRoutes(deps: AppDeps): AnyRoute[] {
  const { db } = deps;

  /**
   * Runs one state-machine action under a row lock: refuses it with 409 when the machine does not
   * allow it from the current status, applies `change` (which may issue a pass), audits the move.
   */
  async function act(
    ctx: AppContext,
    id: string,
    user: AuthUser,
    action: ApplicationAction,
    change: (trx: Knex.Transaction, row: ApplicationRow) => Promise<Record<string, unknown>>,
    details: Record<string, unknown> = {},
  ): Promise<ApplicationDto> {
    return db.primary.transaction(async (trx) => {
      const row = await lockApplication(trx, id);
      if (!row) throw notFound('Application');
      assertOwnRecord(user, row.student_id, 'applications', 'act on');
      const to = nextStatus(row.status, action);
      if (!to) {
        throw conflict(`An application that is ${row.status} cannot be moved by '${action}'.`, 'ILLEGAL_TRANSITION', {
          from: row.status,
          action,
          allowedActions: allowedActions(row.status),
        });
      }
      const updated = await updateApplication(trx, id, { status: to, ...(await change(trx, row)) });
      await audit(trx, {
        actorId: user.id,
        eventType: `application.${to}`,
        entityType: 'application',
        entityId: id,
        details: { from: row.status, to, action, ...details },
        requestId: ctx.state.requestId,
      });
      return updated;
    });
  }

  async function readable(id: string, user: AuthUser): Promise<ApplicationDto> {
    const found = await deps.readYourWrites.read(db, user.id, (reader) => findApplication(reader, id));
    if (!found) throw notFound('Application');
    assertOwnRecord(user, found.studentId, 'applications');
    return found;
  }

  return [
    route({
      method: 'post',
      path: '/applications',
      summary: 'Apply for a pass (type, reason, requested validity, attachments by upload id)',
      access: ['student'],
      response: { data: ApplicationView },
      body: ApplicationCreate,
      responses: { 201: 'Submitted', 422: 'An attachment is unknown, not yours or rejected' },
      async handler(ctx, { body, user }) {
        const studentId = requireStudentRef(user);
        const application = await db.primary.transaction(async (trx) => {
          const unusable = await unusableAttachments(trx, user.id, body.attachmentIds);
          if (unusable.length)
            throw unprocessable('Some attachments are not usable uploads of yours.', 'UNUSABLE_ATTACHMENTS', { attachmentIds: unusable });
          const created = await insertApplication(trx, { ...body, studentId, submittedBy: user.id });
          await audit(trx, {
            actorId: user.id,
            eventType: 'application.submitted',
            entityType: 'application',
            entityId: created.id,
            details: { passType: created.passType },
            requestId: ctx.state.requestId,
          });
          return created;
        });
        announceApplication(deps.realtime, application);
        ctx.set('Location', `/applications/${application.id}`);
        return { status: 201, data: application };
      },
    }),
    route({
      method: 'get',
      path: '/applications/queue',
      summary: 'The review queue: submitted and under-review applications by status, priority, then oldest first',
      access: STAFF,
      response: { data: ApplicationView, list: true },
      query: QueueQuery,
      async handler(_ctx, { query, user }) {
        const { items, nextCursor } = await deps.readYourWrites.read(db, user.id, (reader) => listQueue(reader, query));
        return { data: items, pagination: { nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/applications',
      summary: 'List applications, newest first (students see only their own)',
      access: ['admin', 'staff', 'student'],
      response: { data: ApplicationView, list: true },
      query: ApplicationListQuery,
      async handler(_ctx, { query, user }) {
        if (user.role === 'student') {
          const own = requireStudentRef(user);
          ownStudentFilter(user, query.studentId, 'applications');
          query = { ...query, studentId: own };
        }
        const { items, nextCursor } = await deps.readYourWrites.read(db, user.id, (reader) => listApplications(reader, query));
        return { data: items, pagination: { nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/applications/:id',
      summary: 'One application (students may read only their own)',
      access: ['admin', 'staff', 'student'],
      response: { data: ApplicationView },
      params: ApplicationIdParams,
      async handler(_ctx, { params, user }) {
        return { data: await readable(params.id, user) };
      },
    }),
    route({
      method: 'post',
      path: '/applications/:id/review',
      summary: 'Take a submitted application under review (optionally re-prioritising it)',
      access: STAFF,
      response: { data: ApplicationView },
      params: ApplicationIdParams,
      body: ReviewBody,
      responses: { 200: 'Under review', 404: 'No such application', 409: 'Illegal transition' },
      async handler(ctx, { params, body, user }) {
        const data = await act(
          ctx,
          params.id,
          user,
          'review',
          async () => ({ reviewer_id: user.id, ...(body.priority !== undefined ? { priority: body.priority } : {}) }),
          body,
        );
        return { data };
      },
    }),
    route({
      method: 'post',
      path: '/applications/:id/approve',
      summary: 'Approve an application and issue its pass (validity and gates may be narrowed)',
      access: STAFF,
      response: { data: ApplicationView },
      params: ApplicationIdParams,
      body: ApproveBody,
      responses: {
        200: 'Approved; the pass id is on the application',
        404: 'No such application',
        409: 'Illegal transition',
        422: 'Invalid validity or inactive student',
      },
      async handler(ctx, { params, body, user }) {
        let issued: PassDto | undefined;
        const data = await act(
          ctx,
          params.id,
          user,
          'approve',
          async (trx, row) => {
            const validFrom = body.validFrom ? new Date(body.validFrom) : row.requested_valid_from;
            const validUntil = body.validUntil ? new Date(body.validUntil) : row.requested_valid_until;
            const issue = validityIssue(row.pass_type as PassType, validFrom, validUntil);
            if (issue) throw unprocessable(issue, 'INVALID_VALIDITY');
            const pass = await issuePass(trx, deps.passes.signer, {
              studentId: row.student_id,
              passType: row.pass_type as PassType,
              validFrom,
              validUntil,
              gates: body.gates ?? row.gates,
              applicationId: row.id,
              issuedBy: user.id,
            });
            await audit(trx, {
              actorId: user.id,
              eventType: 'pass.issued',
              entityType: 'pass',
              entityId: pass.id,
              details: { applicationId: row.id },
              requestId: ctx.state.requestId,
            });
            issued = pass;
            return { pass_id: pass.id, reviewer_id: user.id, decided_at: trx.fn.now(), decision_reason: body.reason ?? null };
          },
          { reason: body.reason ?? null },
        );
        announceApplication(deps.realtime, data, issued);
        return { data };
      },
    }),
    route({
      method: 'post',
      path: '/applications/:id/reject',
      summary: 'Reject an application, with the reason the student will see',
      access: STAFF,
      response: { data: ApplicationView },
      params: ApplicationIdParams,
      body: RejectBody,
      responses: { 200: 'Rejected', 404: 'No such application', 409: 'Illegal transition' },
      async handler(ctx, { params, body, user }) {
        const data = await act(
          ctx,
          params.id,
          user,
          'reject',
          async () => ({ reviewer_id: user.id, decided_at: db.primary.fn.now(), decision_reason: body.reason }),
          { reason: body.reason },
        );
        announceApplication(deps.realtime, data);
        return { data };
      },
    }),
    route({
      method: 'post',
      path: '/applications/:id/withdraw',
      summary: 'Withdraw your own application before it is decided',
      access: ['student'],
      response: { data: ApplicationView },
      params: ApplicationIdParams,
      body: WithdrawBody,
      responses: { 200: 'Withdrawn', 404: 'No such application', 409: 'Illegal transition' },
      async handler(ctx, { params, body, user }) {
        const data = await act(
          ctx,
          params.id,
          user,
          'withdraw',
          async () => ({ decided_at: db.primary.fn.now(), decision_reason: body.reason ?? null }),
          { reason: body.reason ?? null },
        );
        return { data };
      },
    }),
  ];
}
