import type { AppDeps } from '../context.js';
import { forbidden } from '../../domain/errors.js';
import { ownStudentFilter } from '../own-records.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { listAccessLogs } from '../../domain/access-logs/repository.js';
import { AccessLogQuery } from '../../domain/access-logs/schemas.js';
import { AccessLogView } from '../../domain/access-logs/views.js';

const route = routeGroup({ tag: 'access-logs', sla: 'student_queries' });

export function accessLogRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/access-logs',
      summary: 'Gate verifications, newest first, by pass, student, gate, direction, outcome and time range (students: their own)',
      access: ['admin', 'staff', 'security', 'student'],
      response: { data: AccessLogView, list: true },
      query: AccessLogQuery,
      async handler(_ctx, { query, user }) {
        if (user.role === 'student') {
          const own = ownStudentFilter(user, query.studentId, 'access logs');
          if (!own) throw forbidden('Students may read only their own access logs.');
          query = { ...query, studentId: own };
        }
        const { items, nextCursor } = await deps.db.read((reader) => listAccessLogs(reader, query));
        return { data: items, pagination: { nextCursor } };
      },
    }),
  ];
}
