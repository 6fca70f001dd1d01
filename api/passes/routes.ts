import type { AppDeps, AuthUser } from '../context.js';
import { conflict, notFound } from '../../domain/errors.js';
import { assertOwnRecord, ownStudentFilter } from '../own-records.js';
import { actorOf, routeGroup, type AnyRoute } from '../route.js';
import { announcePassIssued, announcePassRevoked } from '../realtime/announcements.js';
import { QR_CACHE_CONTROL, chooseFormat, prerenderQr, qrEtag, renderQr } from './qr.js';
import { findPass, findPassWithQrPng, listPasses, storeQrPng, type PassDto, type StoredQrPng } from '../../domain/passes/repository.js';
import { issueDirectPass, revokeActivePass } from '../../domain/passes/service.js';
import { PassCreate, PassIdParams, PassListQuery, PassRevoke, QrQuery, VerifyBody } from '../../domain/passes/schemas.js';
import { PassView } from '../../domain/passes/views.js';
import { VerificationView } from './verification-view.js';

const route = routeGroup({ tag: 'passes', sla: 'pass_generation' });

/** Roles that print or show passes (the QR route's); only they see a pass's signed code. */
const PRINTERS = ['admin', 'staff', 'student'] as const;

/** A pass as the caller may see it: gate staff verify codes, they never need to hold one. */
function visibleTo(user: AuthUser, pass: PassDto): PassDto | Omit<PassDto, 'code'> {
  if (user && (PRINTERS as readonly string[]).includes(user.role)) return pass;
  const { code: _code, ...withoutCode } = pass;
  return withoutCode;
}

/** The pass, if there is one and the caller may read it. */
function readable(user: AuthUser, pass: PassDto | undefined): PassDto {
  if (!pass) throw notFound('Pass');
  assertOwnRecord(user, pass.studentId, 'passes');
  return pass;
}

export function passRoutes(deps: AppDeps): AnyRoute[] {
  const { db } = deps;

  async function loadPass(id: string, user: AuthUser): Promise<PassDto> {
    return readable(user, await deps.readYourWrites.read(db, user.id, (reader) => findPass(reader, id)));
  }

  /** The same checks as `loadPass`, and the pass's stored PNG in the same read. */
  async function loadPassWithQrPng(id: string, user: AuthUser): Promise<{ pass: PassDto; png?: StoredQrPng }> {
    const found = await deps.readYourWrites.read(db, user.id, (reader) => findPassWithQrPng(reader, id));
    return { ...found, pass: readable(user, found?.pass) };
  }

  return [
    route({
      method: 'post',
      path: '/passes/verify',
      summary: 'Verify a scanned pass at a gate; every verification is recorded in the access log',
      access: ['security', 'admin'],
      response: { data: VerificationView },
      body: VerifyBody,
      // Its only write is the access-log row, which reaches Postgres in batches (api/access-logs/writer.ts)
      // and is listed from replicas whatever the marker says; it changes no pass, student or
      // application, so marking the gate for read-your-writes (a Redis SET per verification) bought nothing.
      readYourWrites: false,
      responses: { 200: 'The verdict: valid, or invalid with a reason' },
      async handler(ctx, { body, user }) {
        const result = await deps.passes.verifier.verify({
          code: body.code,
          gate: body.gate,
          direction: body.direction,
          verifiedBy: user.id,
          requestId: ctx.state.requestId,
        });
        deps.realtime.verified(result);
        ctx.set('Cache-Control', 'no-store');
        return { data: result };
      },
    }),
    route({
      method: 'post',
      path: '/passes',
      summary: 'Issue a pass (standard or temporary) to an active student',
      access: ['admin', 'staff'],
      response: { data: PassView },
      body: PassCreate,
      responses: { 201: 'Issued', 422: 'Unknown or inactive student' },
      async handler(ctx, { body, user }) {
        const pass = await issueDirectPass(db.primary, actorOf(ctx, user), deps.passes.signer, {
          studentId: body.studentId,
          passType: body.passType,
          validFrom: body.validFrom ? new Date(body.validFrom) : new Date(),
          validUntil: new Date(body.validUntil),
          gates: body.gates,
          issuedBy: user.id,
        });
        announcePassIssued(deps.realtime, pass);
        prerenderQr(pass.code, (image) => storeQrPng(db.primary, pass.id, image));
        ctx.set('Location', `/passes/${pass.id}`);
        return { status: 201, data: pass };
      },
    }),
    route({
      method: 'get',
      path: '/passes',
      summary: 'List passes, newest first (students see only their own)',
      access: ['admin', 'staff', 'student'],
      response: { data: PassView, list: true },
      query: PassListQuery,
      async handler(_ctx, { query, user }) {
        if (user.role === 'student') {
          const own = ownStudentFilter(user, query.studentId, 'passes');
          if (!own) return { data: [], pagination: { nextCursor: null } };
          query = { ...query, studentId: own };
        }
        const { items, nextCursor } = await deps.readYourWrites.read(db, user.id, (reader) => listPasses(reader, query));
        return { data: items, pagination: { nextCursor } };
      },
    }),
    route({
      method: 'get',
      path: '/passes/:id',
      summary: 'One pass; its signed code only for roles that print passes (students may read only their own)',
      access: ['admin', 'staff', 'security', 'student'],
      response: { data: PassView },
      params: PassIdParams,
      async handler(_ctx, { params, user }) {
        return { data: visibleTo(user, await loadPass(params.id, user)) };
      },
    }),
    route({
      method: 'get',
      path: '/passes/:id/qr',
      summary: 'The pass as a QR code image: PNG or SVG (?format=, else the Accept header)',
      access: PRINTERS,
      response: { media: ['image/png', 'image/svg+xml'] },
      params: PassIdParams,
      query: QrQuery,
      responses: {
        200: 'image/png or image/svg+xml, with an ETag; cacheable for ever by the caller (private, immutable)',
        304: 'Not modified: If-None-Match names this image’s ETag',
      },
      async handler(ctx, { params, query, user }) {
        // Authorised first, whatever the caller has cached: a 304 is an answer too.
        const { pass, png } = await loadPassWithQrPng(params.id, user);
        const format = chooseFormat(query.format, (...types) => ctx.accepts(...types));
        const etag = qrEtag(pass.code, format);
        ctx.set('Cache-Control', QR_CACHE_CONTROL);
        ctx.set('Vary', 'Accept');
        ctx.set('ETag', etag);
        ctx.status = 200;
        if (ctx.fresh) {
          ctx.status = 304;
          return;
        }
        if (format === 'png' && png?.etag === etag) {
          ctx.type = 'image/png';
          ctx.body = png.body;
          return;
        }
        const { body, contentType } = await renderQr(pass.code, format);
        // Rendered here, so kept with the pass for every other process (after the reply; a failed
        // store only means the next process to be asked renders it too).
        if (format === 'png') setImmediate(() => storeQrPng(db.primary, pass.id, { body, etag }).catch(() => undefined));
        ctx.type = contentType;
        ctx.body = body;
      },
    }),
    route({
      method: 'post',
      path: '/passes/:id/revoke',
      summary: 'Revoke a pass; every gate refuses it within a second',
      access: ['admin', 'staff'],
      response: { data: PassView },
      params: PassIdParams,
      body: PassRevoke,
      responses: { 200: 'Revoked', 404: 'No such pass', 409: 'Already revoked' },
      async handler(ctx, { params, body, user }) {
        const revoked = await revokeActivePass(db.primary, actorOf(ctx, user), params.id, body.reason);
        if (!revoked) {
          if (await findPass(db.primary, params.id)) throw conflict('The pass is already revoked.', 'ALREADY_REVOKED');
          throw notFound('Pass');
        }
        await deps.passes.revocations.announce(revoked.id, new Date(revoked.validUntil));
        announcePassRevoked(deps.realtime, revoked, body.reason);
        return { data: revoked };
      },
    }),
  ];
}
