/**
 * Avro values in the Confluent wire format (magic 0, 4-byte schema id, Avro binary) through a
 * Confluent-compatible registry (Apicurio's ccompat API locally) with `@confluentinc/schemaregistry`'s client:
 * subject `<topic>-value` (explicit: no ASSOCIATED-strategy probing), schema from schemas/avro.ts registered
 * once per topic, subject compatibility BACKWARD. Encoding and decoding run on `avsc` types cached per topic
 * and per writer schema id, not through the library's AvroSerializer (far slower per message, see
 * docs/PERFORMANCE.md); the bytes are the same (tested against AvroSerializer/AvroDeserializer). Values written with an older schema
 * are resolved to the current one (BACKWARD evolution). The in-memory `kind` is not part of the Avro record:
 * stripped when encoding, restored from the topic when decoding.
 */
import { Compatibility, RestError, SchemaRegistryClient, type Client } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { avroSchemaOf } from '../../schemas/avro.js';
import { ConnectorError, DecodeError } from '../../schemas/errors.js';
import { KINDS, type AnyRecord, type KindName } from '../../schemas/records.js';
import { avroFastReader, type FastReader } from './avro-fast-reader.js';
import { kindOfTopic } from './topic-for.js';

/** Where the registry is. */
export interface RegistryConfig {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:18081/apis/ccompat/v7`. */
  readonly url: string;
  /** Basic auth, if the registry needs it (password masked when config is printed). */
  readonly basicAuth?: { readonly username: string; readonly password: string };
}

/** Encodes records for a topic and decodes them back. */
export interface AvroSerde {
  encode(topic: string, record: AnyRecord): Promise<Buffer>;
  /**
   * The same bytes as {@link encode}, synchronously, once the topic's schema is registered (after the first
   * `encode` of the topic resolved); undefined before. Spares a promise per message on the hot path.
   */
  encodeNow?(topic: string, record: AnyRecord): Buffer | undefined;
  decode(topic: string, value: Buffer): Promise<AnyRecord>;
  /**
   * The same record as {@link decode}, synchronously, once the value's writer schema was resolved for the topic
   * (after a `decode` with it resolved); undefined before, or for a value `decode` must judge. Spares a promise,
   * a topic parse and a cache key per message on the consumer's hot path. With `ingestId`, the record carries
   * that lineage instead of the producer's (which is then not decoded, where the compiled reader reads the value).
   */
  decodeNow?(topic: string, value: Buffer, ingestId?: string): AnyRecord | undefined;
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
function registryFailure(error: unknown, topic: string): ConnectorError | undefined {
  const unreachable = error instanceof RestError ? error.status >= 500 : (error as { isAxiosError?: boolean } | null)?.isAxiosError === true;
  return unreachable ? new ConnectorError(`schema registry failed for ${topic}`, { topic, service: 'schema-registry' }, { cause: error }) : undefined;
}

interface Writer { id: number; type: avro.Type }
/** avsc's reader of one writer schema, and the compiled one when that schema is the kind's current one. */
interface Reader { readonly avsc: (body: Buffer) => unknown; readonly fast: FastReader | undefined }

/** Caches a promise per key, forgetting failures so the next call retries. */
function memo<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    value.catch(() => cache.delete(key));
    cache.set(key, value);
  }
  return value;
}

/**
 * Writes Confluent-framed values (magic 0, schema id, Avro body) one after another into a shared 64 KiB slab
 * and hands out views of it: one allocation per slab instead of two per message (avsc's `toBuffer` plus the
 * framed copy). The in-memory `kind` needs no stripping: avsc writes a record's declared fields only. A view
 * keeps its slab alive until the message is gone (kafkajs copies values into its request buffer).
 */
class WireSlab {
  private buffer = Buffer.allocUnsafe(SLAB_BYTES);
  private offset = 0;

  write(writer: Writer, record: AnyRecord): Buffer {
    for (;;) {
      const start = this.offset;
      if (this.buffer.length - start >= 5) {
        const end = writer.type.encode(record, this.buffer, start + 5);
        if (end > 0) {
          this.buffer[start] = 0;
          this.buffer.writeInt32BE(writer.id, start + 1);
          this.offset = end;
          return this.buffer.subarray(start, end);
        }
      }
      // Not enough room left: a fresh slab (one value larger than a slab gets a slab of its own size).
      const needed = start === 0 ? 2 * this.buffer.length : SLAB_BYTES;
      this.buffer = Buffer.allocUnsafe(Math.max(needed, SLAB_BYTES));
      this.offset = 0;
    }
  }
}

const SLAB_BYTES = 64 * 1024;

/** A serde over `client`; schemas are registered lazily, once per topic. */
export function createAvroSerde(client: Client): AvroSerde {
  const writers = new Map<string, Promise<Writer>>();
  const readers = new Map<string, Promise<Reader>>();
  const currentType = (kind: KindName): avro.Type => avro.Type.forSchema(avroSchemaOf(KINDS[kind]) as avro.Schema);
  const writerFor = (topic: string): Promise<Writer> => memo(writers, topic, async () =>
    ({ id: await registerTopicSchema(client, topic), type: currentType(kindOfTopic(topic)) }));
  const readerFor = (topic: string, kind: KindName, id: number): Promise<Reader> => memo(readers, `${topic}#${id}`, async () => {
    const info = await client.getBySubjectAndId(valueSubjectOf(topic), id);
    const reader = currentType(kind);
    const writer = avro.Type.forSchema(JSON.parse(info.schema) as avro.Schema);
    const resolver = reader.createResolver(writer);
    return { avsc: (body) => reader.fromBuffer(body, resolver), fast: avroFastReader(kind, info.schema) };
  });
  const ready = new Map<string, Writer>();
  /** Resolved readers per topic and writer schema id, with the topic's kind (for decodeNow). */
  const readyReaders = new Map<string, { readonly kind: KindName; readonly byId: Map<number, Reader> }>();
  const slab = new WireSlab();
  return {
    async encode(topic, record) {
      let writer: Writer;
      try { writer = await writerFor(topic); } catch (error) { throw registryFailure(error, topic) ?? error; }
      ready.set(topic, writer);
      return slab.write(writer, record);
    },
    encodeNow(topic, record) {
      const writer = ready.get(topic);
      return writer === undefined ? undefined : slab.write(writer, record);
    },
    async decode(topic, value) {
      const kind = kindOfTopic(topic);
      const raw = (): string => value.toString('base64');
      if (value.length < 5 || value[0] !== 0) throw new DecodeError(`not a Confluent Avro value on ${topic} (magic byte)`, raw(), { topic });
      let read: Reader;
      const id = value.readInt32BE(1);
      try {
        read = await readerFor(topic, kind, id);
      } catch (error) {
        throw registryFailure(error, topic) ?? new DecodeError(`unknown or incompatible writer schema on ${topic}`, raw(), { topic }, error);
      }
      let known = readyReaders.get(topic);
      if (known === undefined) readyReaders.set(topic, (known = { kind, byId: new Map() }));
      known.byId.set(id, read);
      try {
        return { kind, ...(read.avsc(value.subarray(5)) as object) } as AnyRecord;
      } catch (error) {
        throw new DecodeError(`cannot decode Avro value on ${topic}`, raw(), { topic }, error);
      }
    },
    decodeNow(topic, value, ingestId) {
      if (value.length < 5 || value[0] !== 0) return undefined;
      const known = readyReaders.get(topic);
      const read = known?.byId.get(value.readInt32BE(1));
      if (known === undefined || read === undefined) return undefined;
      const fast = read.fast?.(value, 5, value.length, ingestId);
      if (fast !== undefined) return fast;
      try {
        const record = { kind: known.kind, ...(read.avsc(value.subarray(5)) as object) } as AnyRecord;
        if (ingestId !== undefined) record.ingestId = ingestId;
        return record;
      } catch {
        return undefined; // decode says why
      }
    },
  };
}
