import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';

const DAY = 86_400_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe('pass applications', () => {
  let env: TestEnvironment;
  let url: string;
  let staff: string;
  let studentId: string;
  let student: string;
  let studentUserId: string;

  const newStudent = () => env.insertStudent();

  async function apply(body: Record<string, unknown> = {}, token = student) {
    const res = await call(url, 'POST', '/applications', {
      token,
      body: { passType: 'standard', reason: 'Semester access', validFrom: iso(0), validUntil: iso(120 * DAY), ...body },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; status: string; priority: number };
  }

  const act = (id: string, action: string, body: Record<string, unknown> = {}, token = staff) =>
    call(url, 'POST', `/applications/${id}/${action}`, { token, body });

  before(async () => {
    env = await createTestEnvironment('applications');
    url = (await env.start()).url;
    staff = await env.tokenFor('staff');
    studentId = await newStudent();
    const user = await env.createUser('student', { studentRef: studentId });
    studentUserId = user.id;
    student = (await env.login(user.email)).token;
  });
  after(() => env.teardown());

  it('takes an application from submission through review to approval, which issues a pass; every step audited', async () => {
    const created = await apply({ gates: ['main-gate'] });
    assert.equal(created.status, 'submitted');
    const reviewed = await act(created.id, 'review', { priority: 5 });
    assert.equal(reviewed.status, 200);
    assert.equal(reviewed.body.data.status, 'under_review');
    assert.equal(reviewed.body.data.priority, 5);
    const approved = await act(created.id, 'approve', { reason: 'documents in order', validUntil: iso(90 * DAY) });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.data.status, 'approved');
    assert.deepEqual(approved.body.data.allowedActions, []);
    const passId = approved.body.data.passId as string;
    const pass = await call(url, 'GET', `/passes/${passId}`, { token: student });
    assert.equal(pass.status, 200);
    assert.equal(pass.body.data.applicationId, created.id);
    assert.deepEqual(pass.body.data.gates, ['main-gate']);
    const events = await env
      .knex('audit_logs')
      .where({ entity_type: 'application', entity_id: created.id })
      .orderBy('id')
      .pluck('event_type');
    assert.deepEqual(events, ['application.submitted', 'application.under_review', 'application.approved']);
    const moves = await env.knex('audit_logs').where({ entity_id: created.id, event_type: 'application.approved' }).first();
    assert.equal(moves.details.from, 'under_review');
    assert.equal(moves.details.reason, 'documents in order');
  });

  it('rejects with a reason, and lets the student withdraw an open application', async () => {
    const one = await apply();
    assert.equal((await act(one.id, 'reject', {})).status, 400, 'a reason is required');
    const rejected = await act(one.id, 'reject', { reason: 'no supporting document' });
    assert.equal(rejected.body.data.status, 'rejected');
    assert.equal(rejected.body.data.decisionReason, 'no supporting document');
    const two = await apply();
    const withdrawn = await act(two.id, 'withdraw', {}, student);
    assert.equal(withdrawn.body.data.status, 'withdrawn');
    const other = await env.tokenFor('student', { studentRef: await newStudent() });
    const three = await apply();
    assert.equal((await act(three.id, 'withdraw', {}, other)).status, 403);
  });

  it('refuses every illegal transition with 409 and the allowed actions', async () => {
    const approved = await apply();
    await act(approved.id, 'approve');
    const rejected = await apply();
    await act(rejected.id, 'reject', { reason: 'not eligible' });
    const withdrawn = await apply();
    await act(withdrawn.id, 'withdraw', {}, student);
    const reviewing = await apply();
    await act(reviewing.id, 'review');
    const illegal: [string, string, Record<string, unknown>, string][] = [];
    for (const [id, from] of [
      [approved.id, 'approved'],
      [rejected.id, 'rejected'],
      [withdrawn.id, 'withdrawn'],
    ] as const) {
      illegal.push([id, 'review', {}, from], [id, 'approve', {}, from], [id, 'reject', { reason: 'too late' }, from]);
    }
    illegal.push([reviewing.id, 'review', {}, 'under_review']);
    for (const [id, action, body, from] of illegal) {
      const res = await act(id, action, body);
      assert.equal(res.status, 409, `${from} --${action}-->`);
      assert.equal(res.body.error.code, 'ILLEGAL_TRANSITION');
      assert.equal(res.body.error.details.from, from);
    }
    for (const [id, from] of [
      [approved.id, 'approved'],
      [rejected.id, 'rejected'],
      [withdrawn.id, 'withdrawn'],
    ] as const) {
      const res = await act(id, 'withdraw', {}, student);
      assert.equal(res.status, 409, `${from} --withdraw-->`);
    }
    const res = await act(reviewing.id, 'review');
    assert.deepEqual(res.body.error.details.allowedActions, ['approve', 'reject', 'withdraw']);
    assert.equal((await act(randomUUID(), 'approve')).status, 404);
    // Exactly one pass per approval, even when approval is attempted twice.
    assert.equal((await env.knex('passes').where({ application_id: approved.id })).length, 1);
  });

  it('lets two reviewers race for one decision: exactly one wins', async () => {
    const contested = await apply();
    const results = await Promise.all([act(contested.id, 'approve'), act(contested.id, 'reject', { reason: 'duplicate' })]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
  });

  it('serves the queue by status, then priority, then oldest first, across pages', async () => {
    const queueStudent = await newStudent();
    const token = await env.tokenFor('student', { studentRef: queueStudent });
    // Start from an empty queue so the order is fully known.
    await env.knex('applications').whereIn('status', ['submitted', 'under_review']).update({ status: 'withdrawn' });
    const s1 = await apply({}, token);
    const t1 = await apply({ passType: 'temporary', validUntil: iso(3 * DAY) }, token);
    const s2 = await apply({}, token);
    const r1 = await apply({}, token);
    await act(r1.id, 'review', { priority: 0 });
    const t2 = await apply({ passType: 'temporary', validUntil: iso(2 * DAY) }, token);
    assert.equal(t1.priority, 1);
    const order: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call(url, 'GET', `/applications/queue?limit=2${qs}`, { token: staff });
      assert.equal(page.status, 200);
      order.push(...page.body.data.map((a: { id: string }) => a.id));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    assert.deepEqual(order, [t1.id, t2.id, s1.id, s2.id, r1.id]);
    // With seq scans priced out, the plan shows the queue is found through its partial index.
    const plan = await env.knex.transaction(async (trx) => {
      await trx.raw('set local enable_seqscan = off');
      return trx.raw<{ rows: Record<string, string>[] }>(
        `explain select * from applications where status in ('submitted', 'under_review') order by status, priority desc, submitted_at, id limit 20`,
      );
    });
    const planText = plan.rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
    assert.match(planText, /Index Scan (using|on) idx_applications_processing_queue/);
    const reviewing = await call(url, 'GET', '/applications/queue?status=under_review', { token: staff });
    assert.deepEqual(
      reviewing.body.data.map((a: { id: string }) => a.id),
      [r1.id],
    );
  });

  it('shows students only their own applications', async () => {
    const mine = await apply();
    const own = await call(url, 'GET', '/applications', { token: student });
    assert.ok(own.body.data.length > 0 && own.body.data.every((a: { studentId: string }) => a.studentId === studentId));
    assert.equal((await call(url, 'GET', `/applications/${mine.id}`, { token: student })).status, 200);
    const other = await env.tokenFor('student', { studentRef: await newStudent() });
    assert.equal((await call(url, 'GET', `/applications/${mine.id}`, { token: other })).status, 403);
    assert.equal((await call(url, 'GET', `/applications?studentId=${studentId}`, { token: other })).status, 403);
    const unlinked = await env.tokenFor('student');
    assert.equal(
      (
        await call(url, 'POST', '/applications', {
          token: unlinked,
          body: { passType: 'standard', reason: 'x'.repeat(5), validFrom: iso(0), validUntil: iso(DAY) },
        })
      ).status,
      403,
    );
  });

  it('accepts attachments only when they are the applicant’s own usable uploads', async () => {
    const unknown = await call(url, 'POST', '/applications', {
      token: student,
      body: { passType: 'standard', reason: 'with files', validFrom: iso(0), validUntil: iso(DAY), attachmentIds: [randomUUID()] },
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'UNUSABLE_ATTACHMENTS');
    const uploadId = randomUUID();
    await env.knex('uploads').insert({
      id: uploadId,
      owner_id: studentUserId,
      kind: 'single',
      filename: 'id.pdf',
      declared_size: 10,
      status: 'ready',
      object_key: `uploads/${uploadId}`,
    });
    const ok = await apply({ attachmentIds: [uploadId] });
    assert.deepEqual((await call(url, 'GET', `/applications/${ok.id}`, { token: staff })).body.data.attachmentIds, [uploadId]);
    const tooLong = await call(url, 'POST', '/applications', {
      token: student,
      body: { passType: 'temporary', reason: 'visit', validFrom: iso(0), validUntil: iso(30 * DAY) },
    });
    assert.equal(tooLong.status, 400);
  });

  it('reports the application funnel', async () => {
    const res = await call(url, 'GET', `/analytics/applications/funnel?from=${iso(-DAY)}&to=${iso(DAY)}`, { token: staff });
    assert.equal(res.status, 200);
    const rows = await env.knex('applications').select('status').count('* as n').groupBy('status');
    for (const row of rows as { status: string; n: string | number }[]) assert.equal(res.body.data.byStatus[row.status], Number(row.n));
    const approved = res.body.data.byStatus.approved as number;
    const rejected = res.body.data.byStatus.rejected as number;
    assert.equal(res.body.data.approvalRate, approved / (approved + rejected));
    assert.equal(typeof res.body.data.medianHoursToDecision, 'number');
  });
});
