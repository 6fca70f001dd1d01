import type { AppDeps, AuthUser } from '../context.js';
import { forbidden, notFound } from '../../domain/errors.js';
import { assertOwnRecord, ownStudentFilter } from '../own-records.js';
import { actorOf, routeGroup, type AnyRoute } from '../route.js';
import { announceApplication } from '../realtime/announcements.js';
import { prerenderQr } from '../passes/qr.js';
import { storeQrPng } from '../../domain/passes/repository.js';
import {
  findApplication,
  listApplications,
  listQueue,
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
import {
  approveApplication,
  rejectApplication,
  reviewApplication,
  submitApplication,
  withdrawApplication,
} from '../../domain/applications/service.js';
import { ApplicationView } from '../../domain/applications/views.js';

const route = routeGroup({ tag: 'applications', sla: 'pass_generation' });

const STAFF = ['admin', 'staff'] as const;

function requireStudentRef(user: AuthUser): string {
  if (!user.studentRef) throw forbidden('This account is not linked to a student record.');
  return user.studentRef;
}

/** The own-records guard on the locked application: a student acts only on their own. */
function mayActOn(user: AuthUser) {
  return (row: ApplicationRow) => assertOwnRecord(user, row.student_id, 'applications', 'act on');
}

export function applicationRoutes(deps: AppDeps): AnyRoute[] {
  const { db } = deps;

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
        const application = await submitApplication(db.primary, actorOf(ctx, user), studentId, body);
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
        const data = await reviewApplication(db.primary, actorOf(ctx, user), params.id, body, mayActOn(user));
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
        const { application, pass } = await approveApplication(
          db.primary,
          actorOf(ctx, user),
          deps.passes.signer,
          params.id,
          body,
          mayActOn(user),
        );
        announceApplication(deps.realtime, application, pass);
        if (pass) prerenderQr(pass.code, (image) => storeQrPng(db.primary, pass.id, image));
        return { data: application };
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
        const data = await rejectApplication(db.primary, actorOf(ctx, user), params.id, body, mayActOn(user));
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
        const data = await withdrawApplication(db.primary, actorOf(ctx, user), params.id, body, mayActOn(user));
        return { data };
      },
    }),
  ];
}
