/**
 * Test support for the workers: run them in this process or as a real child process
 * (`node --import tsx workers/main.ts`) with a test environment's configuration, sample files of
 * each allowed type, and a poll helper for asynchronous outcomes.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { spawnServiceProcess } from './service-process.js';
import { startWorkers, type RunningWorkers } from '../workers/run.js';

export async function startTestWorkers(env: Record<string, string>, overrides: Record<string, string> = {}): Promise<RunningWorkers> {
  return startWorkers({ ...env, WORKER_METRICS_PORT: '0', ...overrides });
}

export interface WorkerProcess {
  child: ChildProcess;
  metricsUrl: string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** Starts `workers/main.ts` as a child process and resolves once it logs that it is ready. */
export async function spawnWorkerProcess(env: Record<string, string>, overrides: Record<string, string> = {}): Promise<WorkerProcess> {
  const processEnv = { ...process.env, ...env, WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info', ...overrides };
  const { child, ready, exited } = await spawnServiceProcess('workers/main.ts', processEnv, 'workers ready');
  return { child, metricsUrl: ready.metricsUrl as string, exited };
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export const sampleImage = (format: 'png' | 'jpeg' | 'webp', width = 640, height = 480): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .toFormat(format)
    .toBuffer();

/** A minimal valid PDF; with `size`, padded by a comment line to exactly that many bytes. */
export function samplePdf(size = 0): Buffer {
  const head = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n';
  const tail = 'trailer<</Root 1 0 R>>\n%%EOF\n';
  const padding = size - head.length - tail.length;
  const comment = padding >= 2 ? `%${'x'.repeat(padding - 2)}\n` : '';
  return Buffer.from(head + comment + tail);
}
