import { accountRoutes } from '../auth/account-routes.js';
import { authRoutes } from '../auth/routes.js';
import type { AppDeps } from '../context.js';
import type { AnyRoute } from '../route.js';
import { reportRoutes } from '../reports/routes.js';
import { studentRoutes } from '../students/routes.js';
import { uploadRoutes } from '../uploads/routes.js';
import { accessLogRoutes } from '../access-logs/routes.js';
import { analyticsRoutes } from '../analytics/routes.js';
import { applicationRoutes } from '../applications/routes.js';
import { passRoutes } from '../passes/routes.js';
import { opsRoutes } from './ops.js';
import { realtimeRoutes } from '../realtime/routes.js';

/** Every route of the API; each module contributes its own declarations. */
export function allRoutes(deps: AppDeps): AnyRoute[] {
  return [
    ...opsRoutes(deps),
    ...authRoutes(deps),
    ...accountRoutes(deps),
    ...studentRoutes(deps),
    ...uploadRoutes(deps),
    ...reportRoutes(deps),
    ...passRoutes(deps),
    ...applicationRoutes(deps),
    ...accessLogRoutes(deps),
    ...analyticsRoutes(deps),
    ...realtimeRoutes(deps),
  ];
}
