/**
 * What the serve integration tests share: a scalar probe of a test database in ClickHouse, dropped afterwards,
 * a consumer group's committed offset, and a TCP proxy in front of ClickHouse that can be shut, frozen and
 * opened again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { createKafka } from '../../connectors/kafka/config.js';
import type { ClickHouseEndpoint, KafkaEndpoint } from '../support/services.js';

/** A function returning the `n` of a one-row query (−1 while the tables do not exist yet); the database is dropped after the test. */
export async function clickhouseScalar(t: TestContext, clickhouse: ClickHouseEndpoint, database: string): Promise<(sql: string) => Promise<number>> {
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
  });
  return async (sql) => {
    try {
      return Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
    } catch {
      return -1;
    }
  };
}


/** The offset `group` committed for partition 0 of `topic` ('-1': none). */
export async function committedOffset(kafka: KafkaEndpoint, group: string, topic: string): Promise<string> {
  const admin = createKafka({ brokers: kafka.brokers }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return entry?.partitions.find((p) => p.partition === 0)?.offset ?? '-1';
  } finally {
    await admin.disconnect();
  }
}

/**
 * A TCP proxy to `target` on a port that stays the same: open (forwarding), shut (new connections refused, open
 * ones cut) or frozen (connections accepted, open ones kept, nothing forwarded either way: a server that
 * never answers).
 */
export class Proxy {
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
