import type { AppDeps } from '../context.js';
import { badRequest } from '../../domain/errors.js';
import { JsonText, routeGroup, type AnyRoute } from '../route.js';
import { activePasses, applicationFunnel, verificationsJson } from '../../domain/analytics/repository.js';
import { DayTextCache } from '../../domain/analytics/day-texts.js';
import { GRANULARITY_MS, MAX_BUCKETS, RangeQuery, VerificationsQuery } from '../../domain/analytics/schemas.js';
import { ActivePassesView, FunnelView, VerificationSeriesView, VerificationsView } from '../../domain/analytics/views.js';
import { z } from 'zod';

const route = routeGroup({ tag: 'analytics', sla: 'analytics' });

/** Figures change by the minute; a short TTL keeps dashboards cheap without going stale. */
const TTL_SECONDS = 60;
const NS = 'analytics';
const STAFF = ['admin', 'staff'] as const;

/** Aligns a range to whole buckets (so equal questions share a cache entry) and bounds its width. */
function alignedRange(from: string | undefined, to: string | undefined, stepMs: number, defaultBuckets: number, now = Date.now()) {
  const end = Math.ceil((to ? new Date(to).getTime() : now) / stepMs) * stepMs;
  const start = Math.floor((from ? new Date(from).getTime() : end - defaultBuckets * stepMs) / stepMs) * stepMs;
  if (start >= end) throw badRequest('from must be before to.');
  if ((end - start) / stepMs > MAX_BUCKETS)
    throw badRequest(`The range spans more than ${MAX_BUCKETS} buckets; narrow it or use a coarser granularity.`);
  return { from: new Date(start), to: new Date(end) };
}

export function analyticsRoutes(deps: AppDeps): AnyRoute[] {
  const { db, cache } = deps;
  const dayTexts = new DayTextCache();
  return [
    route({
      method: 'get',
      path: '/analytics/verifications',
      summary:
        'Verifications per hour or day and gate (total, valid, invalid, entries, exits) and totals by outcome; layout=series: per gate, an array per figure',
      access: STAFF,
      response: { data: z.union([VerificationsView, VerificationSeriesView]) },
      query: VerificationsQuery,
      async handler(_ctx, { query }) {
        const range = alignedRange(query.from, query.to, GRANULARITY_MS[query.granularity], query.granularity === 'hour' ? 24 : 30);
        const key = `verifications-json:${query.layout}:${query.granularity}:${range.from.toISOString()}:${range.to.toISOString()}:${query.gate ?? '*'}`;
        // JSON from Postgres (whole days' texts kept in this process) to the cache and the reply as
        // bytes: never parsed into objects (domain/analytics/repository.ts), nor measured or encoded again.
        const json = await cache.getOrLoadBytes(
          NS,
          key,
          () =>
            db.read((r) =>
              verificationsJson(r, { granularity: query.granularity, ...range, gate: query.gate, layout: query.layout }, dayTexts),
            ),
          TTL_SECONDS,
        );
        return { data: new JsonText(json) };
      },
    }),
    route({
      method: 'get',
      path: '/analytics/applications/funnel',
      summary: 'Applications submitted in a range by current status, approval rate and median time to decision',
      access: STAFF,
      response: { data: FunnelView },
      query: RangeQuery,
      async handler(_ctx, { query }) {
        const range = alignedRange(query.from, query.to, GRANULARITY_MS.day, 30);
        const key = `funnel:${range.from.toISOString()}:${range.to.toISOString()}`;
        const funnel = await cache.getOrLoad(NS, key, () => db.read((r) => applicationFunnel(r, range)), TTL_SECONDS);
        return { data: { from: range.from.toISOString(), to: range.to.toISOString(), ...funnel } };
      },
    }),
    route({
      method: 'get',
      path: '/analytics/passes/active',
      summary: 'Passes valid now by type, scheduled ones, those expiring within 7 days, revocations in 30 days',
      access: STAFF,
      response: { data: ActivePassesView },
      async handler() {
        // Keyed by minute: within one the answer (and its `at`) is shared, across minutes it moves with the clock.
        const minute = Math.floor(Date.now() / 60_000);
        const figures = await cache.getOrLoad(
          NS,
          `active-passes:${minute}`,
          async () => {
            const at = new Date();
            return { at: at.toISOString(), ...(await db.read((r) => activePasses(r, at))) };
          },
          TTL_SECONDS,
        );
        return { data: figures };
      },
    }),
  ];
}
