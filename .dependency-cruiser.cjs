/** Layer rules from STYLE.md: schemas/ ← operators/, connectors/ ← pipelines/; nothing imports test/. */
module.exports = {
  forbidden: [
    { name: 'schemas-are-the-bottom', severity: 'error', comment: 'schemas/ imports only schemas/',
      from: { path: '^schemas/' }, to: { path: '^(operators|connectors|pipelines|test|bench)/' } },
    { name: 'operators-never-import-connectors', severity: 'error',
      from: { path: '^operators/' }, to: { path: '^(connectors|pipelines|test|bench)/' } },
    { name: 'connectors-never-import-operators-or-pipelines', severity: 'error',
      from: { path: '^connectors/' }, to: { path: '^(operators|pipelines|test|bench)/' } },
    { name: 'pipelines-never-import-tests', severity: 'error',
      from: { path: '^pipelines/' }, to: { path: '^(test|bench)/' } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
