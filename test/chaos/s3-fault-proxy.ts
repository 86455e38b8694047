/**
 * An HTTP proxy in front of an S3 server (MinIO) that answers `503 SlowDown` to every request while a burst
 * is on, as S3 does when it sheds load; otherwise it forwards requests verbatim (SigV4 signs the Host header,
 * so the client is pointed at the proxy and the proxy keeps that header; MinIO accepts it).
 */
import { createServer, request, type Server } from 'node:http';

/** The proxy; `burst(ms)` turns on 503 answers for `ms`. */
export class S3FaultProxy {
  private server: Server | undefined;
  private failUntil = 0;
  /** Requests answered 503 so far. */
  refused = 0;
  /** Requests forwarded so far. */
  forwarded = 0;
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    this.server = createServer((req, res) => {
      if (Date.now() < this.failUntil) {
        this.refused++;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '1' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        return;
      }
      this.forwarded++;
      const upstream = request({ host: this.target.hostname, port: Number(this.target.port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Answers 503 to every request for the next `ms`. */
  burst(ms: number): void {
    this.failUntil = Date.now() + ms;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}
