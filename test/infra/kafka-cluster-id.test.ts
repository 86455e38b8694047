/**
 * infra/local/infra.sh formats each Kafka broker's storage with a fresh random cluster id. An id starting with
 * '-' made kafka-storage's argument parser fail the format ("argument --cluster-id/-t: expected one argument"):
 * one start in 64 failed, as the secure broker did in a CI run. The ids must never start with '-'.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'infra', 'local', 'infra.sh');

test('Kafka cluster ids from infra.sh are 22 base64url characters and never start with a dash', () => {
  const out = execFileSync('bash', ['-c', `source "$1"; for i in $(seq 2000); do kafka_cluster_id; done`, 'bash', SCRIPT], { encoding: 'utf8' });
  const ids = out.trim().split('\n');
  assert.equal(ids.length, 2000);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
});
