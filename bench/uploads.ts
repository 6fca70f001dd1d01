/**
 * Uploads benchmark: 50 concurrent 5 MB uploads end to end (HTTP multipart upload, storage,
 * queue, worker: type, checksum, thumbnail for images, status `ready`), timed per upload from the
 * first byte sent to the moment its row says ready, and as aggregate MB/s. Beside it, in the same
 * run, the ceiling: the same bytes written by 50 concurrent raw writes to the same storage,
 * alternated with the rounds of uploads (BENCH_UPLOADS_ROUNDS, default 3). BENCH_UPLOADS_TYPES
 * picks the kinds (default `PDF,PDF-PARTS,JPEG`): PDFs as multipart forms, the same PDFs as a
 * chunked upload's raw-body parts (for clients that can send them), JPEGs (thumbnails).
 *
 * The API and the workers each run in their own process, as pods do; this process only sends
 * the uploads and watches their rows (one query for all of them every POLL_MS). Each upload's time
 * is split where it goes: sent → 202 (the body's transfer, multipart parsing, digest, storage
 * write, row and enqueue), 202 → picked up by a worker (queue wait), picked up → ready (the
 * worker's read, digest, type check, thumbnail and decision). Runs on a fresh database and key
 * prefix; `tsx bench/uploads.ts` runs it alone.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import type { Knex } from 'knex';
import { createObjectStorage } from '../core/object-storage-config.js';
import { loadConfig } from '../core/config.js';
import { THROUGHPUT_TARGETS } from '../core/sla.js';
import { createTestEnvironment } from '../testing/api.js';
import { spawnApiProcess } from '../testing/api-process.js';
import { samplePdf, sampleImage, sha256, spawnWorkerProcess } from '../testing/worker-process.js';
import { cpuMs } from './api-process.js';
import { percentile, type BenchContext, type BenchRow } from './harness.js';

const MB = 1024 * 1024;
const POLL_MS = 20;
/** Production code paths (`test` checks every reply against its schema, which production never does). */
const NODE_ENV = 'development';

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
 * POSTs one file as a multipart form with node:http, its bytes written as they are (the form's
 * head, the file, the closing boundary): a client that costs next to nothing. `fetch` with a
 * FormData Blob spent 1.7 s of CPU on 50 × 5 MB — twice the API's — on a machine whose two cores
 * the API and the worker share with it, so the client's own work was most of what was measured.
 */
function postMultipart(
  url: string,
  token: string,
  bytes: Buffer,
  type: string,
  filename: string,
): Promise<{ status: number; body: string }> {
  const boundary = `bench${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers = { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` };
  return send(url, 'POST', headers, [head, bytes, tail]);
}

/** One request with node:http, the body's pieces written as they are (no copy); the answer's status and text. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
): Promise<{ status: number; body: string }> {
  const pieces = Buffer.isBuffer(body) ? [body] : body;
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

/**
 * Sends one file the way a client that can send raw bytes would: `POST /uploads/chunked` (its
 * name, size and SHA-256), each part as an `application/octet-stream` body to
 * `PUT /uploads/:id/parts/:n`, then `POST /uploads/:id/complete`, whose 202 is the "accepted".
 * No multipart form for the API to parse; the worker then composes the parts into the object.
 */
async function sendAsParts(apiUrl: string, token: string, file: UploadFile, filename: string): Promise<{ status: number; body: string }> {
  const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const init = await send(
    `${apiUrl}/uploads/chunked`,
    'POST',
    json,
    Buffer.from(JSON.stringify({ filename, contentType: file.type, size: file.bytes.length, checksum: file.sha256 })),
  );
  if (init.status !== 201) return init;
  const { id, partSize, partCount } = (JSON.parse(init.body) as { data: { id: string; partSize: number; partCount: number } }).data;
  for (let part = 1; part <= partCount; part++) {
    const bytes = file.bytes.subarray((part - 1) * partSize, part * partSize);
    const sent = await send(
      `${apiUrl}/uploads/${id}/parts/${part}`,
      'PUT',
      { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      bytes,
    );
    if (sent.status !== 200) return sent;
  }
  return send(`${apiUrl}/uploads/${id}/complete`, 'POST', json, Buffer.from('{}'));
}

interface UploadFile {
  bytes: Buffer;
  type: string;
  sha256: string;
  /** `multipart`: one `POST /uploads` form; `parts`: the chunked upload's raw-body parts. */
  form: 'multipart' | 'parts';
}

interface UploadTiming {
  id: string;
  sentAt: number;
  acceptedAt: number;
  readyAt?: number;
}

/** The rows still waiting, polled together until every one is ready (or one is rejected). */
async function waitUntilReady(knex: Knex, timings: UploadTiming[], started: Promise<unknown>, deadlineMs = 300_000): Promise<void> {
  let sending = true;
  void started.finally(() => (sending = false));
  const deadline = performance.now() + deadlineMs;
  while (sending || timings.some((t) => t.readyAt === undefined)) {
    if (performance.now() > deadline) throw new Error('uploads did not settle in time');
    const waiting = timings.filter((t) => t.readyAt === undefined);
    if (waiting.length > 0) {
      const rows = (await knex('uploads')
        .whereIn(
          'id',
          waiting.map((t) => t.id),
        )
        .select('id', 'status', 'reason')) as { id: string; status: string; reason: string | null }[];
      const now = performance.now();
      for (const row of rows) {
        if (row.status === 'rejected') throw new Error(`upload rejected: ${row.reason}`);
        if (row.status === 'ready') waiting.find((t) => t.id === row.id)!.readyAt = now;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** When each upload's job was taken by a worker and finished (BullMQ's own timestamps, epoch ms). */
async function jobTimes(
  redisUrl: string,
  prefix: string,
  ids: string[],
): Promise<Map<string, { processedOn: number; finishedOn: number }>> {
  const { createRedis, closeRedis } = await import('../core/redis.js');
  const { bullPrefix, jobIdFor } = await import('../core/queues.js');
  const { Queue } = await import('bullmq');
  const redis = createRedis({ url: redisUrl, maxRetriesPerRequest: null });
  const queue = new Queue('uploads', { prefix: bullPrefix(prefix), connection: redis });
  try {
    const times = new Map<string, { processedOn: number; finishedOn: number }>();
    for (const id of ids) {
      const job = await queue.getJob(jobIdFor('uploads', id));
      if (job?.processedOn && job.finishedOn) times.set(id, { processedOn: job.processedOn, finishedOn: job.finishedOn });
    }
    return times;
  } finally {
    await queue.close();
    await closeRedis(redis);
  }
}

interface Processes {
  apiPid: number | undefined;
  workersPid: number | undefined;
}

/** One round: `concurrency` uploads of `bytes` sent at once, each timed until its row says ready. */
async function uploadRound(
  env: Awaited<ReturnType<typeof createTestEnvironment>>,
  apiUrl: string,
  processes: Processes,
  token: string,
  file: UploadFile,
  concurrency: number,
) {
  const timings: UploadTiming[] = [];
  const cpuBefore = {
    api: cpuMs(processes.apiPid),
    eventLoop: cpuMs(processes.apiPid, processes.apiPid),
    workers: cpuMs(processes.workersPid),
    clients: process.cpuUsage(),
  };
  const started = performance.now();
  const epochAtStart = Date.now();
  const sending = Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const sentAt = performance.now();
      const res =
        file.form === 'parts'
          ? await sendAsParts(apiUrl, token, file, `file-${i}.pdf`)
          : await postMultipart(`${apiUrl}/uploads`, token, file.bytes, file.type, `file-${i}`);
      if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${res.body}`);
      timings.push({ id: (JSON.parse(res.body) as { data: { id: string } }).data.id, sentAt, acceptedAt: performance.now() });
    }),
  );
  // Watched from the start, so an upload ready before the last 202 is timed when it was ready.
  const ready = waitUntilReady(env.knex, timings, sending);
  ready.catch(() => undefined);
  await sending;
  const cpuWhileSending = {
    api: (cpuMs(processes.apiPid) ?? 0) - (cpuBefore.api ?? 0),
    eventLoop: (cpuMs(processes.apiPid, processes.apiPid) ?? 0) - (cpuBefore.eventLoop ?? 0),
    clients: process.cpuUsage(cpuBefore.clients),
    wall: performance.now() - started,
  };
  await ready;
  const wallSeconds = (performance.now() - started) / 1000;
  const workersCpu = (cpuMs(processes.workersPid) ?? 0) - (cpuBefore.workers ?? 0);
  // BullMQ stamps jobs in epoch ms; this run's performance.now() maps onto it through epochAtStart.
  const jobs = await jobTimes(
    env.env.REDIS_URL!,
    env.env.REDIS_KEY_PREFIX!,
    timings.map((t) => t.id),
  );
  const onBenchClock = (epochMs: number) => started + (epochMs - epochAtStart);
  const queueWait = timings.flatMap((t) => (jobs.has(t.id) ? [onBenchClock(jobs.get(t.id)!.processedOn) - t.acceptedAt] : []));
  const working = timings.flatMap((t) => (jobs.has(t.id) ? [jobs.get(t.id)!.finishedOn - jobs.get(t.id)!.processedOn] : []));
  const p95 = (sample: number[]) => latencies(sample).p95;
  const accepted = timings.map((t) => t.acceptedAt - t.sentAt);
  const megabytes = (concurrency * file.bytes.length) / MB;
  const breakdown =
    `sent → 202 p50/p95 ${latencies(accepted).p50}/${p95(accepted)} ms, ` +
    `202 → picked up by a worker p95 ${p95(queueWait)} ms, worker p50/p95 ${latencies(working).p50}/${p95(working)} ms, ` +
    `last 202 at ${round(cpuWhileSending.wall, 0)} ms; CPU while sending: API ${round(cpuWhileSending.api, 0)} ms ` +
    `(${round(cpuWhileSending.api / megabytes, 2)} ms/MB; its event loop ${round(cpuWhileSending.eventLoop / megabytes, 2)} ms/MB), ` +
    `this process (clients) ${round((cpuWhileSending.clients.user + cpuWhileSending.clients.system) / 1000, 0)} ms; ` +
    `workers CPU ${round(workersCpu, 0)} ms in all`;
  const endToEnd = timings.map((t) => (t.readyAt ?? Number.NaN) - t.sentAt);
  return { endToEnd, mbps: (concurrency * file.bytes.length) / MB / wallSeconds, wallSeconds, breakdown };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Rounds of uploads per file type (BENCH_UPLOADS_ROUNDS), each between two raw writes of the same bytes. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_UPLOADS_ROUNDS ?? 3));

/**
 * The rows: requests per second are uploads per second, the ceiling's are raw writes per second
 * of the same bytes, so their ratio is the MB/s ratio (MB/s figures are in the notes).
 *
 * The raw write swung 50-314 MB/s between runs on this shared machine (the page cache and the
 * disk are shared with other work), so one raw write beside one round compared little. Now the
 * raw writes and the rounds alternate (raw, round 1, raw, round 2, …, raw) and each round is held
 * against the mean of the raw writes just before and just after it; each round's uploads are
 * deleted before the next raw write, so every write starts from the same storage. The raw write is
 * the store's own `put` of the same buffer (temporary file, digest, rename, no fsync: exactly what
 * an upload's bytes go through, without HTTP, multipart and the queue).
 */
export async function benchUploads(ctx?: Pick<BenchContext, 'log'>, options: UploadBenchOptions = {}): Promise<BenchRow[]> {
  const concurrency = options.concurrency ?? THROUGHPUT_TARGETS.concurrentUploads;
  const sizeBytes = options.sizeBytes ?? THROUGHPUT_TARGETS.uploadSizeBytes;
  const env = await createTestEnvironment('bench-uploads');
  Object.assign(env.env, { WORKER_QUEUES: 'uploads' });
  // UPLOADS_CPU_PROFILE_DIR: the API writes a V8 CPU profile there when it stops (bench/cpuprofile.ts folds it).
  const profileDir = process.env.UPLOADS_CPU_PROFILE_DIR;
  const api = await spawnApiProcess(env.env, { NODE_ENV }, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  const workers = await spawnWorkerProcess(env.env, { NODE_ENV });
  const processes = { apiPid: api.child.pid, workersPid: workers.child.pid };
  const token = await env.tokenFor('student');
  const storage = createObjectStorage(loadConfig({ ...env.env }));
  const rows: BenchRow[] = [];
  try {
    const types = (process.env.BENCH_UPLOADS_TYPES ?? 'PDF,PDF-PARTS,JPEG').toUpperCase().split(',');
    const pdf = samplePdf(sizeBytes);
    const files: [string, UploadFile][] = [];
    const file = (bytes: Buffer, type: string, form: UploadFile['form']): UploadFile => ({ bytes, type, form, sha256: sha256(bytes) });
    if (types.includes('PDF')) files.push(['PDF', file(pdf, 'application/pdf', 'multipart')]);
    if (types.includes('PDF-PARTS')) files.push(['PDF as raw-body parts', file(pdf, 'application/pdf', 'parts')]);
    if (types.includes('JPEG')) files.push(['JPEG', file(await largeJpeg(sizeBytes), 'image/jpeg', 'multipart')]);
    for (const [label, upload] of files) {
      const { bytes } = upload;
      const raw = [await rawWriteCeiling(storage, bytes, concurrency)];
      const rounds: (Awaited<ReturnType<typeof uploadRound>> & { ratio: number; load: number })[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const result = await uploadRound(env, api.url, processes, token, upload, concurrency);
        const load = loadavg()[0] ?? 0;
        await storage.deletePrefix('uploads');
        raw.push(await rawWriteCeiling(storage, bytes, concurrency));
        const ratio = result.mbps / ((raw[i]!.mbps + raw[i + 1]!.mbps) / 2);
        rounds.push({ ...result, ratio, load });
        const endToEnd = latencies(result.endToEnd);
        ctx?.log(
          `uploads ${label} round ${i + 1}: sent → ready p50/p95 ${endToEnd.p50}/${endToEnd.p95} ms, ${round(result.mbps)} MB/s end to end, ` +
            `raw write before/after ${round(raw[i]!.mbps)}/${round(raw[i + 1]!.mbps)} MB/s (${round(100 * ratio, 0)} %), ` +
            `its CPU ${round(raw[i]!.cpuMsPerMb, 2)}/${round(raw[i + 1]!.cpuMsPerMb, 2)} ms/MB; ${result.breakdown}; load ${load.toFixed(1)}`,
        );
      }
      const pooled = latencies(rounds.flatMap((r) => r.endToEnd));
      const perRound = rounds
        .map(
          (r, i) =>
            `round ${i + 1}: p95 ${latencies(r.endToEnd).p95} ms, ${round(r.mbps)} MB/s vs raw ${round(raw[i]!.mbps)}/${round(raw[i + 1]!.mbps)} (${round(100 * r.ratio, 0)} %), load ${r.load.toFixed(1)}`,
        )
        .join('; ');
      rows.push({
        name: `uploads: ${concurrency} concurrent ${label} of ${round(bytes.length / MB, 2)} MB, end to end (sent → ready), ${ROUNDS} rounds pooled`,
        rps: round(median(rounds.map((r) => concurrency / r.wallSeconds)), 2),
        ...pooled,
        errors: 0,
        ceilingName: 'raw write of the same bytes (the store’s put), same concurrency, alternated with the rounds',
        ceilingRps: round(median(raw.map((r) => r.writesPerSecond)), 2),
        notes:
          `median ${round(median(rounds.map((r) => r.mbps)))} MB/s aggregate, median ratio to the raw writes around each round ${round(100 * median(rounds.map((r) => r.ratio)), 0)} %; ` +
          `raw write CPU median ${round(median(raw.map((r) => r.cpuMsPerMb)), 2)} ms/MB; ${perRound}; last round: ${rounds.at(-1)!.breakdown}`,
      });
    }
  } finally {
    await Promise.allSettled([api.stop(), workers.child.kill('SIGTERM') && workers.exited]);
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
  const started = performance.now();
  // This process's CPU (the store's hashing and copying, its write calls' thread pool): what the
  // same bytes cost without HTTP, multipart and the queue, to set beside the API's CPU per MB.
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => storage.put(`bench-ceiling/${i}`, bytes)));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await storage.deletePrefix('bench-ceiling');
  const megabytes = (concurrency * bytes.length) / MB;
  return { mbps: megabytes / seconds, writesPerSecond: concurrency / seconds, cpuMsPerMb: (cpu.user + cpu.system) / 1000 / megabytes };
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
