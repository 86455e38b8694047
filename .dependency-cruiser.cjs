/** Layer rules of docs/ARCHITECTURE.md §2: schemas/ ← operators/, connectors/ ← pipelines/; nothing imports test/. */
module.exports = {
  forbidden: [
    { name: 'schemas-are-the-bottom', severity: 'error', comment: 'schemas/ imports only schemas/',
      from: { path: '^schemas/' }, to: { path: '^(operators|connectors|pipelines|test|bench)/' } },
    { name: 'operators-never-import-connectors', severity: 'error',
      from: { path: '^operators/' }, to: { path: '^(connectors|pipelines|test|bench)/' } },
    { name: 'connectors-never-import-operators-or-pipelines', severity: 'error',
      from: { path: '^connectors/' }, to: { path: '^(operators|pipelines|test|bench)/' } },
    { name: 'connector-contract-names-no-connector', severity: 'error',
      comment: 'the sink contract (connectors/*.ts) and connectors/plumbing/ (retry, back-pressure, threads, UTF-8) sit below every connector',
      from: { path: '^connectors/([^/]+\\.ts$|plumbing/)' }, to: { path: '^connectors/(?!plumbing/)[^/]+/' } },
    { name: 'pipelines-never-import-tests', severity: 'error',
      from: { path: '^pipelines/' }, to: { path: '^(test|bench)/' } },
    { name: 'kafkajs-only-through-its-loader', severity: 'error',
      comment: 'kafkajs runtime only via connectors/kafka/kafkajs.ts, which installs its fast paths before kafkajs loads',
      from: { pathNot: '^connectors/kafka/kafkajs\\.ts$' },
      to: { path: 'node_modules/kafkajs/', dependencyTypesNot: ['type-only'] } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
