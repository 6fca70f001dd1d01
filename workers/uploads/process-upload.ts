/**
 * The `uploads` job: assemble a chunked upload's parts, judge the bytes, store the thumbnail, and
 * move the upload from `queued` to `ready` or `rejected`. Every step may run again after a crash
 * or retry: storage writes overwrite the same keys, and the status change is guarded on `queued`
 * in the same transaction as its audit entry, so the effect happens exactly once.
 */
import type { Knex } from 'knex';
import { auditedAction, type RecordEvent } from '../../domain/audit.js';
import { findUpload, receivedParts, uploadKeys, type UploadRow } from '../../domain/uploads/repository.js';
import type { UploadJobData } from '../../core/queues.js';
import type { WorkerDeps } from '../deps.js';
import { inspectUpload, type Verdict } from './inspect.js';

export type UploadOutcome = { uploadId: string; status: 'ready' | 'rejected'; reason?: string } | { uploadId: string; skipped: string };

/**
 * Concatenates the parts into the original and returns the digest of the whole, computed in the
 * same pass. Parts are deleted only after the upload is decided, so a retried job (status still
 * `queued`) always finds them and simply composes again.
 */
async function assembleParts(deps: WorkerDeps, row: UploadRow): Promise<string> {
  const keys = uploadKeys(row.id);
  const parts = await receivedParts(deps.db.primary, row.id);
  const { sha256 } = await deps.storage.compose(
    keys.original,
    parts.map((p) => keys.part(p.part_number)),
  );
  return sha256;
}

/** Removes what is no longer needed once the upload is decided; repeatable. */
async function cleanUp(deps: WorkerDeps, row: UploadRow): Promise<void> {
  const keys = uploadKeys(row.id);
  await deps.storage.deletePrefix(keys.partsPrefix);
  // Rejected bytes are not kept: they may be hostile, and nobody can use them.
  if (row.status === 'rejected') await deps.storage.delete(keys.original);
}

/** The platform itself decides an upload: no user is its actor. */
const PLATFORM = { id: null };

async function decide(
  trx: Knex.Transaction,
  record: RecordEvent,
  row: UploadRow,
  verdict: Verdict,
  thumbnailKey: string | null,
): Promise<boolean> {
  const common = {
    size: verdict.size ?? null,
    sha256: verdict.sha256 ?? null,
    detected_type: verdict.ok ? verdict.type : (verdict.type ?? null),
  };
  const changes = verdict.ok
    ? {
        ...common,
        status: 'ready',
        reason: null,
        width: verdict.image?.width ?? null,
        height: verdict.image?.height ?? null,
        thumbnail_key: thumbnailKey,
      }
    : { ...common, status: 'rejected', reason: verdict.reason };
  const updated = await trx('uploads')
    .where({ id: row.id, status: 'queued' })
    .update({ ...changes, processed_at: trx.fn.now(), updated_at: trx.fn.now() });
  if (updated === 0) return false;
  await record({
    eventType: verdict.ok ? 'upload.ready' : 'upload.rejected',
    entityType: 'upload',
    entityId: row.id,
    details: verdict.ok ? { type: verdict.type, size: verdict.size } : { reason: verdict.reason, detail: verdict.detail },
  });
  return true;
}

/** Tells the uploader, on whichever API pod they are connected, that the upload was decided. */
function announceUpload(deps: WorkerDeps, row: UploadRow): void {
  if (row.status === 'ready') deps.notify.user(row.owner_id, 'upload.ready', { uploadId: row.id });
  else deps.notify.user(row.owner_id, 'upload.rejected', { uploadId: row.id, reason: row.reason ?? 'unknown' });
}

export async function processUpload(deps: WorkerDeps, data: UploadJobData): Promise<UploadOutcome> {
  const { db, storage, config } = deps;
  const row = await findUpload(db.primary, data.uploadId);
  if (!row) return { uploadId: data.uploadId, skipped: 'no such upload' };
  if (row.status === 'ready' || row.status === 'rejected') {
    await cleanUp(deps, row);
    return { uploadId: row.id, skipped: `already ${row.status}` };
  }
  if (row.status !== 'queued') return { uploadId: row.id, skipped: `upload is ${row.status}` };
  await db.primary('uploads').where({ id: row.id }).increment('attempts', 1);

  const keys = uploadKeys(row.id);
  // A single upload's digest was computed by the API as it stored the bytes; a chunked one's by the compose.
  const storedSha256 = row.kind === 'chunked' ? await assembleParts(deps, row) : row.received_sha256;
  await deps.pauseMidJob();
  const verdict = await inspectUpload(storage, keys.original, {
    declaredSize: row.declared_size,
    maxBytes: row.kind === 'single' ? config.UPLOAD_MAX_BYTES : config.CHUNKED_UPLOAD_MAX_BYTES,
    declaredSha256: row.declared_sha256,
    storedSha256,
    declaredType: row.declared_type,
  });
  const thumbnail =
    verdict.ok && verdict.thumbnail ? await storage.put(keys.thumbnail, verdict.thumbnail).then(() => keys.thumbnail) : null;

  const decidedNow = await auditedAction(db.primary, PLATFORM, (trx, record) => decide(trx, record, row, verdict, thumbnail));
  const decided = (await findUpload(db.primary, row.id))!;
  if (decidedNow) announceUpload(deps, decided);
  await cleanUp(deps, decided);
  return decided.status === 'rejected'
    ? { uploadId: row.id, status: 'rejected', reason: decided.reason ?? 'unknown' }
    : { uploadId: row.id, status: 'ready' };
}

/** After the last attempt failed: the upload cannot be judged, so it is rejected with that reason. */
export async function rejectAfterFailure(deps: WorkerDeps, data: UploadJobData, error: string): Promise<void> {
  const rejected = await auditedAction(deps.db.primary, PLATFORM, async (trx, record) => {
    const updated = await trx('uploads')
      .where({ id: data.uploadId, status: 'queued' })
      .update({ status: 'rejected', reason: 'processing_failed', processed_at: trx.fn.now(), updated_at: trx.fn.now() });
    if (updated)
      await record({
        eventType: 'upload.rejected',
        entityType: 'upload',
        entityId: data.uploadId,
        details: { reason: 'processing_failed', error },
      });
    return updated > 0;
  });
  const row = rejected ? await findUpload(deps.db.primary, data.uploadId) : undefined;
  if (row) announceUpload(deps, row);
}
