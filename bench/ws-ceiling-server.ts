/**
 * The real-time ceiling: a bare `ws` broadcast server with nothing in front — no auth, no Redis,
 * no channels, no cursors or buffer checks. The bench sends it frames over IPC and it writes each
 * to every socket connected at `/feed`, as the API's hub does after Redis hands it a message;
 * sockets at any other path are only held (the idle connections of a pod).
 */
import { WebSocketServer, type WebSocket } from 'ws';

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
const feed = new Set<WebSocket>();
server.on('connection', (ws, request) => {
  if (request.url !== '/feed') return;
  feed.add(ws);
  ws.once('close', () => feed.delete(ws));
});
server.on('listening', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message: { frame?: string }) => {
  if (!message.frame) return;
  // Encoded once for every socket, as the API's hub does.
  const bytes = Buffer.from(message.frame);
  for (const client of feed) client.send(bytes, { binary: false });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
