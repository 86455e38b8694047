/** A TCP proxy for the fault tests: shut it to take a service away from the code under test, open it to bring it back. */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A TCP proxy to `target` that can be shut and opened again on the same port. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
      for (const socket of [client, upstream]) { this.sockets.add(socket); socket.on('close', () => this.sockets.delete(socket)); socket.on('error', () => undefined); }
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
}
