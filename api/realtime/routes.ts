/** The real-time routes: the SSE stream and the AsyncAPI document (the WebSocket is on the upgrade path). */
import type { AppDeps } from '../context.js';
import { routeGroup, type AnyRoute } from '../route.js';
import { buildAsyncApi } from './asyncapi.js';
import { sseRoutes } from './sse-route.js';
import { z } from 'zod';

const route = routeGroup({ tag: 'realtime', sla: 'none' });

export function realtimeRoutes(deps: AppDeps): AnyRoute[] {
  const document = buildAsyncApi(process.env.npm_package_version ?? '0.1.0');
  return [
    ...sseRoutes(deps),
    route({
      method: 'get',
      path: '/asyncapi.json',
      summary: 'AsyncAPI 3.0 document of the real-time channels (WebSocket /realtime/ws and SSE /realtime/events)',
      access: 'public',
      response: { data: z.looseObject({ asyncapi: z.string() }) },
      async handler() {
        return { data: document };
      },
    }),
  ];
}
