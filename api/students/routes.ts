import type { AppDeps } from '../context.js';
import { conflict, notFound } from '../../domain/errors.js';
import { assertOwnRecord } from '../own-records.js';
import { actorOf, routeGroup, type AnyRoute } from '../route.js';
import { findStudent, listStudents } from '../../domain/students/repository.js';
import { changeStudent, createStudent, deleteStudent } from '../../domain/students/service.js';
import { StudentSearchView, parseStudentSearch, searchCacheKey, searchStudents } from './search.js';
import { announceEndedAccess } from './standing.js';
import { StudentCreate, StudentIdParams, StudentListQuery, StudentPatch, StudentSearchQuery } from '../../domain/students/schemas.js';
import { StudentView } from '../../domain/students/views.js';

const route = routeGroup({ tag: 'students', sla: 'student_queries' });

/** Cache namespaces: one entry per student, and search results (retired wholesale on any write). */
const BY_ID = 'student';
const SEARCH = 'student-search';

function isUniqueViolation(err: unknown): err is { code: string; constraint?: string } {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

function duplicateStudent(err: { constraint?: string }) {
  const field = err.constraint?.includes('email') ? 'email' : 'studentId';
  return conflict(`A student with this ${field} already exists.`, 'DUPLICATE_STUDENT', { field });
}

export function studentRoutes(deps: AppDeps): AnyRoute[] {
  const { db, cache } = deps;

  async function invalidate(id: string): Promise<void> {
    await Promise.all([cache.invalidate(BY_ID, id), cache.invalidateNamespace(SEARCH)]);
  }

  return [
    route({
      method: 'get',
      path: '/students/search',
      summary:
        'Search students: exact student id first, then whole-word name matches, then prefixes (names, id, e-mail, programme, status)',
      access: ['admin', 'staff', 'security'],
      response: { data: StudentSearchView },
      query: StudentSearchQuery,
      async handler(_ctx, { query }) {
        const search = parseStudentSearch(query.q);
        if (!search) return { data: { query: query.q, results: [] } };
        const results = await cache.getOrLoad(SEARCH, searchCacheKey(search, query.limit), () =>
          db.read((reader) => searchStudents(reader, search, query.limit)),
        );
        return { data: { query: query.q, results } };
      },
    }),
    route({
      method: 'get',
      path: '/students',
      summary: 'List students, newest first, with filters and cursor pagination',
      access: ['admin', 'staff'],
      response: { data: StudentView, list: true },
      query: StudentListQuery,
      async handler(_ctx, { query, user }) {
        const { items, nextCursor } = await deps.readYourWrites.read(db, user.id, (reader) => listStudents(reader, query));
        return { data: items, pagination: { nextCursor } };
      },
    }),
    route({
      method: 'post',
      path: '/students',
      summary: 'Create a student',
      access: ['admin', 'staff'],
      response: { data: StudentView },
      body: StudentCreate,
      responses: { 201: 'Created', 409: 'Duplicate student id or e-mail' },
      async handler(ctx, { body, user }) {
        try {
          const student = await createStudent(db.primary, actorOf(ctx, user), body);
          await cache.invalidateNamespace(SEARCH);
          ctx.set('Location', `/students/${student.id}`);
          return { status: 201, data: student };
        } catch (err) {
          if (isUniqueViolation(err)) throw duplicateStudent(err);
          throw err;
        }
      },
    }),
    route({
      method: 'get',
      path: '/students/:id',
      summary: 'One student (students may read only their own record)',
      access: ['admin', 'staff', 'security', 'student'],
      response: { data: StudentView },
      params: StudentIdParams,
      async handler(_ctx, { params, user }) {
        assertOwnRecord(user, params.id, 'record');
        const fresh = await deps.readYourWrites.mustReadPrimary(user.id);
        const student = fresh
          ? await findStudent(db.primary, params.id)
          : await cache.getOrLoad(BY_ID, params.id, async () => (await db.read((r) => findStudent(r, params.id))) ?? null);
        if (!student) throw notFound('Student');
        return { data: student };
      },
    }),
    route({
      method: 'patch',
      path: '/students/:id',
      summary: 'Update a student; leaving `active` revokes their passes, suspension or withdrawal also their sessions',
      access: ['admin', 'staff'],
      response: { data: StudentView },
      params: StudentIdParams,
      body: StudentPatch,
      responses: { 200: 'Updated', 404: 'No such student', 409: 'Duplicate student id or e-mail' },
      async handler(ctx, { params, body, user }) {
        try {
          const changed = await changeStudent(db.primary, actorOf(ctx, user), params.id, body);
          if (!changed) throw notFound('Student');
          if (changed.ended) await announceEndedAccess(deps, changed.ended);
          await invalidate(params.id);
          return { data: changed.student };
        } catch (err) {
          if (isUniqueViolation(err)) throw duplicateStudent(err);
          throw err;
        }
      },
    }),
    route({
      method: 'delete',
      path: '/students/:id',
      summary: 'Soft-delete a student (kept for the audit trail, hidden everywhere); revokes their passes and sessions',
      access: ['admin'],
      params: StudentIdParams,
      responses: { 204: 'Deleted', 404: 'No such student' },
      async handler(ctx, { params, user }) {
        const ended = await deleteStudent(db.primary, actorOf(ctx, user), params.id);
        if (!ended) throw notFound('Student');
        await announceEndedAccess(deps, ended);
        await invalidate(params.id);
        ctx.status = 204;
      },
    }),
  ];
}
