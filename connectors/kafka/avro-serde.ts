/**
 * Avro values in the Confluent wire format through a Confluent-compatible registry (Apicurio's ccompat API
 * locally) with `@confluentinc/schemaregistry`: subject `<topic>-value` (explicit strategy: no ASSOCIATED
 * probing), schema from schemas/avro.ts registered once per topic, subject compatibility BACKWARD. The
 * in-memory `kind` is not part of the Avro record: it is stripped when encoding and restored from the topic.
 */
import {
  AvroDeserializer, AvroSerializer, Compatibility, RestError, SchemaRegistryClient, SerdeType, type Client,
} from '@confluentinc/schemaregistry';
import { avroSchemaOf } from '../../schemas/avro.js';
import { ConnectorError, DecodeError } from '../../schemas/errors.js';
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { kindOfTopic } from './topic-for.js';

/** Where the registry is. */
export interface RegistryConfig {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:18081/apis/ccompat/v7`. */
  readonly url: string;
  /** Basic auth `user:password`, if the registry needs it. */
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/** Encodes records for a topic and decodes them back. */
export interface AvroSerde {
  encode(topic: string, record: AnyRecord): Promise<Buffer>;
  decode(topic: string, value: Buffer): Promise<AnyRecord>;
}

/** The value subject of a topic. */
export const valueSubjectOf = (topic: string): string => `${topic}-value`;

/** A registry client for `config`. */
export function createRegistryClient(config: RegistryConfig): Client {
  return new SchemaRegistryClient({
    baseURLs: [config.url],
    ...(config.basicAuth === undefined ? {} : {
      basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `${config.basicAuth.username}:${config.basicAuth.password}` },
    }),
  });
}

/** Registers the kind's schema under the topic's subject with BACKWARD compatibility; returns the schema id. */
export async function registerTopicSchema(client: Client, topic: string, kind: KindName = kindOfTopic(topic)): Promise<number> {
  const subject = valueSubjectOf(topic);
  const id = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(avroSchemaOf(KINDS[kind])) }, false);
  await client.updateConfig(subject, { compatibility: Compatibility.BACKWARD });
  return id;
}

/** Registry HTTP failures (5xx, transport) are the registry's fault, not the message's. */
function isRegistryUnreachable(error: unknown): boolean {
  if (error instanceof RestError) return error.status >= 500;
  return (error as { isAxiosError?: boolean } | null)?.isAxiosError === true;
}

/** A serde over `client`; schemas are registered lazily, once per topic. */
export function createAvroSerde(client: Client): AvroSerde {
  const subjectNameStrategy = (topic: string): string => valueSubjectOf(topic);
  const serializers = new Map<string, Promise<AvroSerializer>>();
  const deserializer = new AvroDeserializer(client, SerdeType.VALUE, { subjectNameStrategy });
  const serializerFor = (topic: string): Promise<AvroSerializer> => {
    let serializer = serializers.get(topic);
    if (serializer === undefined) {
      serializer = registerTopicSchema(client, topic).then((id) =>
        new AvroSerializer(client, SerdeType.VALUE, { useSchemaId: id, autoRegisterSchemas: false, subjectNameStrategy }));
      serializer.catch(() => serializers.delete(topic));
      serializers.set(topic, serializer);
    }
    return serializer;
  };
  return {
    async encode(topic, record) {
      const { kind: _kind, ...value } = record;
      return (await serializerFor(topic)).serialize(topic, value);
    },
    async decode(topic, value) {
      const kind = kindOfTopic(topic);
      let decoded: Record<string, unknown>;
      try {
        decoded = await deserializer.deserialize(topic, value);
      } catch (error) {
        if (isRegistryUnreachable(error)) throw new ConnectorError(`schema registry failed while decoding ${topic}`, { topic, service: 'schema-registry' }, { cause: error });
        throw new DecodeError(`cannot decode Avro value on ${topic}`, value.toString('base64'), { topic }, error);
      }
      return { kind, ...decoded } as AnyRecord;
    },
  };
}
