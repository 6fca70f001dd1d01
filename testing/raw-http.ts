/**
 * HTTP/1.1 over a bare TCP socket, for requests no well-behaved client sends: bodies shorter than
 * their Content-Length, connections dropped mid-body, headers trickled byte by byte.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** The status code, or undefined when the server closed the connection without answering. */
  status: number | undefined;
  text: string;
}

/** Opens a connection to an `http://host:port` URL. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection (or `deadlineMs` passes). */
export function readUntilClosed(socket: Socket, deadlineMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', done);
  });
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body`, then either waits
 * for the answer (`then: 'wait'`) or drops the connection at once (`then: 'drop'`).
 */
export async function sendRaw(url: string, head: string, body: Buffer | string, then: 'wait' | 'drop' = 'wait'): Promise<RawResponse> {
  const socket = await openSocket(url);
  const response = readUntilClosed(socket);
  socket.write(`${head}\r\n\r\n`);
  socket.write(body);
  if (then === 'drop') socket.destroy();
  return response;
}
