/**
 * Secured connections, shared by every command that reaches Kafka, the schema registry or ClickHouse: Kafka TLS
 * (`--kafka-ssl`, `--kafka-ca FILE`) and SASL (PLAIN, SCRAM-SHA-256/512: `--kafka-sasl-mechanism`,
 * `--kafka-username`, `--kafka-password`), registry basic auth (`--schema-registry-user/-password`, or
 * SCHEMA_REGISTRY_USER/PASSWORD) and a ClickHouse CA for https URLs (`--clickhouse-ca FILE`). Each from its flag,
 * `LAKEHOUSE_*` variable or the config file. Passwords are `secret`: masked when config is printed, and never
 * part of an error message.
 */
import { readFileSync } from 'node:fs';
import { KAFKA_SASL_MECHANISMS, type KafkaConfig, type KafkaSaslMechanism } from '../connectors/kafka/config.js';
import type { RegistryConfig } from '../connectors/kafka/avro-serde.js';
import { ConfigError } from '../schemas/errors.js';
import type { OptionSpec, ResolvedConfig } from './config.js';

/** The connection security options (added to every command's sink options). */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { name: 'kafkaSsl', type: 'boolean', default: false, doc: 'TLS to the Kafka brokers (implied by --kafka-ca)' },
  { name: 'kafkaCa', type: 'string', placeholder: 'FILE', check: 'file', doc: 'PEM file of the CA that signed the brokers\' certificates (default: the system\'s CAs)' },
  { name: 'kafkaSaslMechanism', type: 'string', choices: KAFKA_SASL_MECHANISMS, placeholder: 'MECHANISM', doc: 'SASL mechanism (default plain when --kafka-username is given)' },
  { name: 'kafkaUsername', type: 'string', placeholder: 'USER', doc: 'SASL user' },
  { name: 'kafkaPassword', type: 'string', placeholder: 'PASSWORD', secret: true, doc: 'SASL password (prefer the environment or a config file readable only by you)' },
  { name: 'schemaRegistryUser', type: 'string', placeholder: 'USER', env: ['SCHEMA_REGISTRY_USER'], doc: 'schema registry basic-auth user' },
  { name: 'schemaRegistryPassword', type: 'string', placeholder: 'PASSWORD', env: ['SCHEMA_REGISTRY_PASSWORD'], secret: true, doc: 'schema registry basic-auth password' },
  { name: 'clickhouseCa', type: 'string', placeholder: 'FILE', check: 'file', doc: 'PEM file of the CA that signed an https ClickHouse server\'s certificate' },
];

function pemOf(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--${flag} ${JSON.stringify(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

const text = (config: ResolvedConfig, name: string): string | undefined => {
  const value = config[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The Kafka connection of resolved options (brokers given); a user without a password, or the reverse, is a {@link ConfigError}. */
export function kafkaConfigOf(config: ResolvedConfig, brokers: readonly string[]): KafkaConfig {
  const ca = text(config, 'kafkaCa');
  const username = text(config, 'kafkaUsername');
  const password = text(config, 'kafkaPassword');
  const mechanism = text(config, 'kafkaSaslMechanism') as KafkaSaslMechanism | undefined;
  if ((username === undefined) !== (password === undefined) || (mechanism !== undefined && username === undefined)) {
    throw new ConfigError('Kafka SASL needs --kafka-username and --kafka-password (LAKEHOUSE_KAFKA_USERNAME, LAKEHOUSE_KAFKA_PASSWORD) together');
  }
  const ssl = ca !== undefined ? { ca: [pemOf(ca, 'kafka-ca')] } : config.kafkaSsl === true;
  return {
    brokers,
    ...(ssl === false ? {} : { ssl }),
    ...(username === undefined || password === undefined ? {} : { sasl: { mechanism: mechanism ?? 'plain', username, password } }),
  };
}

/** The schema registry of resolved options (its URL given). */
export function registryConfigOf(config: ResolvedConfig, url: string): RegistryConfig {
  const username = text(config, 'schemaRegistryUser');
  const password = text(config, 'schemaRegistryPassword');
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError('schema registry basic auth needs --schema-registry-user and --schema-registry-password together');
  }
  return { url, ...(username === undefined || password === undefined ? {} : { basicAuth: { username, password } }) };
}

/** The PEM text of `--clickhouse-ca`, when given. */
export function clickhouseCaOf(config: ResolvedConfig): string | undefined {
  const ca = text(config, 'clickhouseCa');
  return ca === undefined ? undefined : pemOf(ca, 'clickhouse-ca');
}
