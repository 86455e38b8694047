/**
 * Where the integration tests find real services, in this order:
 *  1. explicit endpoints in the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL (+ USER/PASSWORD),
 *     S3_ENDPOINT + AWS_*) — test/run.sh exports these after starting infra/local when nothing else is given;
 *  2. testcontainers, when a Docker engine answers (a developer's laptop);
 *  3. otherwise the service is missing: under CI (`CI=true`) that is a failure naming the service, elsewhere the
 *     caller skips with the returned reason.
 * Every endpoint is probed once per process, so a stopped service fails fast with its name and address.
 */
import { Socket } from 'node:net';

export interface KafkaEndpoint { readonly brokers: string[] }
export interface RegistryEndpoint { readonly url: string }
export interface ClickHouseEndpoint { readonly url: string; readonly username: string; readonly password: string }
export interface S3Endpoint {
  readonly endpoint: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string;
}

/** Thrown when a service the tests need is not reachable; the message names it and where it was looked for. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}

type ServiceName = 'Kafka' | 'Schema Registry' | 'ClickHouse' | 'S3';
const env = process.env;
const required = env.CI === 'true' || env.REQUIRE_INFRA === '1';

/** Whether a missing service or tool must fail a test instead of skipping it (CI=true or REQUIRE_INFRA=1). */
export function servicesRequired(): boolean {
  return required;
}

function tcpProbe(host: string, port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const done = (error?: Error): void => { socket.destroy(); if (error) reject(error); else resolve(); };
    socket.setTimeout(timeoutMs, () => done(new Error(`timed out after ${timeoutMs} ms`)));
    socket.once('error', done);
    socket.connect(port, host, () => done());
  });
}

async function httpProbe(url: string, timeoutMs = 5000): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
}

async function probe(name: ServiceName, variable: string, where: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    throw new ServiceUnavailableError(
      `${name} is not reachable at ${where} (${variable}): ${(error as Error).message}. ` +
        'Start it with `npx lakehouse infra up` or unset the variable to let test/run.sh provision it.',
    );
  }
}

let dockerAnswer: Promise<boolean> | undefined;
/** True when a container runtime answers (never true on the Docker-less CI machines). */
export function dockerAvailable(): Promise<boolean> {
  dockerAnswer ??= (async () => {
    if (env.TESTCONTAINERS_DISABLED === '1') return false;
    try {
      const tc = await import('testcontainers');
      await tc.getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return dockerAnswer;
}

async function missing(name: ServiceName, variable: string): Promise<undefined> {
  const message = `${name} is not configured: set ${variable}, run \`npx lakehouse infra up\` and export \`npx lakehouse infra env\`, or provide a Docker engine`;
  if (required) throw new ServiceUnavailableError(message);
  return undefined;
}

const cache = new Map<ServiceName, Promise<unknown>>();
function once<T>(name: ServiceName, resolveService: () => Promise<T | undefined>): Promise<T | undefined> {
  if (!cache.has(name)) cache.set(name, resolveService());
  return cache.get(name) as Promise<T | undefined>;
}

type Container = import('testcontainers').GenericContainer;

async function startContainer(image: string, port: number, configure: (c: Container) => Container): Promise<{ host: string; port: number }> {
  const { GenericContainer } = await import('testcontainers');
  const container = await configure(new GenericContainer(image).withExposedPorts(port).withReuse()).start();
  return { host: container.getHost(), port: container.getMappedPort(port) };
}

/** Kafka brokers. */
export function kafkaService(): Promise<KafkaEndpoint | undefined> {
  return once('Kafka', async () => {
    let brokers = env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter(Boolean);
    if (brokers === undefined && (await dockerAvailable())) {
      // Fixed host port so the advertised listener is right for clients outside the container.
      const { GenericContainer } = await import('testcontainers');
      await new GenericContainer('apache/kafka:3.9.1')
        .withExposedPorts({ container: 19092, host: 19092 })
        .withEnvironment({
          KAFKA_NODE_ID: '1', KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://:19092,CONTROLLER://:9093',
          KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://localhost:19092',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER', KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1', KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        })
        .withReuse()
        .start();
      brokers = ['localhost:19092'];
    }
    if (brokers === undefined) return missing('Kafka', 'KAFKA_BROKERS');
    const [host, port] = brokers[0].split(':');
    await probe('Kafka', 'KAFKA_BROKERS', brokers.join(','), () => tcpProbe(host, Number(port)));
    return { brokers };
  });
}

/** A Confluent-compatible schema registry (Apicurio's ccompat API locally). */
export function registryService(): Promise<RegistryEndpoint | undefined> {
  return once('Schema Registry', async () => {
    let url = env.SCHEMA_REGISTRY_URL;
    if (url === undefined && (await dockerAvailable())) {
      const c = await startContainer('apicurio/apicurio-registry:3.0.6', 8080, (g) => g);
      url = `http://${c.host}:${c.port}/apis/ccompat/v7`;
    }
    if (url === undefined) return missing('Schema Registry', 'SCHEMA_REGISTRY_URL');
    const base = url;
    await probe('Schema Registry', 'SCHEMA_REGISTRY_URL', base, () => httpProbe(`${base}/subjects`));
    return { url: base };
  });
}

/** A ClickHouse server over HTTP (the Debian 18.16 server locally). */
export function clickhouseService(): Promise<ClickHouseEndpoint | undefined> {
  return once('ClickHouse', async () => {
    let url = env.CLICKHOUSE_URL;
    if (url === undefined && (await dockerAvailable())) {
      const c = await startContainer('clickhouse/clickhouse-server:25.8', 8123, (g) =>
        g.withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' }));
      url = `http://${c.host}:${c.port}`;
    }
    if (url === undefined) return missing('ClickHouse', 'CLICKHOUSE_URL');
    const base = url;
    await probe('ClickHouse', 'CLICKHOUSE_URL', base, () => httpProbe(`${base.replace(/\/$/, '')}/ping`));
    return { url: base, username: env.CLICKHOUSE_USER ?? 'default', password: env.CLICKHOUSE_PASSWORD ?? '' };
  });
}

/** An S3-compatible server (MinIO locally). */
export function s3Service(): Promise<S3Endpoint | undefined> {
  return once('S3', async () => {
    let endpoint = env.S3_ENDPOINT;
    if (endpoint === undefined && (await dockerAvailable())) {
      const c = await startContainer('minio/minio:RELEASE.2025-09-07T16-13-09Z', 9000, (g) =>
        g.withCommand(['server', '/data']).withEnvironment({ MINIO_ROOT_USER: 'minioadmin', MINIO_ROOT_PASSWORD: 'minioadmin' }));
      endpoint = `http://${c.host}:${c.port}`;
    }
    if (endpoint === undefined) return missing('S3', 'S3_ENDPOINT');
    const base = endpoint;
    await probe('S3', 'S3_ENDPOINT', base, () => httpProbe(`${base.replace(/\/$/, '')}/minio/health/live`).catch(() => {
      const u = new URL(base);
      return tcpProbe(u.hostname, Number(u.port || 80));
    }));
    return {
      endpoint: base, region: env.AWS_REGION ?? 'us-east-1',
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'minioadmin', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'minioadmin',
    };
  });
}
