/**
 * A Kafka broker of the chaos suite's own, that it may stop and start: infra/local's `kafka` under a private
 * state directory and free ports (never the shared broker of the other tests). A TCP proxy cannot stand in for
 * a broker restart: the broker advertises its own address, so clients connect to it directly after the
 * bootstrap.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runInfra } from '../support/local-infra.js';

/** The private broker: `stop()` (its data kept) and `start()` again; `remove()` stops it and deletes its state. */
export class PrivateKafka {
  private constructor(private readonly env: Record<string, string>, readonly brokers: string, private readonly state: string) {}

  /** Starts a broker on free ports; rejects with infra.sh's output when it cannot. */
  static async start(): Promise<PrivateKafka> {
    const state = await mkdtemp(join(tmpdir(), 'chaos-kafka-'));
    const port = await freePort();
    const kafka = new PrivateKafka({ LAKEHOUSE_INFRA_STATE: state, LAKEHOUSE_KAFKA_PORT: String(port), LAKEHOUSE_KAFKA_CONTROLLER_PORT: String(await freePort()) }, `127.0.0.1:${port}`, state);
    await kafka.start();
    return kafka;
  }

  /** Starts the broker (over its kept data). */
  async start(): Promise<void> {
    const up = await runInfra(this.env, 'up', 'kafka');
    if (up.code !== 0) throw new Error(`infra.sh up kafka (private, ${this.state}) failed:\n${up.output}`);
  }

  /** Stops the broker (SIGTERM: a controlled shutdown), keeping its data. */
  async stop(): Promise<void> {
    const down = await runInfra(this.env, 'down', '--keep-data', 'kafka');
    if (down.code !== 0) throw new Error(`infra.sh down kafka (private, ${this.state}) failed:\n${down.output}`);
  }

  async remove(): Promise<void> {
    await runInfra(this.env, 'down', 'kafka');
    await rm(this.state, { recursive: true, force: true });
  }
}
