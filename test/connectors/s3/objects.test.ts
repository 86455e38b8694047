import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { deleteObjects } from '../../../connectors/s3/objects.js';
import { SinkWriteError } from '../../../schemas/errors.js';

/** A client that records DeleteObjects requests and answers with `reply`. */
function fakeClient(reply: (keys: string[]) => unknown): { client: S3Client; requests: string[][] } {
  const requests: string[][] = [];
  const client = {
    send(command: unknown) {
      assert.ok(command instanceof DeleteObjectsCommand);
      const keys = (command.input.Delete?.Objects ?? []).map((o) => o.Key as string);
      requests.push(keys);
      return Promise.resolve(reply(keys));
    },
  } as unknown as S3Client;
  return { client, requests };
}

test('deleteObjects sends at most 1,000 keys per request, in order, and counts them', async () => {
  const keys = Array.from({ length: 2_345 }, (_, i) => `lake/p/${i}.parquet`);
  const { client, requests } = fakeClient(() => ({}));
  assert.equal(await deleteObjects(client, 'b', keys), 2_345);
  assert.deepEqual(requests.map((r) => r.length), [1_000, 1_000, 345]);
  assert.deepEqual(requests.flat(), keys);
});

test('deleteObjects sends nothing for no keys', async () => {
  const { client, requests } = fakeClient(() => ({}));
  assert.equal(await deleteObjects(client, 'b', []), 0);
  assert.deepEqual(requests, []);
});

test('deleteObjects throws a SinkWriteError naming a key the store refused', async () => {
  const { client } = fakeClient((keys) => ({ Errors: [{ Key: keys[1], Code: 'AccessDenied', Message: 'Access Denied' }] }));
  await assert.rejects(deleteObjects(client, 'b', ['a', 'x/y.parquet']), (error: unknown) => {
    assert.ok(error instanceof SinkWriteError);
    assert.match(error.message, /refused to delete 1 of 2 objects, e.g. s3:\/\/b\/x\/y\.parquet: AccessDenied Access Denied/);
    assert.equal(error.retriable, false);
    return true;
  });
});
