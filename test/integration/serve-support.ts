/**
 * What the serve integration tests share: a scalar probe of a test database in ClickHouse, dropped afterwards,
 * and a consumer group's committed offset.
 */
import type { TestContext } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouseClient } from '../../connectors/clickhouse/config.js';
import { createKafka } from '../../connectors/kafka/config.js';
import type { ClickHouseEndpoint, KafkaEndpoint } from '../support/services.js';

/** A client for a test's own ClickHouse database: the database is dropped and the client closed after the test. */
export async function clickhouseTestClient(t: TestContext, clickhouse: ClickHouseEndpoint, database: string): Promise<ClickHouseClient> {
  const client = await createClickHouseClient({ url: clickhouse.url, username: clickhouse.username, password: clickhouse.password });
  t.after(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await client.close();
  });
  return client;
}

/** A function returning the `n` of a one-row query (−1 while the tables do not exist yet); the database is dropped after the test. */
export async function clickhouseScalar(t: TestContext, clickhouse: ClickHouseEndpoint, database: string): Promise<(sql: string) => Promise<number>> {
  const client = await clickhouseTestClient(t, clickhouse, database);
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

