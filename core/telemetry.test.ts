import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  exporterConfigured,
  extractTraceContext,
  injectTraceContext,
  startTelemetry,
  traceEnqueue,
  traceJob,
  type Telemetry,
} from './telemetry.js';

// Telemetry starts before anything instrumented is imported: http, koa, pg and ioredis load afterwards.
const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
const telemetry: Telemetry = startTelemetry('telemetry-test', { spanProcessors: [processor] });
const { createServer, get } = await import('node:http');

/** Finished spans matching `predicate`, once exports still waiting on resource detection are done. */
async function spans(predicate: (s: ReadableSpan) => boolean): Promise<ReadableSpan[]> {
  await processor.forceFlush();
  return exporter.getFinishedSpans().filter(predicate);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

after(async () => {
  await telemetry.shutdown();
});

describe('telemetry', () => {
  it('runs only when the OTEL_* variables name somewhere to send spans', () => {
    assert.equal(exporterConfigured({}), false);
    assert.equal(exporterConfigured({ OTEL_TRACES_EXPORTER: 'none' }), false);
    assert.equal(exporterConfigured({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), false);
    assert.equal(exporterConfigured({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
    assert.equal(exporterConfigured({ OTEL_TRACES_EXPORTER: 'console, none' }), true);
    assert.equal(exporterConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(exporterConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
  });

  it('records a server span for an HTTP request, in the same trace as the client span', async () => {
    exporter.reset();
    const server = createServer((_req, res) => res.end('ok'));
    const base = await listen(server);
    try {
      assert.equal(await httpGet(`${base}/students?q=john`), 200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const [serverSpan] = await spans((s) => s.kind === SpanKind.SERVER);
    const [clientSpan] = await spans((s) => s.kind === SpanKind.CLIENT);
    assert.ok(serverSpan, 'no server span');
    assert.ok(clientSpan, 'no client span');
    assert.equal(serverSpan.attributes['http.request.method'] ?? serverSpan.attributes['http.method'], 'GET');
    assert.equal(serverSpan.spanContext().traceId, clientSpan.spanContext().traceId);
    assert.equal(serverSpan.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
  });

  it('does not trace probes and scrapes', async () => {
    exporter.reset();
    const server = createServer((_req, res) => res.end('ok'));
    const base = await listen(server);
    try {
      await httpGet(`${base}/health`);
      await httpGet(`${base}/metrics`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.deepEqual(await spans((s) => s.kind === SpanKind.SERVER), []);
  });

  it('carries the trace id through a plain-object carrier', () => {
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('request');
    const carrier = injectTraceContext(trace.setSpan(context.active(), span));
    span.end();
    assert.match(carrier.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const roundTripped = JSON.parse(JSON.stringify(carrier)) as Record<string, string>;
    const extracted = trace.getSpanContext(extractTraceContext(roundTripped));
    assert.equal(extracted?.traceId, span.spanContext().traceId);
    assert.equal(extracted?.spanId, span.spanContext().spanId);
    assert.equal(trace.getSpanContext(extractTraceContext(undefined)), undefined);
  });

  it('links a job span to the request that enqueued it, and records job failures', async () => {
    exporter.reset();
    const tracer = trace.getTracer('test');
    let jobData: { carrier: Record<string, string> } | undefined;
    await tracer.startActiveSpan('POST /reports', async (request) => {
      await traceEnqueue('reports', 'daily-summary', async (carrier) => {
        jobData = { carrier };
      });
      request.end();
    });
    assert.ok(jobData);
    await traceJob({ queue: 'reports', jobName: 'daily-summary', jobId: '1', attempt: 1 }, jobData.carrier, async () => 'done');
    await assert.rejects(
      traceJob({ queue: 'reports', jobName: 'daily-summary', jobId: '2' }, jobData.carrier, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    const [request] = await spans((s) => s.name === 'POST /reports');
    const [producer] = await spans((s) => s.kind === SpanKind.PRODUCER);
    const consumers = await spans((s) => s.kind === SpanKind.CONSUMER);
    assert.ok(request && producer);
    assert.equal(consumers.length, 2);
    for (const consumer of consumers) {
      assert.equal(consumer.spanContext().traceId, request.spanContext().traceId);
      assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
      assert.equal(consumer.attributes['messaging.destination.name'], 'reports');
    }
    assert.equal(consumers.find((c) => c.attributes['messaging.message.id'] === '2')?.status.message, 'boom');
  });

  it('records Koa, Postgres and Redis spans inside the request trace', async () => {
    exporter.reset();
    const { default: Koa } = await import('koa');
    const { default: Router } = await import('@koa/router');
    const { default: pg } = await import('pg');
    const { Redis } = await import('ioredis');
    const db = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', max: 1 });
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    const router = new Router();
    router.get('/students/:id', async (ctx) => {
      const result = await db.query('select $1::text as id', [ctx.params.id]);
      await redis.get(`telemetry-test:${ctx.params.id}`);
      ctx.body = result.rows[0];
    });
    const app = new Koa().use(router.routes());
    const server = createServer(app.callback());
    const base = await listen(server);
    try {
      await redis.connect();
      assert.equal(await httpGet(`${base}/students/42`), 200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await db.end();
      redis.disconnect();
    }
    const [serverSpan] = await spans((s) => s.kind === SpanKind.SERVER);
    assert.ok(serverSpan);
    const traceId = serverSpan.spanContext().traceId;
    const inTrace = await spans((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    assert.ok(
      inTrace.some((s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql'),
      `no pg span in ${names.join(', ')}`,
    );
    assert.ok(
      inTrace.some((s) => s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis'),
      `no redis span in ${names.join(', ')}`,
    );
    assert.ok(
      names.some((n) => n.includes('/students/:id')),
      `no koa route span in ${names.join(', ')}`,
    );
  });
});
