/**
 * OpenTelemetry tracing for every process: spans for HTTP requests (server and client), Koa
 * middleware and routes, Postgres queries and Redis commands, exported as the standard `OTEL_*`
 * variables say (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_PROPAGATORS`, `OTEL_SDK_DISABLED` …). Traces only: metrics stay on
 * prom-client, so no series is exported twice.
 *
 * Instrumentation patches modules as they load, so a process calls `startTelemetry` before it
 * imports koa, pg or ioredis (entry points start telemetry, then `await import()` the app).
 * Trace context crosses the queue inside job data: the API injects it, the worker extracts it.
 */
import { createRequire, register } from 'node:module';
import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type * as HttpInstrumentationModule from '@opentelemetry/instrumentation-http';
import type * as IORedisInstrumentationModule from '@opentelemetry/instrumentation-ioredis';
import type * as KoaInstrumentationModule from '@opentelemetry/instrumentation-koa';
import type * as PgInstrumentationModule from '@opentelemetry/instrumentation-pg';
import type * as SdkModule from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

// The SDK and its instrumentations (CommonJS packages) are loaded only when spans go somewhere:
// they are about a tenth of the API's start-up (docs/perf/), and by default there is no exporter.
const requireSdk = createRequire(import.meta.url);
const loadSdk = () => ({
  NodeSDK: (requireSdk('@opentelemetry/sdk-node') as typeof SdkModule).NodeSDK,
  HttpInstrumentation: (requireSdk('@opentelemetry/instrumentation-http') as typeof HttpInstrumentationModule).HttpInstrumentation,
  IORedisInstrumentation: (requireSdk('@opentelemetry/instrumentation-ioredis') as typeof IORedisInstrumentationModule)
    .IORedisInstrumentation,
  KoaInstrumentation: (requireSdk('@opentelemetry/instrumentation-koa') as typeof KoaInstrumentationModule).KoaInstrumentation,
  PgInstrumentation: (requireSdk('@opentelemetry/instrumentation-pg') as typeof PgInstrumentationModule).PgInstrumentation,
});

export const TRACER_NAME = 'passplatform';

/** Modules whose ESM imports the loader hook wraps; everything else loads untouched. */
const INSTRUMENTED_MODULES = ['http', 'https', 'koa', 'pg', 'pg-pool', 'ioredis'];

/** Paths never worth a trace: probes (the operator's are /healthz and /readyz) and scrapes arrive every few seconds from every pod. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/healthz', '/readyz', '/metrics']);

export interface TelemetryOptions {
  /** Span processors replacing the ones `OTEL_TRACES_EXPORTER` would build (tests pass an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /**
   * False when `OTEL_SDK_DISABLED=true` or when no exporter is configured: spans are then no-ops,
   * nothing is patched and carriers stay empty.
   */
  readonly enabled: boolean;
  /** Flushes pending spans and stops the SDK. */
  shutdown(): Promise<void>;
}

let running: { sdk: SdkModule.NodeSDK; telemetry: Telemetry } | undefined;
let loaderRegistered = false;

/** Starts tracing for this process once; later calls return the running instance. */
export function startTelemetry(serviceName: string, options: TelemetryOptions = {}): Telemetry {
  if (running) return running.telemetry;
  // With nowhere to send spans, creating them costs every request a dozen spans (HTTP, each Koa
  // middleware, every query and Redis command) that are built and dropped: a third of a bare
  // request's time in the profile (docs/perf/). Nothing is patched then, and no SDK runs.
  if (!options.spanProcessors && !exporterConfigured(process.env)) return { enabled: false, shutdown: async () => undefined };
  const enabled = process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true';
  if (enabled && !loaderRegistered) {
    // ESM imports reach instrumentation only through this loader hook (CommonJS ones through require hooks).
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: INSTRUMENTED_MODULES } });
    loaderRegistered = true;
  }
  const sdkModules = loadSdk();
  const sdk = new sdkModules.NodeSDK({
    // OTEL_SERVICE_NAME, when set, names the service; the caller's name is the fallback.
    serviceName: process.env.OTEL_SERVICE_NAME || serviceName,
    instrumentations: instrumentations(sdkModules),
    // Traces only: no metric readers (prom-client owns metrics) and no log exporters.
    metricReaders: [],
    logRecordProcessors: [],
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  const telemetry: Telemetry = {
    enabled,
    shutdown: async () => {
      if (running?.sdk !== sdk) return;
      running = undefined;
      await sdk.shutdown();
    },
  };
  running = { sdk, telemetry };
  return telemetry;
}

/** Whether the `OTEL_*` variables name somewhere to send spans (an exporter other than `none`, or an OTLP endpoint). */
export function exporterConfigured(env: NodeJS.ProcessEnv): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.length > 0) return exporters.some((name) => name !== 'none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Stops the running SDK, if any (for shutdown paths that do not hold the handle). */
export async function shutdownTelemetry(): Promise<void> {
  await running?.telemetry.shutdown();
}

function instrumentations({
  HttpInstrumentation,
  KoaInstrumentation,
  PgInstrumentation,
  IORedisInstrumentation,
}: ReturnType<typeof loadSdk>) {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
    }),
    new KoaInstrumentation(),
    // Statement text only (no parameter values): queries carry student data.
    new PgInstrumentation({ enhancedDatabaseReporting: false }),
    new IORedisInstrumentation(),
  ];
}

/** Trace context as plain strings, small enough to ride in BullMQ job data. */
export type TraceCarrier = Record<string, string>;

/** The current trace context (e.g. the HTTP request's) written into a carrier. */
export function injectTraceContext(ctx: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier describes; the active one unchanged when the carrier is empty or absent. */
export function extractTraceContext(carrier: TraceCarrier | undefined, base: Context = context.active()): Context {
  return carrier ? propagation.extract(base, carrier) : base;
}

export interface JobSpanInfo {
  queue: string;
  jobName: string;
  jobId?: string;
  attempt?: number;
}

/**
 * Runs a job's processor inside a CONSUMER span whose parent is the trace the producer injected,
 * so the request that enqueued the job and the work it caused form one trace. Queries and Redis
 * commands the processor runs become child spans. Failures are recorded and rethrown.
 */
export async function traceJob<T>(info: JobSpanInfo, carrier: TraceCarrier | undefined, run: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const parent = extractTraceContext(carrier);
  const attributes = {
    'messaging.system': 'bullmq',
    'messaging.destination.name': info.queue,
    'messaging.operation.type': 'process',
    ...(info.jobId !== undefined ? { 'messaging.message.id': info.jobId } : {}),
    ...(info.attempt !== undefined ? { 'passplatform.job.attempt': info.attempt } : {}),
  };
  return tracer.startActiveSpan(`process ${info.queue} ${info.jobName}`, { kind: SpanKind.CONSUMER, attributes }, parent, (span) =>
    endAfter(span, () => run(span)),
  );
}

/**
 * Wraps enqueueing a job in a PRODUCER span and hands the carrier (pointing at that span) to
 * `enqueue`, which stores it in the job data.
 */
export async function traceEnqueue<T>(queue: string, jobName: string, enqueue: (carrier: TraceCarrier) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(TRACER_NAME);
  const attributes = { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'send' };
  return tracer.startActiveSpan(`send ${queue} ${jobName}`, { kind: SpanKind.PRODUCER, attributes }, (span) =>
    endAfter(span, () => enqueue(injectTraceContext())),
  );
}

/** Runs `work`, marks the span failed if it throws (rethrowing), and always ends the span. */
async function endAfter<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
