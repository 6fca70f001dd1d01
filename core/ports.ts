import { createServer } from 'node:net';

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
    });
  });
}

/**
 * A TCP port free on 127.0.0.1: `preferred` when it is free, else one the OS picks. (Another
 * process may take it before the caller binds; callers are local tools and tests.)
 */
export function freePort(preferred = 0): Promise<number> {
  return listenOn(preferred).catch(() => listenOn(0));
}
