/**
 * Uploads benchmark: 50 concurrent 5 MB uploads end to end (HTTP multipart upload, storage,
 * queue, worker: type, checksum, thumbnail for images, status `ready`), timed per upload from the
 * first byte sent to the moment `GET /uploads/:id` says ready, and as aggregate MB/s. Beside it,
 * in the same run, the ceiling: the same bytes written by 50 concurrent raw writes to the same
 * storage. Runs on a fresh database and key prefix; `tsx bench/uploads.ts` runs it alone.
 */
import { rm } from 'node:fs/promises';
import { THROUGHPUT_TARGETS } from '../core/sla.js';
import { createTestEnvironment } from '../testing/api.js';
import { eventually } from '../testing/eventually.js';
import { samplePdf, sampleImage, startTestWorkers } from '../testing/worker-process.js';
import { percentile, type BenchContext, type BenchRow } from './harness.js';

const MB = 1024 * 1024;

export interface UploadBenchOptions {
  concurrency?: number;
  sizeBytes?: number;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

function latencies(sample: number[]): Pick<BenchRow, 'p50' | 'p95' | 'p99'> {
  const sorted = [...sample].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)) };
}

/** A JPEG of random noise (incompressible, so it stays large) padded with a comment-free tail to the size. */
async function largeJpeg(sizeBytes: number): Promise<Buffer> {
  const side = 1400;
  const noise = Buffer.alloc(side * side * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  const { default: sharp } = await import('sharp');
  const jpeg = await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 100 })
    .toBuffer();
  return jpeg.length > sizeBytes ? await sampleImage('jpeg', 1024, 1024) : jpeg;
}

/**
 * The rows: requests per second are uploads per second, the ceiling's are raw writes per second
 * of the same bytes, so their ratio is the MB/s ratio (MB/s figures are in the notes).
 */
export async function benchUploads(ctx?: Pick<BenchContext, 'log'>, options: UploadBenchOptions = {}): Promise<BenchRow[]> {
  const concurrency = options.concurrency ?? THROUGHPUT_TARGETS.concurrentUploads;
  const sizeBytes = options.sizeBytes ?? THROUGHPUT_TARGETS.uploadSizeBytes;
  const env = await createTestEnvironment('bench-uploads');
  Object.assign(env.env, { WORKER_QUEUES: 'uploads', LOG_LEVEL: 'silent' });
  const api = await env.start();
  const workers = await startTestWorkers(env.env);
  const token = await env.tokenFor('student');
  const rows: BenchRow[] = [];
  try {
    const files: [string, Buffer, string][] = [
      ['PDF', samplePdf(sizeBytes), 'application/pdf'],
      ['JPEG', await largeJpeg(sizeBytes), 'image/jpeg'],
    ];
    for (const [label, bytes, type] of files) {
      const accepted: number[] = [];
      const endToEnd: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, i) => {
          const t0 = performance.now();
          const form = new FormData();
          form.append('file', new Blob([bytes], { type }), `file-${i}`);
          const res = await fetch(`${api.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
          const body = (await res.json()) as { data: { id: string } };
          if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(body)}`);
          accepted.push(performance.now() - t0);
          await eventually(
            async () => {
              const row = (await env.knex('uploads').where({ id: body.data.id }).first('status', 'reason')) as {
                status: string;
                reason: string | null;
              };
              if (row.status === 'rejected') throw new Error(`upload rejected: ${row.reason}`);
              return row.status === 'ready' ? true : undefined;
            },
            'the upload to settle',
            300_000,
          );
          endToEnd.push(performance.now() - t0);
        }),
      );
      const wallSeconds = (performance.now() - started) / 1000;
      const ceiling = await rawWriteCeiling(api.deps.storage, bytes, concurrency);
      const mb = round(bytes.length / MB, 2);
      const mbps = (concurrency * bytes.length) / MB / wallSeconds;
      ctx?.log(`uploads ${label}: ${round(mbps)} MB/s end to end, raw write ${round(ceiling.mbps)} MB/s`);
      rows.push({
        name: `uploads: ${concurrency} concurrent ${label} of ${mb} MB, end to end (sent → ready)`,
        rps: round(concurrency / wallSeconds, 2),
        ...latencies(endToEnd),
        errors: 0,
        ceilingName: 'raw storage write of the same bytes, same concurrency',
        ceilingRps: round(ceiling.writesPerSecond, 2),
        notes: `${round(mbps)} MB/s aggregate vs ${round(ceiling.mbps)} MB/s raw write; HTTP 202 p95 ${latencies(accepted).p95} ms`,
      });
    }
  } finally {
    await workers.stop();
    await env.teardown();
    await rm(env.env.STORAGE_DIR!, { recursive: true, force: true });
  }
  return rows;
}

async function rawWriteCeiling(
  storage: { put(key: string, body: Buffer): Promise<unknown>; deletePrefix(prefix: string): Promise<void> },
  bytes: Buffer,
  concurrency: number,
) {
  const times: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const t0 = performance.now();
      await storage.put(`bench-ceiling/${i}`, bytes);
      times.push(performance.now() - t0);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await storage.deletePrefix('bench-ceiling');
  return { mbps: (concurrency * bytes.length) / MB / seconds, writesPerSecond: concurrency / seconds, p95: latencies(times).p95 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchUploads({ log: (m) => console.log(m) }).then(
    (rows) => console.table(rows),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
