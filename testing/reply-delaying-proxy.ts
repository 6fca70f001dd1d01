/**
 * A TCP proxy in front of a real server that can hold back the server's replies while still
 * forwarding every request: the fault in which a command runs but its answer arrives after the
 * client's deadline (a congested link, a server stalled just after executing). Held bytes are
 * released in order, so the client's protocol stream stays intact.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class ReplyDelayingProxy {
  private holding = false;
  private readonly held: { client: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(target: { host: string; port: number }): Promise<ReplyDelayingProxy> {
    const proxy = new ReplyDelayingProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the proxy is not listening');
    return `redis://127.0.0.1:${address.port}`;
  }

  /** From now on replies are kept back (requests still reach the server and run). */
  holdReplies(): void {
    this.holding = true;
  }

  /** Delivers every reply kept back, in order, and forwards replies at once again. */
  releaseReplies(): void {
    this.holding = false;
    for (const { client, chunk } of this.held.splice(0)) client.write(chunk);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (this.holding) this.held.push({ client, chunk });
      else client.write(chunk);
    });
  }
}
