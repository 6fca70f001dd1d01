/**
 * One trace from the HTTP request that asks for a report to the worker job that builds it: the
 * API's server span, the enqueue (producer) span, the job (consumer) span and the Postgres spans
 * the job runs all share a trace id, and the consumer span descends from the request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTelemetry } from '../core/telemetry.js';

// Telemetry starts before koa, pg, ioredis and BullMQ are loaded, as in the real entry points.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
const telemetry = startTelemetry('trace-test', { spanProcessors: [processor] });
const { call, createTestEnvironment } = await import('../testing/api.js');
const { startTestWorkers } = await import('../testing/worker-process.js');
const { eventually } = await import('../testing/eventually.js');

type Env = Awaited<ReturnType<typeof createTestEnvironment>>;

const parentOf = (span: ReadableSpan): string | undefined =>
  (span as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ??
  (span as unknown as { parentSpanId?: string }).parentSpanId;

describe('tracing from the API into the worker', () => {
  let env: Env;
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  before(async () => {
    env = await createTestEnvironment('trace');
    workers = await startTestWorkers(env.env);
  });
  after(async () => {
    await workers.stop();
    await env.teardown();
    await telemetry.shutdown();
  });

  it("links the request, the job and the job's database queries in one trace", async () => {
    const api = await env.start();
    const staff = await env.tokenFor('staff');
    exporter.reset();
    const created = await call(api.url, 'POST', '/reports', {
      token: staff,
      body: { type: 'daily-summary', range: { from: '2026-11-01', to: '2026-11-01' } },
    });
    assert.equal(created.status, 202);
    const id = created.body.data.id as string;
    await eventually(
      async () => {
        const res = await call(api.url, 'GET', `/reports/${id}`, { token: staff });
        return res.body.data.status === 'completed' ? true : undefined;
      },
      'the report to complete',
      30_000,
    );

    const consumer = await eventually(
      async () => {
        await processor.forceFlush();
        return exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER && s.name.includes('reports'));
      },
      'the job span',
      10_000,
    );
    const spans = exporter.getFinishedSpans();
    const traceId = consumer.spanContext().traceId;
    const server = spans.find((s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId);
    assert.ok(server, "the HTTP server span of POST /reports is in the job's trace");
    assert.match(server.name, /POST/);

    // Walk up from the consumer span: it must reach the server span through its parents.
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    let cursor: ReadableSpan | undefined = consumer;
    const chain: string[] = [];
    while (cursor && cursor !== server) {
      chain.push(cursor.name);
      const parent = parentOf(cursor);
      cursor = parent ? byId.get(parent) : undefined;
    }
    assert.equal(cursor, server, `consumer descends from the request (chain: ${chain.join(' <- ')})`);
    assert.ok(
      chain.some((name) => name.startsWith('send reports')),
      'through the producer span',
    );

    const consumerId = consumer.spanContext().spanId;
    const descendsFromConsumer = (span: ReadableSpan): boolean => {
      for (let s: ReadableSpan | undefined = span; s; s = byId.get(parentOf(s) ?? ''))
        if (s.spanContext().spanId === consumerId) return true;
      return false;
    };
    const isDbSpan = (s: ReadableSpan) => 'db.system' in s.attributes || 'db.system.name' in s.attributes;
    const dbSpans = spans.filter((s) => s.kind === SpanKind.CLIENT && s.spanContext().traceId === traceId && isDbSpan(s));
    const jobQueries = dbSpans.filter(descendsFromConsumer);
    assert.ok(jobQueries.length > 0, `the job's Postgres queries are spans inside the job (${dbSpans.length} db spans in trace)`);
  });
});
