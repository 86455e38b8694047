/** Paths to the real Binance fixtures shipped in test/fixtures/real (read-only; see PROVENANCE.md there). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The fixture folder; `LAKEHOUSE_REAL_FIXTURES` points the tests at another copy. */
export const REAL_FIXTURES = process.env.LAKEHOUSE_REAL_FIXTURES ?? join(REPO_ROOT, 'test', 'fixtures', 'real');

/** Absolute path of a real fixture file; throws a clear error if it is missing. */
export function realFixture(name: string): string {
  const path = join(REAL_FIXTURES, name);
  if (!existsSync(path)) throw new Error(`real fixture missing: ${path}`);
  return path;
}

/** The text of a real fixture; `.zip` fixtures are read through `unzip -p` (the CSV member only). */
export function realFixtureText(name: string): string {
  const path = realFixture(name);
  if (!name.endsWith('.zip')) return readFileSync(path, 'utf8');
  return execFileSync('unzip', ['-p', path, '*.csv', '-x', '__MACOSX/*'], { maxBuffer: 1 << 30 }).toString('utf8');
}
