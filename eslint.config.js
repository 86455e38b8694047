// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import rxjsX from 'eslint-plugin-rxjs-x';

export default defineConfig(
  { ignores: ['node_modules/**', 'dist/**', 'lake/**', 'demo-archive/**', '.scratch*/**', 'tmp/**', '**/*.mjs', '**/*.cjs', 'eslint.config.js'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended, rxjsX.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      // Only pipelines/ (the CLI) reads the environment; tests read it through test/support/services.ts.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only pipelines/ reads process.env (docs/ARCHITECTURE.md §2).' }],
    },
  },
  {
    files: ['pipelines/**/*.ts', 'test/support/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
