/** Kafka connection settings and the kafkajs factory. Values are passed in; nothing here reads the environment. */
import { Kafka, logLevel } from './kafkajs.js';
import { ConfigError } from '../../schemas/errors.js';

/** How to reach the brokers. */
export interface KafkaConfig {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Client id shown in broker logs. @default 'crypto-lakehouse' */
  readonly clientId?: string;
  /** TLS to the brokers. @default false */
  readonly ssl?: boolean;
  /** SASL/PLAIN credentials (password masked when config is printed). */
  readonly sasl?: { readonly username: string; readonly password: string };
  /** Connection timeout. @default 3000 */
  readonly connectionTimeoutMs?: number;
}

/** A kafkajs instance for `config` (quiet: errors only). */
export function createKafka(config: KafkaConfig): Kafka {
  if (config.brokers.length === 0) throw new ConfigError('Kafka: at least one broker is required');
  return new Kafka({
    clientId: config.clientId ?? 'crypto-lakehouse',
    brokers: [...config.brokers],
    ssl: config.ssl ?? false,
    ...(config.sasl === undefined ? {} : { sasl: { mechanism: 'plain' as const, ...config.sasl } }),
    connectionTimeout: config.connectionTimeoutMs ?? 3000,
    logLevel: logLevel.ERROR,
  });
}
