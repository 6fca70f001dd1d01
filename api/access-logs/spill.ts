/**
 * The access log's local journal: every entry is appended to a file and fsynced before the
 * verification that produced it is answered, so an answered passage survives any crash of this
 * process and any outage of Postgres. The writer moves entries to Postgres segment by segment and
 * deletes a segment only once all of it is in; a segment found at start (a previous run that
 * stopped before writing it) is replayed the same way. Replays may repeat rows already inserted;
 * each entry carries an id that the insert deduplicates on.
 *
 * Appends are group-committed: everything appended while one write+fdatasync runs goes into the
 * next one, so a burst of verifications costs a few syncs, not one each. One process per directory.
 *
 * A segment this process wrote is also kept in memory (up to `MEMORY_LINES` lines), so moving it to
 * Postgres does not read, split and parse the file it has just written: reading it back cost about
 * a tenth of a verification's CPU. Segments from a previous run, and one that outgrew the memory
 * (Postgres down for a while), are read from disk.
 */
import { createReadStream } from 'node:fs';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DependencyUnavailableError } from '../../core/breaker.js';
import { ConfigError } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

const SEGMENT = /^segment-\d{16}-\d{6}\.jsonl$/;

/** Lines of a segment kept in memory beside its file; past this the file alone holds them (an outage's backlog). */
export const MEMORY_LINES = 50_000;

interface Segment {
  path: string;
  /** Entries in the file (complete lines). */
  entries: number;
  handle?: FileHandle;
  /** Every line of the file, in order, while this process wrote all of them and they fit in its memory bound. */
  lines?: string[];
}

interface PendingWrite {
  lines: string[];
  done: Promise<void>;
}

export class AccessLogSpill {
  private current: Segment | undefined;
  private readonly sealed: Segment[] = [];
  private pendingWrite: PendingWrite | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private sequence = 0;
  private entryCount = 0;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    /** Lines of the segment being written kept in memory too (see `MEMORY_LINES`). */
    private readonly memoryLines = MEMORY_LINES,
  ) {}

  /** Creates the directory and takes over the segments a previous run left behind. */
  async open(): Promise<void> {
    await this.ensureWritableDirectory();
    const leftovers = (await readdir(this.dir)).filter((name) => SEGMENT.test(name)).sort();
    for (const name of leftovers) {
      const segment = { path: join(this.dir, name), entries: 0 };
      for await (const line of this.lines(segment.path)) if (line) segment.entries += 1;
      this.sealed.push(segment);
      this.entryCount += segment.entries;
    }
    if (leftovers.length > 0)
      this.logger.warn(
        { segments: leftovers.length, entries: this.entryCount, dir: this.dir },
        'access log spill from a previous run found; replaying it',
      );
  }

  /**
   * A journal that cannot be written would refuse every verification, so a directory this process
   * may not write stops the start with the variable named. The default (`.data/…` under the working
   * directory) is inside the image's read-only tree: a pod mounts a volume and points the variable at it.
   */
  private async ensureWritableDirectory(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(
        `ACCESS_LOG_SPILL_DIR (${this.dir}) cannot be written by this process (${code}): point it at a writable directory that survives container restarts, e.g. an emptyDir volume (the operator's API pods mount one)`,
      );
    }
  }

  /** Entries on disk that have not been deleted after reaching Postgres. */
  get entries(): number {
    return this.entryCount;
  }

  /** Appends JSON lines durably: resolves once they are written and fdatasynced. */
  append(lines: string[]): Promise<void> {
    let batch = this.pendingWrite;
    if (!batch) {
      const next: PendingWrite = { lines: [], done: Promise.resolve() };
      next.done = this.serially(async () => {
        // Appends arriving from now on join the following write.
        if (this.pendingWrite === next) this.pendingWrite = undefined;
        await this.write(next.lines);
      });
      this.pendingWrite = batch = next;
    }
    batch.lines.push(...lines);
    return batch.done;
  }

  /**
   * Closes the segment being appended to, so it can be moved to Postgres, and returns every closed
   * segment, oldest first. While an older closed segment is still waiting (Postgres is down), the
   * current one stays open, so an outage grows one file rather than making thousands.
   */
  seal(): Promise<readonly string[]> {
    return this.serially(async () => {
      const current = this.current;
      if (current && this.sealed.length === 0) {
        this.current = undefined;
        await current.handle?.close();
        delete current.handle;
        this.sealed.push(current);
      }
      return this.sealed.map((s) => s.path);
    });
  }

  /**
   * Reads a closed segment in batches of its lines, each one JSON value (a torn last line, never
   * acknowledged, is skipped): from memory when this process wrote the whole segment, else from disk.
   */
  async *read(path: string, batchSize: number): AsyncGenerator<string[]> {
    const kept = this.sealed.find((s) => s.path === path)?.lines;
    if (kept) {
      for (let at = 0; at < kept.length; at += batchSize) yield kept.slice(at, at + batchSize);
      return;
    }
    let batch: string[] = [];
    for await (const line of this.lines(path)) {
      if (!line) continue;
      try {
        JSON.parse(line);
      } catch {
        this.logger.error({ path }, 'unreadable line in the access log spill skipped (a write torn by a crash is never acknowledged)');
        continue;
      }
      batch.push(line);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Deletes a closed segment once every entry of it is in Postgres. */
  async remove(path: string): Promise<void> {
    await this.serially(async () => {
      const index = this.sealed.findIndex((s) => s.path === path);
      if (index < 0) return;
      const [segment] = this.sealed.splice(index, 1);
      this.entryCount -= segment?.entries ?? 0;
      await rm(path, { force: true });
    });
  }

  async close(): Promise<void> {
    await this.serially(async () => {
      await this.current?.handle?.close();
      if (this.current) delete this.current.handle;
    });
  }

  private async write(lines: string[]): Promise<void> {
    let segment: Segment | undefined;
    try {
      segment = await this.currentSegment();
      await segment.handle!.write(lines.map((line) => `${line}\n`).join(''));
      await segment.handle!.datasync();
      segment.entries += lines.length;
      this.entryCount += lines.length;
      if (segment.lines && segment.lines.length + lines.length <= this.memoryLines) segment.lines.push(...lines);
      else delete segment.lines;
    } catch (err) {
      // The file may now hold some of these lines after all: from here on only the file is the truth.
      if (segment) delete segment.lines;
      this.logger.error({ err: (err as Error).message, dir: this.dir }, 'access log spill cannot be written');
      // Nothing may be answered as verified without its record: the caller answers 503.
      throw new DependencyUnavailableError('access-log-spill');
    }
  }

  private async currentSegment(): Promise<Segment> {
    if (this.current?.handle) return this.current;
    const name = `segment-${String(Date.now()).padStart(16, '0')}-${String(this.sequence++ % 1_000_000).padStart(6, '0')}.jsonl`;
    const segment: Segment = { path: join(this.dir, name), entries: 0, handle: await open(join(this.dir, name), 'a'), lines: [] };
    // The new file's directory entry must be durable too, or a crash could lose the whole file.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.current = segment;
    return segment;
  }

  private lines(path: string): AsyncIterable<string> {
    return createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  }

  /** Runs file operations one at a time, in call order. */
  private serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
