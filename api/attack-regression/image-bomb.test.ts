/**
 * Attack: a small upload that declares an enormous image. An interlaced 16000×16000 PNG of one
 * colour compresses to well under 1 MB, yet decoding it took 30 s and 1.25 GB. Through the real
 * API and uploads worker, it must be refused from its header as `image_too_large`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32, createDeflate } from 'node:zlib';
import { call } from '../../testing/api.js';
import { eventually } from '../../testing/eventually.js';
import { useTestEnvironment } from '../../testing/use-test-environment.js';

const EDGE = 16_000;
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid, complete, interlaced RGB PNG of `edge`×`edge` black pixels, compressed as a stream. */
async function interlacedBlackPng(edge: number): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(edge, 0);
  header.writeUInt32BE(edge, 4);
  header.set([8, 2, 0, 0, 1], 8); // 8-bit, truecolour, deflate, adaptive filtering, Adam7
  const deflate = createDeflate({ level: 9 });
  const compressed: Buffer[] = [];
  deflate.on('data', (c: Buffer) => compressed.push(c));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (const [xs, ys, dx, dy] of ADAM7) {
    const width = Math.ceil((edge - xs) / dx);
    const rows = Math.ceil((edge - ys) / dy);
    const row = Buffer.alloc(1 + width * 3); // filter byte 0, then zeros
    for (let y = 0; y < rows; y++) if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', Buffer.concat(compressed)), chunk('IEND', Buffer.alloc(0))]);
}

describe('attack: decompression bomb image', () => {
  const world = useTestEnvironment('atk-image', { env: { WORKER_QUEUES: 'uploads' }, workers: true, tokens: ['student'] });

  it('refuses a 16000×16000 interlaced PNG from its header, without decoding it', async () => {
    const png = await interlacedBlackPng(EDGE);
    assert.ok(png.length < 1024 * 1024, `the bomb is ${png.length} bytes`);
    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'bomb.png');
    const res = await fetch(`${world.api.url}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.token('student')}` },
      body: form,
    });
    assert.equal(res.status, 202);
    const { id } = ((await res.json()) as { data: { id: string } }).data;
    const settled = await eventually(async () => {
      const status = await call(world.api.url, 'GET', `/uploads/${id}`, { token: world.token('student') });
      return ['ready', 'rejected'].includes(status.body.data.status) ? status.body.data : undefined;
    }, 'the upload to be decided');
    assert.equal(settled.status, 'rejected');
    assert.equal(settled.reason, 'image_too_large');
  });
});
