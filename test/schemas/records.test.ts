import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles } from '../../schemas/generated-files.js';
import {
  KINDS, KIND_NAMES, LEGACY_CLICKHOUSE, clickhouseTableDdl, identityKeyOf, makeVersion, rankOfVersion, sequenceOfVersion, streamKeyOf,
  type FieldSpec, type TradeRecord,
} from '../../schemas/index.js';
import { REPO_ROOT } from '../support/fixtures.js';

describe('record field tables', () => {
  it('keep the committed generated schemas in step with the field tables (run npm run gen:schemas)', () => {
    for (const [path, content] of generatedFiles()) {
      assert.equal(readFileSync(join(REPO_ROOT, path), 'utf8'), content, `${path} is stale`);
    }
  });

  it('give every kind an identity key made of its own non-null fields', () => {
    for (const kind of KIND_NAMES) {
      const spec = KINDS[kind];
      const names = new Map<string, FieldSpec>(spec.fields.map((f) => [f.name, f] as const));
      assert.equal(names.size, spec.fields.length, `${kind} has duplicate field names`);
      for (const key of spec.key) {
        const field = names.get(key);
        assert.ok(field, `${kind} key ${key} is a field`);
        assert.notEqual(field.nullable, true, `${kind} key ${key} is not nullable`);
      }
      for (const f of spec.fields) assert.ok(f.doc.length > 3, `${kind}.${f.name} is documented`);
    }
  });

  it('derive legacy ClickHouse DDL without DateTime64 or LowCardinality', () => {
    const ddl = clickhouseTableDdl(KINDS.trade, LEGACY_CLICKHOUSE).join('\n');
    assert.doesNotMatch(ddl, /DateTime64|LowCardinality/);
    assert.match(ddl, /ReplacingMergeTree\(`version`\)/);
    assert.match(ddl, /ORDER BY \(`market`, `symbol`, `tradeId`\)/);
  });

  it('derive a replicated table and a Distributed table when a cluster is named', () => {
    const ddl = clickhouseTableDdl(KINDS.kline, LEGACY_CLICKHOUSE, { cluster: 'c1' });
    assert.equal(ddl.length, 2);
    assert.match(ddl[0], /ReplicatedReplacingMergeTree/);
    assert.match(ddl[1], /ENGINE = Distributed\(`c1`, `lakehouse`, `klines_local`/);
  });
});

describe('versions and keys', () => {
  it('order archive over rest over closed ws over open ws over fill, then later ingest over earlier', () => {
    const order = [
      makeVersion('fill', 9e12), makeVersion('ws', 9e12, false), makeVersion('ws', 1, true),
      makeVersion('rest', 1), makeVersion('archive', 1), makeVersion('archive', 2),
    ];
    for (let i = 1; i < order.length; i++) assert.ok(order[i] > order[i - 1], `position ${i}`);
    assert.equal(rankOfVersion(makeVersion('archive', Date.now())), 5);
    assert.ok(Number.isSafeInteger(makeVersion('archive', 2 ** 60)));
    for (const source of ['archive', 'rest', 'ws', 'resample', 'fill'] as const) {
      for (const sequence of [0, 1, 1_777_700_000_123, 2 ** 44 - 1]) {
        const version = makeVersion(source, sequence);
        assert.equal(sequenceOfVersion(version), sequence);
        assert.equal(sequenceOfVersion(version), version % 2 ** 44);
      }
    }
  });

  it('build identity and stream keys from the key fields', () => {
    const trade: TradeRecord = {
      kind: 'trade', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: 1, source: 'archive',
      receiveTimeUs: null, ingestId: 'x', version: 1, tradeId: 42, price: 1, qty: 1, quoteQty: 1, contracts: null,
      baseQty: null, isBuyerMaker: true, isBestMatch: true,
    };
    assert.equal(identityKeyOf(trade), identityKeyOf({ ...trade, price: 2, version: 9 }));
    assert.notEqual(identityKeyOf(trade), identityKeyOf({ ...trade, tradeId: 43 }));
    assert.equal(streamKeyOf(trade), 'binance.spot.trade.BTCUSDT');
  });
});
