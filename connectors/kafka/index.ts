/** Kafka connector: topic naming, Avro serde via the schema registry, the `toKafka` sink and the `fromKafka` source. */
export * from './config.js';
export * from './topic-for.js';
export * from './avro-serde.js';
export * from './to-kafka.js';
export * from './from-kafka.js';
