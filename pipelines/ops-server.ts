/**
 * The operating endpoints of a long-running command, on `--metrics-port`: `GET /metrics` (Prometheus text),
 * `GET /healthz` (200 while the process runs its command) and `GET /readyz` (200 when every readiness check
 * passes, else 503; the body says per check `ok` or why not). Checks run in parallel, each within
 * {@link CHECK_TIMEOUT_MS}; one that does not answer in time counts as not ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConnectorError } from '../schemas/errors.js';

/** One readiness condition: resolves to undefined when met, else to the reason it is not (or rejects). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<string | undefined>;
}

/** Longest a readiness check may take, ms. */
export const CHECK_TIMEOUT_MS = 2_000;

/** A running ops server. */
export interface OpsServer {
  /** `http://host:port`. */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** What {@link startOpsServer} needs. */
export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** The readiness checks at the time of the request (a command adds its own as it starts). */
  readonly checks: () => readonly ReadinessCheck[];
}

/** Runs every check; `ok` per met check, else its reason. */
export async function readiness(checks: readonly ReadinessCheck[]): Promise<{ ready: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(checks.map(async (c): Promise<[string, string]> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS); });
    try {
      const reason = await Promise.race([c.check(), timeout]);
      return [c.name, reason ?? 'ok'];
    } catch (error) {
      return [c.name, error instanceof Error ? error.message.split('\n')[0] : String(error)];
    } finally {
      clearTimeout(timer);
    }
  }));
  return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}

async function answer(options: OpsServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
  } else if (path === '/metrics') {
    const text = await options.registry.metrics();
    response.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
  } else if (path === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"alive":true}\n');
  } else if (path === '/readyz') {
    const result = await readiness(options.checks());
    response.writeHead(result.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(result) + '\n');
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('/metrics, /healthz, /readyz\n');
  }
}

/** Starts the server; rejects when the port cannot be bound. */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((request, response) => {
    answer(options, request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ConnectorError(`metrics server: cannot listen on ${options.host}:${options.port}: ${error.message}`, { service: 'metrics' }, { retriable: false, cause: error })));
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
