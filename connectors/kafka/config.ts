/** Kafka connection settings and the kafkajs factory. Values are passed in; nothing here reads the environment. */
import type { SASLOptions } from 'kafkajs';
import { Kafka, logLevel } from './kafkajs.js';
import { ConfigError } from '../../schemas/errors.js';
import { clientLogLevel, kafkajsLevelOf, kafkajsLogCreator } from '../client-logs.js';

/** The SASL mechanisms the brokers may require. */
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** TLS to the brokers beyond the system trust store. */
export interface KafkaTls {
  /** PEM text of the CA certificate(s) that signed the brokers' certificates. @default the system's CAs */
  readonly ca?: readonly string[];
  /** Verify the brokers' certificates and host names. @default true */
  readonly rejectUnauthorized?: boolean;
}

/** SASL credentials (plain data: they cross to the producer's worker thread). */
export interface KafkaSasl {
  /** @default 'plain' */
  readonly mechanism?: KafkaSaslMechanism;
  readonly username: string;
  /** Never printed: config printing masks it, errors do not carry it. */
  readonly password: string;
}

/** How to reach the brokers. */
export interface KafkaConfig {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Client id shown in broker logs. @default 'crypto-lakehouse' */
  readonly clientId?: string;
  /** TLS to the brokers: `true` with the system's CAs, or with the given CA. @default false */
  readonly ssl?: boolean | KafkaTls;
  /** SASL authentication (over TLS when `ssl` is set: SASL_SSL; else SASL_PLAINTEXT). */
  readonly sasl?: KafkaSasl;
  /** Connection timeout. @default 3000 */
  readonly connectionTimeoutMs?: number;
}

/** A kafkajs instance for `config`, logging through connectors/client-logs.ts at the level routed now (errors only by default). */
export function createKafka(config: KafkaConfig): Kafka {
  if (config.brokers.length === 0) throw new ConfigError('Kafka: at least one broker is required');
  const { sasl, ssl } = config;
  if (sasl !== undefined && (sasl.username === '' || sasl.password === '')) {
    throw new ConfigError('Kafka: SASL needs both a username and a password');
  }
  return new Kafka({
    clientId: config.clientId ?? 'crypto-lakehouse',
    brokers: [...config.brokers],
    ssl: typeof ssl === 'object' ? { ...(ssl.ca === undefined ? {} : { ca: [...ssl.ca] }), rejectUnauthorized: ssl.rejectUnauthorized ?? true } : ssl ?? false,
    ...(sasl === undefined ? {} : { sasl: { mechanism: sasl.mechanism ?? 'plain', username: sasl.username, password: sasl.password } as SASLOptions }),
    connectionTimeout: config.connectionTimeoutMs ?? 3000,
    logLevel: kafkajsLevelOf(clientLogLevel()) as (typeof logLevel)[keyof typeof logLevel],
    logCreator: kafkajsLogCreator,
  });
}
