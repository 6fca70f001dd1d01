import { authRoutes } from '../auth/routes.js';
import type { AppDeps } from '../context.js';
import type { AnyRoute } from '../route.js';
import { studentRoutes } from '../students/routes.js';
import { opsRoutes } from './ops.js';

/** Every route of the API; each module contributes its own declarations. */
export function allRoutes(deps: AppDeps): AnyRoute[] {
  return [...opsRoutes(deps), ...authRoutes(deps), ...studentRoutes(deps)];
}
