/**
 * The real-time ceiling: a bare `ws` broadcast server with nothing in front — no auth, no Redis,
 * no channels, no cursors or buffer checks. The bench sends it frames over IPC and it writes each
 * to every connected socket, as the API's hub does after Redis hands it a message.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
server.on('listening', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message: { frame?: string }) => {
  if (!message.frame) return;
  for (const client of server.clients) client.send(message.frame);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
