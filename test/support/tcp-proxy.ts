/** A TCP proxy for fault tests: a service that goes away (every connection cut, new ones refused), hangs, and comes back. */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy to `target` that can be shut, frozen and opened again on the same port. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;
  /** Connections accepted so far. */
  connections = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    this.frozen = false;
    if (this.server !== undefined) return;
    const server = createServer((client) => {
      this.connections++;
      this.track(client);
      if (this.frozen) return;
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
      this.track(upstream);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and cuts the open ones (the close callback would wait for those opened meanwhile). */
  shut(): void {
    this.server?.close();
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops forwarding: every open connection hangs, new ones are accepted and hang too. */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) { socket.unpipe(); socket.pause(); }
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}
