/**
 * Attack: a multipart body on POST /uploads that stops short (or whose sender hangs up) used to
 * raise an unhandled `error` on busboy's file stream and end the whole API process. Sent over a
 * raw socket to a real API process: each variant is refused, nothing is left in storage, and the
 * process keeps serving.
 */
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { call, createTestEnvironment, type TestEnvironment } from '../../testing/api.js';
import { spawnApiProcess, type ApiProcess } from '../../testing/api-process.js';
import { eventually } from '../../testing/eventually.js';
import { sendRaw } from '../../testing/raw-http.js';

const BOUNDARY = 'attack-boundary';

function filePart(field: string, bytes: string): string {
  return `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${field}"; filename="card.png"\r\ncontent-type: image/png\r\n\r\n${bytes}`;
}

/** Every file under the storage directory, at any depth (partial and temporary ones included). */
async function storedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe('attack: truncated upload bodies', () => {
  let env: TestEnvironment;
  let api: ApiProcess;
  let token: string;

  before(async () => {
    env = await createTestEnvironment('atk-upload');
    api = await spawnApiProcess(env.env);
    const student = await env.createUser('student');
    token = (await env.login(student.email)).token;
  });
  after(async () => {
    await api?.stop();
    await env.teardown();
    await rm(env.env.STORAGE_DIR!, { recursive: true, force: true });
  });

  function multipartHead(length: number, path = '/uploads'): string {
    return [
      `POST ${path} HTTP/1.1`,
      'host: 127.0.0.1',
      `authorization: Bearer ${token}`,
      `content-type: multipart/form-data; boundary=${BOUNDARY}`,
      `content-length: ${length}`,
      'connection: close',
    ].join('\r\n');
  }

  async function assertStillServing(): Promise<void> {
    assert.equal(api.child.exitCode, null, `the API process died: ${api.stderr()}`);
    assert.equal((await call(api.url, 'GET', '/health')).status, 200);
    assert.doesNotMatch(api.stderr(), /Unhandled 'error' event/);
  }

  it('answers 400 to a form that ends inside the file, and keeps serving', async () => {
    const body = filePart('file', 'A'.repeat(1000));
    const res = await sendRaw(api.url, multipartHead(body.length), body);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /"code":"(BAD_REQUEST|BODY_INCOMPLETE)"/);
    await assertStillServing();
  });

  it('answers 400 to a form that ends inside a second, ignored file part', async () => {
    const body = `${filePart('file', 'B'.repeat(200))}\r\n${filePart('other', 'C'.repeat(500))}`;
    const res = await sendRaw(api.url, multipartHead(body.length), body);
    assert.equal(res.status, 400, res.text);
    await assertStillServing();
  });

  it('survives a sender that hangs up in the middle of the form', async () => {
    const body = filePart('file', 'D'.repeat(64 * 1024));
    await sendRaw(api.url, multipartHead(body.length * 4), body, 'drop');
    await assertStillServing();
  });

  it('survives a chunked-upload part cut off mid-body, and keeps no part of it', async () => {
    const init = await call(api.url, 'POST', '/uploads/chunked', {
      token,
      body: { filename: 'big.pdf', size: 6 * 1024 * 1024, checksum: 'a'.repeat(64) },
    });
    assert.equal(init.status, 201, JSON.stringify(init.body));
    const id = init.body.data.id as string;
    const head = [
      `PUT /uploads/${id}/parts/1 HTTP/1.1`,
      'host: 127.0.0.1',
      `authorization: Bearer ${token}`,
      'content-type: application/octet-stream',
      `content-length: ${init.body.data.partSize}`,
      'connection: close',
    ].join('\r\n');
    await sendRaw(api.url, head, Buffer.alloc(100 * 1024, 7), 'drop');
    await assertStillServing();
    const status = await call(api.url, 'GET', `/uploads/${id}`, { token });
    assert.deepEqual(status.body.data.receivedParts, []);
  });

  it('leaves no partial or temporary file behind', async () => {
    const dir = env.env.STORAGE_DIR!;
    await eventually(
      async () => (await storedFiles(dir)).length === 0,
      `storage to hold no file (it holds ${(await storedFiles(dir)).join(', ')})`,
    );
    await assertStillServing();
  });
});
